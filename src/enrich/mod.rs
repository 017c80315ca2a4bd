//! The app's use of the language model, minus the model: prompts, clean-up of
//! what the model writes, and the link resolver.
//!
//! Everything here is a pure function of its inputs, so the worker that
//! drives the engine stays thin and every rule is unit-tested without model
//! weights:
//!
//! - [`prompt`]: one shared prefix (system message and snippet) plus a short
//!   per-task suffix, so the snippet's KV cache is computed once for all four
//!   tasks.
//! - [`clean`](mod@clean): raw answer to field value, or [`Rejected`] with a reason.
//! - [`links`]: the only code that builds URLs, from imports and API names
//!   found in the snippet (and names the links adapter suggests), through a
//!   table of official documentation sites. A small model would invent URLs;
//!   this cannot.
//!
//! On top of those, the parts that do run the model:
//!
//! - [`engine`]: [`Enricher`], a loaded model with its task adapters
//!   ([`adapters`]), turning a snippet into an [`EnrichOutput`] with one
//!   prefill shared by the four tasks.
//! - [`worker`]: background threads fed by the SQLite job queue, writing
//!   fields back without touching the ones the user locked.
//! - [`jsonl`]: the stable batch interface behind `snipdex enrich --jsonl`.
//! - [`bench`]: timings for `snipdex bench-enrich`.

pub mod adapters;
pub mod bench;
mod bench_samples;
pub mod clean;
pub mod engine;
mod error;
mod job;
pub mod jsonl;
pub mod links;
mod locate;
pub mod prompt;
pub mod task;
#[cfg(test)]
mod testkit;
pub mod truncate;
pub mod vocab;
pub mod worker;

pub use adapters::{shipped_adapters_dir, AdapterSource};
pub use clean::{clean, normalize_tag, Cleaned, Rejected};
pub use engine::{
    max_tokens, BulkItem, EnrichError, EnrichOutput, Enricher, EnricherOptions, TaskRun,
};
pub use links::{load_table, resolve_links, LinkTable, TableError};
pub use locate::{choose_model, installed_model, resolve_choice};
pub use prompt::{load_prompts, prompt_prefix, prompt_suffix, PromptError, Prompts};
pub use task::{ParseTaskError, Task};
pub use truncate::{truncate_code, CodeBudget};
pub use vocab::{library_forms, load_vocabulary, VocabError, Vocabulary};
pub use worker::{
    pause_marker, spawn, EnrichEvent, EnrichSink, OffCause, WorkerHandle, WorkerOptions,
    WorkerState,
};

/// What enrichment produced for one snippet; `None` where a task was not run
/// or its output was rejected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Enrichment {
    /// A title of two to six words.
    pub title: Option<String>,
    /// One sentence.
    pub description: Option<String>,
    /// One to six tags: topics from the vocabulary, then libraries the code
    /// uses; never the language.
    pub tags: Option<Vec<String>>,
    /// Documentation URLs built by the link resolver.
    pub links: Option<Vec<String>>,
}

impl Enrichment {
    /// Whether no field was produced.
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.tags.is_none()
            && self.links.is_none()
    }
}
