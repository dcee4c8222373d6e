//! Service settings: flags override environment variables (`FENLIU_…`),
//! which override the config file (TOML), which overrides the defaults.
//! Keys come from the config file or the environment, never the repository.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Everything `fenliu serve` runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub rules: PathBuf,
    pub watch: bool,
    /// No keys needed; said loudly at start.
    pub dev: bool,
    pub api_keys: Vec<String>,
    pub admin_token: Option<String>,
    /// Largest request body of `/v1/classify`, in bytes.
    pub body_limit: usize,
    /// Largest batch request body, in bytes.
    pub batch_body_limit: usize,
    /// Longest appeal text, in characters.
    pub max_text_chars: usize,
    /// Most appeals in one batch.
    pub batch_max: usize,
    /// Requests per minute per API key (0: no limit).
    pub rate_per_minute: u32,
    /// How often `--watch` looks at the rule files, in milliseconds.
    pub watch_interval_ms: u64,
    /// The history store: `sqlite:PATH`, `postgres://…` or `memory:`;
    /// `sqlite:<data_dir>/history.sqlite3` when unset.
    pub history: Option<String>,
    /// The secret callers are hashed with (HMAC-SHA256), at least 16 bytes.
    pub history_secret: Option<String>,
    /// Appeals older than this many days are purged (0: never).
    pub retention_days: u32,
    /// Consult the knowledge base in classification (the index is built
    /// either way for `/v1/kb/search`).
    pub knowledge: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            rules: PathBuf::from("rules"),
            watch: false,
            dev: false,
            api_keys: Vec::new(),
            admin_token: None,
            body_limit: 64 * 1024,
            batch_body_limit: 2 * 1024 * 1024,
            max_text_chars: 10_000,
            batch_max: 100,
            rate_per_minute: 6_000,
            watch_interval_ms: 1_000,
            history: None,
            history_secret: None,
            retention_days: 400,
            knowledge: true,
        }
    }
}

/// The config file: every field optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub watch: Option<bool>,
    pub api_keys: Option<Vec<String>>,
    pub admin_token: Option<String>,
    pub body_limit: Option<usize>,
    pub batch_body_limit: Option<usize>,
    pub max_text_chars: Option<usize>,
    pub batch_max: Option<usize>,
    pub rate_per_minute: Option<u32>,
    pub watch_interval_ms: Option<u64>,
    pub history: Option<String>,
    pub history_secret: Option<String>,
    pub retention_days: Option<u32>,
    pub knowledge: Option<bool>,
}

/// What the command line said (`None`: not given).
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub addr: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub watch: bool,
    pub dev: bool,
    pub config: Option<PathBuf>,
    pub history: Option<String>,
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file `{}`: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("environment variable `{name}`: `{value}` is not {expected}")]
    Env {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

fn env_parse<T: std::str::FromStr>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    expected: &'static str,
) -> Result<Option<T>, ConfigError> {
    match env(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| ConfigError::Env {
            name,
            value: v,
            expected,
        }),
    }
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Config {
    /// Merges defaults, the config file, the environment and the flags.
    pub fn resolve(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        let file_path = flags
            .config
            .clone()
            .or_else(|| env("FENLIU_CONFIG").map(PathBuf::from));
        if let Some(path) = file_path {
            let f = read_file(&path)?;
            macro_rules! take {
                ($($field:ident),*) => { $( if let Some(v) = f.$field { c.$field = v; } )* };
            }
            take!(
                addr,
                data_dir,
                rules,
                watch,
                api_keys,
                body_limit,
                batch_body_limit,
                max_text_chars,
                batch_max,
                rate_per_minute,
                watch_interval_ms,
                retention_days,
                knowledge
            );
            if f.admin_token.is_some() {
                c.admin_token = f.admin_token;
            }
            if f.history.is_some() {
                c.history = f.history;
            }
            if f.history_secret.is_some() {
                c.history_secret = f.history_secret;
            }
        }
        if let Some(v) = env_parse(env, "FENLIU_ADDR", "an address such as 127.0.0.1:8080")? {
            c.addr = v;
        }
        if let Some(v) = env("FENLIU_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("FENLIU_RULES") {
            c.rules = PathBuf::from(v);
        }
        if let Some(v) = env("FENLIU_API_KEYS") {
            c.api_keys = list(&v);
        }
        if let Some(v) = env("FENLIU_ADMIN_TOKEN") {
            c.admin_token = Some(v).filter(|t| !t.trim().is_empty());
        }
        if let Some(v) = env("FENLIU_HISTORY") {
            c.history = Some(v);
        }
        if let Some(v) = env("FENLIU_HISTORY_SECRET") {
            c.history_secret = Some(v).filter(|t| !t.trim().is_empty());
        }
        if let Some(v) = env_parse(env, "FENLIU_KNOWLEDGE", "true or false")? {
            c.knowledge = v;
        }
        if let Some(v) = env_parse(env, "FENLIU_RETENTION_DAYS", "a number of days")? {
            c.retention_days = v;
        }
        if let Some(v) = env_parse(env, "FENLIU_WATCH", "true or false")? {
            c.watch = v;
        }
        if let Some(v) = env_parse(env, "FENLIU_BODY_LIMIT", "a number of bytes")? {
            c.body_limit = v;
        }
        if let Some(v) = env_parse(env, "FENLIU_MAX_TEXT_CHARS", "a number of characters")? {
            c.max_text_chars = v;
        }
        if let Some(v) = env_parse(env, "FENLIU_BATCH_MAX", "a number")? {
            c.batch_max = v;
        }
        if let Some(v) = env_parse(env, "FENLIU_RATE_PER_MINUTE", "a number")? {
            c.rate_per_minute = v;
        }
        if let Some(v) = flags.addr {
            c.addr = v;
        }
        if let Some(v) = &flags.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = &flags.rules {
            c.rules = v.clone();
        }
        if let Some(v) = &flags.history {
            c.history = Some(v.clone());
        }
        c.watch |= flags.watch;
        c.dev = flags.dev;
        Ok(c)
    }
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_path_buf(),
        message: e.to_string().trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fenliu.toml");
        std::fs::write(&file, "addr = \"127.0.0.1:9000\"\nrules = \"from-file\"\napi_keys = [\"k1\"]\nbatch_max = 7\n").unwrap();
        let env = |k: &str| match k {
            "FENLIU_RULES" => Some("from-env".to_string()),
            "FENLIU_API_KEYS" => Some("a, b ,".to_string()),
            _ => None,
        };
        let flags = Flags {
            config: Some(file.clone()),
            data_dir: Some("from-flag".into()),
            ..Flags::default()
        };
        let c = Config::resolve(&flags, &env).unwrap();
        assert_eq!(c.addr.port(), 9000);
        assert_eq!(c.rules, PathBuf::from("from-env"));
        assert_eq!(c.data_dir, PathBuf::from("from-flag"));
        assert_eq!(c.api_keys, ["a", "b"]);
        assert_eq!(c.batch_max, 7);
        assert_eq!(c.body_limit, 64 * 1024);
        let flags = Flags {
            rules: Some("from-flag".into()),
            config: Some(file),
            ..Flags::default()
        };
        assert_eq!(
            Config::resolve(&flags, &env).unwrap().rules,
            PathBuf::from("from-flag")
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let env = |k: &str| (k == "FENLIU_ADDR").then(|| "nowhere".to_string());
        let err = Config::resolve(&Flags::default(), &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("FENLIU_ADDR") && err.contains("nowhere"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "adr = 1\n").unwrap();
        let flags = Flags {
            config: Some(file),
            ..Flags::default()
        };
        let err = Config::resolve(&flags, &|_| None).unwrap_err().to_string();
        assert!(err.contains("adr"), "{err}");
    }
}
