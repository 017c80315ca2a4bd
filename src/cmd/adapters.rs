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
use crate::paths::Paths;
use std::path::{Path, PathBuf};

const FILES: [&str; 3] = [
    "adapter_config.json",
    "adapter_model.safetensors",
    "README.md",
];

/// Where adapters installed with the model live.
pub fn installed_dir(paths: &Paths) -> PathBuf {
    paths.models_dir().join("adapters")
}

/// Copy every task adapter found in `from` into the user's adapters
/// folder; the tasks installed.
pub fn install(from: &Path, to: &Path) -> Result<Vec<Task>, CliError> {
    let mut done = Vec::new();
    for task in Task::ALL {
        let src = from.join(task.name());
        if !src.join(FILES[0]).is_file() || !src.join(FILES[1]).is_file() {
            continue;
        }
        let dst = to.join(task.name());
        std::fs::create_dir_all(&dst)?;
        for name in FILES {
            if src.join(name).is_file() {
                std::fs::copy(src.join(name), dst.join(name))?;
            }
        }
        done.push(task);
    }
    Ok(done)
}

pub fn run(paths: &Paths, from: &Path) -> CmdResult {
    let to = installed_dir(paths);
    let done = install(from, &to)?;
    if done.is_empty() {
        return Err(CliError::bad_input(format!(
            "{} holds no adapters (expected title/, description/, tags/ or links/ with adapter_config.json and adapter_model.safetensors)",
            from.display()
        )));
    }
    let names: Vec<&str> = done.iter().map(|t| t.name()).collect();
    eprintln!(
        "installed {} ({}) into {}",
        crate::domain::count(done.len(), "adapter"),
        names.join(", "),
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
