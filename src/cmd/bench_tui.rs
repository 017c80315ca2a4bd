//! `snipdex bench-tui`: how long the TUI takes from a key to the frame that
//! shows it, idle and while the enrichment worker runs the real model, at
//! its usual low priority and at normal priority.
//!
//! It runs the real TUI ([`crate::tui::run_headless`]: the same threads,
//! `app::update`, effects and `ui::draw`, frames encoded for a terminal of
//! the given size and thrown away) on a fresh library of real snippets, and
//! sends keys at a steady rate through the UI's event channel, where the
//! input thread would put them. A key's time runs from its send to the end
//! of the first frame drawn after the runtime took it from the channel.
//! Search results arrive from the search thread a little later, in a frame
//! of their own that is not counted.
//!
//! Each condition with a worker runs in a child process: candle's compute
//! threads start once per process and inherit the priority of the thread
//! that starts them, so a worker at normal priority after one at low
//! priority in the same process would not really run at normal priority.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::{Deserialize, Serialize};

use crate::app::AppEvent;
use crate::cli::{BenchTuiArgs, TuiCondition};
use crate::domain::NewSnippet;
use crate::enrich::{AdapterSource, EnrichEvent, WorkerOptions};
use crate::library::Library;
use crate::paths::Paths;
use crate::tui::{AppContext, EnrichControl};

/// What one condition measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConditionReport {
    pub condition: String,
    pub keys: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// Snippets the worker finished while keys were sent (0 when idle).
    pub enriched_during: usize,
}

/// What a measurement needs besides its condition.
pub struct Setup {
    pub snippets: Vec<NewSnippet>,
    pub keys: usize,
    pub interval: Duration,
    pub width: u16,
    pub height: u16,
    /// Model and adapters, for the conditions with a worker.
    pub model: Option<PathBuf>,
    pub adapters: AdapterSource,
    /// How long to wait for the worker's first finished snippet.
    pub warm_up: Duration,
}

/// Keys of a short browsing session, cycled: move, search and type, accept,
/// open a snippet, page in it, go back, clear the filter. Every cycle ends
/// where it started (the list, no filter).
fn script() -> Vec<KeyEvent> {
    let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
    let ch = |c| key(KeyCode::Char(c));
    let mut keys = vec![ch('j'), ch('j'), ch('j'), ch('k'), ch('/')];
    keys.extend("parse".chars().map(ch));
    keys.extend([
        key(KeyCode::Backspace),
        key(KeyCode::Enter),
        ch('j'),
        key(KeyCode::Enter),
        ch('j'),
        ch(' '),
        key(KeyCode::Esc),
        key(KeyCode::Esc),
        ch('k'),
    ]);
    keys
}

/// Runs the TUI under `condition` and times `setup.keys` keys.
pub fn measure(condition: TuiCondition, setup: &Setup) -> anyhow::Result<ConditionReport> {
    let root = tempfile::tempdir()?;
    let paths = Paths::under(root.path());
    let lib = Library::open(paths.clone())?;
    let intake = lib.intake();
    // As a watched folder brings them in, each with its enrichment job.
    for s in &setup.snippets {
        intake.add(&lib.store, s.clone(), crate::intake::Origin::User)?;
    }
    lib.sync_index();
    let Library {
        config,
        store,
        index,
        ..
    } = lib;
    let mut ctx = AppContext::new(paths.clone(), config.clone(), store, Arc::new(index));
    let tx = ctx.sender();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    if condition != TuiCondition::Idle {
        let model = setup
            .model
            .clone()
            .context("the conditions with enrichment need a model (--model)")?;
        let ui = ctx.sender();
        let sink = move |e: EnrichEvent| {
            if matches!(e, EnrichEvent::Done { .. }) {
                let _ = done_tx.send(());
            }
            ui.send(AppEvent::Enrich(e)).is_ok()
        };
        // The model is given, not installed in this library: no download
        // offer should pop up over the keys.
        let declined = crate::tui::declined_marker(&paths);
        if let Some(dir) = declined.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&declined, b"")?;
        let mut opts = WorkerOptions::new(&paths, &config.enrich);
        opts.model = Some(model);
        opts.adapters = setup.adapters.clone();
        opts.low_priority = condition == TuiCondition::Low;
        opts.who = "snipdex bench-tui".into();
        let worker = crate::enrich::spawn(opts, sink)?;
        ctx = ctx.with_enrich(EnrichControl::new(worker, &paths));
    } else {
        drop(done_tx);
    }

    let sent: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let enriched = Arc::new(Mutex::new(0usize));
    let injector = {
        let (sent, enriched) = (Arc::clone(&sent), Arc::clone(&enriched));
        let plan = KeyPlan {
            keys: setup.keys,
            interval: setup.interval,
            // Idle: nothing to wait for.
            warm_up: (condition != TuiCondition::Idle).then_some(setup.warm_up),
        };
        std::thread::Builder::new()
            .name("bench-tui-keys".into())
            .spawn(move || inject(tx, plan, done_rx, sent, enriched))?
    };
    let frames: Rc<RefCell<Vec<(u64, Instant)>>> = Rc::default();
    let probe = {
        let frames = Rc::clone(&frames);
        Box::new(move |keys: u64, at: Instant| frames.borrow_mut().push((keys, at)))
    };
    crate::tui::run_headless(ctx, setup.width, setup.height, probe)?;
    let warmed = injector
        .join()
        .map_err(|_| anyhow::anyhow!("the key thread panicked"))?;
    warmed?;
    let sent = sent.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let latencies = key_latencies(&sent[..setup.keys.min(sent.len())], &frames.borrow());
    let enriched_during = *enriched.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let (p50, p95, max) = percentiles(&latencies);
    Ok(ConditionReport {
        condition: condition.name().into(),
        keys: latencies.len(),
        p50_ms: ms(p50),
        p95_ms: ms(p95),
        max_ms: ms(max),
        enriched_during,
    })
}

/// What the key thread sends.
struct KeyPlan {
    keys: usize,
    interval: Duration,
    /// How long to wait for the worker's first finished snippet; `None`
    /// when no worker runs.
    warm_up: Option<Duration>,
}

/// The key thread: waits for the worker's first finished snippet (the model
/// loaded and busy), sends `keys` keys one `interval` apart, then quits the
/// TUI. Counts the snippets enriched while the keys went out.
fn inject(
    tx: Sender<AppEvent>,
    plan: KeyPlan,
    done: mpsc::Receiver<()>,
    sent: Arc<Mutex<Vec<Instant>>>,
    enriched: Arc<Mutex<usize>>,
) -> anyhow::Result<()> {
    let quit = || {
        tx.send(AppEvent::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        )))
    };
    let KeyPlan {
        keys,
        interval,
        warm_up,
    } = plan;
    if let Some(wait) = warm_up {
        if done.recv_timeout(wait).is_err() {
            let _ = quit();
            anyhow::bail!("the worker finished no snippet within {wait:?} (no model, or too slow)");
        }
    }
    // Let the first frames and the rest of the library settle.
    std::thread::sleep(Duration::from_millis(300));
    while done.try_recv().is_ok() {}
    let script = script();
    let start = Instant::now();
    for i in 0..keys {
        let due = start + interval * i as u32;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let key = script[i % script.len()];
        if let Ok(mut s) = sent.lock() {
            s.push(Instant::now());
        }
        if tx.send(AppEvent::Key(key)).is_err() {
            anyhow::bail!("the TUI stopped before the keys were sent");
        }
    }
    std::thread::sleep(interval * 2);
    if let Ok(mut n) = enriched.lock() {
        *n = done.try_iter().count();
    }
    let _ = quit();
    Ok(())
}

/// Each key's time to the first frame finished after the runtime took it:
/// key `i` (0-based) is in the first frame that saw more than `i` keys.
pub fn key_latencies(sent: &[Instant], frames: &[(u64, Instant)]) -> Vec<Duration> {
    sent.iter()
        .enumerate()
        .filter_map(|(i, &at)| {
            frames
                .iter()
                .find(|(seen, _)| *seen > i as u64)
                .map(|&(_, done)| done.saturating_duration_since(at))
        })
        .collect()
}

/// p50, p95 and max by nearest rank; zeros for no values.
pub fn percentiles(values: &[Duration]) -> (Duration, Duration, Duration) {
    let mut v = values.to_vec();
    v.sort();
    let rank = |p: f64| -> Duration {
        if v.is_empty() {
            return Duration::ZERO;
        }
        let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i]
    };
    (
        rank(0.50),
        rank(0.95),
        v.last().copied().unwrap_or_default(),
    )
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// Up to `count` snippets from a JSONL file of rows with `code` and
/// `language` (the format of `adapters/data/snippets.jsonl`), training
/// rows first when the rows say their split. Titles and descriptions are
/// left empty, for the worker to write.
pub fn load_snippets(path: &Path, count: usize) -> anyhow::Result<Vec<NewSnippet>> {
    #[derive(Deserialize)]
    struct Row {
        code: String,
        language: String,
        split: Option<String>,
    }
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {} (pass --snippets with a JSONL file of code rows)",
            path.display()
        )
    })?;
    let mut out = Vec::with_capacity(count);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if out.len() == count {
            break;
        }
        let row: Row = serde_json::from_str(line)
            .with_context(|| format!("a row of {} is not a code row", path.display()))?;
        if row.split.as_deref().is_some_and(|s| s != "train") {
            continue;
        }
        out.push(NewSnippet {
            language: row.language,
            content: row.code,
            ..NewSnippet::default()
        });
    }
    anyhow::ensure!(!out.is_empty(), "{} holds no usable rows", path.display());
    Ok(out)
}

/// `snipdex bench-tui`.
pub fn run(paths: &Paths, a: BenchTuiArgs) -> anyhow::Result<super::Exit> {
    let (width, height) = a.size.unwrap_or_else(|| {
        crossterm::terminal::size()
            .ok()
            .filter(|&(w, h)| w > 0 && h > 0)
            .unwrap_or((120, 40))
    });
    let interval = Duration::from_secs_f64(1.0 / a.rate.max(0.1));
    if let Some(condition) = a.condition {
        let model = match &a.engine.model {
            Some(m) => Some(m.clone()),
            None if condition == TuiCondition::Idle => None,
            None => Some(super::model::resolve_model(paths, None).map_err(|e| e.error)?),
        };
        let adapters = match &model {
            Some(m) => super::enrich::adapter_source(paths, &a.engine, m),
            None => AdapterSource::None,
        };
        let setup = Setup {
            snippets: load_snippets(&a.snippets, a.count)?,
            keys: a.keys,
            interval,
            width,
            height,
            model,
            adapters,
            warm_up: Duration::from_secs(300),
        };
        let report = measure(condition, &setup)?;
        if a.json {
            println!("{}", serde_json::to_string(&report)?);
        } else {
            print_reports(&[report], width, height, a.rate);
        }
        return Ok(super::Exit::Ok);
    }
    // Every condition in a child process of its own, alternating rounds.
    let exe = std::env::current_exe()?;
    let mut reports = Vec::new();
    for round in 0..a.rounds.max(1) {
        for condition in [TuiCondition::Idle, TuiCondition::Low, TuiCondition::Normal] {
            eprintln!(
                "round {} of {}: {}…",
                round + 1,
                a.rounds.max(1),
                condition.name()
            );
            let mut cmd = std::process::Command::new(&exe);
            cmd.arg("bench-tui")
                .args(["--condition", condition.name(), "--json"])
                .args(["--keys", &a.keys.to_string(), "--rate", &a.rate.to_string()])
                .args(["--size", &format!("{width}x{height}")])
                .arg("--snippets")
                .arg(&a.snippets)
                .args(["--count", &a.count.to_string()]);
            if let Some(m) = &a.engine.model {
                cmd.arg("--model").arg(m);
            }
            if let Some(d) = &a.engine.adapters {
                cmd.arg("--adapters").arg(d);
            }
            if a.engine.no_adapters {
                cmd.arg("--no-adapters");
            }
            let out = cmd.stderr(std::process::Stdio::inherit()).output()?;
            anyhow::ensure!(
                out.status.success(),
                "the {} condition failed ({})",
                condition.name(),
                out.status
            );
            let line = String::from_utf8_lossy(&out.stdout);
            reports.push(serde_json::from_str::<ConditionReport>(line.trim())?);
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        print_reports(&reports, width, height, a.rate);
    }
    Ok(super::Exit::Ok)
}

fn print_reports(reports: &[ConditionReport], width: u16, height: u16, rate: f64) {
    println!("key to frame, {width}x{height} cells, {rate} keys/s");
    println!(
        "{:<34} {:>5} {:>9} {:>9} {:>9} {:>9}",
        "condition", "keys", "p50 ms", "p95 ms", "max ms", "enriched"
    );
    for r in reports {
        println!(
            "{:<34} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9}",
            TuiCondition::describe(&r.condition),
            r.keys,
            r.p50_ms,
            r.p95_ms,
            r.max_ms,
            r.enriched_during
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn each_key_counts_to_the_first_frame_that_saw_it() {
        let t0 = Instant::now();
        let sent = [t0, t0 + ms_(10), t0 + ms_(20)];
        // A frame before any key, one after the first, one after both others.
        let frames = [(0, t0 + ms_(1)), (1, t0 + ms_(4)), (3, t0 + ms_(35))];
        let got = key_latencies(&sent, &frames);
        assert_eq!(got, vec![ms_(4), ms_(25), ms_(15)]);
        // A key no frame showed is left out rather than counted as zero.
        assert_eq!(key_latencies(&sent, &frames[..2]).len(), 1);
    }

    #[test]
    fn percentiles_are_nearest_rank_and_ordered() {
        let v: Vec<Duration> = (1..=20).rev().map(ms_).collect();
        assert_eq!(percentiles(&v), (ms_(10), ms_(19), ms_(20)));
        assert_eq!(percentiles(&[ms_(7)]), (ms_(7), ms_(7), ms_(7)));
        assert_eq!(
            percentiles(&[]),
            (Duration::ZERO, Duration::ZERO, Duration::ZERO)
        );
    }

    #[test]
    fn snippets_come_from_training_rows() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("rows.jsonl");
        std::fs::write(
            &file,
            concat!(
                r#"{"code":"a = 1","language":"python","split":"test"}"#,
                "\n",
                r#"{"code":"b = 2","language":"python","split":"train"}"#,
                "\n",
                r#"{"code":"echo hi","language":"shell"}"#,
                "\n"
            ),
        )?;
        let got = load_snippets(&file, 5)?;
        let contents: Vec<&str> = got.iter().map(|s| s.content.as_str()).collect();
        assert_eq!(contents, ["b = 2", "echo hi"]);
        assert!(load_snippets(&dir.path().join("missing.jsonl"), 5).is_err());
        Ok(())
    }

    /// The machinery end to end on the real runtime, without a model: every
    /// key reaches a frame, and the percentiles come out sane and ordered.
    /// (No timing is asserted: the machine may be busy.)
    #[test]
    fn idle_condition_times_every_key() -> anyhow::Result<()> {
        let snippets = (0..40)
            .map(|i| NewSnippet {
                language: "python".into(),
                content: format!("def parse_{i}(text):\n    return text.split()\n"),
                ..NewSnippet::default()
            })
            .collect();
        let setup = Setup {
            snippets,
            keys: 2 * script().len() + 3,
            interval: ms_(5),
            width: 100,
            height: 30,
            model: None,
            adapters: AdapterSource::None,
            warm_up: Duration::from_secs(1),
        };
        let r = measure(TuiCondition::Idle, &setup)?;
        assert_eq!(r.condition, "idle");
        assert_eq!(r.keys, setup.keys);
        assert!(r.p50_ms > 0.0, "{r:?}");
        assert!(r.p50_ms <= r.p95_ms && r.p95_ms <= r.max_ms, "{r:?}");
        assert!(r.max_ms < 60_000.0, "{r:?}");
        assert_eq!(r.enriched_during, 0);
        Ok(())
    }

    #[test]
    fn a_worker_condition_without_a_model_is_refused() {
        let setup = Setup {
            snippets: vec![NewSnippet {
                language: "shell".into(),
                content: "echo hi\n".into(),
                ..NewSnippet::default()
            }],
            keys: 1,
            interval: ms_(1),
            width: 80,
            height: 24,
            model: None,
            adapters: AdapterSource::None,
            warm_up: Duration::from_secs(1),
        };
        let err = measure(TuiCondition::Low, &setup).unwrap_err();
        assert!(err.to_string().contains("--model"), "{err}");
    }
}
