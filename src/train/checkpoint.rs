//! Resumable training state in `OUT/checkpoint/`: the adapter (PEFT files),
//! the optimiser's moments (`optimizer.safetensors`) and `state.json` (step,
//! data order, generator state, loss history, and the settings the run was
//! started with, so that a resume with other settings is refused instead of
//! silently producing a different adapter).
//!
//! A checkpoint is written to `checkpoint.tmp/` and swapped in by renames;
//! a crash between the renames leaves `checkpoint.old/`, which loading
//! falls back to.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::error::TrainError;
use crate::model::{Adapter, ModelConfig};

const DIR: &str = "checkpoint";
const TMP_DIR: &str = "checkpoint.tmp";
const OLD_DIR: &str = "checkpoint.old";
const STATE_FILE: &str = "state.json";
const OPTIMIZER_FILE: &str = "optimizer.safetensors";
const VERSION: u32 = 1;

/// Where the run stands, all of it needed to continue bit for bit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RunState {
    pub version: u32,
    /// Optimiser updates done.
    pub step: usize,
    pub total_steps: usize,
    /// Passes over the data started so far, counting the current one.
    pub epoch: usize,
    /// Next position in `order`.
    pub cursor: usize,
    /// Example indices of the current pass.
    pub order: Vec<u32>,
    /// Generator state after shuffling `order`.
    pub rng: u64,
    /// Mean loss of each update.
    pub losses: Vec<f32>,
    pub examples_seen: usize,
    /// Training time so far, over all sessions.
    pub elapsed_secs: f64,
    /// Settings and inputs that must not change on resume.
    pub fingerprint: BTreeMap<String, String>,
}

/// A loaded checkpoint.
pub(crate) struct Checkpoint {
    pub adapter: Adapter,
    pub first: Vec<Tensor>,
    pub second: Vec<Tensor>,
    pub state: RunState,
}

pub(crate) fn dir(out: &Path) -> PathBuf {
    out.join(DIR)
}

/// Whether `out` holds a checkpoint (complete or left by a crash mid-swap).
pub(crate) fn exists(out: &Path) -> bool {
    out.join(DIR).join(STATE_FILE).is_file() || out.join(OLD_DIR).join(STATE_FILE).is_file()
}

pub(crate) fn save(
    out: &Path,
    adapter: &Adapter,
    moments: (&[Tensor], &[Tensor]),
    state: &RunState,
) -> Result<(), TrainError> {
    let tmp = out.join(TMP_DIR);
    remove_dir(&tmp)?;
    adapter.save(&tmp)?;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (i, (m, v)) in moments.0.iter().zip(moments.1).enumerate() {
        tensors.insert(format!("first.{i}"), m.clone());
        tensors.insert(format!("second.{i}"), v.clone());
    }
    candle_core::safetensors::save(&tensors, tmp.join(OPTIMIZER_FILE))?;
    let json = serde_json::to_string_pretty(state)
        .map_err(|e| TrainError::checkpoint(&tmp, e.to_string()))?;
    let state_path = tmp.join(STATE_FILE);
    std::fs::write(&state_path, json).map_err(|e| TrainError::io(&state_path, e))?;

    let current = out.join(DIR);
    let old = out.join(OLD_DIR);
    remove_dir(&old)?;
    if current.exists() {
        std::fs::rename(&current, &old).map_err(|e| TrainError::io(&current, e))?;
    }
    std::fs::rename(&tmp, &current).map_err(|e| TrainError::io(&tmp, e))?;
    remove_dir(&old)
}

/// Loads the checkpoint of `out`, or fails saying why it cannot be used.
pub(crate) fn load(out: &Path, base: &ModelConfig) -> Result<Checkpoint, TrainError> {
    let mut path = out.join(DIR);
    if !path.join(STATE_FILE).is_file() {
        path = out.join(OLD_DIR);
    }
    if !path.join(STATE_FILE).is_file() {
        return Err(TrainError::checkpoint(
            out.join(DIR),
            "there is no checkpoint to resume from",
        ));
    }
    let state_path = path.join(STATE_FILE);
    let text = std::fs::read_to_string(&state_path).map_err(|e| TrainError::io(&state_path, e))?;
    let state: RunState = serde_json::from_str(&text)
        .map_err(|e| TrainError::checkpoint(&state_path, e.to_string()))?;
    if state.version != VERSION {
        return Err(TrainError::checkpoint(
            &state_path,
            format!(
                "written by format version {}, this is {VERSION}",
                state.version
            ),
        ));
    }
    let adapter = Adapter::load(&path, base)?;
    let opt_path = path.join(OPTIMIZER_FILE);
    let mut tensors = candle_core::safetensors::load(&opt_path, &Device::Cpu)?;
    let count = adapter.weights().len() * 2;
    let mut take = |name: String| {
        tensors
            .remove(&name)
            .ok_or_else(|| TrainError::checkpoint(&opt_path, format!("{name} is missing")))
    };
    let mut first = Vec::with_capacity(count);
    let mut second = Vec::with_capacity(count);
    for i in 0..count {
        first.push(take(format!("first.{i}"))?);
        second.push(take(format!("second.{i}"))?);
    }
    Ok(Checkpoint {
        adapter,
        first,
        second,
        state,
    })
}

/// Deletes the checkpoint once the final adapter is written: optimiser
/// state is no use to someone who only wants the adapter.
pub(crate) fn remove(out: &Path) -> Result<(), TrainError> {
    for name in [DIR, OLD_DIR, TMP_DIR] {
        remove_dir(&out.join(name))?;
    }
    Ok(())
}

fn remove_dir(path: &Path) -> Result<(), TrainError> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(TrainError::io(path, e)),
    }
}

/// The keys whose values differ between two fingerprints, for the message
/// refusing a resume.
pub(crate) fn differences(
    saved: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut keys: Vec<&String> = saved.keys().chain(now.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| saved.get(*k) != now.get(*k))
        .map(|k| {
            format!(
                "{k}: {} then, {} now",
                saved.get(k).map_or("unset", String::as_str),
                now.get(k).map_or("unset", String::as_str)
            )
        })
        .collect()
}
