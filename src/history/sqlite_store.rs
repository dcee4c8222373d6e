//! The SQLite history store: one file under the data directory, the
//! embedded default of `fenliu serve`. WAL journal with synchronous commit:
//! a recorded appeal is on disk before `record` returns.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use super::schema::{decode_signature, encode_signature, MIGRATIONS, MIGRATIONS_TABLE};
use super::{Audit, CallerKey, HistoryError, HistoryStore, PastAppeal};
use crate::rules::Route;

pub struct SqliteStore {
    path: PathBuf,
    conn: Mutex<Connection>,
    key: CallerKey,
}

fn err(e: impl std::fmt::Display) -> HistoryError {
    HistoryError(format!("sqlite: {e}"))
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the store at `path`.
    pub fn open(path: &Path, key: CallerKey) -> Result<SqliteStore, HistoryError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| err(format!("cannot create `{}`: {e}", dir.display())))?;
        }
        let mut conn = Connection::open(path)
            .map_err(|e| err(format!("cannot open `{}`: {e}", path.display())))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            key,
        })
    }

    fn conn(&self) -> Result<std::sync::MutexGuard<'_, Connection>, HistoryError> {
        self.conn
            .lock()
            .map_err(|_| err("the connection lock was poisoned"))
    }

    /// The applied schema version.
    pub fn schema_version(&self) -> Result<i64, HistoryError> {
        self.conn()?
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(err)
    }

    /// The audit record of an appeal, for tests and tools.
    pub fn audit(&self, id: &str) -> Result<Option<(String, Audit)>, HistoryError> {
        self.conn()?
            .query_row(
                "SELECT caller_hash, ruleset_version, ruleset_digest, rules, decided_by, confidence, review FROM appeals WHERE id = ?1",
                params![id],
                |r| {
                    let rules: String = r.get(3)?;
                    Ok((
                        r.get::<_, String>(0)?,
                        Audit {
                            ruleset_version: r.get(1)?,
                            ruleset_digest: r.get(2)?,
                            rules: serde_json::from_str(&rules).unwrap_or_default(),
                            decided_by: r.get(4)?,
                            confidence: r.get(5)?,
                            review: r.get(6)?,
                        },
                    ))
                },
            )
            .optional()
            .map_err(err)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), HistoryError> {
    conn.execute(MIGRATIONS_TABLE, []).map_err(err)?;
    for (version, statements) in MIGRATIONS {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let done: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)",
                params![version],
                |r| r.get(0),
            )
            .map_err(err)?;
        if !done {
            for s in *statements {
                tx.execute(s, [])
                    .map_err(|e| err(format!("migration {version}: {e}")))?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, super::now_secs()],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
    }
    Ok(())
}

fn row_to_appeal(r: &rusqlite::Row<'_>) -> rusqlite::Result<PastAppeal> {
    let route: String = r.get(4)?;
    let sig: String = r.get(3)?;
    Ok(PastAppeal {
        id: r.get(0)?,
        caller: r.get(1)?,
        received_at: r.get(2)?,
        signature: decode_signature(&sig),
        route: Route::parse(&route).unwrap_or(Route::NonPolice),
        category: r.get(5)?,
        audit: None,
    })
}

impl HistoryStore for SqliteStore {
    fn recent(
        &self,
        caller: &str,
        since: i64,
        until: i64,
        limit: usize,
    ) -> Result<Vec<PastAppeal>, HistoryError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, caller_hash, received_at, signature, route, category FROM appeals
                 WHERE caller_hash = ?1 AND received_at BETWEEN ?2 AND ?3 ORDER BY received_at DESC LIMIT ?4",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(
                params![self.key.hash(caller), since, until, limit as i64],
                row_to_appeal,
            )
            .map_err(err)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(err)
    }

    fn record(&self, a: &PastAppeal) -> Result<bool, HistoryError> {
        let audit = a.audit.clone().unwrap_or_default();
        let conn = self.conn()?;
        let n = conn
            .prepare_cached(
                "INSERT INTO appeals (id, caller_hash, received_at, signature, route, category, ruleset_version,
                   ruleset_digest, decided_by, rules, confidence, review, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (id) DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    a.id,
                    self.key.hash(&a.caller),
                    a.received_at,
                    encode_signature(&a.signature),
                    a.route.as_str(),
                    a.category,
                    audit.ruleset_version,
                    audit.ruleset_digest,
                    audit.decided_by,
                    serde_json::to_string(&audit.rules).unwrap_or_default(),
                    audit.confidence,
                    audit.review,
                    super::now_secs(),
                ])
            })
            .map_err(err)?;
        Ok(n == 1)
    }

    fn contains(&self, id: &str) -> Result<bool, HistoryError> {
        self.conn()?
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM appeals WHERE id = ?1)",
                params![id],
                |r| r.get(0),
            )
            .map_err(err)
    }

    fn health(&self) -> Result<(), HistoryError> {
        self.conn()?
            .query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
            .map(|_| ())
            .map_err(err)
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }

    fn purge_before(&self, before: i64) -> Result<usize, HistoryError> {
        self.conn()?
            .execute(
                "DELETE FROM appeals WHERE received_at < ?1",
                params![before],
            )
            .map_err(err)
    }
}
