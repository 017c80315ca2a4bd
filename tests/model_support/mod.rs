//! Helpers shared by the model engine's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use candle_core::Tensor;
use snipdex::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use snipdex::model::{Adapter, ForwardMode, LoadOptions, Logits, Model, ModelError};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub fn tiny_model(dir: &Path, seed: u64) -> Result<(PathBuf, Model), ModelError> {
    tiny_model_with(dir, &TinySpec::new(seed))
}

/// A tiny random qwen2 (see [`TinySpec::qwen2`]).
pub fn tiny_qwen2_model(dir: &Path, seed: u64) -> Result<(PathBuf, Model), ModelError> {
    tiny_model_with(dir, &TinySpec::qwen2(seed))
}

/// A tiny random model of `spec`, loaded with quantized kernels everywhere.
pub fn tiny_model_with(dir: &Path, spec: &TinySpec) -> Result<(PathBuf, Model), ModelError> {
    let path = dir.join(format!("tiny-{}-{}.gguf", spec.architecture, spec.seed));
    write_tiny_llama_gguf_with(&path, spec)?;
    let model = Model::load_with(
        &path,
        &LoadOptions {
            mode: ForwardMode::Quantized,
        },
    )?;
    Ok((path, model))
}

/// The engine against candle-transformers' implementation of `spec`'s
/// architecture, in every forward mode: on `spec`'s quantized weights (the
/// f32 paths skip the Q8 quantization of activations that the quantized
/// kernels do, so they agree to that noise only), then on f32 weights with
/// an untied output head, where no quantization is involved and every mode
/// is exact.
pub fn matches_reference_in_every_mode(dir: &Path, spec: &TinySpec) -> TestResult {
    let (path, mut model) = tiny_model_with(dir, spec)?;
    compare_with_reference(&model, &path, 1e-5)?;
    for mode in [
        ForwardMode::Auto { min_rows: 2 },
        ForwardMode::Differentiable,
    ] {
        model.set_mode(mode);
        compare_with_reference(&model, &path, 5e-2)?;
    }
    let dense = dir.join(format!("f32-{}.gguf", spec.architecture));
    let mut spec = spec.clone();
    spec.weight_dtype = candle_core::quantized::GgmlDType::F32;
    spec.untied_output = true;
    write_tiny_llama_gguf_with(&dense, &spec)?;
    let mut model = Model::load(&dense)?;
    assert!(model.config().untied_output);
    for mode in [
        ForwardMode::Quantized,
        ForwardMode::Auto { min_rows: 2 },
        ForwardMode::Differentiable,
    ] {
        model.set_mode(mode);
        compare_with_reference(&model, &dense, 1e-5)?;
    }
    Ok(())
}

/// Logits of every position with and without `adapter` acting from
/// `from`: equal before it, clearly different from it on.
pub fn assert_adapter_acts_from(
    model: &Model,
    adapter: &Adapter,
    tokens: &[u32],
    from: usize,
) -> TestResult {
    let base = model.forward(tokens, &mut model.new_cache(), None, Logits::All)?;
    let lora = snipdex::model::LoraActivation {
        adapter,
        from_position: from,
    };
    let tuned = model.forward(tokens, &mut model.new_cache(), Some(lora), Logits::All)?;
    for row in 0..tokens.len() {
        let diff = max_abs_diff(&base.get(row)?, &tuned.get(row)?);
        if row < from {
            assert_eq!(diff, 0.0, "row {row} before activation changed by {diff}");
        } else {
            assert!(diff > 1e-3, "row {row} after activation unchanged");
        }
    }
    Ok(())
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

pub fn compare_with_reference(model: &Model, path: &Path, tol: f32) -> TestResult {
    let chunks: [&[u32]; 4] = [&[1, 40, 70, 90, 100, 12, 7], &[33], &[150, 201], &[2]];
    let expected = snipdex::model::reference_logits(path, &chunks)?;
    let mut cache = model.new_cache();
    for (chunk, want) in chunks.iter().zip(&expected) {
        let got = model.forward(chunk, &mut cache, None, Logits::Last)?;
        // Relative to the logit range: tiny random models have large logits.
        let scale = want.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
        let diff = max_abs_diff(&got, want);
        assert!(
            diff <= tol * scale,
            "{:?}: logits differ from quantized_{} by {diff} (scale {scale})",
            model.mode(),
            model.config().architecture.name()
        );
    }
    Ok(())
}

/// For weights whose products may take a different kernel than candle's
/// (snipdex's own Q8_0 kernel quantizes activations per 32 values, where
/// candle's tiled x86 kernel quantizes some per 256): the logits of `model`
/// must be at least as close to the exact f32 product of the same weights
/// (`exact`, in [`ForwardMode::Differentiable`]) as quantized_llama's are,
/// and pick the same next token.
pub fn compare_noise_with_reference(model: &Model, exact: &Model, path: &Path) -> TestResult {
    let chunks: [&[u32]; 4] = [&[1, 40, 70, 90, 100, 12, 7], &[33], &[150, 201], &[2]];
    let expected = snipdex::model::reference_logits(path, &chunks)?;
    let (mut cache, mut exact_cache) = (model.new_cache(), exact.new_cache());
    for (chunk, theirs) in chunks.iter().zip(&expected) {
        let ours = model.forward(chunk, &mut cache, None, Logits::Last)?;
        let truth = exact.forward(chunk, &mut exact_cache, None, Logits::Last)?;
        let (our_err, their_err) = (max_abs_diff(&ours, &truth), max_abs_diff(theirs, &truth));
        let scale = truth.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
        assert!(
            our_err <= 1.25 * their_err + 1e-4 * scale,
            "{:?}: {our_err} from the exact logits, quantized_llama {their_err} (scale {scale})",
            model.mode()
        );
        let top = |t: &Tensor| t.flatten_all()?.argmax(0)?.to_scalar::<u32>();
        assert_eq!(
            top(&ours)?,
            top(theirs)?,
            "chunk {chunk:?}: next token differs"
        );
    }
    Ok(())
}

/// The real SmolLM2 model the tests run on: `SNIPDEX_TEST_MODEL` when set,
/// else the one `snipdex model fetch` installed under `SNIPDEX_HOME` (or the
/// default data folder), converted to Q8_0 in `scratch` when it is not yet.
///
/// There is no way to skip: without a model the test fails and says how to
/// get one, so a green run always means the real model was checked.
pub fn real_model(scratch: &Path) -> PathBuf {
    let given = std::env::var_os("SNIPDEX_TEST_MODEL").map(PathBuf::from);
    let found = given.or_else(|| {
        let paths = snipdex::paths::Paths::resolve().ok()?;
        snipdex::enrich::installed_model(&paths.models_dir()).ok()
    });
    let Some(path) = found else {
        panic!(
            "no model installed: run `snipdex model fetch` first (or set SNIPDEX_TEST_MODEL \
             to a SmolLM2 GGUF file); the real-model tests cannot be skipped"
        );
    };
    assert!(path.is_file(), "{} does not exist", path.display());
    if path.to_string_lossy().contains("Q8_0") {
        return path;
    }
    snipdex::model::install_from_file(&path, scratch, None, &mut |_| {})
        .unwrap_or_else(|e| panic!("cannot convert {} to Q8_0: {e}", path.display()))
}
