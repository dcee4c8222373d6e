//! The PostgreSQL history store, for several fenliu instances behind a load
//! balancer. Each `record` is one committed statement; a lost connection is
//! reopened on the next call, and until then every call fails fast (the
//! engine then answers without history and says so).

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, NoTls};

use super::schema::{decode_signature, encode_signature, MIGRATIONS, MIGRATIONS_TABLE};
use super::{CallerKey, HistoryError, HistoryStore, PastAppeal};
use crate::rules::Route;

pub struct PostgresStore {
    config: postgres::Config,
    shown: String,
    client: Mutex<Option<Client>>,
    key: CallerKey,
}

fn err(e: impl std::fmt::Display) -> HistoryError {
    HistoryError(format!("postgres: {e}"))
}

/// Serialises concurrent migrations of several instances.
const MIGRATION_LOCK: i64 = 0x6665_6e6c_6975;

impl PostgresStore {
    /// Connects and migrates. The URL may carry `connect_timeout`; without
    /// one, 3 seconds.
    pub fn open(url: &str, key: CallerKey) -> Result<PostgresStore, HistoryError> {
        let mut config =
            postgres::Config::from_str(url).map_err(|e| err(format!("bad URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(3));
        }
        let shown = format!(
            "postgres {}/{}",
            config
                .get_hosts()
                .first()
                .map(|h| format!("{h:?}"))
                .unwrap_or_default(),
            config.get_dbname().unwrap_or("")
        );
        let store = PostgresStore {
            config,
            shown,
            client: Mutex::new(None),
            key,
        };
        store.with(migrate)?;
        Ok(store)
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, HistoryError> {
        let mut guard = self
            .client
            .lock()
            .map_err(|_| err("the connection lock was poisoned"))?;
        if guard.as_ref().is_none_or(Client::is_closed) {
            *guard = Some(self.config.connect(NoTls).map_err(err)?);
        }
        let client = guard.as_mut().ok_or_else(|| err("no connection"))?;
        match f(client) {
            Ok(v) => Ok(v),
            Err(e) => {
                if client.is_closed() || e.as_db_error().is_none() {
                    *guard = None;
                }
                Err(err(e))
            }
        }
    }
}

fn migrate(c: &mut Client) -> Result<(), postgres::Error> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.execute(MIGRATIONS_TABLE, &[])?;
    for (version, statements) in MIGRATIONS {
        let done: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
                &[version],
            )?
            .get(0);
        if !done {
            for s in *statements {
                tx.execute(*s, &[])?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[version, &super::now_secs()],
            )?;
        }
    }
    tx.commit()
}

impl HistoryStore for PostgresStore {
    fn recent(
        &self,
        caller: &str,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<PastAppeal>, HistoryError> {
        let hash = self.key.hash(caller);
        let rows = self.with(|c| {
            c.query(
                "SELECT id, caller_hash, received_at, signature, route, category FROM appeals
                 WHERE caller_hash = $1 AND received_at BETWEEN $2 AND $3 ORDER BY received_at DESC LIMIT $4",
                &[&hash, &since, &until, &(limit as i64)],
            )
        })?;
        Ok(rows
            .iter()
            .map(|r| PastAppeal {
                id: r.get(0),
                caller: r.get(1),
                received_at: r.get(2),
                signature: decode_signature(r.get(3)),
                route: Route::parse(r.get(4)).unwrap_or(Route::NonPolice),
                category: r.get(5),
                audit: None,
            })
            .collect())
    }

    fn record(&self, a: &PastAppeal) -> Result<bool, HistoryError> {
        let audit = a.audit.clone().unwrap_or_default();
        let hash = self.key.hash(&a.caller);
        let sig = encode_signature(&a.signature);
        let rules = serde_json::to_string(&audit.rules).unwrap_or_default();
        let now = super::now_secs();
        let n = self.with(|c| {
            c.execute(
                "INSERT INTO appeals (id, caller_hash, received_at, signature, route, category, ruleset_version,
                   ruleset_digest, decided_by, rules, confidence, review, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (id) DO NOTHING",
                &[
                    &a.id,
                    &hash,
                    &a.received_at,
                    &sig,
                    &a.route.as_str(),
                    &a.category,
                    &audit.ruleset_version,
                    &audit.ruleset_digest,
                    &audit.decided_by,
                    &rules,
                    &audit.confidence,
                    &audit.review,
                    &now,
                ],
            )
        })?;
        Ok(n == 1)
    }

    fn contains(&self, id: &str) -> Result<bool, HistoryError> {
        self.with(|c| {
            c.query_one(
                "SELECT EXISTS (SELECT 1 FROM appeals WHERE id = $1)",
                &[&id],
            )
        })
        .map(|r| r.get(0))
    }

    fn health(&self) -> Result<(), HistoryError> {
        self.with(|c| c.simple_query("SELECT 1")).map(|_| ())
    }

    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn purge_before(&self, before: i64) -> Result<usize, HistoryError> {
        self.with(|c| c.execute("DELETE FROM appeals WHERE received_at < $1", &[&before]))
            .map(|n| n as usize)
    }
}
