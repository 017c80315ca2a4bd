//! Prompt layout for the shared prefill.
//!
//! Every task's prompt is `prefix + suffix`: the prefix (system message and
//! the snippet) is identical for all tasks, so the engine computes its KV
//! cache once with the base model; the suffix closes the user turn with the
//! task's instruction and opens the assistant turn, and is the only part a
//! task's adapter sees (the Activated LoRA layout in DESIGN.md).

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use super::task::Task;
use super::truncate::{truncate_code, CodeBudget};

const IM_START: &str = "<|im_start|>";
const IM_END: &str = "<|im_end|>";
/// Strings the tokenizer turns into single special ids; inside a snippet or a
/// template they would end a turn early or open a forged one.
const SPECIAL_TOKENS: [&str; 3] = [IM_START, IM_END, "<|endoftext|>"];

const DEFAULT_SYSTEM: &str = include_str!("../../assets/prompts/system.txt");
const DEFAULT_TITLE: &str = include_str!("../../assets/prompts/title.txt");
const DEFAULT_DESCRIPTION: &str = include_str!("../../assets/prompts/description.txt");
const DEFAULT_TAGS: &str = include_str!("../../assets/prompts/tags.txt");
const DEFAULT_LINKS: &str = include_str!("../../assets/prompts/links.txt");

/// Longest file name shown to the model; a name is a hint, not content.
const MAX_FILE_NAME_CHARS: usize = 80;
/// Longest fence info string; real language names are far shorter.
const MAX_LANGUAGE_CHARS: usize = 24;

/// A prompt template that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// An override file exists but could not be read.
    #[error("cannot read prompt template {path}")]
    Io {
        /// The template file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// An override file would break the prompt layout.
    #[error("prompt template {path} {reason}")]
    Invalid {
        /// The template file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The system message and the four task instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompts {
    system: Cow<'static, str>,
    instructions: [Cow<'static, str>; 4],
}

impl Default for Prompts {
    fn default() -> Self {
        Self::embedded()
    }
}

impl Prompts {
    /// The templates shipped in `assets/prompts/`.
    pub fn embedded() -> Self {
        Self {
            system: Cow::Borrowed(DEFAULT_SYSTEM.trim()),
            instructions: [
                Cow::Borrowed(DEFAULT_TITLE.trim()),
                Cow::Borrowed(DEFAULT_DESCRIPTION.trim()),
                Cow::Borrowed(DEFAULT_TAGS.trim()),
                Cow::Borrowed(DEFAULT_LINKS.trim()),
            ],
        }
    }

    /// The system message.
    pub fn system(&self) -> &str {
        &self.system
    }

    /// The instruction that invokes `task`.
    pub fn instruction(&self, task: Task) -> &str {
        &self.instructions[task_index(task)]
    }

    /// The shared prefix with the default [`CodeBudget`]; see
    /// [`Prompts::prefix_with_budget`].
    pub fn prefix(&self, code: &str, language: &str, file_name: Option<&str>) -> String {
        self.prefix_with_budget(code, language, file_name, CodeBudget::default())
    }

    /// The system message and a user turn that opens with the snippet in a
    /// code fence. The user turn is left open for [`Prompts::suffix`].
    pub fn prefix_with_budget(
        &self,
        code: &str,
        language: &str,
        file_name: Option<&str>,
        budget: CodeBudget,
    ) -> String {
        let cut = truncate_code(code, budget);
        let body = neutralize_special_tokens(cut.text);
        let fence = fence_for(&body);
        let language = fence_info(language);
        let mut out = String::with_capacity(body.len() + self.system.len() + 128);
        out.push_str(IM_START);
        out.push_str("system\n");
        out.push_str(&self.system);
        out.push_str(IM_END);
        out.push('\n');
        out.push_str(IM_START);
        out.push_str("user\n");
        if let Some(name) = file_name.map(clean_file_name).filter(|n| !n.is_empty()) {
            out.push_str("File: ");
            out.push_str(&name);
            out.push('\n');
        }
        out.push_str(&fence);
        out.push_str(&language);
        out.push('\n');
        if !body.is_empty() {
            out.push_str(&body);
            out.push('\n');
        }
        out.push_str(&fence);
        out.push('\n');
        if cut.is_truncated() {
            let plural = if cut.omitted_lines == 1 { "" } else { "s" };
            out.push_str(&format!(
                "(The snippet is truncated: {} more line{plural} not shown.)\n",
                cut.omitted_lines
            ));
        }
        out
    }

    /// The task invocation: the instruction, the end of the user turn and the
    /// opening of the assistant turn, whose answer the model then writes.
    pub fn suffix(&self, task: Task) -> String {
        format!("{}{IM_END}\n{IM_START}assistant\n", self.instruction(task))
    }
}

/// The shared prefix built from the embedded templates.
pub fn prompt_prefix(code: &str, language: &str, file_name: Option<&str>) -> String {
    Prompts::embedded().prefix(code, language, file_name)
}

/// The task suffix built from the embedded templates.
pub fn prompt_suffix(task: Task) -> String {
    Prompts::embedded().suffix(task)
}

/// The embedded templates, each replaced by `<override_dir>/<name>.txt` where
/// that file exists (`system.txt`, `title.txt`, `description.txt`,
/// `tags.txt`, `links.txt`). A missing directory means no overrides.
pub fn load_prompts(override_dir: Option<&Path>) -> Result<Prompts, PromptError> {
    let mut prompts = Prompts::embedded();
    let Some(dir) = override_dir else {
        return Ok(prompts);
    };
    if let Some(system) = read_override(&dir.join("system.txt"))? {
        prompts.system = Cow::Owned(system);
    }
    for task in Task::ALL {
        let path = dir.join(format!("{}.txt", task.name()));
        if let Some(text) = read_override(&path)? {
            prompts.instructions[task_index(task)] = Cow::Owned(text);
        }
    }
    Ok(prompts)
}

fn read_override(path: &Path) -> Result<Option<String>, PromptError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PromptError::Io {
                path: path.to_owned(),
                source,
            })
        }
    };
    let text = text.trim();
    let invalid = |reason| PromptError::Invalid {
        path: path.to_owned(),
        reason,
    };
    if text.is_empty() {
        return Err(invalid("is empty"));
    }
    if SPECIAL_TOKENS.iter().any(|token| text.contains(token)) {
        return Err(invalid(
            "contains a ChatML special token; the layout adds those itself",
        ));
    }
    Ok(Some(text.to_owned()))
}

fn task_index(task: Task) -> usize {
    match task {
        Task::Title => 0,
        Task::Description => 1,
        Task::Tags => 2,
        Task::Links => 3,
    }
}

/// Breaks special-token strings apart with a zero-width space so that the
/// tokenizer reads them as plain text.
fn neutralize_special_tokens(text: &str) -> Cow<'_, str> {
    if !SPECIAL_TOKENS.iter().any(|token| text.contains(token)) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for token in SPECIAL_TOKENS {
        let broken = token.replacen("<|", "<\u{200b}|", 1);
        out = out.replace(token, &broken);
    }
    Cow::Owned(out)
}

/// A fence longer than any backtick run in the code, so Markdown inside a
/// snippet cannot close it.
fn fence_for(code: &str) -> String {
    let longest_run = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest_run.max(2) + 1)
}

fn fence_info(language: &str) -> String {
    language
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '-' | '_' | '.'))
        .take(MAX_LANGUAGE_CHARS)
        .collect::<String>()
        .to_ascii_lowercase()
}

fn clean_file_name(name: &str) -> String {
    let printable: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    neutralize_special_tokens(printable.trim()).into_owned()
}

#[cfg(test)]
#[path = "prompt_tests.rs"]
mod tests;
