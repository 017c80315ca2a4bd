//! Tiny random llama and qwen2 GGUF files so engine tests run in
//! milliseconds without downloading a model. Not part of the stable API.

use std::path::Path;

use candle_core::quantized::gguf_file::Value;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use super::adapter::SplitMix64;
use super::convert::write_atomically;
use super::error::Result;
use super::gguf::{Architecture, Projection};

/// Shape and encoding of a generated test model.
#[derive(Debug, Clone)]
pub struct TinySpec {
    pub seed: u64,
    pub weight_dtype: GgmlDType,
    pub untied_output: bool,
    pub architecture: String,
    /// `tokenizer.ggml.pre`.
    pub pre_tokenizer: String,
    pub block_count: usize,
    pub embedding_length: usize,
    pub feed_forward_length: usize,
    pub head_count: usize,
    pub head_count_kv: usize,
    pub context_length: usize,
}

impl TinySpec {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            weight_dtype: GgmlDType::Q8_0,
            untied_output: false,
            architecture: "llama".into(),
            pre_tokenizer: "smollm".into(),
            block_count: 2,
            embedding_length: 64,
            feed_forward_length: 128,
            head_count: 4,
            head_count_kv: 2,
            context_length: 256,
        }
    }

    /// A tiny qwen2: q/k/v biases, rotation over halves, its own
    /// pre-tokenizer, three query heads per KV head.
    pub fn qwen2(seed: u64) -> Self {
        Self {
            architecture: "qwen2".into(),
            pre_tokenizer: "qwen2".into(),
            head_count: 6,
            head_count_kv: 2,
            embedding_length: 96,
            ..Self::new(seed)
        }
    }
}

/// Words whose BPE merges the tiny vocabulary contains, so that common text
/// exercises merges and not only byte tokens.
const WORDS: &[&str] = &[
    "the", " the", " a", "in", " in", "er", "on", " fn", " def", "return", " return", "ing",
];

/// GPT-2's byte-to-character table: printable bytes map to themselves, the
/// rest to code points from U+0100 on, so every byte is a visible character.
fn byte_char(b: u8) -> char {
    let printable = |b: u8| (33..=126).contains(&b) || (161..=172).contains(&b) || b >= 174;
    if printable(b) {
        return char::from(b);
    }
    let rank = (0..b).filter(|&x| !printable(x)).count() as u32;
    char::from_u32(256 + rank).unwrap_or('?')
}

fn byte_level(s: &str) -> String {
    s.bytes().map(byte_char).collect()
}

/// Vocabulary and merges: ChatML specials, all 256 bytes, then one token per
/// merge step of [`WORDS`].
fn tiny_vocab() -> (Vec<String>, Vec<i32>, Vec<String>) {
    let mut tokens: Vec<String> = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        .map(String::from)
        .to_vec();
    let mut types = vec![3; tokens.len()];
    tokens.extend((0..=255u8).map(|b| byte_char(b).to_string()));
    types.resize(tokens.len(), 1);
    let mut merges = Vec::new();
    for word in WORDS {
        let chars: Vec<String> = byte_level(word).chars().map(String::from).collect();
        let mut acc = chars[0].clone();
        for c in &chars[1..] {
            let merged = format!("{acc}{c}");
            if !tokens.contains(&merged) {
                merges.push(format!("{acc} {c}"));
                tokens.push(merged.clone());
                types.push(1);
            }
            acc = merged;
        }
    }
    (tokens, types, merges)
}

fn random_tensor(rng: &mut SplitMix64, shape: &[usize], scale: f32, offset: f32) -> Result<Tensor> {
    let n = shape.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|_| offset + rng.uniform(-scale, scale))
        .collect();
    Ok(Tensor::from_vec(data, shape, &Device::Cpu)?)
}

/// Writes a 2-layer random llama with the default [`TinySpec`].
pub fn write_tiny_llama_gguf(path: &Path, seed: u64) -> Result<()> {
    write_tiny_llama_gguf_with(path, &TinySpec::new(seed))
}

pub fn write_tiny_llama_gguf_with(path: &Path, spec: &TinySpec) -> Result<()> {
    let (tokens, types, merges) = tiny_vocab();
    let vocab = tokens.len();
    let e = spec.embedding_length;
    let hd = e / spec.head_count;
    let strings = |v: &[String]| Value::Array(v.iter().cloned().map(Value::String).collect());
    let u32v = |v: usize| Value::U32(v as u32);
    let arch = spec.architecture.as_str();
    let hyper: Vec<(String, Value)> = vec![
        ("block_count", u32v(spec.block_count)),
        ("context_length", u32v(spec.context_length)),
        ("embedding_length", u32v(e)),
        ("feed_forward_length", u32v(spec.feed_forward_length)),
        ("attention.head_count", u32v(spec.head_count)),
        ("attention.head_count_kv", u32v(spec.head_count_kv)),
        ("rope.freq_base", Value::F32(10_000.0)),
        ("rope.dimension_count", u32v(hd)),
        ("attention.layer_norm_rms_epsilon", Value::F32(1e-5)),
        ("vocab_size", u32v(vocab)),
    ]
    .into_iter()
    .map(|(k, v)| (format!("{arch}.{k}"), v))
    .collect();
    let mut metadata: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String(arch.into())),
        ("general.name", Value::String(format!("tiny-test-{arch}"))),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        (
            "tokenizer.ggml.pre",
            Value::String(spec.pre_tokenizer.clone()),
        ),
        ("tokenizer.ggml.tokens", strings(&tokens)),
        (
            "tokenizer.ggml.token_type",
            Value::Array(types.into_iter().map(Value::I32).collect()),
        ),
        ("tokenizer.ggml.merges", strings(&merges)),
        ("tokenizer.ggml.bos_token_id", Value::U32(1)),
        ("tokenizer.ggml.eos_token_id", Value::U32(2)),
    ];
    metadata.extend(hyper.iter().map(|(k, v)| (k.as_str(), v.clone())));

    let mut rng = SplitMix64::new(spec.seed);
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    let mut matrix = |name: String, shape: [usize; 2], rng: &mut SplitMix64| -> Result<()> {
        // Scaled so activations stay O(1) and logits are not all ties.
        let scale = 1.7 / (shape[1] as f32).sqrt();
        let t = random_tensor(rng, &shape, scale, 0.0)?;
        tensors.push((name, QTensor::quantize(&t, spec.weight_dtype)?));
        Ok(())
    };
    matrix("token_embd.weight".into(), [vocab, e], &mut rng)?;
    let architecture = Architecture::from_name(arch).unwrap_or(Architecture::Llama);
    let cfg = super::gguf::ModelConfig {
        architecture,
        block_count: spec.block_count,
        embedding_length: e,
        feed_forward_length: spec.feed_forward_length,
        head_count: spec.head_count,
        head_count_kv: spec.head_count_kv,
        head_dim: hd,
        rope_freq_base: 10_000.0,
        rms_eps: 1e-5,
        context_length: spec.context_length,
        vocab_size: vocab,
        untied_output: spec.untied_output,
    };
    for layer in 0..spec.block_count {
        for p in Projection::ALL {
            let (o, i) = p.shape(&cfg);
            matrix(
                format!("blk.{layer}.{}.weight", p.gguf_name()),
                [o, i],
                &mut rng,
            )?;
        }
    }
    if spec.untied_output {
        matrix("output.weight".into(), [vocab, e], &mut rng)?;
    }
    let mut vectors = Vec::new();
    for layer in 0..spec.block_count {
        for p in Projection::ALL
            .into_iter()
            .filter(|p| p.has_bias(architecture))
        {
            let (out, _) = p.shape(&cfg);
            vectors.push((format!("blk.{layer}.{}.bias", p.gguf_name()), out, 0.5, 0.0));
        }
    }
    let mut norms = Vec::new();
    for layer in 0..spec.block_count {
        norms.push(format!("blk.{layer}.attn_norm.weight"));
        norms.push(format!("blk.{layer}.ffn_norm.weight"));
    }
    norms.push("output_norm.weight".into());
    vectors.extend(norms.into_iter().map(|name| (name, e, 0.2, 1.0)));
    for (name, len, scale, offset) in vectors {
        let t = random_tensor(&mut rng, &[len], scale, offset)?;
        tensors.push((name, QTensor::quantize(&t, GgmlDType::F32)?));
    }

    let md: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (*k, v)).collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    write_atomically(path, |w| {
        Ok(candle_core::quantized::gguf_file::write(w, &md, &ts)?)
    })
}

/// A LoRA on every projection of `cfg` with random, clearly non-zero
/// factors drawn uniformly from `[-scale/2, scale/2)`; the same seed gives
/// the same adapter. For tests of the engine, the worker and the trainer.
pub fn random_adapter(
    cfg: &super::ModelConfig,
    r: usize,
    scale: f32,
    seed: u64,
) -> Result<super::Adapter> {
    use super::{Adapter, AdapterConfig, LoraWeights};
    let mut state = seed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5) * scale
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
                a: Tensor::from_vec(a, (r, inp), &Device::Cpu)?,
                b: Tensor::from_vec(b, (out, r), &Device::Cpu)?,
            });
        }
    }
    let config = AdapterConfig::new(r, 2.0 * r as f64, &Projection::ALL, "tiny");
    Adapter::from_weights(config, cfg, weights)
}
