//! The history schema and its versioned migrations, shared by SQLite and
//! PostgreSQL: each migration runs once, in order, inside a transaction,
//! and is recorded in `schema_migrations`.

/// (version, statements). Append only: never edit a released migration.
pub const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
            "CREATE TABLE appeals (
                id TEXT PRIMARY KEY,
                caller_hash TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                signature TEXT NOT NULL,
                route TEXT NOT NULL,
                category TEXT NOT NULL,
                ruleset_version TEXT NOT NULL,
                ruleset_digest TEXT NOT NULL,
                decided_by TEXT NOT NULL,
                rules TEXT NOT NULL,
                confidence DOUBLE PRECISION NOT NULL,
                review BOOLEAN NOT NULL,
                recorded_at BIGINT NOT NULL
            )",
            "CREATE INDEX appeals_caller_time ON appeals (caller_hash, received_at)",
        ],
    ),
    (
        2,
        &["CREATE INDEX appeals_received_at ON appeals (received_at)"],
    ),
];

/// The table that records applied migrations.
pub const MIGRATIONS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";

/// Signatures are stored as comma-separated hex.
pub fn encode_signature(s: &super::Signature) -> String {
    s.0.iter()
        .map(|h| format!("{h:x}"))
        .collect::<Vec<_>>()
        .join(",")
}

pub fn decode_signature(s: &str) -> super::Signature {
    super::Signature(
        s.split(',')
            .filter_map(|h| u64::from_str_radix(h, 16).ok())
            .collect(),
    )
}
