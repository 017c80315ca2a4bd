//! `snipdex enrich` and `snipdex bench-enrich`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::mpsc;

use indicatif::{ProgressBar, ProgressStyle};

use super::model::resolve_model;
use super::{CliError, CmdResult, Exit};
use crate::cli::{AdapterArgs, BenchEnrichArgs, EnrichArgs};
use crate::domain::{Field, Snippet, SnippetId};
use crate::enrich::{
    pause_marker, spawn, AdapterSource, EnrichEvent, Enricher, EnricherOptions, OffCause,
    WorkerOptions, WorkerState,
};
use crate::library::Library;
use crate::paths::Paths;
use crate::store::Store;

pub fn enrich(paths: Paths, a: EnrichArgs) -> CmdResult {
    if a.pause || a.resume {
        return set_paused(&paths, a.pause);
    }
    if a.jsonl {
        return jsonl(&paths, &a.engine);
    }
    let model = resolve_model(&paths, a.engine.model.as_deref())?;
    let adapters = adapter_source(&paths, &a.engine, &model);
    let mut lib = Library::open(paths)?;
    let only = if a.ids.is_empty() {
        if a.all {
            let queued = queue_all(&mut lib.store, a.force)?;
            eprintln!("queued {}", crate::domain::count(queued, "snippet"));
        }
        None
    } else {
        for &id in &a.ids {
            let s = lib.store.get(id)?;
            if !queue(&lib.store, &s, a.force)? {
                eprintln!("snippet {id} has no empty unlocked field (use --force to regenerate)");
            }
        }
        Some(a.ids.clone())
    };
    let mut opts = WorkerOptions::new(&lib.paths, &lib.config.enrich);
    opts.model = Some(model);
    opts.adapters = adapters;
    opts.threads = a.threads.unwrap_or(opts.threads).max(1);
    opts.bulk = a.bulk.unwrap_or(opts.bulk).max(1);
    // An explicit command runs even while background enrichment is paused,
    // and says so, since the pause is still in force for the background.
    if opts.paused {
        eprintln!(
            "note: background enrichment is paused (`snipdex enrich --resume` resumes it); \
             this explicit run goes ahead"
        );
    }
    opts.paused = false;
    opts.pause_file = None;
    opts.until_empty = true;
    opts.only = only;
    opts.model_retry = None;
    // The user waits on this run: it gets the priority they gave the
    // command (`nice snipdex enrich --all` makes it polite too).
    opts.low_priority = false;
    opts.who = "snipdex enrich".into();
    run_foreground(&lib, opts)
}

/// Queues `s` for its empty unlocked fields (every unlocked field with
/// `force`), keeping a job that is already queued. Returns whether there
/// is a job for it now.
fn queue(store: &Store, s: &Snippet, force: bool) -> crate::store::Result<bool> {
    if let Some(job) = store.job(s.id)? {
        // A dead job (too many failures) gets a fresh set of attempts.
        let fields = if force { Vec::new() } else { job.fields };
        store.enqueue_job(s.id, &fields)?;
        return Ok(true);
    }
    let unlocked: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|&f| !s.meta.get(f).locked)
        .collect();
    let wanted: Vec<Field> = if force {
        unlocked
    } else {
        unlocked.into_iter().filter(|&f| is_empty(s, f)).collect()
    };
    if wanted.is_empty() {
        return Ok(false);
    }
    let fields = if wanted.len() == Field::ALL.len() {
        Vec::new()
    } else {
        wanted
    };
    store.enqueue_job(s.id, &fields)?;
    Ok(true)
}

/// Never filled by anyone: an empty value with no recorded origin (the
/// model may legitimately leave links empty).
fn is_empty(s: &Snippet, field: Field) -> bool {
    let value_empty = match field {
        Field::Title => s.title.trim().is_empty(),
        Field::Description => s.description.trim().is_empty(),
        Field::Tags => s.tags.is_empty(),
        Field::Links => s.links.is_empty(),
    };
    value_empty && s.meta.get(field).provenance.is_none()
}

/// Queues every snippet (see [`queue`]) in one transaction: a worker, or a
/// kill, never sees half of the library queued.
fn queue_all(store: &mut Store, force: bool) -> Result<usize, CliError> {
    let mut snippets = Vec::new();
    store.for_each(|s| {
        snippets.push(s);
        Ok(())
    })?;
    let queued = store.transaction(|store| {
        let mut queued = 0;
        for s in &snippets {
            if queue(store, s, force)? {
                queued += 1;
            }
        }
        Ok(queued)
    })?;
    Ok(queued)
}

fn run_foreground(lib: &Library, opts: WorkerOptions) -> CmdResult {
    let (tx, rx) = mpsc::channel();
    let handle = spawn(opts, tx).map_err(CliError::from)?;
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    let mut done = 0usize;
    let mut fields = 0usize;
    let mut failed: BTreeSet<SnippetId> = BTreeSet::new();
    let mut off: Option<(String, OffCause)> = None;
    let mut waiting = false;
    let started = std::time::Instant::now();
    for event in rx {
        match &event {
            EnrichEvent::Started { id } => bar.set_message(format!("#{id}")),
            EnrichEvent::Done { id, fields_written } => {
                done += 1;
                fields += fields_written.len();
                failed.remove(id);
                bar.inc(1);
                if done.is_multiple_of(20) {
                    lib.sync_index();
                }
            }
            EnrichEvent::Failed { id, error } => {
                bar.println(format!("snippet {id}: {error}"));
                failed.insert(*id);
            }
            EnrichEvent::Progress { queued } => {
                bar.set_length(bar.position() + u64::try_from(*queued).unwrap_or(0));
            }
            EnrichEvent::State(WorkerState::Off(why, cause)) => off = Some((why.clone(), *cause)),
            EnrichEvent::State(WorkerState::Deferred(who)) => {
                waiting = true;
                // Through `suspend`: `println` prints nothing when stderr
                // is not a terminal, and scripts want to see this too.
                bar.suspend(|| {
                    eprintln!(
                        "waiting: {} is enriching this library; it works through these jobs \
                         meanwhile, and this run takes over when it stops",
                        crate::domain::terminal::one_line(who)
                    )
                });
            }
            EnrichEvent::State(WorkerState::Running) if waiting => {
                waiting = false;
                bar.suspend(|| eprintln!("taking over: this run enriches the rest"));
            }
            EnrichEvent::State(_) => {}
        }
        tracing::debug!(%event, "enrichment");
    }
    handle.join();
    bar.finish_and_clear();
    lib.sync_index();
    if let Some((why, cause)) = off {
        let exit = match cause {
            OffCause::NoModel => Exit::Unavailable,
            OffCause::BadInput => Exit::BadInput,
            OffCause::Other => Exit::Failure,
        };
        return Err(CliError::new(exit, anyhow::anyhow!("{why}")));
    }
    // Failures the worker retried successfully are not failures.
    failed.retain(|id| matches!(lib.store.job(*id), Ok(Some(_))));
    let secs = started.elapsed().as_secs_f64();
    let rate = if done > 0 && secs > 0.0 {
        format!(", {:.1} snippets/min", done as f64 * 60.0 / secs)
    } else {
        String::new()
    };
    eprintln!(
        "enriched {}, {} written in {secs:.1} s{rate}",
        crate::domain::count(done, "snippet"),
        crate::domain::count(fields, "field")
    );
    if !failed.is_empty() {
        let ids: Vec<String> = failed.iter().map(|id| id.to_string()).collect();
        return Err(CliError::new(
            Exit::Failure,
            anyhow::anyhow!(
                "could not enrich {} (their jobs stay queued; `snipdex enrich --all` retries them)",
                ids.join(", ")
            ),
        ));
    }
    Ok(Exit::Ok)
}

fn set_paused(paths: &Paths, pause: bool) -> CmdResult {
    paths.ensure()?;
    let marker = pause_marker(paths);
    if pause {
        std::fs::write(&marker, b"")?;
        eprintln!(
            "background enrichment paused (a running snipdex pauses after its current snippet)"
        );
    } else {
        match std::fs::remove_file(&marker) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
        eprintln!("background enrichment resumed");
        let config = crate::config::Config::load(&paths.config_file())?;
        if config.enrich.paused {
            eprintln!("note: enrich.paused = true in the config still pauses it at every start");
        }
    }
    Ok(Exit::Ok)
}

pub(super) fn adapter_source(paths: &Paths, a: &AdapterArgs, model: &Path) -> AdapterSource {
    match (&a.adapters, a.no_adapters) {
        (_, true) => AdapterSource::None,
        (Some(dir), false) => {
            let source = AdapterSource::Dir(dir.clone());
            // An existing folder with no `<task>/` adapter in it is almost
            // always a wrong path; say so instead of silently going zero-shot.
            let name = crate::model::model_name(model);
            let missing: Vec<&str> = crate::enrich::Task::ALL
                .iter()
                .filter(|t| matches!(source.locate(**t, &name), Ok(None)))
                .map(|t| t.name())
                .collect();
            if dir.is_dir() && !missing.is_empty() {
                eprintln!(
                    "warning: {} has no adapter for {}; those tasks run zero-shot",
                    dir.display(),
                    missing.join(", ")
                );
            }
            source
        }
        (None, false) => AdapterSource::standard(paths),
    }
}

fn load_enricher(paths: &Paths, a: &AdapterArgs) -> Result<Enricher, CliError> {
    let model = resolve_model(paths, a.model.as_deref())?;
    let opts = EnricherOptions::for_paths(paths);
    Enricher::load_with(&model, &adapter_source(paths, a, &model), &opts).map_err(CliError::from)
}

fn jsonl(paths: &Paths, a: &AdapterArgs) -> CmdResult {
    let enricher = load_enricher(paths, a)?;
    let stdin = std::io::stdin().lock();
    let stdout = std::io::stdout().lock();
    let summary = crate::enrich::jsonl::run(&enricher, stdin, stdout)?;
    tracing::info!(
        answered = summary.answered,
        errors = summary.errors,
        "jsonl batch done"
    );
    Ok(Exit::Ok)
}

pub fn bench(paths: Paths, a: BenchEnrichArgs) -> CmdResult {
    let model = resolve_model(&paths, a.engine.model.as_deref())?;
    let adapters = adapter_source(&paths, &a.engine, &model);
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let opts = EnricherOptions::for_paths(&paths);
    let bench = crate::enrich::bench::BenchOptions {
        snippets: a.snippets,
        bulk: a.bulk,
        unshared: !a.skip_unshared,
    };
    let report = crate::enrich::bench::run(&model, &adapters, &opts, &bench, &mut |m| {
        bar.set_message(m.to_owned())
    });
    bar.finish_and_clear();
    let (r, workload) = report.map_err(CliError::from)?;
    if let Some(path) = &a.workload {
        std::fs::write(path, serde_json::to_vec(&workload)?)?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(Exit::Ok);
    }
    let kb = |v: Option<u64>| v.map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0));
    println!("model            {}", display(&r.model));
    println!("load             {} ms", r.load_ms);
    println!(
        "snippets         {} (~{:.0} prompt tokens, {:.0} generated)",
        r.snippets, r.prefix_tokens, r.generated_tokens
    );
    let per_task: Vec<String> = r
        .task_tokens
        .iter()
        .map(|(task, n)| format!("{task} {n:.1}"))
        .collect();
    println!("tokens per task  {}", per_task.join(", "));
    println!(
        "shared prefill   {:.0} ms per snippet (prefill {:.0} ms)",
        r.shared_ms, r.prefill_ms
    );
    if let Some(same) = r.identical_tokens {
        println!("per-task prompts {:.0} ms per snippet", r.unshared_ms);
        println!("speed-up         {:.2}x", r.speedup);
        println!("same tokens      {same}");
    }
    println!("throughput       {:.1} snippets/min", r.snippets_per_minute);
    if let (Some(ms), Some(rate), Some(same)) = (
        r.bulk_ms,
        r.bulk_snippets_per_minute,
        r.bulk_identical_tokens,
    ) {
        println!(
            "bulk ({} at once) {ms:.0} ms per snippet, {rate:.1} snippets/min, same tokens {same}",
            r.bulk
        );
    }
    println!("rejected answers {} of {}", r.rejected, r.snippets * 4);
    println!(
        "memory           {} resident, {} peak",
        kb(r.vm_rss_kb),
        kb(r.vm_hwm_kb)
    );
    Ok(Exit::Ok)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
