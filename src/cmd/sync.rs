//! `snipdex sync` and `snipdex bench-sync`.

use super::{CliError, CmdResult, Exit};
use crate::cli::{BenchSyncArgs, SyncAction, SyncArgs};
use crate::domain::count;
use crate::domain::terminal::one_line;
use crate::library::Library;
use crate::paths::Paths;
use crate::sync::{GitError, SyncError, SyncLock, SyncReport, Syncer};
use std::time::Instant;

fn exit_of(e: &SyncError) -> Exit {
    match e {
        SyncError::NotSetUp | SyncError::AlreadySetUp { .. } | SyncError::RepoInTheWay(_) => {
            Exit::Usage
        }
        SyncError::NoRemote { .. } => Exit::BadInput,
        SyncError::NoSnippet(_) => Exit::NotFound,
        SyncError::Busy(_) | SyncError::RepoGone(_) | SyncError::Git(GitError::Missing(_)) => {
            Exit::Unavailable
        }
        SyncError::Store(crate::store::StoreError::NotFound(_)) => Exit::NotFound,
        _ => Exit::Failure,
    }
}

impl From<SyncError> for CliError {
    fn from(e: SyncError) -> CliError {
        CliError::new(exit_of(&e), e)
    }
}

pub fn sync(paths: Paths, a: SyncArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    match a.action {
        Some(SyncAction::Init { remote }) => {
            let _lock = SyncLock::acquire(&lib.paths)?;
            let done = crate::sync::init(&lib.paths, &lib.store, &remote)?;
            eprintln!(
                "sync set up with {} (branch {}) in {}",
                one_line(&done.remote),
                done.branch,
                done.repo.display()
            );
            if done.identity_set {
                eprintln!(
                    "git has no name or email for commits here; the clone uses \"snipdex on <host>\" \
                     (set your own with `git -C {} config user.email …`)",
                    done.repo.display()
                );
            }
            eprintln!(
                "the remote holds {}; run `snipdex sync` to sync now",
                count(done.remote_snippets, "snippet")
            );
            Ok(Exit::Ok)
        }
        Some(SyncAction::Share { ids, undo }) => {
            for id in &ids {
                let s = lib.store.get(*id)?;
                lib.store.set_share_secrets(s.id, !undo)?;
            }
            let verb = if undo { "held back" } else { "synced" };
            eprintln!(
                "{} will be {verb} even when flagged as holding secrets{}",
                count(ids.len(), "snippet"),
                if undo { " again" } else { "" }
            );
            Ok(Exit::Ok)
        }
        None if a.status => {
            let syncer = Syncer::open(&lib.store, &lib.config, false)?;
            let r = syncer.status(a.offline)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            }
            print_status(&r, a.offline);
            Ok(Exit::Ok)
        }
        None => {
            let _lock = SyncLock::acquire(&lib.paths)?;
            let syncer = Syncer::open(&lib.store, &lib.config, false)?;
            let result = syncer.sync();
            // Whatever came in before a failure is in the store: index it.
            lib.sync_index();
            let r = result?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            }
            print_report(&r);
            Ok(Exit::Ok)
        }
    }
}

fn print_status(r: &SyncReport, offline: bool) {
    eprintln!(
        "to send: {} new, {} changed, {} deleted{}",
        r.sent_new,
        r.sent_changed,
        r.sent_deleted,
        if r.unpushed > 0 {
            format!(" ({} not pushed yet)", count(r.unpushed, "commit"))
        } else {
            String::new()
        }
    );
    if offline {
        eprintln!("to receive: not asked (--offline)");
    } else {
        eprintln!(
            "to receive: {} changed on the remote",
            count(r.received_changed, "snippet")
        );
    }
    if r.held_back > 0 {
        eprintln!("{}", held_back_line(r.held_back));
    }
}

fn held_back_line(n: usize) -> String {
    format!(
        "held back {} flagged as holding secrets (sync.include_secrets = true, or \
         `snipdex sync share ID`, sends them)",
        count(n, "snippet")
    )
}

fn print_report(r: &SyncReport) {
    for c in &r.conflicts {
        let name = if c.title.trim().is_empty() {
            format!("snippet {}", c.uid)
        } else {
            format!("{:?}", short(&c.title))
        };
        eprintln!(
            "merged {} of {}: kept {:?} ({}), the other value is in the snippet's history",
            c.field,
            one_line(&name),
            one_line(&short(&c.kept)),
            if c.because == "locked" {
                "locked by the user"
            } else {
                "the later change"
            }
        );
    }
    for (file, why) in &r.refused {
        eprintln!("skipped {}: {}", one_line(file), one_line(why));
    }
    if r.held_back > 0 {
        eprintln!("{}", held_back_line(r.held_back));
    }
    if r.sent() == 0 && r.received() == 0 && !r.committed {
        eprintln!("nothing to sync; up to date");
        return;
    }
    eprintln!(
        "sent {} ({} new, {} changed, {} deleted); received {} ({} new, {} changed, {} deleted){}",
        count(r.sent(), "snippet"),
        r.sent_new,
        r.sent_changed,
        r.sent_deleted,
        count(r.received(), "snippet"),
        r.received_new,
        r.received_changed,
        r.received_deleted,
        if r.enrich_queued > 0 {
            format!(
                "; {} queued for enrichment",
                count(r.enrich_queued, "snippet")
            )
        } else {
            String::new()
        }
    );
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// Two libraries and a bare repository in a temporary folder; times a
/// first sync of `n` snippets, a sync with nothing to do, the second
/// library's first sync (receiving all of them) and its no-change sync.
pub fn bench(a: BenchSyncArgs) -> CmdResult {
    let dir = tempfile::tempdir()?;
    let bare = crate::sync::bench_repo_setup(dir.path())?;
    let bare = bare.to_string_lossy().into_owned();
    let open = |name: &str| -> Result<Library, CliError> {
        let root = dir.path().join(name);
        std::fs::create_dir_all(&root)?;
        // No model work during a benchmark of sync.
        std::fs::write(root.join("config.toml"), "[enrich]\nenabled = false\n")?;
        Ok(Library::open(Paths::under(&root))?)
    };
    let mut first = open("first")?;
    let rows: Vec<crate::domain::NewSnippet> = (0..a.snippets).map(generated).collect();
    let intake = first.intake();
    intake.import(&mut first.store, rows, |_| true)?;
    crate::sync::init(&first.paths, &first.store, &bare)?;
    let mut lines = Vec::new();
    let mut time = |label: &str, lib: &Library| -> Result<SyncReport, CliError> {
        let syncer = Syncer::open(&lib.store, &lib.config, true)?;
        let started = Instant::now();
        let r = syncer.sync()?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        lines.push(format!(
            "{label:<44} {ms:>9.1} ms  (sent {}, received {})",
            r.sent(),
            r.received()
        ));
        Ok(r)
    };
    time("first sync, sending every snippet", &first)?;
    time("no-change sync", &first)?;
    let second = open("second")?;
    crate::sync::init(&second.paths, &second.store, &bare)?;
    time("first sync elsewhere, receiving every one", &second)?;
    time("no-change sync there", &second)?;
    // One edit on the first machine, carried to the second.
    let id = first.store.list(&Default::default())?[0].id;
    first.intake().edit(
        &first.store,
        id,
        crate::store::SnippetPatch {
            title: Some("edited for the benchmark".into()),
            ..Default::default()
        },
    )?;
    time("one edit sent", &first)?;
    time("one edit received", &second)?;
    println!(
        "sync of {} (git {}):",
        count(a.snippets, "snippet"),
        crate::sync::Git::new(dir.path())
            .text(["--version"])
            .unwrap_or_default()
            .trim_start_matches("git version ")
    );
    for l in &lines {
        println!("  {l}");
    }
    Ok(Exit::Ok)
}

/// A varied, secret-free snippet for the benchmark.
fn generated(i: usize) -> crate::domain::NewSnippet {
    let langs = ["python", "rust", "bash", "sql"];
    let language = langs[i % langs.len()];
    let content = match language {
        "python" => format!("def f{i}(xs):\n    return sorted(xs)[:{}]\n", i % 97 + 1),
        "rust" => format!(
            "fn f{i}(v: &mut Vec<u32>) {{\n    v.retain(|x| x % {} != 0);\n}}\n",
            i % 13 + 2
        ),
        "bash" => format!(
            "find . -name '*.log' -mtime +{} -delete\n# {i}\n",
            i % 30 + 1
        ),
        _ => format!(
            "SELECT id, name FROM t{} WHERE id > {i} LIMIT 10;\n",
            i % 50
        ),
    };
    crate::domain::NewSnippet {
        title: format!("Generated snippet {i}"),
        description: format!("Benchmark snippet number {i} in {language}."),
        tags: vec![language.to_string(), format!("group-{}", i % 20)],
        language: language.to_string(),
        content,
        ..Default::default()
    }
}
