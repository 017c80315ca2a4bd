//! Tiny models and adapters for the tests of the engine and the worker.

use std::path::{Path, PathBuf};

use crate::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use crate::model::Model;

/// A tiny random llama whose context holds the real prompts.
pub(crate) fn tiny_model(dir: &Path, seed: u64, context_length: usize) -> PathBuf {
    let path = dir.join(format!("tiny-{seed}-{context_length}.gguf"));
    let mut spec = TinySpec::new(seed);
    spec.context_length = context_length;
    write_tiny_llama_gguf_with(&path, &spec).unwrap();
    path
}

/// Writes a LoRA adapter with clearly non-zero factors on every projection
/// of `model` into `root/<task>/`.
pub(crate) fn write_random_adapter(root: &Path, task: &str, model: &Path, seed: u64) -> PathBuf {
    let model = Model::load(model).unwrap();
    let adapter = crate::model::testutil::random_adapter(model.config(), 4, 1.0, seed).unwrap();
    let dir = root.join(task);
    adapter.save(&dir).unwrap();
    dir
}
