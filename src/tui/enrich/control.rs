//! The UI's hold on the enrichment worker and the model download: the IO
//! side of the enrichment effects.

use crate::app::AppEvent;
use crate::domain::{Field, SnippetId};
use crate::enrich::worker::MAX_ATTEMPTS;
use crate::enrich::{installed_model, pause_marker, WorkerHandle};
use crate::model::{fetch_model, FetchEvent, FetchOptions};
use crate::paths::Paths;
use crate::store::{Store, StoreError};
use std::path::PathBuf;
use std::sync::mpsc::Sender;

/// The file whose presence says the user turned down the model download
/// offer, so that it is not shown again.
pub fn declined_marker(paths: &Paths) -> PathBuf {
    paths.model_declined_marker()
}

/// Controls the enrichment worker the caller started for the TUI. Dropping
/// it stops the worker.
#[derive(Debug)]
pub struct EnrichControl {
    worker: WorkerHandle,
    pause_marker: PathBuf,
    declined_marker: PathBuf,
    models_dir: PathBuf,
}

impl EnrichControl {
    pub fn new(worker: WorkerHandle, paths: &Paths) -> EnrichControl {
        EnrichControl {
            worker,
            pause_marker: pause_marker(paths),
            declined_marker: declined_marker(paths),
            models_dir: paths.models_dir(),
        }
    }

    pub fn is_paused(&self) -> bool {
        self.worker.is_paused()
    }

    /// Pause after the current snippet, or resume. The choice outlives this
    /// run through the pause marker, which the worker writes; an error says
    /// the marker could not be changed (the worker still obeys this run).
    pub fn set_paused(&self, paused: bool) -> std::io::Result<()> {
        if paused {
            self.worker.pause();
        } else {
            self.worker.resume();
        }
        if self.pause_marker.exists() == paused {
            return Ok(());
        }
        // The worker only logs a failed write; try once more here to get
        // an error worth showing.
        if paused {
            std::fs::write(&self.pause_marker, b"")
        } else {
            std::fs::remove_file(&self.pause_marker)
        }
    }

    /// New jobs were queued or a model was installed: look now.
    pub fn wake(&self) {
        self.worker.wake();
    }

    pub fn model_installed(&self) -> bool {
        installed_model(&self.models_dir).is_ok()
    }

    pub fn offer_declined(&self) -> bool {
        self.declined_marker.exists()
    }

    /// Remember that the user does not want the model offered again.
    pub fn decline_offer(&self) -> std::io::Result<()> {
        if let Some(dir) = self.declined_marker.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&self.declined_marker, b"")
    }

    /// Download and install the model on a background thread, reporting as
    /// [`AppEvent::ModelFetch`] and, at the end, [`FetchEvent::Installed`]
    /// or [`AppEvent::ModelFetchFailed`]. The download cannot be cut short:
    /// when the UI quits first, the thread ends with the process, and the
    /// model lands atomically or not at all.
    pub fn fetch_model(&self, events: Sender<AppEvent>) -> std::io::Result<()> {
        let opts = FetchOptions::new(&self.models_dir);
        std::thread::Builder::new()
            .name("snipdex-model-fetch".into())
            .spawn(move || {
                let mut throttle = Throttle::default();
                let result = fetch_model(&opts, &mut |event| {
                    if throttle.pass(&event) {
                        let _ = events.send(AppEvent::ModelFetch(event));
                    }
                });
                // `fetch_model` reports `Installed` itself on success.
                if let Err(e) = result {
                    tracing::warn!(error = %e, "model download failed");
                    let _ = events.send(AppEvent::ModelFetchFailed(e.to_string()));
                }
            })?;
        Ok(())
    }

    /// Stop the worker and wait for it (at most the task it is on).
    pub fn stop(self) {
        self.worker.stop();
    }
}

/// Lets through one progress report per percent (or per 4 MiB when the
/// size is unknown): the Hub reports every chunk, far more than a status
/// bar can show.
#[derive(Debug, Default)]
struct Throttle {
    last: Option<(u8, u64)>,
}

impl Throttle {
    fn pass(&mut self, event: &FetchEvent) -> bool {
        let key = match event {
            FetchEvent::Download { done, total } if *total > 0 => (0, done * 100 / total),
            FetchEvent::Download { done, .. } => (1, done >> 22),
            FetchEvent::Convert { done, total } if *total > 0 => {
                (2, (*done as u64) * 100 / (*total as u64))
            }
            FetchEvent::Convert { done, .. } => (3, *done as u64),
            FetchEvent::Stage(_) | FetchEvent::Installed(_) => {
                self.last = None;
                return true;
            }
        };
        if self.last == Some(key) {
            return false;
        }
        self.last = Some(key);
        true
    }
}

/// Queue `fields` of snippet `id` for the model, and return how many jobs
/// are now waiting. A pending job's fields are kept: its job is replaced,
/// and asking again for one field must not drop the others it was to
/// write. A job that failed too often is replaced as asked.
pub fn queue_regeneration(
    store: &Store,
    id: SnippetId,
    fields: &[Field],
) -> Result<i64, StoreError> {
    let mut wanted: Vec<Field> = fields.to_vec();
    if let Some(pending) = store.job(id)?.filter(|j| j.attempts < MAX_ATTEMPTS) {
        if pending.fields.is_empty() {
            // An empty list already means every unlocked field.
            wanted.clear();
        } else if !wanted.is_empty() {
            for f in pending.fields {
                if !wanted.contains(&f) {
                    wanted.push(f);
                }
            }
        }
    }
    // Keep the usual order, so that a job reads the same however it was asked.
    let wanted: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| wanted.contains(f))
        .collect();
    store.enqueue_job(id, &wanted)?;
    store.pending_job_count(MAX_ATTEMPTS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewSnippet;
    use crate::enrich::{spawn, WorkerOptions};

    fn store_with(n: usize) -> (Store, Vec<SnippetId>) {
        let store = Store::open_in_memory().unwrap();
        let ids = (0..n)
            .map(|i| {
                store
                    .insert(&NewSnippet {
                        content: format!("echo {i}"),
                        ..Default::default()
                    })
                    .unwrap()
                    .id
            })
            .collect();
        (store, ids)
    }

    #[test]
    fn regeneration_keeps_the_fields_a_pending_job_was_for() {
        let (store, ids) = store_with(3);
        let (a, b, c) = (ids[0], ids[1], ids[2]);
        // Inserting may queue jobs of its own; start from a known queue.
        for id in [a, b, c] {
            store.enqueue_job(id, &[Field::Title]).unwrap();
        }
        // A pending title job asked again for tags keeps the title.
        queue_regeneration(&store, a, &[Field::Tags]).unwrap();
        assert_eq!(
            store.job(a).unwrap().unwrap().fields,
            vec![Field::Title, Field::Tags]
        );
        // A pending job for every field stays one for every field.
        store.enqueue_job(b, &[]).unwrap();
        queue_regeneration(&store, b, &[Field::Links]).unwrap();
        assert!(store.job(b).unwrap().unwrap().fields.is_empty());
        // A job that gave up is replaced as asked, with its attempts reset.
        let job = store.job(c).unwrap().unwrap();
        for _ in 0..MAX_ATTEMPTS {
            store.fail_job(&job, "boom").unwrap();
        }
        let waiting = queue_regeneration(&store, c, &[Field::Description]).unwrap();
        let job = store.job(c).unwrap().unwrap();
        assert_eq!(job.fields, vec![Field::Description]);
        assert_eq!(job.attempts, 0);
        assert_eq!(waiting, 3);
    }

    #[test]
    fn pausing_persists_through_the_marker_and_the_offer_can_be_declined() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        paths.ensure().unwrap();
        drop(Store::open(&paths.database(), &paths.backups_dir()).unwrap());
        let config = crate::config::EnrichConfig::default();
        let worker = spawn(WorkerOptions::new(&paths, &config), |_| true).unwrap();
        let control = EnrichControl::new(worker, &paths);
        assert!(!control.model_installed(), "a fresh home has no model");
        assert!(!control.is_paused());
        control.set_paused(true).unwrap();
        assert!(control.is_paused());
        assert!(pause_marker(&paths).exists());
        control.set_paused(false).unwrap();
        assert!(!control.is_paused());
        assert!(!pause_marker(&paths).exists());
        control.set_paused(true).unwrap();
        control.stop();
        // The next run starts paused.
        let worker = spawn(WorkerOptions::new(&paths, &config), |_| true).unwrap();
        let control = EnrichControl::new(worker, &paths);
        assert!(control.is_paused());

        assert!(!control.offer_declined());
        control.decline_offer().unwrap();
        assert!(control.offer_declined());
        assert!(declined_marker(&paths).exists());
    }

    #[test]
    fn progress_is_thinned_to_one_report_per_percent() {
        let mut t = Throttle::default();
        let total = 1_000_000;
        let passed = (0..=total)
            .step_by(1000)
            .filter(|&done| t.pass(&FetchEvent::Download { done, total }))
            .count();
        assert_eq!(passed, 101);
        assert!(t.pass(&FetchEvent::Stage("verifying".into())));
        assert!(t.pass(&FetchEvent::Convert { done: 0, total: 10 }));
        assert!(!t.pass(&FetchEvent::Convert { done: 0, total: 10 }));
        assert!(t.pass(&FetchEvent::Convert { done: 1, total: 10 }));
    }

    #[test]
    fn a_saved_field_becomes_the_users_and_locked() {
        use crate::app::FieldValue;
        use crate::domain::Provenance;
        let (store, ids) = store_with(1);
        let id = ids[0];
        let typed = FieldValue::parse(Field::Tags, "Rust, web dev");
        let patch = typed.clone().into_patch(Field::Tags).unwrap();
        let saved = store.update(id, &patch).unwrap();
        assert_eq!(saved.tags, vec!["rust", "web-dev"]);
        assert!(saved.meta.tags.locked);
        assert_eq!(saved.meta.tags.provenance, Some(Provenance::User));
        assert!(!saved.meta.title.locked, "other fields untouched");
        assert!(
            typed.into_patch(Field::Title).is_none(),
            "a list is no title"
        );
        let links = FieldValue::parse(Field::Links, "https://a.example, https://b.example");
        let saved = store
            .update(id, &links.into_patch(Field::Links).unwrap())
            .unwrap();
        assert_eq!(saved.links.len(), 2);
        assert!(saved.meta.links.locked);
    }
}
