//! `snipdex bench-enrich`: how long enrichment takes on this machine, with
//! the shared prefill and without it, and how much memory the model needs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

pub use super::bench_samples::{Sample, SAMPLES};

use super::adapters::AdapterSource;
use super::engine::{BulkItem, EnrichError, EnrichOutput, Enricher, EnricherOptions};
use super::task::Task;
use crate::model::FinishReason;

/// What the benchmark measured. Times are means over the snippets, in
/// milliseconds, after one warm-up snippet.
#[derive(Debug, Clone, Serialize)]
pub struct EnrichBench {
    pub model: PathBuf,
    pub snippets: usize,
    pub load_ms: u64,
    /// Mean tokens of the shared prefix (system message and snippet).
    pub prefix_tokens: f64,
    /// All four fields with one shared prefill.
    pub shared_ms: f64,
    /// Of which the prefill.
    pub prefill_ms: f64,
    /// All four fields, each task reading the whole prompt again (0 when
    /// not timed).
    pub unshared_ms: f64,
    pub speedup: f64,
    /// Throughput of the shared path on one thread.
    pub snippets_per_minute: f64,
    /// Generated tokens per snippet (all four tasks).
    pub generated_tokens: f64,
    /// Answers the clean-up rejected, out of `snippets * 4`.
    pub rejected: usize,
    /// Whether both paths produced the same tokens for every task (`None`
    /// when the unshared path was not timed).
    pub identical_tokens: Option<bool>,
    /// Snippets per bulk call (1: bulk mode not timed).
    pub bulk: usize,
    /// All four fields per snippet when `bulk` snippets are enriched
    /// together ([`Enricher::enrich_bulk`]): the calls' time over the
    /// snippets.
    pub bulk_ms: Option<f64>,
    pub bulk_snippets_per_minute: Option<f64>,
    /// Whether the bulk path gave the one-snippet path's tokens everywhere.
    pub bulk_identical_tokens: Option<bool>,
    /// Mean answer tokens per task, in task order (title, description,
    /// tags, links): what a side-by-side run must decode to match.
    pub task_tokens: Vec<(String, f64)>,
    pub vm_rss_kb: Option<u64>,
    pub vm_hwm_kb: Option<u64>,
}

/// A progress line for the person waiting.
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// What to time.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub snippets: usize,
    /// Also time bulk enrichment, this many snippets per call (1: not).
    pub bulk: usize,
    /// Also time the path without the shared prefill.
    pub unshared: bool,
}

/// The exact workload of the shared path, for timing another runtime on
/// it: each snippet's prefix tokens, and each task's suffix tokens and the
/// answer tokens the model decoded.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub snippets: Vec<WorkloadSnippet>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadSnippet {
    pub file_name: String,
    pub prefix: Vec<u32>,
    pub tasks: Vec<WorkloadTask>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkloadTask {
    pub task: String,
    pub suffix: Vec<u32>,
    pub answer: Vec<u32>,
    /// Answer tokens fed back through the model (one decode step each):
    /// all of them, except the last when the token budget ended the answer.
    pub decode_steps: usize,
}

/// Loads the model, warms it up on one snippet, then times `snippets`
/// samples through the shared path (and, as asked, the unshared and the
/// bulk path). Returns the figures and the shared path's workload.
pub fn run(
    model: &Path,
    adapters: &AdapterSource,
    opts: &EnricherOptions,
    bench: &BenchOptions,
    progress: Progress<'_>,
) -> Result<(EnrichBench, Workload), EnrichError> {
    let snippets = bench.snippets.max(1);
    progress("loading the model");
    let started = Instant::now();
    let enricher = Enricher::load_with(model, adapters, opts)?;
    let load_ms = millis(started);

    progress("warming up");
    let warm = &SAMPLES[0];
    enricher.enrich(warm.code, Some(warm.language), Some(warm.file_name))?;

    let mut shared = Vec::with_capacity(snippets);
    let mut unshared = Vec::with_capacity(snippets);
    for (i, sample) in SAMPLES.iter().cycle().take(snippets).enumerate() {
        progress(&format!(
            "snippet {}/{snippets} ({})",
            i + 1,
            sample.language
        ));
        let args = (sample.code, Some(sample.language), Some(sample.file_name));
        shared.push(enricher.enrich(args.0, args.1, args.2)?);
        if bench.unshared {
            unshared.push(enricher.enrich_unshared(args.0, args.1, args.2)?);
        }
    }
    let samples: Vec<&Sample> = SAMPLES.iter().cycle().take(snippets).collect();
    let bulk = bench.bulk.max(1);
    let mut bulk_out = Vec::new();
    let mut bulk_total_ms = 0.0;
    if bulk > 1 {
        for (i, group) in samples.chunks(bulk).enumerate() {
            progress(&format!(
                "bulk call {} of {}",
                i + 1,
                snippets.div_ceil(bulk)
            ));
            let items: Vec<BulkItem<'_>> = group
                .iter()
                .map(|s| BulkItem {
                    code: s.code,
                    language: Some(s.language),
                    file_name: Some(s.file_name),
                    tasks: &Task::ALL,
                })
                .collect();
            let started = Instant::now();
            for out in enricher.enrich_bulk(&items, None)? {
                bulk_out.push(out?);
            }
            bulk_total_ms += started.elapsed().as_secs_f64() * 1000.0;
        }
    }
    let workload = Workload {
        snippets: samples
            .iter()
            .zip(&shared)
            .map(|(s, out)| -> Result<WorkloadSnippet, EnrichError> {
                let mut tasks = Vec::with_capacity(out.runs.len());
                let mut prefix = Vec::new();
                for run in &out.runs {
                    let (p, suffix) = enricher.task_prompt(
                        s.code,
                        Some(s.language),
                        Some(s.file_name),
                        run.task,
                    )?;
                    prefix = p;
                    tasks.push(WorkloadTask {
                        task: run.task.name().to_owned(),
                        suffix,
                        answer: run.tokens.clone(),
                        decode_steps: match run.finish {
                            FinishReason::Length => run.tokens.len().saturating_sub(1),
                            _ => run.tokens.len(),
                        },
                    });
                }
                Ok(WorkloadSnippet {
                    file_name: s.file_name.to_owned(),
                    prefix,
                    tasks,
                })
            })
            .collect::<Result<_, _>>()?,
    };

    let n = snippets as f64;
    let mean = |f: &dyn Fn(&EnrichOutput) -> f64, outs: &[EnrichOutput]| {
        outs.iter().map(f).sum::<f64>() / n
    };
    let shared_ms = mean(&|o| o.total_ms as f64, &shared);
    let unshared_ms = mean(&|o| o.total_ms as f64, &unshared);
    let same = |a: &EnrichOutput, b: &EnrichOutput| {
        a.runs.len() == b.runs.len()
            && a.runs
                .iter()
                .zip(&b.runs)
                .all(|(x, y)| x.task == y.task && x.tokens == y.tokens)
    };
    let identical_tokens = bench
        .unshared
        .then(|| shared.iter().zip(&unshared).all(|(a, b)| same(a, b)));
    let bulk_ms = (bulk > 1).then_some(bulk_total_ms / n);
    let task_tokens = Task::ALL
        .iter()
        .map(|&t| {
            let total: usize = shared
                .iter()
                .flat_map(|o| o.runs.iter().filter(|r| r.task == t))
                .map(|r| r.tokens.len())
                .sum();
            (t.name().to_owned(), total as f64 / n)
        })
        .collect();
    let (rss, hwm) = memory_kb();
    let report = EnrichBench {
        model: model.to_path_buf(),
        snippets,
        load_ms,
        prefix_tokens: mean(&|o| o.prefix_tokens as f64, &shared),
        shared_ms,
        prefill_ms: mean(&|o| o.prefill_ms as f64, &shared),
        unshared_ms,
        speedup: if bench.unshared {
            unshared_ms / shared_ms.max(1.0)
        } else {
            0.0
        },
        snippets_per_minute: 60_000.0 / shared_ms.max(1.0),
        generated_tokens: mean(
            &|o| o.runs.iter().map(|r| r.tokens.len()).sum::<usize>() as f64,
            &shared,
        ),
        rejected: shared.iter().map(|o| o.rejected().count()).sum(),
        identical_tokens,
        bulk,
        bulk_ms,
        bulk_snippets_per_minute: bulk_ms.map(|ms| 60_000.0 / ms.max(1.0)),
        bulk_identical_tokens: (bulk > 1)
            .then(|| shared.iter().zip(&bulk_out).all(|(a, b)| same(a, b))),
        task_tokens,
        vm_rss_kb: rss,
        vm_hwm_kb: hwm,
    };
    Ok((report, workload))
}

fn millis(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Resident and peak resident memory of this process, where the system
/// reports them (Linux).
pub fn memory_kb() -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_look_like_real_snippets() {
        let languages: Vec<&str> = SAMPLES.iter().map(|s| s.language).collect();
        for wanted in ["rust", "python", "shell"] {
            assert!(languages.contains(&wanted), "{languages:?}");
        }
        for s in SAMPLES {
            let lines = s.code.lines().count();
            assert!((25..=45).contains(&lines), "{}: {lines} lines", s.file_name);
            let detected = crate::ingest::detect_language(Some(Path::new(s.file_name)), s.code);
            assert_eq!(detected, s.language, "{}", s.file_name);
        }
    }

    #[test]
    fn memory_is_reported_on_linux() {
        let (rss, hwm) = memory_kb();
        if cfg!(target_os = "linux") {
            let (rss, hwm) = (rss.unwrap(), hwm.unwrap());
            assert!(rss > 0 && hwm >= rss, "{rss} {hwm}");
        }
    }
}
