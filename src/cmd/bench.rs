//! `snipdex bench`: import, search and startup speed on generated data, in
//! a throw-away library. The numbers in the README come from this.

use crate::cli::BenchArgs;
use crate::domain::{NewSnippet, Source};
use crate::library::Library;
use crate::paths::Paths;
use serde::Serialize;
use std::time::{Duration, Instant};

const WORDS: &[&str] = &[
    "parse",
    "file",
    "read",
    "write",
    "json",
    "http",
    "request",
    "retry",
    "cache",
    "sort",
    "filter",
    "merge",
    "stream",
    "buffer",
    "socket",
    "thread",
    "async",
    "future",
    "channel",
    "mutex",
    "vector",
    "string",
    "regex",
    "date",
    "time",
    "format",
    "config",
    "env",
    "path",
    "directory",
    "walk",
    "hash",
    "crypto",
    "token",
    "encode",
    "decode",
    "base64",
    "compress",
    "archive",
    "docker",
    "container",
    "kubernetes",
    "deploy",
    "query",
    "select",
    "join",
    "index",
    "table",
    "migration",
    "schema",
    "backup",
    "restore",
    "git",
    "branch",
    "rebase",
    "commit",
    "diff",
    "patch",
    "log",
    "trace",
    "metric",
    "benchmark",
    "test",
    "mock",
    "fixture",
    "error",
    "result",
    "option",
    "iterator",
    "closure",
    "lambda",
    "decorator",
    "generator",
];
const LANGS: &[&str] = &[
    "rust",
    "python",
    "javascript",
    "shell",
    "sql",
    "go",
    "c",
    "typescript",
];

/// Deterministic generator so runs are comparable.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn word(&mut self) -> &'static str {
        WORDS[self.next() % WORDS.len()]
    }
}

fn generate(i: usize, rng: &mut Lcg) -> NewSnippet {
    let lang = LANGS[rng.next() % LANGS.len()];
    let title = format!("{} {} {}", rng.word(), rng.word(), rng.word());
    let lines = 5 + rng.next() % 30;
    let mut content = String::new();
    for l in 0..lines {
        content.push_str(&format!(
            "{}_{}({}, {}); // {} {}\n",
            rng.word(),
            l,
            rng.word(),
            rng.word(),
            rng.word(),
            i
        ));
    }
    NewSnippet {
        title,
        description: format!("{} the {} with {}.", rng.word(), rng.word(), rng.word()),
        tags: (0..1 + rng.next() % 4)
            .map(|_| rng.word().to_string())
            .collect(),
        language: lang.into(),
        content,
        source: i.is_multiple_of(3).then(|| Source::File {
            path: format!("/home/user/notes/{}/{i}.md", rng.word()).into(),
            start_line: 1,
            end_line: 10,
            block: 0,
        }),
        ..Default::default()
    }
}

/// What the TUI does before its first frame: read the newest page of
/// summaries and draw it (into an off-screen buffer of a typical size).
fn first_frame(lib: &Library) -> anyhow::Result<Duration> {
    use crate::app::{update, AppEvent, AppState};
    use ratatui::{backend::TestBackend, Terminal};
    let t = Instant::now();
    let first = lib.store.recent_summaries(Some(500))?;
    let mut state = AppState::new(false);
    update(&mut state, AppEvent::Resize(120, 40));
    update(&mut state, AppEvent::FirstPage(std::sync::Arc::new(first)));
    let mut hl = crate::ui::Highlighter::new(&lib.config.ui.theme);
    let mut terminal = Terminal::new(TestBackend::new(120, 40))?;
    terminal.draw(|f| crate::ui::draw(f, &state, &mut hl))?;
    Ok(t.elapsed())
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub snippets: usize,
    pub import_store_ms: u128,
    pub import_index_ms: u128,
    pub import_per_sec: f64,
    pub searches: usize,
    pub search_p50_us: u128,
    pub search_p99_us: u128,
    pub search_max_us: u128,
    pub open_ms: u128,
    pub first_frame_ms: u128,
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn rss_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn run(a: BenchArgs) -> anyhow::Result<super::Exit> {
    let root = tempfile::tempdir()?;
    let paths = Paths::under(root.path());
    let mut rng = Lcg(42);
    eprintln!("generating and importing {} snippets…", a.snippets);
    let t = Instant::now();
    {
        let mut lib = Library::open(paths.clone())?;
        let mut i = 0;
        while i < a.snippets {
            let end = (i + 5_000).min(a.snippets);
            lib.store.transaction(|store| {
                for n in i..end {
                    store.insert(&generate(n, &mut rng))?;
                }
                Ok(())
            })?;
            i = end;
        }
        let store_ms = t.elapsed();
        let ti = Instant::now();
        lib.index.sync(&lib.store)?;
        let index_ms = ti.elapsed();
        drop(lib);
        let report_import = (store_ms, index_ms);
        // Startup as a user sees it: open the library cold-ish and draw.
        let t_open = Instant::now();
        let lib = Library::open(paths.clone())?;
        let open = t_open.elapsed();
        let first_frame = first_frame(&lib)? + open;
        eprintln!("timing {} searches…", a.searches);
        let mut times = Vec::with_capacity(a.searches);
        for q in 0..a.searches {
            let query = match q % 5 {
                0 => rng.word().to_string(),
                1 => format!("{} {}", rng.word(), rng.word()),
                // A typo: drop the second letter.
                2 => {
                    let w = rng.word();
                    format!("{}{}", &w[..1], &w[2..])
                }
                3 => format!("{} lang:{}", rng.word(), LANGS[rng.next() % LANGS.len()]),
                _ => format!("tag:{} {}", rng.word(), &rng.word()[..3]),
            };
            let t = Instant::now();
            let hits = lib.index.search(&query, 20)?;
            std::hint::black_box(hits);
            times.push(t.elapsed());
        }
        times.sort();
        let total = report_import.0 + report_import.1;
        let report = BenchReport {
            snippets: a.snippets,
            import_store_ms: report_import.0.as_millis(),
            import_index_ms: report_import.1.as_millis(),
            import_per_sec: a.snippets as f64 / total.as_secs_f64().max(1e-9),
            searches: a.searches,
            search_p50_us: percentile(&times, 0.50).as_micros(),
            search_p99_us: percentile(&times, 0.99).as_micros(),
            search_max_us: times.last().copied().unwrap_or_default().as_micros(),
            open_ms: open.as_millis(),
            first_frame_ms: first_frame.as_millis(),
            rss_mib: rss_mib("VmRSS:"),
            peak_rss_mib: rss_mib("VmHWM:"),
        };
        if a.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!("snippets            {}", report.snippets);
            println!(
                "import              {} ms store + {} ms index ({:.0} snippets/s)",
                report.import_store_ms, report.import_index_ms, report.import_per_sec
            );
            println!(
                "search ({} queries) p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                report.searches,
                report.search_p50_us as f64 / 1000.0,
                report.search_p99_us as f64 / 1000.0,
                report.search_max_us as f64 / 1000.0
            );
            println!("open library        {} ms", report.open_ms);
            println!("start to 1st frame  {} ms", report.first_frame_ms);
            println!(
                "memory              {:.0} MiB resident, {:.0} MiB peak",
                report.rss_mib, report.peak_rss_mib
            );
        }
    }
    Ok(super::Exit::Ok)
}
