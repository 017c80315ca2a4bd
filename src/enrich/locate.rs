//! Which installed model enrichment uses.

use std::path::{Path, PathBuf};

use crate::model::{known_model, DEFAULT_MODEL};
use crate::paths::ACTIVE_MODEL_FILE;

use super::engine::EnrichError;

/// The model in `models_dir` that enrichment runs: the one chosen with
/// `snipdex model use` (an error if it is gone, rather than quietly
/// another), else the default model's installed conversion when present,
/// else the first `.gguf` by name. Whether the file is usable is for
/// [`crate::model::Model::load`] to say.
pub fn installed_model(models_dir: &Path) -> Result<PathBuf, EnrichError> {
    let no_model = || EnrichError::NoModel {
        models_dir: models_dir.to_path_buf(),
    };
    if let Some(chosen) = chosen_model(models_dir) {
        let path = models_dir.join(&chosen);
        if path.is_file() {
            return Ok(path);
        }
        let name = crate::model::MODELS
            .iter()
            .find(|m| m.installed_file == chosen)
            .map_or(chosen.clone(), |m| m.name.to_string());
        return Err(EnrichError::ChosenModelMissing { path, name });
    }
    let preferred = models_dir.join(DEFAULT_MODEL.installed_file);
    if preferred.is_file() {
        return Ok(preferred);
    }
    let entries = match std::fs::read_dir(models_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_model()),
        Err(source) => {
            return Err(EnrichError::Model {
                path: models_dir.to_path_buf(),
                source: crate::model::ModelError::Io {
                    path: models_dir.to_path_buf(),
                    source,
                },
            })
        }
    };
    let mut models: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "gguf"))
        .collect();
    models.sort();
    models.into_iter().next().ok_or_else(no_model)
}

/// The file name `snipdex model use` recorded, if any.
fn chosen_model(models_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(models_dir.join(ACTIVE_MODEL_FILE)).ok()?;
    let name = text.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The installed file `choice` names in `models_dir`: a known model's name
/// (`qwen2.5-coder-0.5b`) or the file name of an installed `.gguf`.
pub fn resolve_choice(models_dir: &Path, choice: &str) -> Option<PathBuf> {
    let file = match known_model(choice) {
        Some(m) => m.installed_file.to_string(),
        None => choice.to_string(),
    };
    let is_plain_name = Path::new(&file)
        .file_name()
        .is_some_and(|n| n == file.as_str());
    let path = models_dir.join(&file);
    (is_plain_name && file.ends_with(".gguf")).then_some(path)
}

/// Makes `file` (a `.gguf` in `models_dir`) the model enrichment uses.
pub fn choose_model(models_dir: &Path, file: &Path) -> std::io::Result<()> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::create_dir_all(models_dir)?;
    let tmp = models_dir.join(format!("{ACTIVE_MODEL_FILE}.tmp"));
    std::fs::write(&tmp, format!("{name}\n"))?;
    std::fs::rename(&tmp, models_dir.join(ACTIVE_MODEL_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_the_default_model_and_ignores_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let err = installed_model(&dir.path().join("models")).unwrap_err();
        assert!(matches!(err, EnrichError::NoModel { .. }));
        assert!(err.to_string().contains("snipdex model fetch"), "{err}");

        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert!(installed_model(dir.path()).is_err());

        std::fs::write(dir.path().join("b.gguf"), "x").unwrap();
        std::fs::write(dir.path().join("a.gguf"), "x").unwrap();
        assert_eq!(
            installed_model(dir.path()).unwrap(),
            dir.path().join("a.gguf")
        );

        let default = dir.path().join(DEFAULT_MODEL.installed_file);
        std::fs::write(&default, "x").unwrap();
        assert_eq!(installed_model(dir.path()).unwrap(), default);
    }

    #[test]
    fn a_chosen_model_wins_and_a_missing_one_is_an_error_not_a_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let default = dir.path().join(DEFAULT_MODEL.installed_file);
        std::fs::write(&default, "x").unwrap();
        let qwen = resolve_choice(dir.path(), "qwen2.5-coder-0.5b").unwrap();
        assert_eq!(
            qwen.file_name().unwrap(),
            "Qwen2.5-Coder-0.5B-Instruct.Q8_0.gguf"
        );
        choose_model(dir.path(), &qwen).unwrap();
        let err = installed_model(dir.path()).unwrap_err();
        assert!(
            matches!(&err, EnrichError::ChosenModelMissing { name, .. } if name == "qwen2.5-coder-0.5b"),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains("snipdex model fetch --model qwen2.5-coder-0.5b"));

        std::fs::write(&qwen, "x").unwrap();
        assert_eq!(installed_model(dir.path()).unwrap(), qwen);
        choose_model(dir.path(), &default).unwrap();
        assert_eq!(installed_model(dir.path()).unwrap(), default);

        // Names that would leave the models folder are not choices.
        assert_eq!(resolve_choice(dir.path(), "../x.gguf"), None);
        assert_eq!(resolve_choice(dir.path(), "notes.txt"), None);
        assert_eq!(
            resolve_choice(dir.path(), "mine.gguf"),
            Some(dir.path().join("mine.gguf"))
        );
    }
}
