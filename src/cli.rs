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
        4 bad input, 5 library unavailable (locked, damaged or too new), 10 other failure."
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
    /// Measure import, search and startup speed on generated data.
    Bench(BenchArgs),
    /// Label training rows with a teacher LLM behind an OpenAI-compatible
    /// endpoint (resumable; appends to --out).
    Label(LabelArgs),
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
    /// Words, "phrases", tag:X, lang:X, path:X, -tag:X.
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
    pub id: i64,
    /// Replace all tags with these.
    pub set: Vec<String>,
    #[arg(long, short)]
    pub add: Vec<String>,
    #[arg(long, short)]
    pub remove: Vec<String>,
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
pub struct LabelArgs {
    /// OpenAI-compatible server: its root, its `/v1` base or the full chat
    /// completions URL.
    #[arg(long)]
    pub endpoint: String,
    /// Model name sent to the endpoint and recorded with every label.
    #[arg(long)]
    pub model: String,
    /// Dataset JSONL (from `snipdex dataset`).
    #[arg(long)]
    pub data: PathBuf,
    /// Labels JSONL. Appended to: a rerun skips ids already labelled.
    /// Rows that fail go to `<out>.failures.jsonl` and are retried next run.
    #[arg(long)]
    pub out: PathBuf,
    /// Name of the environment variable that holds the API key (the key
    /// itself never goes on the command line).
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// Label at most this many new rows in this run.
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,
    /// Do not send `response_format: json_object`, for servers that reject it.
    #[arg(long)]
    pub no_json_mode: bool,
}
