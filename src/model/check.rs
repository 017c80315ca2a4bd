//! Checks a real model file end to end, for `snipdex model check`: the
//! engine's logits against candle-transformers' own implementation of the
//! architecture (`quantized_llama`, `quantized_qwen2`), the tokenizer's
//! round trip, and a ChatML question with a known answer.
//!
//! The unit tests hold the engine to the reference on tiny random models;
//! this is the same comparison on the real weights, which CI does not
//! download for every model, so it is a command rather than a test.

use std::fs::File;
use std::path::Path;
use std::time::Instant;

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use candle_transformers::models::{quantized_llama, quantized_qwen2};

use super::error::{ModelError, Result};
use super::gguf::{Architecture, ModelConfig};
use super::llama::{ForwardMode, LoadOptions, Logits, Model};
use super::GenerateOptions;

/// A question whose answer any instruct model knows.
const QUESTION: &str = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n\
     <|im_start|>user\nWhat is the capital of France? Answer in one word.<|im_end|>\n\
     <|im_start|>assistant\n";
const EXPECTED_ANSWER: &str = "Paris";

/// Text whose round trip exercises multi-byte characters, digits, tabs and
/// code punctuation.
const ROUND_TRIP: &str = "Ünïcödé — 你好 🦀 x = 12345;\n\tfn main() { println!(\"hi\"); }";

/// The largest logit difference accepted, relative to the largest logit.
/// Both sides quantize activations to 8 bits, but not always alike: on CPUs
/// with AVX-512 VNNI snipdex's own Q8_0 kernel quantizes them per 32
/// values where candle's tiled kernel does some per 256 (SmolLM2's logits
/// then differ by about 3 % of the largest); elsewhere both run candle's
/// kernels and only the order of float operations differs. The next token
/// must be the same either way.
pub const TOLERANCE: f32 = 5e-2;

/// What [`check_model`] found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub architecture: &'static str,
    /// Largest absolute difference of the last position's logits, over
    /// two chunks (a prompt, then one more token).
    pub max_logit_diff: f32,
    /// Largest absolute logit of the reference, the scale of the above.
    pub logit_scale: f32,
    /// Whether both pick the same next token after each chunk.
    pub same_next_token: bool,
    pub tokenizer_round_trip: bool,
    pub question_tokens: usize,
    pub answer: String,
    pub answer_ok: bool,
    pub seconds: f64,
}

impl CheckReport {
    pub fn logits_ok(&self) -> bool {
        self.max_logit_diff <= TOLERANCE * self.logit_scale.max(1.0) && self.same_next_token
    }

    pub fn passed(&self) -> bool {
        self.logits_ok() && self.tokenizer_round_trip && self.answer_ok
    }
}

/// Runs every check on the model in `path`.
pub fn check_model(path: &Path) -> Result<CheckReport> {
    let started = Instant::now();
    let model = Model::load_with(
        path,
        &LoadOptions {
            mode: ForwardMode::Quantized,
        },
    )?;
    let tok = model.tokenizer();
    let round_trip = tok.decode(&tok.encode_plain(ROUND_TRIP)?, false)? == ROUND_TRIP;

    let prompt = tok.encode(QUESTION)?;
    let chunks: [&[u32]; 2] = [&prompt[..prompt.len() - 1], &prompt[prompt.len() - 1..]];
    let expected = reference_logits(path, &chunks)?;
    let mut cache = model.new_cache();
    let (mut diff, mut scale, mut same_next_token) = (0f32, 0f32, true);
    let top = |t: &Tensor| -> Result<u32> { Ok(t.flatten_all()?.argmax(0)?.to_scalar::<u32>()?) };
    for (chunk, want) in chunks.iter().zip(&expected) {
        let got = model.forward(chunk, &mut cache, None, Logits::Last)?;
        let want = want.reshape(got.shape())?;
        diff = diff.max((&got - &want)?.abs()?.max_all()?.to_scalar::<f32>()?);
        scale = scale.max(want.abs()?.max_all()?.to_scalar::<f32>()?);
        same_next_token &= top(&got)? == top(&want)?;
    }

    let split = prompt.len() - 3; // `<|im_start|>assistant\n` is the suffix
    let prefix = model.prefill(&prompt[..split])?;
    let opts = GenerateOptions {
        max_tokens: 24,
        ..GenerateOptions::default()
    };
    let answer = model.generate(&prefix, &prompt[split..], None, &opts)?.text;
    Ok(CheckReport {
        architecture: model.config().architecture.name(),
        max_logit_diff: diff,
        logit_scale: scale,
        same_next_token,
        tokenizer_round_trip: round_trip,
        question_tokens: prompt.len(),
        answer_ok: answer.contains(EXPECTED_ANSWER),
        answer,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// One forward call of a reference model: `(tokens [1, t], position)`.
type ReferenceForward = dyn FnMut(&Tensor, usize) -> candle_core::Result<Tensor>;

/// Last-position logits (`[1, vocab]` each) of candle-transformers'
/// implementation of the file's architecture, fed `chunks` in turn: the
/// reference the engine is held to, here and in the tests.
pub fn reference_logits(path: &Path, chunks: &[&[u32]]) -> Result<Vec<Tensor>> {
    let mut file = File::open(path).map_err(|e| ModelError::io(path, e))?;
    let content = gguf_file::Content::read(&mut file)?;
    let arch = ModelConfig::from_gguf(&content)?.architecture;
    let dev = &Device::Cpu;
    let mut forward: Box<ReferenceForward> = match arch {
        Architecture::Llama => {
            let mut m = quantized_llama::ModelWeights::from_gguf(content, &mut file, dev)?;
            Box::new(move |x, pos| m.forward(x, pos))
        }
        Architecture::Qwen2 => {
            let mut m = quantized_qwen2::ModelWeights::from_gguf(content, &mut file, dev)?;
            Box::new(move |x, pos| m.forward(x, pos))
        }
    };
    let mut pos = 0;
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let x = Tensor::new(*chunk, dev)?.unsqueeze(0)?;
        out.push(forward(&x, pos)?);
        pos += chunk.len();
    }
    Ok(out)
}
