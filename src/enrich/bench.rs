//! `snipdex bench-enrich`: how long enrichment takes on this machine, with
//! the shared prefill and without it, and how much memory the model needs.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

pub use super::bench_samples::{Sample, SAMPLES};

use super::adapters::AdapterSource;
use super::engine::{EnrichError, EnrichOutput, Enricher, EnricherOptions};

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
    /// All four fields, each task reading the whole prompt again.
    pub unshared_ms: f64,
    pub speedup: f64,
    /// Throughput of the shared path on one thread.
    pub snippets_per_minute: f64,
    /// Generated tokens per snippet (all four tasks).
    pub generated_tokens: f64,
    /// Answers the clean-up rejected, out of `snippets * 4`.
    pub rejected: usize,
    /// Whether both paths produced the same tokens for every task.
    pub identical_tokens: bool,
    pub vm_rss_kb: Option<u64>,
    pub vm_hwm_kb: Option<u64>,
}

/// A progress line for the person waiting.
pub type Progress<'a> = &'a mut dyn FnMut(&str);

/// Loads the model, warms it up on one snippet, then times `snippets`
/// samples through the shared and the unshared path.
pub fn run(
    model: &Path,
    adapters: &AdapterSource,
    opts: &EnricherOptions,
    snippets: usize,
    progress: Progress<'_>,
) -> Result<EnrichBench, EnrichError> {
    let snippets = snippets.max(1);
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
        unshared.push(enricher.enrich_unshared(args.0, args.1, args.2)?);
    }

    let n = snippets as f64;
    let mean = |f: &dyn Fn(&EnrichOutput) -> f64, outs: &[EnrichOutput]| {
        outs.iter().map(f).sum::<f64>() / n
    };
    let shared_ms = mean(&|o| o.total_ms as f64, &shared);
    let unshared_ms = mean(&|o| o.total_ms as f64, &unshared);
    let identical_tokens = shared.iter().zip(&unshared).all(|(a, b)| {
        a.runs
            .iter()
            .zip(&b.runs)
            .all(|(x, y)| x.task == y.task && x.tokens == y.tokens)
    });
    let (rss, hwm) = memory_kb();
    Ok(EnrichBench {
        model: model.to_path_buf(),
        snippets,
        load_ms,
        prefix_tokens: mean(&|o| o.prefix_tokens as f64, &shared),
        shared_ms,
        prefill_ms: mean(&|o| o.prefill_ms as f64, &shared),
        unshared_ms,
        speedup: unshared_ms / shared_ms.max(1.0),
        snippets_per_minute: 60_000.0 / shared_ms.max(1.0),
        generated_tokens: mean(
            &|o| o.runs.iter().map(|r| r.tokens.len()).sum::<usize>() as f64,
            &shared,
        ),
        rejected: shared.iter().map(|o| o.rejected().count()).sum(),
        identical_tokens,
        vm_rss_kb: rss,
        vm_hwm_kb: hwm,
    })
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
