//! Installing task adapters where an installed snipdex finds them.
//!
//! The adapter weights (about 19 MB for the four tasks) do not fit the
//! registry's 10 MB crate limit, so they are neither in the package nor
//! embedded in the binary. They are installed with the model, into
//! `adapters/` in the models folder, which every run looks in (below the
//! shipped folder, when that still exists, and the user's own adapters): `snipdex model fetch`
//! copies the adapters this build ships (from a source checkout, or from
//! beside the executable), and `snipdex model adapters --from DIR` installs
//! them from any folder (a checkout's `adapters/`, a release archive).

use super::{CliError, CmdResult, Exit};
use crate::enrich::Task;
use crate::model::DEFAULT_MODEL;
use crate::paths::Paths;
use std::path::{Path, PathBuf};

const FILES: [&str; 3] = [
    "adapter_config.json",
    "adapter_model.safetensors",
    "README.md",
];

/// Where adapters installed with the model live (`<model>/<task>/` inside).
pub fn installed_dir(paths: &Paths) -> PathBuf {
    paths.models_dir().join("adapters")
}

/// The `<model>/` folders of `from` that hold a task adapter, with the
/// flat `<task>/` folders of the layout before models had names counted
/// as the default model's. `(model name, folder of its task folders)`.
fn model_folders(from: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    if Task::ALL.iter().any(|t| is_adapter(&from.join(t.name()))) {
        found.push((DEFAULT_MODEL.name.to_string(), from.to_path_buf()));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(from)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_task = Task::ALL.iter().any(|t| t.name() == name);
        if !is_task && Task::ALL.iter().any(|t| is_adapter(&dir.join(t.name()))) {
            found.push((name, dir));
        }
    }
    found
}

fn is_adapter(dir: &Path) -> bool {
    dir.join(FILES[0]).is_file() && dir.join(FILES[1]).is_file()
}

/// Copy every task adapter found in `from` (`<model>/<task>/`, or flat
/// `<task>/` for the default model) into `to/<model>/<task>/`; the
/// adapters installed, as `model/task`.
pub fn install(from: &Path, to: &Path) -> Result<Vec<String>, CliError> {
    let mut done = Vec::new();
    for (model, dir) in model_folders(from) {
        for task in Task::ALL {
            let src = dir.join(task.name());
            if !is_adapter(&src) {
                continue;
            }
            let dst = to.join(&model).join(task.name());
            std::fs::create_dir_all(&dst)?;
            for name in FILES {
                if src.join(name).is_file() {
                    std::fs::copy(src.join(name), dst.join(name))?;
                }
            }
            done.push(format!("{model}/{task}"));
        }
    }
    Ok(done)
}

pub fn run(paths: &Paths, from: &Path) -> CmdResult {
    let to = installed_dir(paths);
    let done = install(from, &to)?;
    if done.is_empty() {
        return Err(CliError::bad_input(format!(
            "{} holds no adapters (expected <model>/<task>/ folders, such as \
             smollm2-135m/title/, or title/, description/, tags/ or links/, with \
             adapter_config.json and adapter_model.safetensors)",
            from.display()
        )));
    }
    eprintln!(
        "installed {} ({}) into {}",
        crate::domain::count(done.len(), "adapter"),
        done.join(", "),
        to.display()
    );
    Ok(Exit::Ok)
}

/// After a model fetch: keep this build's shipped adapters with the model,
/// so they stay when the folder they came from is gone.
pub fn keep_shipped(paths: &Paths) -> Option<(PathBuf, usize)> {
    let shipped = crate::enrich::shipped_adapters_dir()?;
    let to = installed_dir(paths);
    if shipped == to {
        return None;
    }
    let done = install(&shipped, &to).ok()?;
    (!done.is_empty()).then_some((to, done.len()))
}
