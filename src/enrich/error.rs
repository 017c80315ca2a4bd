//! The error type of enrichment.

use std::path::PathBuf;

use crate::model::ModelError;
use crate::store::StoreError;

use super::links::TableError;
use super::prompt::PromptError;
use super::task::Task;
use super::vocab::VocabError;

/// Everything that can stop enrichment.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("no model installed: run `snipdex model fetch` (looked in {})", .models_dir.display())]
    NoModel { models_dir: PathBuf },
    #[error(
        "the model chosen with `snipdex model use` is not installed ({}): run \
         `snipdex model fetch --model {name}`, or `snipdex model use` another",
        .path.display()
    )]
    ChosenModelMissing { path: PathBuf, name: String },
    #[error("cannot load the model {}: {source}", .path.display())]
    Model {
        path: PathBuf,
        #[source]
        source: ModelError,
    },
    #[error("the {task} adapter {} cannot be used: {source}", .file.display())]
    Adapter {
        task: Task,
        file: PathBuf,
        #[source]
        source: ModelError,
    },
    #[error("adapter folder {} does not exist", .0.display())]
    AdapterDirMissing(PathBuf),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    LinkTable(#[from] TableError),
    #[error(transparent)]
    Vocabulary(#[from] VocabError),
    #[error("the snippet does not fit the model's context even when cut to {chars} characters")]
    PromptTooLong { chars: usize },
    #[error("{stage} failed: {source}")]
    Run {
        stage: &'static str,
        #[source]
        source: ModelError,
    },
    #[error("enrichment was cancelled")]
    Cancelled,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the enrichment worker thread: {0}")]
    Thread(#[source] std::io::Error),
}
