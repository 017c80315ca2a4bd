//! The error type of training and evaluation.

use std::path::PathBuf;

use crate::enrich::{PromptError, Task};
use crate::model::ModelError;

/// Everything that can stop a training or evaluation run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A data line that is not a JSON object of the row schema. Training
    /// data is produced by tools, so a broken line means a broken tool and is
    /// not skipped silently.
    #[error("{path}:{line}: not a training row: {source}")]
    BadRow {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },

    #[error("{path} has no usable rows for the {task} task ({reason})")]
    NoRows {
        path: PathBuf,
        task: Task,
        reason: String,
    },

    #[error("invalid training settings: {0}")]
    Settings(String),

    #[error("checkpoint {path}: {reason}")]
    Checkpoint { path: PathBuf, reason: String },

    /// The caller asked to stop; a checkpoint holds the progress.
    #[error("training stopped after update {step}; the checkpoint can be resumed")]
    Stopped { step: usize },

    #[error("training diverged at step {step}: the loss is {loss}")]
    Diverged { step: usize, loss: f32 },

    #[error(transparent)]
    Model(#[from] ModelError),

    #[error(transparent)]
    Prompt(#[from] PromptError),

    #[error(transparent)]
    Candle(#[from] candle_core::Error),
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn checkpoint(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::Checkpoint {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
