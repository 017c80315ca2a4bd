//! What is installed in a models directory.

use std::path::{Path, PathBuf};

use super::error::{ModelError, Result};
use super::fetch::{sha256_file, SOURCE_FILE_KEY, SOURCE_SHA256_KEY};
use super::gguf::{meta_str, GgufFile, ModelConfig};

/// Description of one GGUF file in a models directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub size_bytes: u64,
    /// `general.name` from the metadata.
    pub name: Option<String>,
    /// Most common weight type, e.g. `"Q8_0"`.
    pub quantization: Option<String>,
    pub sha256: String,
    /// Checksum and name of the file this one was converted from, when it
    /// was installed by snipdex.
    pub source_sha256: Option<String>,
    pub source_file: Option<String>,
    pub config: Option<ModelConfig>,
    /// Why the file cannot be used, if it cannot.
    pub problem: Option<String>,
}

/// Lists the `.gguf` files in `dir` (sorted by name). Unusable files are
/// listed with `problem` set rather than failing the whole listing; a
/// missing directory yields an empty list.
pub fn model_info(dir: &Path) -> Result<Vec<ModelInfo>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ModelError::io(dir, e)),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "gguf"))
        .collect();
    paths.sort();
    paths.iter().map(|p| describe(p)).collect()
}

/// Describes one model file.
pub fn describe(path: &Path) -> Result<ModelInfo> {
    let size_bytes = std::fs::metadata(path)
        .map_err(|e| ModelError::io(path, e))?
        .len();
    let sha256 = sha256_file(path)?;
    let mut info = ModelInfo {
        path: path.to_path_buf(),
        size_bytes,
        name: None,
        quantization: None,
        sha256,
        source_sha256: None,
        source_file: None,
        config: None,
        problem: None,
    };
    let file = match GgufFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            info.problem = Some(e.to_string());
            return Ok(info);
        }
    };
    let md = file.metadata();
    let text = |key: &str| meta_str(md, key).map(str::to_string);
    info.name = text("general.name");
    info.source_sha256 = text(SOURCE_SHA256_KEY);
    info.source_file = text(SOURCE_FILE_KEY);
    info.quantization = file.dominant_dtype().map(|d| format!("{d:?}"));
    match ModelConfig::from_gguf(file.content()).and_then(|c| file.check_shapes(&c).map(|_| c)) {
        Ok(c) => info.config = Some(c),
        Err(e) => info.problem = Some(e.to_string()),
    }
    Ok(info)
}
