//! watch, reindex, doctor, completions, and the TUI entry points.

use super::{CliError, CmdResult, Exit};
use crate::cli::{Cli, DoctorArgs, PickArgs, WatchAction, WatchArgs};
use crate::domain::terminal::one_line;
use crate::library::{InstanceLock, Library, LibraryError};
use crate::paths::Paths;
use serde::Serialize;
use std::path::{Path, PathBuf};

pub fn watch(paths: Paths, a: WatchArgs) -> CmdResult {
    let action = match a.action {
        None => return super::live::watch_foreground(paths),
        Some(action) => action,
    };
    let lib = Library::open(paths)?;
    match action {
        WatchAction::Add { dir } => {
            let dir = std::fs::canonicalize(&dir)
                .map_err(|e| CliError::bad_input(format!("cannot watch {}: {e}", dir.display())))?;
            if !dir.is_dir() {
                return Err(CliError::bad_input(format!(
                    "{} is not a folder",
                    dir.display()
                )));
            }
            for own in [
                &lib.paths.data_dir,
                &lib.paths.config_dir,
                &lib.paths.log_dir,
            ] {
                let own = std::fs::canonicalize(own).unwrap_or_else(|_| own.clone());
                if dir.starts_with(&own) {
                    return Err(CliError::bad_input(format!(
                        "{} is snipdex's own folder; its files are never snippets",
                        dir.display()
                    )));
                }
            }
            if lib.store.add_watch_dir(&dir)? {
                eprintln!(
                    "watching {} (snippets appear while `snipdex` or `snipdex watch` runs)",
                    dir.display()
                );
            } else {
                eprintln!("already watching {}", dir.display());
            }
        }
        WatchAction::Rm { dir, purge } => {
            // The folder may be gone already; match the stored spelling too.
            let canon = std::fs::canonicalize(&dir).unwrap_or_else(|_| absolute(&dir));
            let removed =
                lib.store.remove_watch_dir(&canon)? || lib.store.remove_watch_dir(&dir)?;
            if !removed {
                return Err(CliError::new(
                    Exit::NotFound,
                    anyhow::anyhow!("{} is not watched", dir.display()),
                ));
            }
            if purge {
                let gone = lib.store.list(&crate::store::ListFilter {
                    path_prefix: Some(canon.clone()),
                    ..Default::default()
                })?;
                for s in &gone {
                    lib.store.delete(s.id)?;
                }
                lib.sync_index();
                eprintln!(
                    "removed {} from {}",
                    crate::domain::count(gone.len(), "snippet"),
                    canon.display()
                );
            }
        }
        WatchAction::Ls { json } => {
            let dirs = lib.store.watch_dirs()?;
            if json {
                #[derive(Serialize)]
                struct Dir {
                    path: PathBuf,
                    exists: bool,
                }
                let list: Vec<Dir> = dirs
                    .into_iter()
                    .map(|path| Dir {
                        exists: path.is_dir(),
                        path,
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for d in dirs {
                    let note = if d.is_dir() { "" } else { "  (missing)" };
                    println!("{}{note}", one_line(&d.to_string_lossy()));
                }
            }
        }
    }
    Ok(Exit::Ok)
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

pub fn reindex(paths: Paths) -> CmdResult {
    let lib = Library::open(paths)?;
    if !lib.index.is_writable() {
        return Err(CliError::new(
            Exit::Unavailable,
            anyhow::anyhow!(
                "the search index is in use by another snipdex; close it and run reindex again"
            ),
        ));
    }
    let t = std::time::Instant::now();
    let n = lib.index.rebuild(&lib.store)?;
    eprintln!(
        "indexed {} in {:.2?}",
        crate::domain::count(n as usize, "snippet"),
        t.elapsed()
    );
    Ok(Exit::Ok)
}

#[derive(Debug, Serialize)]
struct DoctorReport {
    healthy: bool,
    problems: Vec<String>,
    config_file: PathBuf,
    database: PathBuf,
    index: PathBuf,
    logs: PathBuf,
    models: PathBuf,
    schema_version: i64,
    snippets: i64,
    snippets_with_secrets: usize,
    indexed: u64,
    index_pending: i64,
    enrich_jobs: i64,
    enrich_paused: bool,
    tags: usize,
    watch_dirs: Vec<(PathBuf, bool)>,
    /// Folders in watched ones that cannot be read: neither watched nor
    /// read until they can be (tried again at each rescan).
    unreadable_folders: Vec<PathBuf>,
    skipped_files: Vec<crate::store::SkipCount>,
    owned_by_running_instance: bool,
}

pub fn doctor(paths: Paths, a: DoctorArgs) -> CmdResult {
    let owned = matches!(
        InstanceLock::acquire(&paths),
        Err(LibraryError::AlreadyRunning { .. })
    );
    let lib = Library::open(paths.clone())?;
    let mut problems = Vec::new();
    let integrity = lib.store.integrity_check()?;
    if integrity != ["ok"] {
        problems.push(format!("database integrity: {}", integrity.join("; ")));
    }
    // Damage found when the library was opened has been repaired already;
    // say so. Then read the whole index, which also catches damage in a
    // library whose index another running snipdex owns.
    if let Some(why) = lib.index.repaired() {
        problems.push(format!(
            "search index was damaged ({why}); it was rebuilt from the database"
        ));
    }
    if let Some(why) = lib.index.check() {
        match lib.index.repair(&lib.store, &why) {
            Ok(_) => problems.push(format!(
                "search index was damaged ({why}); it was rebuilt from the database"
            )),
            Err(e) => problems.push(format!("search index is damaged: {e}")),
        }
    }
    let snippets = lib.store.count()?;
    let pending = lib.store.pending_index_count()?;
    let indexed = lib.index.num_docs();
    if pending == 0 && indexed != snippets as u64 && lib.index.is_writable() {
        problems.push(format!(
            "search index has {indexed} documents for {snippets} snippets; run `snipdex reindex`"
        ));
    }
    let watch_dirs: Vec<(PathBuf, bool)> = lib
        .store
        .watch_dirs()?
        .into_iter()
        .map(|d| {
            let ok = d.is_dir();
            (d, ok)
        })
        .collect();
    for (d, ok) in &watch_dirs {
        if !ok {
            problems.push(format!("watched folder {} does not exist", d.display()));
        }
    }
    let mut with_secrets = 0usize;
    lib.store.for_each(|s| {
        with_secrets += usize::from(s.has_secrets());
        Ok(())
    })?;
    let report = DoctorReport {
        healthy: problems.is_empty(),
        problems,
        config_file: paths.config_file(),
        database: paths.database(),
        index: paths.index_dir(),
        logs: paths.log_dir.clone(),
        models: paths.models_dir(),
        schema_version: lib.store.schema_version()?,
        snippets,
        snippets_with_secrets: with_secrets,
        indexed,
        index_pending: pending,
        enrich_jobs: lib.store.job_count()?,
        enrich_paused: lib.config.enrich.paused
            || crate::enrich::worker::pause_marker(&paths).exists(),
        tags: lib.store.tag_counts()?.len(),
        watch_dirs,
        unreadable_folders: lib
            .store
            .skipped_paths("unreadable")?
            .into_iter()
            .filter(|p| p.is_dir())
            .collect(),
        skipped_files: lib.store.skip_counts()?,
        owned_by_running_instance: owned,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_doctor(&report);
        if a.verbose {
            for (path, reason, detail) in lib.store.recent_skips(50)? {
                println!(
                    "  skipped {} [{reason}]: {}",
                    one_line(&path.to_string_lossy()),
                    one_line(&detail)
                );
            }
        }
    }
    Ok(if report.healthy {
        Exit::Ok
    } else {
        Exit::Unavailable
    })
}

fn print_doctor(r: &DoctorReport) {
    println!("config      {}", r.config_file.display());
    println!(
        "database    {} (schema {})",
        r.database.display(),
        r.schema_version
    );
    println!("index       {}", r.index.display());
    println!("logs        {}", r.logs.display());
    println!("models      {}", r.models.display());
    println!(
        "snippets    {} ({} indexed, {} waiting for the index, {} with secrets)",
        r.snippets, r.indexed, r.index_pending, r.snippets_with_secrets
    );
    println!("tags        {}", r.tags);
    println!(
        "enrichment  {} jobs queued{}",
        r.enrich_jobs,
        if r.enrich_paused { " (paused)" } else { "" }
    );
    if r.owned_by_running_instance {
        println!("owner       another snipdex is running on this library");
    }
    for (d, ok) in &r.watch_dirs {
        println!(
            "watching    {}{}",
            d.display(),
            if *ok { "" } else { " (missing)" }
        );
    }
    for d in &r.unreadable_folders {
        println!(
            "unreadable  {} (not watched until it can be read)",
            one_line(&d.to_string_lossy())
        );
    }
    if r.skipped_files.is_empty() {
        println!("skipped     none");
    } else {
        let parts: Vec<String> = r
            .skipped_files
            .iter()
            .map(|s| format!("{} {}", s.count, s.reason))
            .collect();
        println!("skipped     {}", parts.join(", "));
    }
    if r.healthy {
        println!("status      ok");
    } else {
        for p in &r.problems {
            println!("problem     {p}");
        }
    }
}

pub fn completions(shell: clap_complete::Shell) -> CmdResult {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "snipdex", &mut std::io::stdout());
    Ok(Exit::Ok)
}

/// The man pages come from the clap definitions, so they cannot drift
/// from `--help`.
pub fn man(dir: Option<&Path>) -> CmdResult {
    use clap::CommandFactory;
    let cmd = Cli::command();
    match dir {
        None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?,
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(cmd, dir)?;
            eprintln!("wrote man pages to {}", dir.display());
        }
    }
    Ok(Exit::Ok)
}

pub fn tui(paths: Paths) -> CmdResult {
    super::live::tui(paths)
}

pub fn pick(paths: Paths, a: PickArgs) -> CmdResult {
    super::live::pick(paths, a.query.join(" "))
}
