//! Making task adapters: training data rows, the LoRA trainer, evaluation
//! and its metrics.
//!
//! # Layout
//!
//! Training uses exactly the prompt layout of inference
//! ([`crate::enrich::Prompts`]):
//! `[system + snippet][task invocation + answer + <|im_end|>]`.
//! By default the adapter acts only from the invocation on
//! (the "activated LoRA" idea in the design notes): the prefix's keys and
//! values come from the base model, computed without gradient, and only the
//! short suffix is back-propagated. The loss is the mean cross-entropy of the
//! answer tokens, the closing `<|im_end|>` included, so the adapter also
//! learns when to stop. [`TrainSettings::standard`] switches to classic LoRA
//! over the whole prompt, for comparison.
//!
//! # Files
//!
//! An output folder holds the adapter in PEFT's layout
//! (`adapter_config.json`, `adapter_model.safetensors`), a `README.md` with
//! data, settings, timing and evaluation, and while training runs a
//! `checkpoint/` folder from which `--resume` continues bit for bit.
//!
//! # The boundary
//!
//! The trainer is its own part of the crate: the snippet manager never
//! uses it. Its command-line arguments ([`cli`]) and handlers
//! (`commands`) live here too, and the binary reaches all of it through
//! two names only: [`cli::TrainerCommand`], flattened into `snipdex`'s
//! subcommands, and [`run`]. A reader of the product can skip this folder.
//!
//! # Modules
//!
//! - [`dataset`]: harvesting training snippets from real packages, and
//!   joining them with teacher labels.
//! - [`label`]: teacher labels from a larger model behind an
//!   OpenAI-compatible endpoint.
//! - [`data`]: the JSONL row schema and per-task targets.
//! - [`metrics`]: ROUGE-L, CodeXGLUE's smoothed BLEU-4, tag and link scores.
//! - [`trainer`]: the training loop, [`optim`] its optimiser and schedule,
//!   `checkpoint` its resumable state.
//! - [`eval`]: generation over a data split and the task's metrics.
//! - [`rules`]: the evaluation rules (splits, one test score per release).

mod checkpoint;
pub mod cli;
mod commands;
pub mod data;
pub mod dataset;
mod diverge;
mod encode;
mod error;
pub mod eval;
pub mod label;
pub mod metrics;
pub mod optim;
mod readme;
pub mod rules;
mod settings;
pub mod split;
pub mod trainer;

pub use data::{load_rows, Dataset, Row, SkipCounts};
pub use diverge::{explain, Divergence, Explanation};
pub use encode::{encode_example, EncodedExample};
pub use error::TrainError;
pub use eval::{evaluate, EvalOptions, EvalReport, Prediction, Scores};
pub use readme::{write_readme, ReadmeContext};
pub use settings::{
    StepReport, TrainLength, TrainOutcome, TrainSettings, DEFAULT_BASE_MODEL, DEFAULT_TARGETS,
};
pub use trainer::train;

use crate::exit::CmdResult;
use crate::paths::Paths;
use cli::TrainerCommand;

/// Run one of the trainer's commands: `snipdex dataset`, `label`, `train`
/// or `eval`.
pub fn run(paths: Paths, command: TrainerCommand) -> CmdResult {
    match command {
        TrainerCommand::Dataset(a) => commands::dataset::run(a),
        TrainerCommand::Label(a) => commands::label::label(a),
        TrainerCommand::Train(a) => commands::train::train(paths, a),
        TrainerCommand::Eval(a) => commands::train::eval(paths, a),
    }
}

#[cfg(test)]
mod tests;
