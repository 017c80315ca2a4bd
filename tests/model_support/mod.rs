//! Helpers shared by the model engine's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;
use snipdex::model::testutil::write_tiny_llama_gguf;
use snipdex::model::{Adapter, ForwardMode, LoadOptions, Logits, Model, ModelError};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub fn tiny_model(dir: &Path, seed: u64) -> Result<(PathBuf, Model), ModelError> {
    let path = dir.join(format!("tiny-{seed}.gguf"));
    write_tiny_llama_gguf(&path, seed)?;
    let model = Model::load_with(
        &path,
        &LoadOptions {
            mode: ForwardMode::Quantized,
        },
    )?;
    Ok((path, model))
}

pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    let a = a.flatten_all().and_then(|t| t.to_vec1::<f32>()).unwrap();
    let b = b.flatten_all().and_then(|t| t.to_vec1::<f32>()).unwrap();
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// A LoRA on every projection with random, clearly non-zero factors.
pub fn random_adapter(model: &Model, r: usize, seed: u64) -> Result<Adapter, ModelError> {
    snipdex::model::testutil::random_adapter(model.config(), r, 0.5, seed)
}

pub fn reference_logits(path: &Path, chunks: &[&[u32]]) -> Vec<Tensor> {
    let mut file = std::fs::File::open(path).unwrap();
    let content = gguf_file::Content::read(&mut file).unwrap();
    let mut reference = ModelWeights::from_gguf(content, &mut file, &Device::Cpu).unwrap();
    let mut pos = 0;
    chunks
        .iter()
        .map(|chunk| {
            let x = Tensor::new(*chunk, &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap();
            let logits = reference.forward(&x, pos).unwrap();
            pos += chunk.len();
            logits
        })
        .collect()
}

pub fn compare_with_reference(model: &Model, path: &Path, tol: f32) -> TestResult {
    let chunks: [&[u32]; 4] = [&[1, 40, 70, 90, 100, 12, 7], &[33], &[150, 201], &[2]];
    let expected = reference_logits(path, &chunks);
    let mut cache = model.new_cache();
    for (chunk, want) in chunks.iter().zip(&expected) {
        let got = model.forward(chunk, &mut cache, None, Logits::Last)?;
        // Relative to the logit range: tiny random models have large logits.
        let scale = want.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
        let diff = max_abs_diff(&got, want);
        assert!(
            diff <= tol * scale,
            "{:?}: logits differ from quantized_llama by {diff} (scale {scale})",
            model.mode()
        );
    }
    Ok(())
}

/// `SNIPDEX_TEST_MODEL` names a real SmolLM2 GGUF (Q8_0 or Q4_1).
pub fn real_model_path() -> Option<PathBuf> {
    match std::env::var_os("SNIPDEX_TEST_MODEL") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("SNIPDEX_TEST_MODEL is not set; skipping the real-model test");
            None
        }
    }
}
