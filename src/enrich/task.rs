//! The four enrichment tasks and their names.

use std::fmt;
use std::str::FromStr;

/// One thing the model writes about a snippet; each has its own LoRA adapter
/// and its own prompt suffix, and all share the snippet prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Task {
    /// A concise title of two to six words.
    Title,
    /// One sentence saying what the snippet does.
    Description,
    /// One to three topics from the tag vocabulary (libraries the code uses
    /// are added from the code).
    Tags,
    /// Names of the libraries and APIs used, for the link resolver.
    Links,
}

impl Task {
    /// Every task, in the order the worker runs them.
    pub const ALL: [Task; 4] = [Task::Title, Task::Description, Task::Tags, Task::Links];

    /// Every task, in the order the worker runs them.
    pub fn all() -> [Task; 4] {
        Self::ALL
    }

    /// The stable name used in file names (adapters, prompt templates), the
    /// job table and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Task::Title => "title",
            Task::Description => "description",
            Task::Tags => "tags",
            Task::Links => "links",
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A task name that is not one of [`Task::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown enrichment task {0:?} (expected title, description, tags or links)")]
pub struct ParseTaskError(pub String);

impl FromStr for Task {
    type Err = ParseTaskError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Task::ALL
            .into_iter()
            .find(|task| task.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ParseTaskError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str() {
        for task in Task::all() {
            assert_eq!(task.name().parse::<Task>(), Ok(task));
            assert_eq!(task.to_string(), task.name());
        }
    }

    #[test]
    fn parsing_ignores_case_and_surrounding_space() {
        assert_eq!(" Tags ".parse::<Task>(), Ok(Task::Tags));
        assert_eq!("DESCRIPTION".parse::<Task>(), Ok(Task::Description));
    }

    #[test]
    fn unknown_names_are_errors() {
        let err = "summary".parse::<Task>().unwrap_err();
        assert_eq!(err, ParseTaskError("summary".to_owned()));
        assert!(err.to_string().contains("summary"));
        assert!("".parse::<Task>().is_err());
    }
}
