//! The `fenliu` command line: argument parsing and output only.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use fenliu::engine::{check_examples, Appeal, Classifier};
use fenliu::eval::{evaluate, read_corpus, render_text};
use fenliu::history::{parse_rfc3339, MemoryStore};
use fenliu::rules::load_rule_set;

#[derive(Parser)]
#[command(
    name = "fenliu",
    version,
    about = "Routes Chinese citizen appeals and explains why"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Classify one appeal (argument or stdin), or JSON Lines records with --input.
    Classify {
        /// The appeal text; read from stdin when absent.
        text: Option<String>,
        /// JSON Lines of {id, text, [caller, received_at]}: one decision per line out, in order.
        #[arg(long)]
        input: Option<PathBuf>,
        /// The rule-set directory.
        #[arg(long, env = "FENLIU_RULES", default_value = "rules")]
        rules: PathBuf,
    },
    /// Run the HTTP service (agents' API, reload, health, metrics).
    Serve {
        /// Address to listen on [env: FENLIU_ADDR; default 127.0.0.1:8080].
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
        /// Where state lives [env: FENLIU_DATA_DIR; default ./data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The rule-set directory [env: FENLIU_RULES; default ./rules].
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Reload the rule set when its files change (validated and tested first).
        #[arg(long)]
        watch: bool,
        /// Run without API keys, admin routes included. Never in production.
        #[arg(long)]
        dev: bool,
        /// A TOML config file; flags override environment variables, which override it [env: FENLIU_CONFIG].
        #[arg(long)]
        config: Option<PathBuf>,
        /// History store: sqlite:PATH, postgres://USER@HOST/DB or memory: [env: FENLIU_HISTORY;
        /// default sqlite:<data-dir>/history.sqlite3]. Callers are hashed with FENLIU_HISTORY_SECRET.
        #[arg(long)]
        history: Option<String>,
    },
    /// Search the knowledge base: who handles what, typical cases.
    Kb {
        #[command(subcommand)]
        command: KbCommand,
    },
    /// Validate the rule set and run every rule's examples.
    Check {
        #[arg(long, env = "FENLIU_RULES", default_value = "rules")]
        rules: PathBuf,
    },
    /// Replay labelled corpora and score the rule set.
    Eval {
        /// Corpus files (JSON Lines), replayed in the order given.
        #[arg(long, required = true, num_args = 1..)]
        corpus: Vec<PathBuf>,
        #[arg(long, env = "FENLIU_RULES", default_value = "rules")]
        rules: PathBuf,
        /// Print one JSON object instead of the report.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KbCommand {
    /// The entries most like a text.
    Search {
        /// What to look for: an appeal, or a few words.
        query: String,
        /// How many entries.
        #[arg(long, default_value_t = 5)]
        limit: usize,
        #[arg(long, env = "FENLIU_RULES", default_value = "rules")]
        rules: PathBuf,
        /// Print JSON: {"hits": [{id, title, handoff, route, score, ...}]}.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Classify { text, input, rules } => classify(text, input, &rules),
        Command::Check { rules } => check(&rules),
        Command::Kb {
            command:
                KbCommand::Search {
                    query,
                    limit,
                    rules,
                    json,
                },
        } => kb_search(&query, limit, &rules, json),
        Command::Serve {
            addr,
            data_dir,
            rules,
            watch,
            dev,
            config,
            history,
        } => serve(fenliu::server::Flags {
            addr,
            data_dir,
            rules,
            watch,
            dev,
            config,
            history,
        }),
        Command::Eval {
            corpus,
            rules,
            json,
        } => eval(&corpus, &rules, json),
    };
    match result {
        Ok(code) => code,
        // `fenliu classify … | head` closes the pipe early: not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
fn write_stdout(bytes: &[u8]) -> Result<()> {
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// The rule set and its knowledge base (indexed in memory: the CLI writes
/// nothing).
fn classifier(rules: &Path) -> Result<Classifier> {
    let set = match load_rule_set(rules) {
        Ok(set) => set,
        Err(e) => bail!("cannot load rules from `{}`:\n{e}", rules.display()),
    };
    let kb = match fenliu::knowledge::open_for(&set, None) {
        Ok(kb) => kb,
        Err(e) => bail!(
            "cannot load the knowledge entries of `{}`:\n{e}",
            rules.display()
        ),
    };
    let c = Classifier::new(Arc::new(set));
    Ok(match kb {
        Some(kb) => c.with_knowledge(Arc::new(kb)),
        None => c,
    })
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn classify(text: Option<String>, input: Option<PathBuf>, rules: &Path) -> Result<ExitCode> {
    let c = classifier(rules)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Some(path) = input {
        let file = std::fs::File::open(&path)
            .with_context(|| format!("cannot open `{}`", path.display()))?;
        let history = MemoryStore::new();
        let mut failed = false;
        for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
            let line = line.with_context(|| format!("cannot read `{}`", path.display()))?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse_input(&line) {
                Ok(appeal) => {
                    let d = c.classify(&appeal, &history, now());
                    serde_json::to_writer(&mut out, &d)?;
                    writeln!(out)?;
                }
                Err(reason) => {
                    failed = true;
                    eprintln!("{}:{}: skipped: {reason}", path.display(), i + 1);
                }
            }
        }
        return Ok(if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let text = match text {
        Some(t) => t,
        None => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read stdin")?;
            String::from_utf8(buf).map_err(|e| {
                anyhow::anyhow!(
                    "stdin is not valid UTF-8 (byte {})",
                    e.utf8_error().valid_up_to()
                )
            })?
        }
    };
    if text.trim().is_empty() {
        bail!("the appeal text is empty");
    }
    let d = c.classify_text(&text);
    serde_json::to_writer_pretty(&mut out, &d)?;
    writeln!(out)?;
    Ok(ExitCode::SUCCESS)
}

fn parse_input(line: &[u8]) -> std::result::Result<Appeal, String> {
    #[derive(serde::Deserialize)]
    struct Input {
        id: String,
        text: String,
        #[serde(default)]
        caller: Option<String>,
        #[serde(default)]
        received_at: Option<String>,
    }
    let text = std::str::from_utf8(line)
        .map_err(|e| format!("not valid UTF-8 at byte {}", e.valid_up_to()))?;
    let i: Input = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if i.text.trim().is_empty() {
        return Err(format!("record `{}` has an empty `text`", i.id));
    }
    let received_at = i
        .received_at
        .as_deref()
        .map(parse_rfc3339)
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok(Appeal {
        id: Some(i.id),
        text: i.text,
        caller: i.caller,
        received_at,
    })
}

fn serve(flags: fenliu::server::Flags) -> Result<ExitCode> {
    use fenliu::server::{load_checked, run, shutdown_signal, AppState, Config};
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FENLIU_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = Config::resolve(&flags, &|k| std::env::var(k).ok())?;
    if config.dev {
        eprintln!("**************************************************************");
        eprintln!("* fenliu is running with --dev: NO API KEYS ARE CHECKED, and *");
        eprintln!("* anyone who reaches this port can reload the rules.         *");
        eprintln!("**************************************************************");
        tracing::warn!("--dev: authentication is off");
    } else if config.api_keys.is_empty() {
        bail!("no API keys: set FENLIU_API_KEYS (comma-separated) or `api_keys` in the config file, or run with --dev");
    }
    if !config.dev && config.admin_token.is_none() {
        tracing::warn!(
            "no admin token (FENLIU_ADMIN_TOKEN): POST /v1/ruleset/reload will refuse every caller"
        );
    }
    let loaded = match load_checked(&config) {
        Ok(l) => l,
        Err(e) => bail!(
            "cannot start: the rule set in `{}` is not valid:\n{e}",
            config.rules.display()
        ),
    };
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory `{}`",
            config.data_dir.display()
        )
    })?;
    let history = open_history(&config)?;
    tracing::info!(store = %history.describe(), "history");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.addr))?;
        let local = listener.local_addr()?;
        let version = loaded.classifier.rules().version.clone();
        let retention_days = config.retention_days;
        let state = std::sync::Arc::new(AppState::new(config, loaded, history));
        if retention_days > 0 {
            tokio::spawn(fenliu::server::purge_old(state.clone(), retention_days));
        }
        // Tests and scripts read this line for the port.
        println!("fenliu listening on http://{local} (rule set {version})");
        tracing::info!(%local, %version, "listening");
        run(listener, state, shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The history store `serve` records into. Without a caller secret it
/// refuses to record (and says so); `--dev` keeps a generated secret in the
/// data directory so a restart still recognises callers.
fn open_history(
    config: &fenliu::server::Config,
) -> Result<std::sync::Arc<dyn fenliu::history::HistoryStore>> {
    use fenliu::history::{open_store, CallerKey, DisabledStore};
    let secret = match (&config.history_secret, config.dev) {
        (Some(s), _) => Some(s.as_bytes().to_vec()),
        (None, true) => Some(dev_secret(&config.data_dir)?),
        (None, false) => None,
    };
    let Some(secret) = secret else {
        eprintln!("history is OFF: no caller secret (FENLIU_HISTORY_SECRET or `history_secret`); appeals are not recorded and repeats are not detected");
        tracing::warn!("no history secret: history disabled");
        return Ok(std::sync::Arc::new(DisabledStore));
    };
    let key = CallerKey::new(&secret).context("the history secret must be at least 16 bytes")?;
    let url = config.history.clone().unwrap_or_else(|| {
        format!(
            "sqlite:{}",
            config.data_dir.join("history.sqlite3").display()
        )
    });
    open_store(&url, key)
        .map_err(|e| anyhow::anyhow!("cannot open the history store `{url}`: {}", e.0))
}

fn dev_secret(data_dir: &Path) -> Result<Vec<u8>> {
    let path = data_dir.join("history.secret");
    if let Ok(s) = std::fs::read(&path) {
        if s.len() >= 16 {
            return Ok(s);
        }
    }
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .context("cannot read /dev/urandom for a dev secret")?;
    let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, &hex).with_context(|| format!("cannot write `{}`", path.display()))?;
    tracing::warn!(path = %path.display(), "--dev: generated a caller secret");
    Ok(hex.into_bytes())
}

fn kb_search(query: &str, limit: usize, rules: &Path, json: bool) -> Result<ExitCode> {
    let c = classifier(rules)?;
    let Some(kb) = c.knowledge() else {
        bail!(
            "the rule set in `{}` has no knowledge entries (rules/knowledge/*.yaml)",
            rules.display()
        );
    };
    let hits = kb.search(query, limit);
    let out = if json {
        serde_json::to_string_pretty(&serde_json::json!({ "hits": hits }))? + "\n"
    } else if hits.is_empty() {
        "no entry matches\n".to_string()
    } else {
        let mut s = String::new();
        for (i, h) in hits.iter().enumerate() {
            s.push_str(&format!(
                "{}. {} {}  [{} / {}]  score {:.2}\n   交由：{}\n   命中：{}\n",
                i + 1,
                h.id,
                h.title,
                h.route,
                h.category,
                h.score,
                h.handoff,
                h.matched_terms.join("、")
            ));
        }
        s
    };
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn check(rules: &Path) -> Result<ExitCode> {
    let set = match load_rule_set(rules) {
        Ok(s) => s,
        Err(e) => {
            eprint!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    let problems = check_examples(&set);
    let examples: usize = set
        .rules
        .iter()
        .map(|r| r.examples.matches.len() + r.examples.no_match.len())
        .sum();
    if problems.is_empty() {
        println!(
            "rule set {} ({}): {} rules, {} examples, all pass",
            set.version,
            &set.digest[..12.min(set.digest.len())],
            set.rules.len(),
            examples
        );
        Ok(ExitCode::SUCCESS)
    } else {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!("{} of {} examples fail", problems.len(), examples);
        Ok(ExitCode::from(1))
    }
}

fn eval(corpus: &[PathBuf], rules: &Path, json: bool) -> Result<ExitCode> {
    let c = classifier(rules)?;
    let (records, skipped) = read_corpus(corpus)?;
    let bar = (records.len() >= 500 && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(records.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let e = evaluate(&c, &records, skipped, |n| {
        if let Some(b) = &bar {
            b.set_position(n as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let out = if json {
        serde_json::to_string_pretty(&e)? + "\n"
    } else {
        render_text(&e)
    };
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
