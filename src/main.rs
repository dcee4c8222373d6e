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
    /// Validate the rule set, run every rule's examples, and lint it.
    ///
    /// Lints (stable codes; silence one with `# fenliu: allow(NAME)` on a
    /// rule or `lints: allow:` in fenliu.yaml): FL001 cross-route-keyword,
    /// FL002 shadowed-rule*, FL003 silent-rule*, FL004 short-keyword,
    /// FL005 broad-keyword*, FL006 regex-as-keywords, FL007 no-examples,
    /// FL008 unused-list, FL009 regex-unreachable-text, FL010 repeated-keyword
    /// (* with --corpus). Exit 1 on errors or failing examples (and, with
    /// --strict, on warnings).
    Check {
        #[arg(long, env = "FENLIU_RULES", default_value = "rules")]
        rules: PathBuf,
        /// Labelled corpora for the lints that need a corpus run.
        #[arg(long, num_args = 1..)]
        corpus: Vec<PathBuf>,
        /// `human` (file:line and the fix) or `json` (for CI and editors).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Warnings fail the check too.
        #[arg(long)]
        strict: bool,
    },
    /// Per rule: coverage, correct and incorrect firings against the gold
    /// labels, overlaps and conflicts; per route: which rules decide it.
    Analyze {
        #[arg(long, required = true, num_args = 1..)]
        corpus: Vec<PathBuf>,
        #[arg(long, env = "FENLIU_RULES", default_value = "rules")]
        rules: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Rules listed (worst first); 0 lists every rule.
        #[arg(long, default_value_t = 30)]
        top: usize,
    },
    /// Compare two rule sets on a corpus: every changed record with both
    /// explanations, metric deltas, and a release gate (`--max-drop`).
    Diff {
        /// The rule set to compare with: a directory, or a git revision of
        /// the repository holding --rules (a tag, a branch, a commit).
        #[arg(long)]
        base: String,
        /// The new rule set.
        #[arg(long, env = "FENLIU_RULES", default_value = "rules")]
        rules: PathBuf,
        #[arg(long, required = true, num_args = 1..)]
        corpus: Vec<PathBuf>,
        /// METRIC=AMOUNT: exit 1 when METRIC drops by more than AMOUNT
        /// (e.g. macro_f1=0.01, police.recall=0.02); repeatable.
        #[arg(long = "max-drop")]
        max_drop: Vec<fenliu::maintain::MaxDrop>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
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
        /// Also write a self-contained HTML report (heat map, per-route
        /// bars, per-rule table, misrouted records with their spans).
        #[arg(long)]
        html: Option<PathBuf>,
    },
    /// Train the route model (the statistical fallback where no rule, or
    /// only a weak one, decides) on labelled corpora, or check that the
    /// shipped one is what they train.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Write the JSON Schemas of the rule files (for editors) into a directory.
    Schema {
        #[arg(long, default_value = "schemas")]
        out: PathBuf,
        /// Do not write: exit 1 if the files there differ from the generated ones.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Count the character n-grams of every record per route and write the
    /// model file the manifest's `route_model:` names.
    Train {
        /// Labelled corpus files (JSON Lines); a broken line stops training.
        #[arg(long, required = true, num_args = 1..)]
        corpus: Vec<PathBuf>,
        /// The model file.
        #[arg(long, default_value = "rules/route-model.tsv")]
        out: PathBuf,
        /// Drop n-grams found in fewer records.
        #[arg(long, default_value_t = fenliu::route_model::TrainOptions::default().min_records)]
        min_records: u32,
        /// Additive smoothing of the counts.
        #[arg(long, default_value_t = fenliu::route_model::TrainOptions::default().alpha)]
        alpha: f64,
        /// Do not write: exit 1 if the file at --out is not what this training gives.
        #[arg(long)]
        check: bool,
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
        Command::Check {
            rules,
            corpus,
            format,
            strict,
        } => check(&rules, &corpus, format, strict),
        Command::Analyze {
            corpus,
            rules,
            format,
            top,
        } => analyze(&corpus, &rules, format, top),
        Command::Diff {
            base,
            rules,
            corpus,
            max_drop,
            format,
        } => diff(&base, &rules, &corpus, &max_drop, format),
        Command::Schema { out, check } => schema(&out, check),
        Command::Model {
            command:
                ModelCommand::Train {
                    corpus,
                    out,
                    min_records,
                    alpha,
                    check,
                },
        } => model_train(
            &corpus,
            &out,
            fenliu::route_model::TrainOptions { min_records, alpha },
            check,
        ),
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
            html,
        } => eval(&corpus, &rules, json, html.as_deref()),
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

fn check(rules: &Path, corpus: &[PathBuf], format: Format, strict: bool) -> Result<ExitCode> {
    use fenliu::maintain::{corpus_stats, keyword_records, lint, CorpusEvidence};
    let set = match load_rule_set(rules) {
        Ok(s) => s,
        Err(e) => {
            if format == Format::Json {
                let out = serde_json::json!({ "ok": false, "errors": e.problems });
                write_stdout((serde_json::to_string_pretty(&out)? + "\n").as_bytes())?;
            } else {
                eprint!("{e}");
            }
            return Ok(ExitCode::from(1));
        }
    };
    let failures = check_examples(&set);
    let examples: usize = set
        .rules
        .iter()
        .map(|r| r.examples.matches.len() + r.examples.no_match.len())
        .sum();
    let set = Arc::new(set);
    let report = if corpus.is_empty() {
        lint(&set, None)
    } else {
        let run = with_knowledge(Classifier::new(set.clone()), rules)
            .and_then(|c| run_corpus(&c, corpus, true));
        let (records, e) = match run {
            Ok(r) => r,
            // CI and editors read JSON: the failure comes as JSON too.
            Err(e) if format == Format::Json => {
                let out = serde_json::json!({
                    "ok": false,
                    "errors": [{ "reason": format!("{e:#}") }],
                });
                write_stdout((serde_json::to_string_pretty(&out)? + "\n").as_bytes())?;
                return Ok(ExitCode::from(2));
            }
            Err(e) => return Err(e),
        };
        let stats = corpus_stats(&set, &records, &e);
        let keywords = keyword_records(&set, &records);
        lint(
            &set,
            Some(&CorpusEvidence {
                stats: &stats,
                keyword_records: &keywords,
            }),
        )
    };
    finish_check(&set, rules, examples, &failures, &report, format, strict)
}

fn finish_check(
    set: &fenliu::rules::RuleSet,
    rules: &Path,
    examples: usize,
    failures: &[fenliu::rules::Problem],
    report: &fenliu::maintain::LintReport,
    format: Format,
    strict: bool,
) -> Result<ExitCode> {
    let failed = !failures.is_empty()
        || !report.problems.is_empty()
        || (strict && !report.findings.is_empty());
    let (version, digest, count) = (&set.version, &set.digest, set.rules.len());
    if format == Format::Json {
        let out = serde_json::json!({
            "ok": !failed,
            "ruleset": { "version": version, "digest": digest, "dir": rules },
            "rules": count,
            "examples": examples,
            "errors": report.problems,
            "example_failures": failures,
            "lints": report.findings,
            "silenced": report.silenced,
            "corpus_records": report.corpus_records,
        });
        write_stdout((serde_json::to_string_pretty(&out)? + "\n").as_bytes())?;
        return Ok(if failed {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    for p in report.problems.iter().chain(failures) {
        eprintln!("{p}");
    }
    eprint!("{}", fenliu::maintain::lint::render_human(report));
    let lints = format!(
        "{} warning(s), {} silenced{}",
        report.findings.len(),
        report.silenced,
        match report.corpus_records {
            Some(n) => format!(", corpus lints on {n} records"),
            None => ", corpus lints not run (no --corpus)".into(),
        }
    );
    if failures.is_empty() && report.problems.is_empty() {
        println!(
            "rule set {version} ({}): {count} rules, {examples} examples, all pass; {lints}",
            &digest[..12.min(digest.len())],
        );
    } else {
        if !failures.is_empty() {
            eprintln!("{} of {} examples fail", failures.len(), examples);
        }
        if !report.problems.is_empty() {
            eprintln!("{} lint setting(s) wrong", report.problems.len());
        }
        eprintln!("{lints}");
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Adds the rule set's knowledge base (built in memory) to a classifier.
fn with_knowledge(c: Classifier, rules: &Path) -> Result<Classifier> {
    match fenliu::knowledge::open_for(c.rules(), None) {
        Ok(Some(kb)) => Ok(c.with_knowledge(Arc::new(kb))),
        Ok(None) => Ok(c),
        Err(e) => bail!(
            "cannot load the knowledge entries of `{}`:\n{e}",
            rules.display()
        ),
    }
}

/// Reads the corpora and replays them; malformed lines are reported on
/// stderr and skipped.
fn run_corpus(
    c: &Classifier,
    corpus: &[PathBuf],
    print_skipped: bool,
) -> Result<(Vec<fenliu::eval::Record>, fenliu::eval::Evaluation)> {
    let (records, skipped) = read_corpus(corpus)?;
    if print_skipped {
        for k in &skipped {
            eprintln!("{}:{}: skipped: {}", k.file.display(), k.line, k.reason);
        }
    }
    if records.is_empty() {
        let files: Vec<String> = corpus.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "no labelled record in {} ({} malformed line(s) skipped): nothing to score",
            files.join(", "),
            skipped.len()
        );
    }
    let bar = (records.len() >= 500 && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(records.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let e = evaluate(c, &records, skipped, |n| {
        if let Some(b) = &bar {
            b.set_position(n as u64);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok((records, e))
}

fn eval(corpus: &[PathBuf], rules: &Path, json: bool, html: Option<&Path>) -> Result<ExitCode> {
    let c = classifier(rules)?;
    // The report lists skipped lines itself.
    let (records, e) = run_corpus(&c, corpus, false)?;
    if let Some(path) = html {
        let stats = fenliu::maintain::corpus_stats(c.rules(), &records, &e);
        let page = fenliu::maintain::render_html(&e, &stats, &c.rules().digest);
        std::fs::write(path, page)
            .with_context(|| format!("cannot write the HTML report `{}`", path.display()))?;
        eprintln!("HTML report written to {}", path.display());
    }
    let out = if json {
        serde_json::to_string_pretty(&e)? + "\n"
    } else {
        render_text(&e)
    };
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn analyze(corpus: &[PathBuf], rules: &Path, format: Format, top: usize) -> Result<ExitCode> {
    let c = classifier(rules)?;
    let (records, e) = run_corpus(&c, corpus, true)?;
    let stats = fenliu::maintain::corpus_stats(c.rules(), &records, &e);
    let out = if format == Format::Json {
        serde_json::to_string_pretty(&stats)? + "\n"
    } else {
        render_analysis(&stats, top)
    };
    write_stdout(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn render_analysis(stats: &fenliu::maintain::CorpusStats, top: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let shown = if top == 0 {
        stats.rules.len()
    } else {
        top.min(stats.rules.len())
    };
    let _ = writeln!(
        s,
        "{} records, {} route rules; the {shown} worst first (most records misrouted by their decision, then most firings against the label)\n",
        stats.records,
        stats.rules.len()
    );
    let _ = writeln!(
        s,
        "{:<40} {:>6} {:>7} {:>7} {:>9} {:>7} {:>6} {:>6}  overlaps (! = other route)",
        "rule", "fired", "cover", "decided", "misrouted", "correct", "wrong", "acc"
    );
    for r in stats.rules.iter().take(shown) {
        let overlaps: Vec<String> = r
            .overlaps
            .iter()
            .map(|o| {
                format!(
                    "{}{}×{}",
                    if o.conflict { "!" } else { "" },
                    o.rule,
                    o.records
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "{:<40} {:>6} {:>6.1}% {:>7} {:>9} {:>7} {:>6} {:>6}  {}",
            r.id,
            r.fired,
            r.coverage * 100.0,
            r.decided,
            r.decided_wrong,
            r.correct,
            r.incorrect,
            r.accuracy.map_or("-".into(), |a| format!("{a:.2}")),
            overlaps.join(" ")
        );
    }
    let _ = writeln!(
        s,
        "\nwho decides each route (records given the route, wrong among them)"
    );
    for route in &stats.routes {
        let _ = writeln!(
            s,
            "{}: {} records, {} wrong{}{}",
            route.route,
            route.decided,
            route.wrong,
            if route.by_model > 0 {
                format!(
                    "; {} by the route model ({} wrong)",
                    route.by_model, route.by_model_wrong
                )
            } else {
                String::new()
            },
            if route.without_rule > 0 {
                format!(
                    "; {} without a rule (history, fallback, vote)",
                    route.without_rule
                )
            } else {
                String::new()
            }
        );
        for d in route.rules.iter().take(8) {
            let _ = writeln!(s, "  {:<40} {:>5} {:>5} wrong", d.rule, d.records, d.wrong);
        }
        if route.rules.len() > 8 {
            let _ = writeln!(s, "  … {} more rules", route.rules.len() - 8);
        }
    }
    s
}

fn diff(
    base: &str,
    rules: &Path,
    corpus: &[PathBuf],
    gates: &[fenliu::maintain::MaxDrop],
    format: Format,
) -> Result<ExitCode> {
    use fenliu::maintain::{resolve_base, SetRef};
    let base_rules = resolve_base(base, rules).map_err(anyhow::Error::msg)?;
    let old = classifier(&base_rules.dir)
        .with_context(|| format!("the base rule set `{}`", base_rules.source))?;
    let new = classifier(rules)?;
    let (records, old_eval) = run_corpus(&old, corpus, true)?;
    let new_eval = evaluate(&new, &records, Vec::new(), |_| {});
    let side = |c: &Classifier, source: String| SetRef {
        version: c.rules().version.clone(),
        digest: c.rules().digest.clone(),
        source,
    };
    let report = fenliu::maintain::diff(
        (&old_eval, side(&old, base_rules.source.clone())),
        (&new_eval, side(&new, rules.display().to_string())),
        &records,
        gates,
    );
    let out = if format == Format::Json {
        serde_json::to_string_pretty(&report)? + "\n"
    } else {
        fenliu::maintain::diff::render_human(&report)
    };
    write_stdout(out.as_bytes())?;
    if !report.passed {
        eprintln!("release gate FAILED: a metric dropped more than --max-drop allows");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn schema(out: &Path, check: bool) -> Result<ExitCode> {
    let files = fenliu::maintain::schemas();
    if check {
        let mut stale = Vec::new();
        for f in &files {
            let path = out.join(f.name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(f.json.as_str()) {
                stale.push(path.display().to_string());
            }
        }
        if stale.is_empty() {
            println!(
                "{} schemas in {} are up to date",
                files.len(),
                out.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "out of date (run `fenliu schema --out {}`): {}",
            out.display(),
            stale.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    for f in &files {
        let path = out.join(f.name);
        std::fs::write(&path, &f.json)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        println!("{} (for {})", path.display(), f.applies_to);
    }
    Ok(ExitCode::SUCCESS)
}

fn model_train(
    corpus: &[PathBuf],
    out: &Path,
    options: fenliu::route_model::TrainOptions,
    check: bool,
) -> Result<ExitCode> {
    let (records, skipped) = read_corpus(corpus)?;
    if !skipped.is_empty() {
        for s in &skipped {
            eprintln!("{}:{}: {}", s.file.display(), s.line, s.reason);
        }
        bail!(
            "{} corpus lines are no valid records: fix them before training (nothing was written)",
            skipped.len()
        );
    }
    let model =
        fenliu::route_model::train(records.iter().map(|r| (r.text.as_str(), r.route)), options)?;
    let text = fenliu::route_model::write(
        &model,
        &[
            "fenliu route model: character 2-/3-gram naive Bayes over the five routes.".to_string(),
            format!(
                "Written by `fenliu model train` from {} records in {} corpus files; retrain, do not edit.",
                records.len(),
                corpus.len()
            ),
            "After `grams`: an n-gram, then per route of the `routes` line the training records containing it.".to_string(),
        ],
    );
    if check {
        if std::fs::read_to_string(out).ok().as_deref() == Some(text.as_str()) {
            println!(
                "{} is what {} records train ({} n-grams)",
                out.display(),
                records.len(),
                model.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{} is not what these {} records train: run `fenliu model train` with the same --corpus",
            out.display(),
            records.len()
        );
        return Ok(ExitCode::from(1));
    }
    std::fs::write(out, &text).with_context(|| format!("cannot write `{}`", out.display()))?;
    println!(
        "{}: {} n-grams from {} records ({})",
        out.display(),
        model.len(),
        records.len(),
        fenliu::rules::Route::ALL
            .map(|r| format!("{r} {}", model.records(r)))
            .join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

// mimalloc: per-thread free lists; glibc malloc showed as 8% of the
// service's samples under load (many short-lived vectors per appeal).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
