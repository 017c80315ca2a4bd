//! Finding each task's LoRA adapter for the model in use.
//!
//! An adapter fits one base model, so adapters are filed per model:
//! `adapters/<model>/<task>/`, `<model>` being the catalog name
//! (`smollm2-135m`, `qwen2.5-coder-0.5b`; see [`crate::model::model_name`]).
//! They ship in the repository's `adapters/`; a user's own
//! `adapters/<model>/<task>/` in the data folder replaces the shipped one
//! task by task, and `--adapters DIR` replaces both. Folders of the flat
//! layout from before models had names (`adapters/<task>/`) still count,
//! as adapters of the default model, the only one there was. A task without
//! an adapter runs zero-shot on the base model; an adapter that exists but
//! does not fit the model is an error.

use std::path::{Path, PathBuf};

use crate::model::{Adapter, ModelConfig, ModelError, DEFAULT_MODEL};
use crate::paths::Paths;

use super::error::EnrichError;
use super::task::Task;

const CONFIG_FILE: &str = "adapter_config.json";
const WEIGHTS_FILE: &str = "adapter_model.safetensors";

/// Where the adapters of the four tasks come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterSource {
    /// Folders holding `<model>/<task>/` adapter folders, lowest priority
    /// first: a task's adapter comes from the last folder that has one.
    /// Folders that do not exist are skipped.
    Layers(Vec<PathBuf>),
    /// Exactly this folder (`--adapters DIR`), holding `<task>/` folders or
    /// `<model>/<task>/` ones; unlike [`AdapterSource::Layers`], a missing
    /// folder is an error.
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

    /// The folder of `task`'s adapter for the base model named `model`, if
    /// this source has one.
    pub fn locate(&self, task: Task, model: &str) -> Result<Option<PathBuf>, EnrichError> {
        match self {
            Self::None => Ok(None),
            Self::Dir(dir) => {
                if !dir.is_dir() {
                    return Err(EnrichError::AdapterDirMissing(dir.clone()));
                }
                Ok(task_dir(dir, task).or_else(|| task_dir(&dir.join(model), task)))
            }
            Self::Layers(layers) => Ok(layers.iter().rev().find_map(|root| {
                let legacy = (model == DEFAULT_MODEL.name)
                    .then(|| task_dir(root, task))
                    .flatten();
                task_dir(&root.join(model), task).or(legacy)
            })),
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
/// does not fit `base` (an adapter made for another base model is refused
/// with both names: see [`Adapter::load`]).
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
        let model = DEFAULT_MODEL.name;
        assert_eq!(
            source.locate(Task::Title, model).unwrap(),
            Some(user.path().join("title"))
        );
        assert_eq!(
            source.locate(Task::Tags, model).unwrap(),
            Some(shipped.path().join("tags"))
        );
        assert_eq!(source.locate(Task::Links, model).unwrap(), None);
        assert_eq!(
            AdapterSource::None.locate(Task::Title, model).unwrap(),
            None
        );
    }

    #[test]
    fn adapters_are_found_per_model_and_flat_folders_belong_to_the_default() {
        let shipped = tempfile::tempdir().unwrap();
        let user = tempfile::tempdir().unwrap();
        let qwen = crate::model::QWEN25_CODER_05B.name;
        let smol = DEFAULT_MODEL.name;
        make_task_dir(&shipped.path().join(smol), Task::Title, CONFIG_FILE);
        make_task_dir(&shipped.path().join(qwen), Task::Title, CONFIG_FILE);
        make_task_dir(&shipped.path().join(qwen), Task::Tags, CONFIG_FILE);
        // An old install's flat folder: the default model's.
        make_task_dir(user.path(), Task::Tags, WEIGHTS_FILE);
        let source = AdapterSource::Layers(vec![
            shipped.path().to_path_buf(),
            user.path().to_path_buf(),
        ]);
        assert_eq!(
            source.locate(Task::Title, qwen).unwrap(),
            Some(shipped.path().join(qwen).join("title"))
        );
        assert_eq!(
            source.locate(Task::Title, smol).unwrap(),
            Some(shipped.path().join(smol).join("title"))
        );
        // The user's flat tags adapter overrides for the default model
        // only; it is never handed to another model.
        assert_eq!(
            source.locate(Task::Tags, smol).unwrap(),
            Some(user.path().join("tags"))
        );
        assert_eq!(
            source.locate(Task::Tags, qwen).unwrap(),
            Some(shipped.path().join(qwen).join("tags"))
        );
        assert_eq!(source.locate(Task::Links, qwen).unwrap(), None);
        assert_eq!(source.locate(Task::Title, "other-model").unwrap(), None);

        // --adapters DIR takes either layout.
        let dir = AdapterSource::Dir(shipped.path().to_path_buf());
        assert_eq!(
            dir.locate(Task::Tags, qwen).unwrap(),
            Some(shipped.path().join(qwen).join("tags"))
        );
        assert_eq!(dir.locate(Task::Tags, smol).unwrap(), None);
    }

    #[test]
    fn an_explicit_folder_must_exist() {
        let root = tempfile::tempdir().unwrap();
        make_task_dir(root.path(), Task::Description, CONFIG_FILE);
        let dir = AdapterSource::Dir(root.path().to_path_buf());
        let model = DEFAULT_MODEL.name;
        assert_eq!(
            dir.locate(Task::Description, model).unwrap(),
            Some(root.path().join("description"))
        );
        assert_eq!(dir.locate(Task::Title, model).unwrap(), None);
        let missing = AdapterSource::Dir(root.path().join("nope"));
        let err = missing.locate(Task::Title, model).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
