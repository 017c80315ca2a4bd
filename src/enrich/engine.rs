//! The four tasks run on a loaded model: one prefill of the snippet, then
//! each task's adapter over its own short suffix.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::domain::Provenance;
use crate::model::{
    Adapter, BatchTask, FinishReason, ForwardMode, GenerateOptions, Generation, KvCache,
    LoadOptions, Model,
};
use crate::paths::Paths;

use super::adapters::{load_task_adapter, AdapterSource, TaskAdapter};
use super::clean::{clean, clean_title_for_file, clean_topic_tags, Cleaned, Rejected, TagContext};
pub use super::error::EnrichError;
use super::links::{load_table, LinkTable, MAX_LINKS};
use super::prompt::{load_prompts, Prompts};
use super::task::Task;
use super::truncate::CodeBudget;
use super::vocab::{load_vocabulary, Vocabulary};
use super::Enrichment;

/// Token budget of each task's answer; the clean-up rules cap the fields
/// well below these, so a longer answer is rambling.
pub fn max_tokens(task: Task) -> usize {
    match task {
        Task::Title => 16,
        Task::Description => 48,
        Task::Tags => 24,
        Task::Links => 24,
    }
}

/// Tunables of [`Enricher::load_with`].
#[derive(Debug, Clone, Default)]
pub struct EnricherOptions {
    /// Kernel choice. [`ForwardMode::Differentiable`] (dense f32 kernels)
    /// makes the shared and the unshared paths agree bit for bit; candle's
    /// quantized kernels round a row differently depending on how many rows
    /// share its chunk, which can flip a near-tie between two tokens.
    pub mode: ForwardMode,
    /// Folder of prompt template overrides (`system.txt`, `title.txt`, ...).
    pub prompts_dir: Option<PathBuf>,
    /// A user's doc-link table laid over the embedded one.
    pub link_table: Option<PathBuf>,
    /// A user's tag vocabulary laid over the embedded one.
    pub vocabulary: Option<PathBuf>,
    /// How much of a snippet goes into the prompt (cut further when the
    /// model's context is smaller).
    pub budget: CodeBudget,
}

impl EnricherOptions {
    /// Defaults plus the user's overrides in the config folder.
    pub fn for_paths(paths: &Paths) -> Self {
        Self {
            prompts_dir: Some(paths.prompts_dir()),
            link_table: Some(paths.link_table_file()),
            vocabulary: Some(paths.vocabulary_file()),
            ..Self::default()
        }
    }
}

/// One task's answer before and after clean-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRun {
    pub task: Task,
    /// Generated tokens (the stop token excluded).
    pub tokens: Vec<u32>,
    /// The decoded answer as the model wrote it.
    pub raw: String,
    pub finish: FinishReason,
    /// Why the answer was not used, if it was not.
    pub rejected: Option<String>,
    /// Time spent decoding it; tasks decoded side by side report the
    /// batch's time.
    pub ms: u64,
}

/// What one snippet's enrichment produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichOutput {
    /// The language the prompt named (given, or detected).
    pub language: String,
    /// Cleaned fields; `None` where a task was not run or was rejected.
    pub fields: Enrichment,
    /// One entry per task run, in run order.
    pub runs: Vec<TaskRun>,
    pub prefix_tokens: usize,
    pub prefill_ms: u64,
    pub total_ms: u64,
}

impl EnrichOutput {
    /// Tasks whose answer was rejected, with the reason.
    pub fn rejected(&self) -> impl Iterator<Item = (Task, &str)> {
        self.runs
            .iter()
            .filter_map(|r| r.rejected.as_deref().map(|why| (r.task, why)))
    }
}

/// One snippet of [`Enricher::enrich_bulk`].
#[derive(Debug, Clone, Copy)]
pub struct BulkItem<'a> {
    pub code: &'a str,
    pub language: Option<&'a str>,
    pub file_name: Option<&'a str>,
    pub tasks: &'a [Task],
}

/// A snippet read and ready for its tasks.
struct Prefilled {
    language: String,
    prefix_tokens: usize,
    suffixes: Vec<Vec<u32>>,
    cache: KvCache,
    prefill_ms: u64,
}

/// A loaded model with its task adapters, prompts and doc-link table.
#[derive(Debug)]
pub struct Enricher {
    model: Model,
    adapters: Vec<(Task, TaskAdapter)>,
    prompts: Prompts,
    links: LinkTable,
    vocabulary: Vocabulary,
    budget: CodeBudget,
    model_label: String,
}

impl Enricher {
    /// Loads the model at `model_path` and each task's adapter from
    /// `adapters`, with the default options.
    pub fn load(model_path: &Path, adapters: &AdapterSource) -> Result<Self, EnrichError> {
        Self::load_with(model_path, adapters, &EnricherOptions::default())
    }

    pub fn load_with(
        model_path: &Path,
        adapters: &AdapterSource,
        opts: &EnricherOptions,
    ) -> Result<Self, EnrichError> {
        let prompts = load_prompts(opts.prompts_dir.as_deref())?;
        let links = load_table(opts.link_table.as_deref())?;
        let vocabulary = load_vocabulary(opts.vocabulary.as_deref())?;
        let model =
            Model::load_with(model_path, &LoadOptions { mode: opts.mode }).map_err(|source| {
                EnrichError::Model {
                    path: model_path.to_path_buf(),
                    source,
                }
            })?;
        let mut loaded = Vec::new();
        let model_name = crate::model::model_name(model_path);
        for task in Task::ALL {
            match adapters.locate(task, &model_name)? {
                Some(dir) => {
                    let adapter = load_task_adapter(task, &dir, model.config())?;
                    tracing::info!(%task, dir = %dir.display(), "loaded adapter");
                    loaded.push((task, adapter));
                }
                None => tracing::info!(%task, "no adapter; running zero-shot"),
            }
        }
        let model_label = model_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        Ok(Self {
            model,
            adapters: loaded,
            prompts,
            links,
            vocabulary,
            budget: opts.budget,
            model_label,
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The tag vocabulary, the user's file included.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The folder `task`'s adapter was loaded from; `None` means zero-shot.
    pub fn adapter_dir(&self, task: Task) -> Option<&Path> {
        self.adapter(task).map(|a| a.dir.as_path())
    }

    fn adapter(&self, task: Task) -> Option<&TaskAdapter> {
        self.adapters
            .iter()
            .find(|(t, _)| *t == task)
            .map(|(_, a)| a)
    }

    /// The adapter `task` runs with; `None` means zero-shot.
    pub fn task_adapter(&self, task: Task) -> Option<&Adapter> {
        self.adapter(task).map(|a| &a.adapter)
    }

    /// The tokens `task` runs on for this snippet: the shared prefix (read
    /// by the base model) and the task's suffix (read with its adapter).
    /// For scoring, training and checks against the engine.
    pub fn task_prompt(
        &self,
        code: &str,
        language: Option<&str>,
        file_name: Option<&str>,
        task: Task,
    ) -> Result<(Vec<u32>, Vec<u32>), EnrichError> {
        let language = resolve_language(code, language, file_name);
        let (prefix, mut suffixes) = self.prompt_tokens(code, &language, file_name, &[task])?;
        Ok((prefix, suffixes.pop().unwrap_or_default()))
    }

    /// What a field written by `task` records as its origin.
    pub fn provenance(&self, task: Task) -> Provenance {
        let (adapter, version) = match self.adapter(task) {
            Some(a) => (task.name().to_owned(), a.version.clone()),
            None => ("none".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
        };
        Provenance::Model {
            model: self.model_label.clone(),
            adapter,
            version,
        }
    }

    /// All four fields of a snippet from one shared prefill.
    pub fn enrich(
        &self,
        code: &str,
        language: Option<&str>,
        file_name: Option<&str>,
    ) -> Result<EnrichOutput, EnrichError> {
        self.enrich_tasks(code, language, file_name, &Task::ALL, None)
    }

    /// `tasks` of a snippet from one shared prefill. `cancel`, checked
    /// between decode steps, ends the work early with
    /// [`EnrichError::Cancelled`].
    pub fn enrich_tasks(
        &self,
        code: &str,
        language: Option<&str>,
        file_name: Option<&str>,
        tasks: &[Task],
        cancel: Option<&AtomicBool>,
    ) -> Result<EnrichOutput, EnrichError> {
        let item = BulkItem {
            code,
            language,
            file_name,
            tasks,
        };
        self.enrich_bulk(&[item], cancel)?
            .pop()
            .unwrap_or(Err(EnrichError::Cancelled))
    }

    /// Several snippets at once (bulk enrichment): one prefill each, then
    /// the tasks of all of them decoded side by side, up to
    /// [`crate::model::MAX_STEP_ROWS`] rows per step. Each snippet's answers
    /// are those [`Enricher::enrich_tasks`] gives for it alone, token for
    /// token. A snippet that cannot be read (a prompt too long, say) gets
    /// its own error; a failing decode or `cancel` fails the whole call.
    /// Each output's `total_ms` is the whole call's time.
    pub fn enrich_bulk(
        &self,
        items: &[BulkItem<'_>],
        cancel: Option<&AtomicBool>,
    ) -> Result<Vec<Result<EnrichOutput, EnrichError>>, EnrichError> {
        let started = Instant::now();
        let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
        let mut ready = Vec::with_capacity(items.len());
        for item in items {
            if cancelled() {
                return Err(EnrichError::Cancelled);
            }
            ready.push(self.prefilled(item));
        }
        // The tasks decode side by side, each with its own adapter.
        let options: Vec<Vec<GenerateOptions>> = items
            .iter()
            .map(|item| item.tasks.iter().map(|&t| task_options(t)).collect())
            .collect();
        let mut rows = Vec::new();
        for ((item, r), opts) in items.iter().zip(&ready).zip(&options) {
            let Ok(r) = r else { continue };
            for ((&task, suffix), opts) in item.tasks.iter().zip(&r.suffixes).zip(opts) {
                let task = BatchTask {
                    suffix,
                    adapter: self.adapter(task).map(|a| &a.adapter),
                    opts,
                };
                rows.push((&r.cache, task));
            }
        }
        let decoding = Instant::now();
        let mut go_on = || !cancelled();
        let mut generations = self
            .model
            .generate_rows(&rows, &mut go_on)
            .map_err(|source| EnrichError::Run {
                stage: "writing the fields",
                source,
            })?
            .ok_or(EnrichError::Cancelled)?
            .into_iter();
        let ms = elapsed_ms(decoding);
        let mut outputs = Vec::with_capacity(items.len());
        for (item, r) in items.iter().zip(ready) {
            outputs.push(r.map(|r| {
                let runs = item
                    .tasks
                    .iter()
                    .zip(generations.by_ref())
                    .map(|(&task, generation)| {
                        self.task_run(task, item.code, &r.language, item.file_name, generation, ms)
                    })
                    .collect();
                self.finish(
                    item.code,
                    r.language,
                    runs,
                    r.prefix_tokens,
                    r.prefill_ms,
                    started,
                )
            }));
        }
        Ok(outputs)
    }

    /// A snippet's prompt, and its prefix read by the base model.
    fn prefilled(&self, item: &BulkItem<'_>) -> Result<Prefilled, EnrichError> {
        let started = Instant::now();
        let language = resolve_language(item.code, item.language, item.file_name);
        let (prefix, suffixes) =
            self.prompt_tokens(item.code, &language, item.file_name, item.tasks)?;
        let cache = self
            .model
            .prefill(&prefix)
            .map_err(|source| EnrichError::Run {
                stage: "reading the snippet",
                source,
            })?;
        Ok(Prefilled {
            language,
            prefix_tokens: prefix.len(),
            suffixes,
            cache,
            prefill_ms: elapsed_ms(started),
        })
    }

    /// The same work without sharing: every task reads the whole prompt
    /// again. The reference for the shared path, and its benchmark baseline.
    pub fn enrich_unshared(
        &self,
        code: &str,
        language: Option<&str>,
        file_name: Option<&str>,
    ) -> Result<EnrichOutput, EnrichError> {
        let started = Instant::now();
        let language = resolve_language(code, language, file_name);
        let (prefix, suffixes) = self.prompt_tokens(code, &language, file_name, &Task::ALL)?;
        let mut runs = Vec::with_capacity(Task::ALL.len());
        for (task, suffix) in Task::ALL.into_iter().zip(&suffixes) {
            let prompt: Vec<u32> = prefix.iter().chain(suffix).copied().collect();
            runs.push(
                self.run_task(task, code, &language, file_name, |opts, adapter| {
                    self.model
                        .generate_unshared(&prompt, prefix.len(), adapter, opts)
                })?,
            );
        }
        Ok(self.finish(code, language, runs, prefix.len(), 0, started))
    }

    fn run_task(
        &self,
        task: Task,
        code: &str,
        language: &str,
        file_name: Option<&str>,
        generate: impl FnOnce(&GenerateOptions, Option<&Adapter>) -> crate::model::Result<Generation>,
    ) -> Result<(TaskRun, Option<Cleaned>), EnrichError> {
        let started = Instant::now();
        let opts = task_options(task);
        let adapter = self.adapter(task).map(|a| &a.adapter);
        let generation = generate(&opts, adapter).map_err(|source| EnrichError::Run {
            stage: task_stage(task),
            source,
        })?;
        Ok(self.task_run(
            task,
            code,
            language,
            file_name,
            generation,
            elapsed_ms(started),
        ))
    }

    /// One task's answer, cleaned up (or rejected, with the reason logged).
    /// `ms` is the time its decoding took (shared when tasks decode together).
    fn task_run(
        &self,
        task: Task,
        code: &str,
        language: &str,
        file_name: Option<&str>,
        generation: Generation,
        ms: u64,
    ) -> (TaskRun, Option<Cleaned>) {
        let answer = Answer {
            raw: &generation.text,
            code,
            language,
            file_name,
        };
        let (cleaned, rejected) = match self.clean_answer(task, &answer) {
            Ok(c) => (Some(c), None),
            Err(r) => {
                tracing::info!(%task, reason = r.reason(), raw = %generation.text, "model output rejected");
                (None, Some(r.reason().to_owned()))
            }
        };
        let run = TaskRun {
            task,
            tokens: generation.tokens,
            raw: generation.text,
            finish: generation.finish,
            rejected,
            ms,
        };
        (run, cleaned)
    }

    /// Puts the cleaned answers into fields. Links always come from the
    /// resolver, which works from the code alone when the names were rejected.
    fn finish(
        &self,
        code: &str,
        language: String,
        results: Vec<(TaskRun, Option<Cleaned>)>,
        prefix_tokens: usize,
        prefill_ms: u64,
        started: Instant,
    ) -> EnrichOutput {
        let mut fields = Enrichment::default();
        let mut runs = Vec::with_capacity(results.len());
        for (run, cleaned) in results {
            match (run.task, cleaned) {
                (_, Some(Cleaned::Title(t))) => fields.title = Some(t),
                (_, Some(Cleaned::Description(d))) => fields.description = Some(d),
                (_, Some(Cleaned::Tags(t))) => fields.tags = Some(t),
                (Task::Links, names) => {
                    let names = match names {
                        Some(Cleaned::LinkNames(n)) => n,
                        _ => Vec::new(),
                    };
                    fields.links = Some(self.links.resolve(code, &language, &names, MAX_LINKS));
                }
                _ => {}
            }
            runs.push(run);
        }
        EnrichOutput {
            language,
            fields,
            runs,
            prefix_tokens,
            prefill_ms,
            total_ms: elapsed_ms(started),
        }
    }

    /// The shared prefix and each of `tasks`' suffixes as tokens. The code
    /// is cut further when the model's context is too small for the default
    /// budget, leaving room for every task (not only those asked for), so a
    /// snippet's prefix is the same whichever tasks run.
    fn prompt_tokens(
        &self,
        code: &str,
        language: &str,
        file_name: Option<&str>,
        tasks: &[Task],
    ) -> Result<(Vec<u32>, Vec<Vec<u32>>), EnrichError> {
        let tok = self.model.tokenizer();
        let encode = |text: &str| {
            tok.encode(text).map_err(|source| EnrichError::Run {
                stage: "tokenizing the prompt",
                source,
            })
        };
        let all = Task::ALL
            .iter()
            .map(|&t| encode(&self.prompts.suffix(t)))
            .collect::<Result<Vec<_>, _>>()?;
        let room = Task::ALL
            .iter()
            .zip(&all)
            .map(|(&t, s)| s.len() + max_tokens(t))
            .max()
            .unwrap_or(0);
        let suffixes: Vec<Vec<u32>> = tasks
            .iter()
            .filter_map(|t| Task::ALL.iter().position(|x| x == t))
            .map(|i| all[i].clone())
            .collect();
        let context = self.model.config().context_length;
        let mut budget = self.budget;
        loop {
            let text = self
                .prompts
                .prefix_with_budget(code, language, file_name, budget);
            let prefix = encode(&text)?;
            if prefix.len() + room <= context {
                return Ok((prefix, suffixes));
            }
            // Shrink in proportion to the excess (never by less than an
            // eighth, so this ends quickly) until nothing useful is left.
            let fits = context.saturating_sub(room);
            let scaled = budget.max_chars * fits / prefix.len().max(1);
            let next = scaled.min(budget.max_chars - budget.max_chars / 8);
            if next < 32 {
                return Err(EnrichError::PromptTooLong {
                    chars: budget.max_chars,
                });
            }
            budget.max_chars = next;
        }
    }
}

/// A task's answer and what its clean-up needs to know about the snippet.
struct Answer<'a> {
    raw: &'a str,
    code: &'a str,
    language: &'a str,
    file_name: Option<&'a str>,
}

impl Enricher {
    /// The answer through its task's clean-up: tags through the vocabulary
    /// and the libraries the code uses (the language is never one), titles
    /// checked against the file name.
    fn clean_answer(&self, task: Task, a: &Answer<'_>) -> Result<Cleaned, Rejected> {
        match task {
            Task::Tags => {
                let libraries = self.links.code_libraries(a.code, a.language);
                let cx = TagContext {
                    vocabulary: &self.vocabulary,
                    language: a.language,
                    libraries: &libraries,
                };
                clean_topic_tags(a.raw, &cx).map(Cleaned::Tags)
            }
            Task::Title => clean_title_for_file(a.raw, a.code, a.file_name).map(Cleaned::Title),
            _ => clean(task, a.raw, a.code),
        }
    }
}

/// The given language, else one detected from the file name and content;
/// plain text stays text rather than asking the model.
fn resolve_language(code: &str, language: Option<&str>, file_name: Option<&str>) -> String {
    match language.map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) => l.to_ascii_lowercase(),
        None => crate::ingest::detect_language(file_name.map(Path::new), code),
    }
}

fn task_options(task: Task) -> GenerateOptions {
    GenerateOptions {
        max_tokens: max_tokens(task),
        ..GenerateOptions::default()
    }
}

fn task_stage(task: Task) -> &'static str {
    match task {
        Task::Title => "writing the title",
        Task::Description => "writing the description",
        Task::Tags => "writing the tags",
        Task::Links => "naming the libraries",
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
