//! The error type of the model engine.

use std::path::PathBuf;

/// Everything that can go wrong while fetching, loading or running a model.
///
/// Variants carry enough context (paths, tensor names, shapes) for a user to
/// see what is wrong without a debugger; tensor maths errors from candle are
/// wrapped as [`ModelError::Candle`].
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not a readable GGUF model: {reason}")]
    InvalidModel { path: PathBuf, reason: String },

    #[error("{path} is truncated: it has {actual} bytes but its tensors need {expected}")]
    Truncated {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },

    #[error("unsupported model architecture {found:?} (supported: \"llama\", \"qwen2\")")]
    UnsupportedArchitecture { found: String },

    #[error("model metadata {key:?} is missing or has the wrong type")]
    MissingMetadata { key: String },

    #[error("model metadata is inconsistent: {0}")]
    InvalidConfig(String),

    #[error("model tensor {name:?} is missing")]
    MissingTensor { name: String },

    #[error("tensor {name:?} has shape {found:?}, expected {expected:?}")]
    TensorShape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    #[error("tokenizer: {0}")]
    Tokenizer(String),

    #[error("token id {id} is outside the vocabulary (size {vocab})")]
    TokenOutOfRange { id: u32, vocab: usize },

    #[error("sequence of {needed} tokens exceeds the context window of {max}")]
    ContextOverflow { needed: usize, max: usize },

    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    #[error("adapter {path}: {reason}")]
    AdapterConfig { path: PathBuf, reason: String },

    #[error(
        "adapter tensor {tensor:?} has shape {found:?}, the base model needs {expected:?} \
         (an adapter made for another base model?)"
    )]
    AdapterShape {
        tensor: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },

    #[error("adapter tensor {tensor:?}: {reason}")]
    AdapterTensor { tensor: String, reason: String },

    #[error("checksum mismatch for {path}: expected sha256 {expected}, got {actual}")]
    ChecksumMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },

    #[error("{path} is not {expected}: it is {found}")]
    NotTheModel {
        path: PathBuf,
        expected: String,
        found: String,
    },

    #[error(
        "adapter {path} was made for the base model {adapter_base}, not for {model}: \
         use adapters made for {model} (adapters/<model>/<task>/), or --no-adapters"
    )]
    AdapterBase {
        path: PathBuf,
        adapter_base: String,
        model: String,
    },

    #[error("could not fetch the model: hub: {hub}; fallback: {fallback}")]
    Fetch { hub: String, fallback: String },

    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl ModelError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias used throughout the model engine.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;
