//! Which installed model enrichment uses.

use std::path::{Path, PathBuf};

use crate::model::{installed_name, DEFAULT_FILE};

use super::engine::EnrichError;

/// The model in `models_dir` that enrichment runs: the default model's
/// installed conversion when present, else the first `.gguf` by name.
/// Whether the file is usable is for [`crate::model::Model::load`] to say.
pub fn installed_model(models_dir: &Path) -> Result<PathBuf, EnrichError> {
    let no_model = || EnrichError::NoModel {
        models_dir: models_dir.to_path_buf(),
    };
    let preferred = models_dir.join(installed_name(DEFAULT_FILE));
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

        let default = dir.path().join(installed_name(DEFAULT_FILE));
        std::fs::write(&default, "x").unwrap();
        assert_eq!(installed_model(dir.path()).unwrap(), default);
    }
}
