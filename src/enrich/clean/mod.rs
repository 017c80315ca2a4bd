//! Turning raw model output into field values, or rejecting it.
//!
//! A 135M model with a LoRA adapter answers well most of the time, but now
//! and then it rambles, echoes the snippet, repeats the prompt or emits byte
//! junk. Each task's clean-up keeps the part worth storing and rejects the
//! rest with a reason for the log, so that the worker can leave the field
//! empty (or retry) instead of storing garbage.

mod description;
mod names;
mod tags;
mod text;
mod title;

use std::borrow::Cow;

pub use description::{clean_description, MAX_DESCRIPTION_WORDS, MIN_DESCRIPTION_WORDS};
pub use names::{clean_link_names, MAX_NAMES};
pub use tags::{
    answer_tags, clean_tags, clean_topic_tags, is_language_tag, normalize_tag, TagContext,
    MAX_LIBRARY_TAGS, MAX_TAGS, MAX_TAG_CHARS, MAX_TOPICS, MIN_TAGS,
};
pub use title::{clean_title, clean_title_for_file, MAX_TITLE_WORDS, MIN_TITLE_WORDS};

use super::task::Task;

/// Model output that cannot be used; `reason` says why, for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model output rejected: {reason}")]
pub struct Rejected {
    reason: Cow<'static, str>,
}

impl Rejected {
    pub(crate) fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// Why the output was rejected.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// A cleaned value, shaped by its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleaned {
    /// From [`Task::Title`].
    Title(String),
    /// From [`Task::Description`].
    Description(String),
    /// From [`Task::Tags`].
    Tags(Vec<String>),
    /// From [`Task::Links`]: names for the link resolver, not URLs.
    LinkNames(Vec<String>),
}

/// Cleans `raw`, the model's answer to `task` about `code`.
pub fn clean(task: Task, raw: &str, code: &str) -> Result<Cleaned, Rejected> {
    match task {
        Task::Title => clean_title(raw, code).map(Cleaned::Title),
        Task::Description => clean_description(raw, code).map(Cleaned::Description),
        Task::Tags => clean_tags(raw).map(Cleaned::Tags),
        Task::Links => clean_link_names(raw).map(Cleaned::LinkNames),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_follows_the_task() {
        let code = "print('hi')\n";
        assert_eq!(
            clean(Task::Title, "Print a greeting", code),
            Ok(Cleaned::Title("Print greeting".to_owned()))
        );
        assert_eq!(
            clean(Task::Description, "prints a greeting to stdout", code),
            Ok(Cleaned::Description(
                "Prints a greeting to stdout.".to_owned()
            ))
        );
        assert_eq!(
            clean(Task::Tags, "python, printing, hello-world", code),
            Ok(Cleaned::Tags(vec![
                "python".to_owned(),
                "printing".to_owned(),
                "hello-world".to_owned()
            ]))
        );
        assert_eq!(
            clean(Task::Links, "print", code),
            Ok(Cleaned::LinkNames(vec!["print".to_owned()]))
        );
        let err = clean(Task::Tags, "code, snippet", code).unwrap_err();
        assert!(err.to_string().starts_with("model output rejected: "));
    }
}
