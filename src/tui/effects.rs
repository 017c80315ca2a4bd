//! Effects that write: clipboard, `$EDITOR`, deletes, tags, samples. Each
//! answers with the events that tell `update` how it went.

use super::clipboard::{osc52, report, CopyEnv, OscResult, Route, SystemResult, OSC52_MAX_BYTES};
use super::runtime::Runtime;
use crate::app::{AppEvent, EditorOutcome};
use crate::domain::{NewSnippet, SnippetId};
use crate::editor::command as editor;
use crate::intake::{Intake, IntakeError, Origin};
use crate::store::SnippetPatch;
use std::path::Path;
use std::process::ExitStatus;

fn user_editor() -> Vec<String> {
    editor::editor_command(std::env::var_os("VISUAL"), std::env::var_os("EDITOR"))
}

impl Runtime<'_> {
    pub(super) fn copy(&mut self, id: SnippetId) -> AppEvent {
        let snippet = match self.store.get(id) {
            Ok(s) => s,
            Err(e) => return AppEvent::Error(format!("Cannot copy: {e}")),
        };
        // Looked up at each copy: tmux options may change while we run.
        let env = CopyEnv::detect();
        let system = if env.display {
            match self.clipboard.set(&snippet.content) {
                Ok(()) => SystemResult::Copied,
                Err(e) => SystemResult::Failed(e),
            }
        } else {
            SystemResult::NoDisplay
        };
        let osc = if !self.osc52 {
            OscResult::Off
        } else if snippet.content.len() > OSC52_MAX_BYTES {
            OscResult::NotSent("too large for OSC 52".into())
        } else {
            let route = env.route();
            match osc52(&snippet.content, &route) {
                None => match route {
                    Route::Blocked(why) => OscResult::NotSent(why),
                    _ => OscResult::NotSent("OSC 52 unavailable".into()),
                },
                Some(seq) => match self.session.write_raw(seq.as_bytes()) {
                    Ok(()) => OscResult::Sent(route),
                    Err(e) => OscResult::NotSent(format!("writing OSC 52 failed: {e}")),
                },
            }
        };
        let lines = snippet.content.lines().count().max(1);
        let (ok, detail) = report(lines, &system, &osc, env.ssh, snippet.has_secrets());
        AppEvent::Copied { ok, detail }
    }

    /// Run the editor with the terminal handed over.
    fn run_editor(&mut self, cmd: &[String], args: &[String]) -> Result<ExitStatus, AppEvent> {
        match self.suspended(|| editor::run(cmd, args)) {
            Ok(Ok(status)) => Ok(status),
            Ok(Err(e)) => Err(AppEvent::Error(format!(
                "Cannot start the editor {}: {e}. Set $EDITOR.",
                cmd.first().map_or("", String::as_str)
            ))),
            Err(e) => Err(AppEvent::Error(format!(
                "Terminal error around the editor: {e}"
            ))),
        }
    }

    pub(super) fn edit(&mut self, id: SnippetId) -> AppEvent {
        let snippet = match self.store.get(id) {
            Ok(s) => s,
            Err(e) => return AppEvent::Error(format!("Cannot edit: {e}")),
        };
        let cmd = user_editor();
        let owner = match self.store.owning_file(&snippet) {
            Ok(owner) => owner,
            Err(e) => return AppEvent::Error(format!("Cannot edit: {e}")),
        };
        if let Some((path, start_line)) = &owner {
            // The file owns a file-backed snippet's content: edit it there,
            // and let the watcher bring the change in.
            if !path.is_file() {
                return AppEvent::Error(format!("{} no longer exists.", path.display()));
            }
            let args = editor::open_args(&cmd, path, Some(*start_line));
            return match self.run_editor(&cmd, &args) {
                Ok(s) if s.success() => {
                    AppEvent::EditorDone(EditorOutcome::OpenedFile(path.clone()))
                }
                Ok(s) => AppEvent::EditorDone(EditorOutcome::Aborted(s.code())),
                Err(ev) => ev,
            };
        }
        let ext = editor::extension_for(&snippet.language);
        let edited = match self.edit_text(&cmd, &editor::for_editing(&snippet.content), ext) {
            Ok(text) => editor::from_editing(&snippet.content, &text),
            Err(ev) => return ev,
        };
        if edited == snippet.content {
            return AppEvent::EditorDone(EditorOutcome::Unchanged);
        }
        if edited.trim().is_empty() {
            return AppEvent::Error(
                "The editor returned empty text; the snippet was kept (d deletes it).".into(),
            );
        }
        let patch = SnippetPatch {
            content: Some(edited),
            ..SnippetPatch::default()
        };
        match self.intake.edit(self.store, id, patch) {
            Ok(_) => AppEvent::EditorDone(EditorOutcome::Saved(id)),
            Err(e) => AppEvent::Error(format!("Cannot save the snippet: {e}")),
        }
    }

    pub(super) fn new_snippet(&mut self) -> AppEvent {
        let cmd = user_editor();
        let text = match self.edit_text(&cmd, "", "txt") {
            Ok(text) => text,
            Err(ev) => return ev,
        };
        if text.trim().is_empty() {
            return AppEvent::EditorDone(EditorOutcome::Unchanged);
        }
        let content = text.trim_end_matches(['\n', '\r']).to_string();
        let new = NewSnippet {
            content,
            ..NewSnippet::default()
        };
        match self.intake.add(self.store, new, Origin::User) {
            Ok((s, _)) => AppEvent::EditorDone(EditorOutcome::Created(s.id)),
            Err(IntakeError::Refused(why)) => {
                AppEvent::Error(format!("The new snippet was not saved: {why}."))
            }
            Err(IntakeError::Store(e)) => {
                AppEvent::Error(format!("Cannot save the new snippet: {e}"))
            }
        }
    }

    /// Edit `text` in a temporary file; the error is the event that says
    /// why nothing came back.
    fn edit_text(&mut self, cmd: &[String], text: &str, ext: &str) -> Result<String, AppEvent> {
        let io_err =
            |e: std::io::Error| AppEvent::Error(format!("Cannot prepare a file to edit: {e}"));
        let file = tempfile::Builder::new()
            .prefix("snipdex-")
            .suffix(&format!(".{ext}"))
            .tempfile()
            .map_err(io_err)?;
        std::fs::write(file.path(), text).map_err(io_err)?;
        let status = self.run_editor(cmd, &[file.path().to_string_lossy().into_owned()])?;
        if !status.success() {
            return Err(AppEvent::EditorDone(EditorOutcome::Aborted(status.code())));
        }
        read_back(file.path())
    }

    pub(super) fn delete(&mut self, id: SnippetId) -> Vec<AppEvent> {
        let title = self
            .state
            .by_id
            .get(&id)
            .and_then(|&i| self.state.summaries.get(i))
            .map(|s| s.title.clone())
            .unwrap_or_else(|| format!("#{id}"));
        let mut events = match self.store.delete(id) {
            Ok(true) => vec![AppEvent::Status(format!("Deleted “{title}”."))],
            Ok(false) => vec![AppEvent::Status(format!("“{title}” was already gone."))],
            Err(e) => return vec![AppEvent::Error(format!("Cannot delete: {e}"))],
        };
        events.extend(self.reload());
        events
    }

    pub(super) fn set_tags(&mut self, id: SnippetId, tags: Vec<String>) -> Vec<AppEvent> {
        let patch = SnippetPatch {
            tags: Some(tags),
            ..SnippetPatch::default()
        };
        let mut events = match self.intake.edit(self.store, id, patch) {
            Ok(s) if s.tags.is_empty() => vec![AppEvent::Status("Tags cleared.".into())],
            Ok(s) => vec![AppEvent::Status(format!("Tags: {}", s.tags.join(", ")))],
            Err(e) => return vec![AppEvent::Error(format!("Cannot save tags: {e}"))],
        };
        events.extend(self.reload());
        events
    }

    pub(super) fn load_samples(&mut self) -> Vec<AppEvent> {
        let samples = match self.samples.map(|p| p()) {
            Some(Ok(samples)) => samples,
            Some(Err(e)) => {
                return vec![
                    AppEvent::SamplesLoaded(0),
                    AppEvent::Error(format!("Cannot make the sample snippets: {e}")),
                ]
            }
            None => Vec::new(),
        };
        let (added, mut events) = add_samples(&self.intake, self.store, samples);
        events.insert(0, AppEvent::SamplesLoaded(added));
        if added > 0 {
            // Their jobs are queued; let a waiting worker see them.
            events.extend(self.announce_queued());
        }
        events
    }
}

fn read_back(path: &Path) -> Result<String, AppEvent> {
    std::fs::read(path)
        .map_err(|e| AppEvent::Error(format!("Cannot read the edited file back: {e}")))
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| AppEvent::Error("The edited text is not UTF-8; nothing saved.".into()))
        })
}

/// Add the samples through the write path (each with its enrichment job);
/// how many were added, and the error that stopped it.
fn add_samples(
    intake: &Intake,
    store: &crate::store::Store,
    samples: Vec<NewSnippet>,
) -> (usize, Vec<AppEvent>) {
    let mut added = 0;
    for sample in samples {
        if let Err(e) = intake.add(store, sample, Origin::Sample) {
            return (
                added,
                vec![AppEvent::Error(format!("Cannot add a sample: {e}"))],
            );
        }
        added += 1;
    }
    (added, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::tests::{break_job_queue, ON};
    use crate::store::Store;

    #[test]
    fn loading_the_samples_queues_their_enrichment_with_each_row() {
        let samples: Vec<NewSnippet> = crate::ingest::sample_snippets()
            .unwrap()
            .into_iter()
            .map(|s| NewSnippet {
                title: s.title,
                content: s.content,
                language: s.language,
                ..Default::default()
            })
            .collect();
        let store = Store::open_in_memory().unwrap();
        let (added, events) = add_samples(&ON, &store, samples.clone());
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(added, samples.len());
        assert_eq!(store.job_count().unwrap(), added as i64);

        let broken = Store::open_in_memory().unwrap();
        break_job_queue(&broken);
        let (added, events) = add_samples(&ON, &broken, samples);
        assert_eq!((added, events.len()), (0, 1));
        assert_eq!(broken.count().unwrap(), 0);
    }
}
