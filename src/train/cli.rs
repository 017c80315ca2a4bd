//! The trainer's command-line arguments: `snipdex dataset`, `label`,
//! `train` and `eval`. The product's CLI (`crate::cli`) takes them in
//! whole, as [`TrainerCommand`].

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The trainer's subcommands, flattened into `snipdex`'s own.
#[derive(Debug, Subcommand)]
pub enum TrainerCommand {
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
    /// Arithmetic of the weight products, for diagnosing score changes
    /// between kernels (dev rows only; enrichment always uses `kernel`).
    #[arg(long, value_enum, default_value_t = Precision::Kernel)]
    pub precision: Precision,
    /// Regenerate every row under this precision too and report, for each
    /// answer that changes, the first differing token and both candidates'
    /// logits under each precision (dev rows only).
    #[arg(long, value_enum, value_name = "PRECISION")]
    pub explain_against: Option<Precision>,
    #[command(flatten)]
    pub model: TrainModelArgs,
}

/// The arithmetic of `snipdex eval --precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Precision {
    /// What enrichment runs: the Q8_0 kernel (activations rounded to 8 bits
    /// per 32 values) where the CPU has it, candle's kernels elsewhere.
    Kernel,
    /// Chunks of 32 tokens or more (the snippet's prefill) in f32 with
    /// exact activations, as before the Q8_0 kernel; short chunks and
    /// decoding as `kernel`.
    F32Prefill,
    /// Every weight product in f32: the reference.
    F32,
}

impl Precision {
    pub fn mode(self) -> crate::model::ForwardMode {
        use crate::model::ForwardMode;
        match self {
            Self::Kernel => ForwardMode::default(),
            Self::F32Prefill => ForwardMode::ExactFrom { min_rows: 32 },
            Self::F32 => ForwardMode::ExactFrom { min_rows: 1 },
        }
    }
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
