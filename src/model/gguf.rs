//! Reading GGUF files of llama-like models (llama, qwen2): validated header,
//! hyper-parameters and tensors.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::Device;

use super::error::{ModelError, Result};

/// Upper bounds that keep a hostile or corrupt header from making us allocate
/// absurd caches (the RoPE table is `context_length * head_dim` floats).
const MAX_CONTEXT: usize = 1 << 17;
const MAX_LAYERS: usize = 1024;

/// The model families the engine runs. Both are the same decoder (RMSNorm,
/// grouped-query attention with RoPE, SiLU-gated MLP); they differ in a few
/// switches, each a method here, so the forward pass stays one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Architecture {
    /// llama and its descendants (SmolLM2).
    Llama,
    /// Qwen2 and Qwen2.5 (Qwen2.5-Coder): biases on the query, key and value
    /// projections, and rotary embeddings over the two halves of each head.
    Qwen2,
}

/// How RoPE pairs up the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// Adjacent pairs `(0, 1), (2, 3), ...` (GPT-J style). llama.cpp's
    /// converter permutes llama's query and key rows into this order.
    Interleaved,
    /// Dimension `i` with `i + head_dim / 2` (GPT-NeoX style), the order of
    /// the Hugging Face weights, which qwen2 GGUFs keep.
    Halves,
}

impl Architecture {
    /// The `general.architecture` value, also the prefix of its metadata keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Llama => "llama",
            Self::Qwen2 => "qwen2",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Llama, Self::Qwen2]
            .into_iter()
            .find(|a| a.name() == name)
    }

    pub fn rope_style(self) -> RopeStyle {
        match self {
            Self::Llama => RopeStyle::Interleaved,
            Self::Qwen2 => RopeStyle::Halves,
        }
    }

    /// Whether the query, key and value projections carry a bias vector.
    pub fn has_qkv_bias(self) -> bool {
        self == Self::Qwen2
    }
}

/// Hyper-parameters of a llama-like model, read from GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub architecture: Architecture,
    pub block_count: usize,
    pub embedding_length: usize,
    pub feed_forward_length: usize,
    pub head_count: usize,
    pub head_count_kv: usize,
    pub head_dim: usize,
    pub rope_freq_base: f32,
    pub rms_eps: f64,
    pub context_length: usize,
    pub vocab_size: usize,
    /// False when the output head reuses the token embeddings.
    pub untied_output: bool,
}

/// The seven linear projections of a llama block, the places a LoRA adapter
/// can attach to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Projection {
    Q,
    K,
    V,
    O,
    Gate,
    Up,
    Down,
}

impl Projection {
    pub const ALL: [Projection; 7] = [
        Self::Q,
        Self::K,
        Self::V,
        Self::O,
        Self::Gate,
        Self::Up,
        Self::Down,
    ];

    /// Index into per-layer arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Tensor name inside a GGUF block (`blk.N.<name>.weight`).
    pub fn gguf_name(self) -> &'static str {
        match self {
            Self::Q => "attn_q",
            Self::K => "attn_k",
            Self::V => "attn_v",
            Self::O => "attn_output",
            Self::Gate => "ffn_gate",
            Self::Up => "ffn_up",
            Self::Down => "ffn_down",
        }
    }

    /// Module name in Hugging Face / PEFT checkpoints (`q_proj`, ...).
    pub fn peft_name(self) -> &'static str {
        match self {
            Self::Q => "q_proj",
            Self::K => "k_proj",
            Self::V => "v_proj",
            Self::O => "o_proj",
            Self::Gate => "gate_proj",
            Self::Up => "up_proj",
            Self::Down => "down_proj",
        }
    }

    /// Parent module in Hugging Face checkpoints.
    pub fn peft_parent(self) -> &'static str {
        match self {
            Self::Q | Self::K | Self::V | Self::O => "self_attn",
            Self::Gate | Self::Up | Self::Down => "mlp",
        }
    }

    pub fn from_peft_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.peft_name() == name)
    }

    /// `(out_features, in_features)` of this projection.
    pub fn shape(self, cfg: &ModelConfig) -> (usize, usize) {
        let e = cfg.embedding_length;
        let q = cfg.head_count * cfg.head_dim;
        let kv = cfg.head_count_kv * cfg.head_dim;
        let f = cfg.feed_forward_length;
        match self {
            Self::Q => (q, e),
            Self::K | Self::V => (kv, e),
            Self::O => (e, q),
            Self::Gate | Self::Up => (f, e),
            Self::Down => (e, f),
        }
    }

    /// Heads whose rows GGUF converters interleave for RoPE (see
    /// `adapter.rs`); `None` for projections stored as in Hugging Face,
    /// which is all of them in a model that rotates halves.
    pub(crate) fn rope_heads(self, cfg: &ModelConfig) -> Option<usize> {
        if cfg.architecture.rope_style() == RopeStyle::Halves {
            return None;
        }
        match self {
            Self::Q => Some(cfg.head_count),
            Self::K => Some(cfg.head_count_kv),
            _ => None,
        }
    }

    /// Whether the projection has a bias vector in `arch`
    /// (`blk.N.<name>.bias`).
    pub fn has_bias(self, arch: Architecture) -> bool {
        arch.has_qkv_bias() && matches!(self, Self::Q | Self::K | Self::V)
    }
}

pub(crate) fn meta_usize(md: &HashMap<String, Value>, key: &str) -> Option<usize> {
    let v = match md.get(key)? {
        Value::U8(v) => u64::from(*v),
        Value::U16(v) => u64::from(*v),
        Value::U32(v) => u64::from(*v),
        Value::U64(v) => *v,
        Value::I8(v) => u64::try_from(*v).ok()?,
        Value::I16(v) => u64::try_from(*v).ok()?,
        Value::I32(v) => u64::try_from(*v).ok()?,
        Value::I64(v) => u64::try_from(*v).ok()?,
        _ => return None,
    };
    usize::try_from(v).ok()
}

pub(crate) fn meta_f64(md: &HashMap<String, Value>, key: &str) -> Option<f64> {
    match md.get(key)? {
        Value::F32(v) => Some(f64::from(*v)),
        Value::F64(v) => Some(*v),
        _ => meta_usize(md, key).map(|v| v as f64),
    }
}

pub(crate) fn meta_str<'a>(md: &'a HashMap<String, Value>, key: &str) -> Option<&'a str> {
    match md.get(key)? {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn required(md: &HashMap<String, Value>, key: &str) -> Result<usize> {
    meta_usize(md, key).ok_or_else(|| ModelError::MissingMetadata { key: key.into() })
}

impl ModelConfig {
    /// Reads and sanity-checks the hyper-parameters. Tensor shapes are
    /// checked separately by [`GgufFile::check_shapes`].
    pub fn from_gguf(content: &Content) -> Result<Self> {
        let md = &content.metadata;
        let found = meta_str(md, "general.architecture").unwrap_or_default();
        let architecture =
            Architecture::from_name(found).ok_or_else(|| ModelError::UnsupportedArchitecture {
                found: found.into(),
            })?;
        let a = architecture.name();
        let key = |k: &str| format!("{a}.{k}");
        let block_count = required(md, &key("block_count"))?;
        let embedding_length = required(md, &key("embedding_length"))?;
        let feed_forward_length = required(md, &key("feed_forward_length"))?;
        let head_count = required(md, &key("attention.head_count"))?;
        let head_count_kv = meta_usize(md, &key("attention.head_count_kv")).unwrap_or(head_count);
        let rope_freq_base = meta_f64(md, &key("rope.freq_base")).unwrap_or(10_000.0) as f32;
        let rms_eps = meta_f64(md, &key("attention.layer_norm_rms_epsilon")).unwrap_or(1e-5);
        let context_length = meta_usize(md, &key("context_length"))
            .unwrap_or(2048)
            .min(MAX_CONTEXT);

        let bad = |msg: String| Err(ModelError::InvalidConfig(msg));
        if block_count == 0 || block_count > MAX_LAYERS {
            return bad(format!("block_count {block_count} out of range"));
        }
        if head_count == 0 || head_count_kv == 0 || head_count % head_count_kv != 0 {
            return bad(format!(
                "head_count {head_count} is not a multiple of head_count_kv {head_count_kv}"
            ));
        }
        if embedding_length == 0 || embedding_length % head_count != 0 {
            return bad(format!(
                "embedding_length {embedding_length} is not divisible by head_count {head_count}"
            ));
        }
        let head_dim = embedding_length / head_count;
        if head_dim % 2 != 0 {
            return bad(format!("head dimension {head_dim} is odd"));
        }
        if let Some(rope_dim) = meta_usize(md, &key("rope.dimension_count")) {
            if rope_dim != head_dim {
                return bad(format!(
                    "partial rotary embeddings ({rope_dim} of {head_dim}) are not supported"
                ));
            }
        }
        let in_range = (rms_eps > 0.0 && rms_eps < 1.0) && rope_freq_base > 0.0;
        if !in_range {
            return bad("rms epsilon or rope frequency base out of range".into());
        }
        let embd = content
            .tensor_infos
            .get("token_embd.weight")
            .ok_or_else(|| ModelError::MissingTensor {
                name: "token_embd.weight".into(),
            })?;
        let vocab_size = embd.shape.dims().first().copied().unwrap_or(0);
        Ok(Self {
            architecture,
            block_count,
            embedding_length,
            feed_forward_length,
            head_count,
            head_count_kv,
            head_dim,
            rope_freq_base,
            rms_eps,
            context_length,
            vocab_size,
            untied_output: content.tensor_infos.contains_key("output.weight"),
        })
    }

    /// Every tensor the forward pass reads, with its expected candle shape.
    pub fn expected_tensors(&self) -> Vec<(String, Vec<usize>)> {
        let e = self.embedding_length;
        let mut out = vec![
            ("token_embd.weight".to_string(), vec![self.vocab_size, e]),
            ("output_norm.weight".to_string(), vec![e]),
        ];
        if self.untied_output {
            out.push(("output.weight".to_string(), vec![self.vocab_size, e]));
        }
        for layer in 0..self.block_count {
            out.push((format!("blk.{layer}.attn_norm.weight"), vec![e]));
            out.push((format!("blk.{layer}.ffn_norm.weight"), vec![e]));
            for p in Projection::ALL {
                let (o, i) = p.shape(self);
                out.push((format!("blk.{layer}.{}.weight", p.gguf_name()), vec![o, i]));
                if p.has_bias(self.architecture) {
                    out.push((format!("blk.{layer}.{}.bias", p.gguf_name()), vec![o]));
                }
            }
        }
        out
    }
}

/// An open GGUF file whose header has been parsed and checked for truncation.
pub struct GgufFile {
    path: PathBuf,
    reader: BufReader<File>,
    content: Content,
}

impl GgufFile {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| ModelError::io(path, e))?;
        let actual = file.metadata().map_err(|e| ModelError::io(path, e))?.len();
        let mut reader = BufReader::new(file);
        let content = Content::read(&mut reader).map_err(|e| ModelError::InvalidModel {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut expected = content.tensor_data_offset;
        for (name, info) in &content.tensor_infos {
            let invalid = |reason: &str| ModelError::InvalidModel {
                path: path.to_path_buf(),
                reason: format!("tensor {name:?} {reason}"),
            };
            // Checked, because a corrupt header can claim absurd dimensions.
            let elems = info
                .shape
                .dims()
                .iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| invalid("has an impossible shape"))?;
            let block = info.ggml_dtype.block_size();
            if elems % block != 0 {
                return Err(invalid("does not fill whole quantization blocks"));
            }
            let end = (elems / block)
                .checked_mul(info.ggml_dtype.type_size())
                .and_then(|bytes| u64::try_from(bytes).ok())
                .and_then(|bytes| content.tensor_data_offset.checked_add(bytes))
                .and_then(|v| v.checked_add(info.offset))
                .ok_or_else(|| invalid("has an impossible offset"))?;
            expected = expected.max(end);
        }
        if expected > actual {
            return Err(ModelError::Truncated {
                path: path.to_path_buf(),
                expected,
                actual,
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            content,
        })
    }

    pub fn content(&self) -> &Content {
        &self.content
    }

    pub fn metadata(&self) -> &HashMap<String, Value> {
        &self.content.metadata
    }

    /// Tensor names in file order, so rewrites keep the original layout.
    pub fn tensor_names(&self) -> Vec<String> {
        let mut names: Vec<_> = self.content.tensor_infos.iter().collect();
        names.sort_by_key(|(_, info)| info.offset);
        names.into_iter().map(|(n, _)| n.clone()).collect()
    }

    pub fn tensor(&mut self, name: &str) -> Result<QTensor> {
        if !self.content.tensor_infos.contains_key(name) {
            return Err(ModelError::MissingTensor { name: name.into() });
        }
        self.content
            .tensor(&mut self.reader, name, &Device::Cpu)
            .map_err(|e| ModelError::InvalidModel {
                path: self.path.clone(),
                reason: format!("tensor {name:?}: {e}"),
            })
    }

    /// Checks that every tensor the forward pass needs exists with the shape
    /// the hyper-parameters imply, before any weight is read.
    pub fn check_shapes(&self, cfg: &ModelConfig) -> Result<()> {
        for (name, expected) in cfg.expected_tensors() {
            let info = self
                .content
                .tensor_infos
                .get(&name)
                .ok_or_else(|| ModelError::MissingTensor { name: name.clone() })?;
            let found = info.shape.dims().to_vec();
            if found != expected {
                return Err(ModelError::TensorShape {
                    name,
                    expected,
                    found,
                });
            }
        }
        Ok(())
    }

    /// The most common weight type among 2-D tensors, e.g. `Q8_0`.
    pub fn dominant_dtype(&self) -> Option<GgmlDType> {
        let mut counts: Vec<(GgmlDType, usize)> = Vec::new();
        for info in self.content.tensor_infos.values() {
            if info.shape.rank() != 2 {
                continue;
            }
            match counts.iter_mut().find(|(d, _)| *d == info.ggml_dtype) {
                Some((_, n)) => *n += 1,
                None => counts.push((info.ggml_dtype, 1)),
            }
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(d, _)| d)
    }
}
