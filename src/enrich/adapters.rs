//! Finding each task's LoRA adapter.
//!
//! Adapters ship in the repository's `adapters/<task>/` folders; a user's own
//! `adapters/<task>/` in the data folder replaces the shipped one task by
//! task, and `--adapters DIR` replaces both. A task without an adapter runs
//! zero-shot on the base model, which is the state until trained adapters
//! land; an adapter that exists but does not fit the model is an error.

use std::path::{Path, PathBuf};

use crate::model::{Adapter, ModelConfig, ModelError};
use crate::paths::Paths;

use super::error::EnrichError;
use super::task::Task;

const CONFIG_FILE: &str = "adapter_config.json";
const WEIGHTS_FILE: &str = "adapter_model.safetensors";

/// Where the adapters of the four tasks come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterSource {
    /// Folders holding `<task>/` adapter folders, lowest priority first: a
    /// task's adapter comes from the last folder that has one. Folders that
    /// do not exist are skipped.
    Layers(Vec<PathBuf>),
    /// Exactly this folder of `<task>/` adapter folders (`--adapters DIR`);
    /// unlike [`AdapterSource::Layers`], a missing folder is an error.
    Dir(PathBuf),
    /// No adapters: every task runs zero-shot.
    None,
}

impl AdapterSource {
    /// The adapters installed with the model, overridden by those shipped
    /// beside this build, overridden by the user's own, task by task.
    pub fn standard(paths: &Paths) -> Self {
        let mut layers = vec![paths.models_dir().join("adapters")];
        layers.extend(shipped_adapters_dir());
        layers.push(paths.adapters_dir());
        Self::Layers(layers)
    }

    /// The folder of `task`'s adapter, if this source has one.
    pub fn locate(&self, task: Task) -> Result<Option<PathBuf>, EnrichError> {
        match self {
            Self::None => Ok(None),
            Self::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(EnrichError::AdapterDirMissing(dir.clone()));
                }
                Ok(task_dir(dir, task))
            }
            Self::Layers(layers) => Ok(layers.iter().rev().find_map(|dir| task_dir(dir, task))),
        }
    }
}

/// `dir/<task>/` when it holds any adapter file. A folder with only a README
/// (training notes before the weights land) is not an adapter.
fn task_dir(dir: &Path, task: Task) -> Option<PathBuf> {
    let candidate = dir.join(task.name());
    let has_files = candidate.join(CONFIG_FILE).exists() || candidate.join(WEIGHTS_FILE).exists();
    has_files.then_some(candidate)
}

/// The adapters shipped with snipdex: next to the executable (installed
/// layouts), else in the source tree it was built from (development).
///
/// `SNIPDEX_SHIPPED_ADAPTERS` overrides the search: a folder to use instead,
/// or `none` for no shipped adapters (tests on a tiny model use that, since
/// the real adapters do not fit its shapes).
pub fn shipped_adapters_dir() -> Option<PathBuf> {
    if let Some(v) = std::env::var_os("SNIPDEX_SHIPPED_ADAPTERS") {
        if v == "none" || v.is_empty() {
            return None;
        }
        return Some(PathBuf::from(v)).filter(|p| p.is_dir());
    }
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    let beside_exe = exe_dir
        .iter()
        .flat_map(|d| [d.join("adapters"), d.join("../share/snipdex/adapters")]);
    let source_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters");
    beside_exe
        .chain(std::iter::once(source_tree))
        .find(|p| p.is_dir())
}

/// A task's adapter with what provenance records about it.
#[derive(Debug)]
pub(crate) struct TaskAdapter {
    pub adapter: Adapter,
    pub dir: PathBuf,
    /// Short content hash of the weights: changes whenever they do.
    pub version: String,
}

/// Loads the adapter in `dir` for `task`, naming the offending file when it
/// does not fit `base`.
pub(crate) fn load_task_adapter(
    task: Task,
    dir: &Path,
    base: &ModelConfig,
) -> Result<TaskAdapter, EnrichError> {
    let adapter = Adapter::load(dir, base).map_err(|source| {
        let file = match &source {
            ModelError::AdapterShape { .. } | ModelError::AdapterTensor { .. } => {
                dir.join(WEIGHTS_FILE)
            }
            _ => dir.to_path_buf(),
        };
        EnrichError::Adapter { task, file, source }
    })?;
    let weights = dir.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&weights).map_err(|source| EnrichError::Adapter {
        task,
        file: weights.clone(),
        source: ModelError::Io {
            path: weights.clone(),
            source,
        },
    })?;
    let hash = blake3::hash(&bytes).to_hex();
    Ok(TaskAdapter {
        adapter,
        dir: dir.to_path_buf(),
        version: hash[..12].to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_task_dir(root: &Path, task: Task, file: &str) {
        let dir = root.join(task.name());
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), "{}").unwrap();
    }

    #[test]
    fn later_layers_override_earlier_ones_task_by_task() {
        let shipped = tempfile::tempdir().unwrap();
        let user = tempfile::tempdir().unwrap();
        make_task_dir(shipped.path(), Task::Title, CONFIG_FILE);
        make_task_dir(shipped.path(), Task::Tags, WEIGHTS_FILE);
        make_task_dir(user.path(), Task::Title, CONFIG_FILE);
        // A README alone is not an adapter.
        let readme_only = user.path().join("tags");
        std::fs::create_dir_all(&readme_only).unwrap();
        std::fs::write(readme_only.join("README.md"), "soon").unwrap();

        let source = AdapterSource::Layers(vec![
            shipped.path().to_path_buf(),
            user.path().to_path_buf(),
            user.path().join("missing"),
        ]);
        assert_eq!(
            source.locate(Task::Title).unwrap(),
            Some(user.path().join("title"))
        );
        assert_eq!(
            source.locate(Task::Tags).unwrap(),
            Some(shipped.path().join("tags"))
        );
        assert_eq!(source.locate(Task::Links).unwrap(), None);
        assert_eq!(AdapterSource::None.locate(Task::Title).unwrap(), None);
    }

    #[test]
    fn an_explicit_folder_must_exist() {
        let root = tempfile::tempdir().unwrap();
        make_task_dir(root.path(), Task::Description, CONFIG_FILE);
        let dir = AdapterSource::Dir(root.path().to_path_buf());
        assert_eq!(
            dir.locate(Task::Description).unwrap(),
            Some(root.path().join("description"))
        );
        assert_eq!(dir.locate(Task::Title).unwrap(), None);
        let missing = AdapterSource::Dir(root.path().join("nope"));
        let err = missing.locate(Task::Title).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
