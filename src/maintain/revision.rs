//! A rule set at a git revision: the repository's tree at that revision
//! exported to a temporary directory (`git archive`), removed on drop, so
//! `diff --base v2026.11.1` compares with what was released without touching
//! the working tree.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A rule-set directory to compare against: a directory as given, or an
/// export of a git revision.
#[derive(Debug)]
pub struct BaseRules {
    pub dir: PathBuf,
    /// What the user named it.
    pub source: String,
    export: Option<PathBuf>,
}

impl Drop for BaseRules {
    fn drop(&mut self) {
        if let Some(dir) = &self.export {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Resolves `--base`: an existing directory, else a git revision of the
/// repository holding `rules`, exported with the same relative path.
pub fn resolve_base(base: &str, rules: &Path) -> Result<BaseRules, String> {
    let as_dir = Path::new(base);
    if as_dir.is_dir() {
        return Ok(BaseRules {
            dir: as_dir.to_path_buf(),
            source: format!("directory {base}"),
            export: None,
        });
    }
    let rules_abs = rules
        .canonicalize()
        .map_err(|e| format!("cannot find the rule set `{}`: {e}", rules.display()))?;
    let top = git(&rules_abs, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        format!("`--base {base}` is not a directory, and `{}` is not in a git repository to read a revision from ({e})", rules.display())
    })?;
    let top = PathBuf::from(top.trim());
    let top_abs = top.canonicalize().unwrap_or(top.clone());
    let rel = rules_abs
        .strip_prefix(&top_abs)
        .map_err(|_| format!("`{}` is not inside `{}`", rules.display(), top.display()))?
        .to_path_buf();
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{base}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        format!(
            "`--base {base}` is neither a directory nor a git revision of `{}`",
            top.display()
        )
    })?;
    let commit = commit.trim().to_string();
    // A fresh private directory (mode 0700, unpredictable name).
    let export = tempfile::Builder::new()
        .prefix("fenliu-base-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?
        .keep();
    let guard = BaseRules {
        dir: export.join(&rel),
        source: format!("{base} ({})", &commit[..12.min(commit.len())]),
        export: Some(export.clone()),
    };
    // git archive | tar -x: the tree as committed, nothing of the work tree.
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(&top)
        .args(["archive", "--format=tar", &commit])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let tar_in = archive.stdout.take().ok_or("git archive gave no output")?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(&export)
        .stdin(tar_in)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let archived = archive
        .wait_with_output()
        .map_err(|e| format!("git archive failed: {e}"))?;
    if !archived.status.success() {
        return Err(format!(
            "git archive {commit} failed: {}",
            String::from_utf8_lossy(&archived.stderr).trim()
        ));
    }
    if !tar.status.success() {
        return Err(format!(
            "cannot unpack revision {base}: {}",
            String::from_utf8_lossy(&tar.stderr).trim()
        ));
    }
    if !guard.dir.is_dir() {
        return Err(format!(
            "revision {base} has no `{}` directory",
            rel.display()
        ));
    }
    Ok(guard)
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        String::from_utf8(out.stdout).map_err(|e| e.to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}
