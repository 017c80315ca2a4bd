//! `snipdex model fetch|use|info|adapters`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{CliError, CmdResult, Exit};
use crate::cli::{ModelAction, ModelArgs, ModelFetchArgs};
use crate::enrich::{
    choose_model, installed_model, resolve_choice, AdapterSource, EnrichError, Task,
};
use crate::model::{
    fetch_model, install_known_from_file, known_model, known_names, model_info, FetchEvent,
    FetchOptions, KnownModel, DEFAULT_MODEL, MODELS,
};
use crate::paths::Paths;

pub fn run(paths: Paths, a: ModelArgs) -> CmdResult {
    match a.action {
        ModelAction::Fetch(f) => fetch(&paths, f),
        ModelAction::Use { name } => choose(&paths, &name),
        ModelAction::Check { model, json } => check(&paths, model.as_deref(), json),
        ModelAction::Info { json } => info(&paths, json),
        ModelAction::Adapters { from } => super::adapters::run(&paths, &from),
    }
}

fn known(name: &str) -> Result<&'static KnownModel, CliError> {
    known_model(name).ok_or_else(|| {
        CliError::bad_input(format!(
            "unknown model {name:?}: known models are {}",
            known_names()
        ))
    })
}

fn fetch(paths: &Paths, a: ModelFetchArgs) -> CmdResult {
    let models_dir = paths.models_dir();
    let model = a.model.as_deref().map(known).transpose()?;
    let bar = FetchBar::new();
    let installed = match &a.from_file {
        Some(source) => {
            // A file named like a known source file must be that file.
            let name = source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let pinned = MODELS.iter().find_map(|m| {
                let hub = (m.hub.file == name).then_some(m.hub.sha256).flatten();
                let mirror = m.mirror.filter(|w| w.file == name).map(|w| w.sha256);
                hub.or(mirror).map(|sha| (m, sha))
            });
            let expected = a
                .sha256
                .clone()
                .or_else(|| pinned.map(|(_, sha)| sha.to_owned()));
            if expected.is_none() {
                eprintln!(
                    "warning: {} is not checked against a known checksum; pass --sha256 HEX to verify it",
                    source.display()
                );
            }
            let model = model.or(pinned.map(|(m, _)| m));
            install_known_from_file(source, &models_dir, expected.as_deref(), model, &mut |e| {
                bar.update(e)
            })
        }
        None => {
            let custom = a.repo.is_some() || a.file.is_some() || a.revision.is_some();
            let mut opts = match (model, &a.repo, &a.file) {
                (Some(m), _, _) => FetchOptions::for_model(&models_dir, m),
                (None, Some(repo), Some(file)) => FetchOptions::custom(&models_dir, repo, file),
                (None, _, _) if custom => {
                    // The pinned checksum and the fallback are for known models only.
                    let mut opts = FetchOptions::new(&models_dir);
                    opts.sha256 = None;
                    opts.mirror = None;
                    opts.revision = None;
                    opts.model = None;
                    opts
                }
                (None, _, _) => FetchOptions::new(&models_dir),
            };
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
            | E::Tokenizer(_)
            | E::NotTheModel { .. }
            | E::ChecksumMismatch { .. } => Exit::BadInput,
            // Neither the Hub nor the mirror could be reached.
            E::Fetch { .. } => Exit::Unavailable,
            _ => Exit::Failure,
        };
        CliError::new(exit, e)
    })?;
    eprintln!("installed {}", installed.display());
    if let Ok(active) = installed_model(&models_dir) {
        if active != installed {
            let name = crate::model::model_name(&installed);
            eprintln!(
                "enrichment still uses {}; `snipdex model use {name}` switches to this one",
                active.display()
            );
        }
    }
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

/// `snipdex model check`: exit 0 only when every check passed.
fn check(paths: &Paths, model: Option<&Path>, json: bool) -> CmdResult {
    let path = resolve_model(paths, model)?;
    let report = crate::model::check_model(&path).map_err(|e| {
        let exit = match e {
            crate::model::ModelError::Candle(_) => Exit::Failure,
            _ => Exit::BadInput,
        };
        CliError::new(exit, e)
    })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let mark = |ok: bool| if ok { "ok  " } else { "FAIL" };
        println!("{} ({})", path.display(), report.architecture);
        println!(
            "{} logits against candle-transformers: max difference {:.2e} of {:.1} (tolerance {:.0e} relative), {} next token",
            mark(report.logits_ok()),
            report.max_logit_diff,
            report.logit_scale,
            crate::model::CHECK_TOLERANCE,
            if report.same_next_token { "the same" } else { "a different" }
        );
        println!("{} tokenizer round trip", mark(report.tokenizer_round_trip));
        println!(
            "{} answer to \"What is the capital of France?\": {:?}",
            mark(report.answer_ok),
            report.answer
        );
        println!("took {:.1} s", report.seconds);
    }
    Ok(if report.passed() {
        Exit::Ok
    } else {
        Exit::Failure
    })
}

/// `snipdex model use NAME`: records the choice once the file is there.
fn choose(paths: &Paths, choice: &str) -> CmdResult {
    let models_dir = paths.models_dir();
    let Some(path) = resolve_choice(&models_dir, choice) else {
        return Err(CliError::bad_input(format!(
            "{choice:?} is neither a known model ({}) nor a .gguf file name in {}",
            known_names(),
            models_dir.display()
        )));
    };
    if !path.is_file() {
        let hint = match known_model(choice) {
            Some(m) => format!("run `snipdex model fetch --model {}` first", m.name),
            None => "see `snipdex model info` for what is installed".into(),
        };
        return Err(CliError::new(
            Exit::Unavailable,
            anyhow::anyhow!("{} is not installed: {hint}", path.display()),
        ));
    }
    // Refuse a file the engine cannot load now, not at the next enrichment.
    crate::model::Model::load(&path).map_err(|e| CliError::new(Exit::BadInput, e))?;
    choose_model(&models_dir, &path)?;
    eprintln!(
        "enrichment now uses {} ({})",
        path.display(),
        crate::model::model_name(&path)
    );
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
    /// Why no model is active although one was chosen, if so.
    active_problem: Option<String>,
    /// The model name the adapters below are filed under.
    adapters_for: String,
    /// Task to adapter folder; `null` runs the task zero-shot.
    adapters: std::collections::BTreeMap<&'static str, Option<PathBuf>>,
    /// The models `snipdex model fetch --model NAME` knows.
    known_models: Vec<&'static str>,
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
    let (active, active_problem) = match installed_model(&models_dir) {
        Ok(p) => (Some(p), None),
        Err(EnrichError::NoModel { .. }) => (None, None),
        Err(e @ EnrichError::ChosenModelMissing { .. }) => (None, Some(e.to_string())),
        Err(e) => return Err(CliError::new(Exit::Failure, e)),
    };
    let adapters_for = active
        .as_deref()
        .map_or_else(|| DEFAULT_MODEL.name.to_string(), crate::model::model_name);
    let source = AdapterSource::standard(paths);
    let mut adapters = std::collections::BTreeMap::new();
    for task in Task::ALL {
        let dir = source
            .locate(task, &adapters_for)
            .map_err(|e| CliError::new(Exit::Failure, e))?;
        adapters.insert(task.name(), dir);
    }
    let report = InfoReport {
        models_dir,
        active,
        models,
        active_problem,
        adapters_for,
        adapters,
        known_models: MODELS.iter().map(|m| m.name).collect(),
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
    if let Some(problem) = &r.active_problem {
        println!("{problem}");
    }
    println!(
        "known models: {} (`snipdex model fetch --model NAME`, `snipdex model use NAME`)",
        r.known_models.join(", ")
    );
    println!("adapters for {}:", r.adapters_for);
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
