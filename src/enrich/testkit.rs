//! Tiny models and adapters for the tests of the engine and the worker.

use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use crate::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use crate::model::{Adapter, AdapterConfig, LoraWeights, Model, Projection};

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
    let cfg = model.config();
    let r = 4;
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    };
    let mut weights = Vec::new();
    for layer in 0..cfg.block_count {
        for p in Projection::ALL {
            let (out, inp) = p.shape(cfg);
            let a: Vec<f32> = (0..r * inp).map(|_| next()).collect();
            let b: Vec<f32> = (0..out * r).map(|_| next()).collect();
            weights.push(LoraWeights {
                layer,
                projection: p,
                a: Tensor::from_vec(a, (r, inp), &Device::Cpu).unwrap(),
                b: Tensor::from_vec(b, (out, r), &Device::Cpu).unwrap(),
            });
        }
    }
    let config = AdapterConfig::new(r, 2.0 * r as f64, &Projection::ALL, "tiny");
    let adapter = Adapter::from_weights(config, cfg, weights).unwrap();
    let dir = root.join(task);
    adapter.save(&dir).unwrap();
    dir
}
