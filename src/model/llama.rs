//! The llama forward pass over quantized weights, with a KV cache and LoRA
//! deltas that can be switched on from a given position ("activated LoRA").
//! qwen2 runs through the same pass: its q/k/v biases live in the
//! projections ([`Linear`]) and its rotation is a [`super::gguf::RopeStyle`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::quantized::QTensor;
use candle_core::{Device, Tensor, D};

use super::adapter::Adapter;
use super::error::{ModelError, Result};
use super::gguf::{GgufFile, ModelConfig, Projection};
use super::lora::add_delta;
pub use super::ops::ForwardMode;
use super::ops::{causal_mask, heads, rms_norm, rope, rope_tables, Linear};
use super::tokenizer::TextTokenizer;

/// Options for [`Model::load_with`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub mode: ForwardMode,
}

/// How many positions to compute logits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logits {
    /// Only the last position, `[1, vocab]`: all generation needs.
    Last,
    /// Every position of the chunk, `[tokens, vocab]`: scoring and training.
    All,
}

/// A LoRA adapter acting on every position at or after `from_position`
/// (absolute, counted from the start of the cache).
#[derive(Debug, Clone, Copy)]
pub struct LoraActivation<'a> {
    pub adapter: &'a Adapter,
    pub from_position: usize,
}

/// Keys and values of every layer for the tokens seen so far.
///
/// Each layer's keys and values live in buffers `[1, kv_heads, capacity,
/// head_dim]` with room to spare, and a step writes its token's row in
/// place instead of copying the whole cache. Cloning is cheap: a clone
/// shares the buffers until either side appends, and the side that appends
/// while they are shared copies them first (copy on write), so one
/// prefilled prefix can seed many generations.
#[derive(Debug, Clone)]
pub struct KvCache {
    pub(super) layers: Vec<Option<LayerKv>>,
    tokens: Vec<u32>,
    /// Shared by every cache whose buffers are shared; a count of one
    /// means this cache alone may write into them.
    owner: Arc<()>,
}

/// One layer's buffers; positions `0..len` (the cache's length) are valid.
#[derive(Debug, Clone)]
pub(super) struct LayerKv {
    k: Tensor,
    v: Tensor,
}

/// Positions added when a buffer grows: a task's suffix and answer
/// usually fit in one step of growth.
const KV_GROWTH: usize = 128;

impl LayerKv {
    fn capacity(&self) -> Result<usize> {
        Ok(self.k.dim(2)?)
    }

    /// The valid keys and values after appending `k, v` (`[1, kv, t, hd]`)
    /// at position `len`. Writes in place when the buffers are this
    /// cache's alone and have room; otherwise copies into larger ones.
    /// Tensors that autograd tracks are concatenated and never written
    /// into later, so that the graph keeps the values it saw.
    pub(super) fn append(
        slot: &mut Option<LayerKv>,
        k: Tensor,
        v: Tensor,
        len: usize,
        exclusive: bool,
    ) -> Result<(Tensor, Tensor)> {
        let t = k.dim(2)?;
        let tracked = k.track_op() || v.track_op();
        let Some(old) = slot.as_ref() else {
            // A first chunk (usually a prefill) is stored as computed.
            *slot = Some(LayerKv {
                k: k.clone(),
                v: v.clone(),
            });
            return Ok((k, v));
        };
        let tracked = tracked || old.k.track_op() || old.v.track_op();
        if exclusive && !tracked && old.capacity()? >= len + t {
            old.k.slice_set(&k, 2, len)?;
            old.v.slice_set(&v, 2, len)?;
            return Ok((old.k.narrow(2, 0, len + t)?, old.v.narrow(2, 0, len + t)?));
        }
        let grow = |buf: &Tensor, new: &Tensor| -> Result<Tensor> {
            let head = buf.narrow(2, 0, len)?;
            if tracked {
                return Ok(Tensor::cat(&[&head, new], 2)?);
            }
            let (b, h, _, d) = new.dims4()?;
            let spare = Tensor::zeros((b, h, KV_GROWTH, d), new.dtype(), new.device())?;
            Ok(Tensor::cat(&[&head, new, &spare], 2)?)
        };
        let grown = LayerKv {
            k: grow(&old.k, &k)?,
            v: grow(&old.v, &v)?,
        };
        let valid = (
            grown.k.narrow(2, 0, len + t)?,
            grown.v.narrow(2, 0, len + t)?,
        );
        *slot = Some(grown);
        Ok(valid)
    }
}

impl KvCache {
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The tokens whose keys and values are cached, in order.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Whether no clone shares this cache's buffers, so that it may write
    /// into them.
    pub(super) fn is_exclusive(&self) -> bool {
        Arc::strong_count(&self.owner) == 1
    }

    /// Takes the layers a successful forward built (from this cache's, with
    /// `exclusive` as [`Self::is_exclusive`] said then) and its tokens.
    pub(super) fn commit(&mut self, layers: Vec<Option<LayerKv>>, tokens: &[u32], exclusive: bool) {
        self.layers = layers;
        if !exclusive {
            // Every layer was copied: the buffers are this cache's now.
            self.owner = Arc::new(());
        }
        self.tokens.extend_from_slice(tokens);
    }
}

pub(super) struct Layer {
    pub(super) attn_norm: Tensor,
    pub(super) ffn_norm: Tensor,
    pub(super) proj: Vec<Linear>,
}

/// A loaded llama-like model, its tokenizer and its precomputed RoPE tables.
pub struct Model {
    config: ModelConfig,
    tokenizer: TextTokenizer,
    pub(super) embed: Arc<QTensor>,
    pub(super) output: Linear,
    pub(super) final_norm: Tensor,
    pub(super) layers: Vec<Layer>,
    pub(super) cos: Tensor,
    pub(super) sin: Tensor,
    mode: ForwardMode,
    path: PathBuf,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("path", &self.path)
            .field("config", &self.config)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

fn norm_vector(file: &mut GgufFile, name: &str) -> Result<Tensor> {
    Ok(file.tensor(name)?.dequantize(&Device::Cpu)?)
}

impl Model {
    /// Loads a llama or qwen2 GGUF (any quantization candle reads; Q8_0 is
    /// fastest).
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, &LoadOptions::default())
    }

    pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Self> {
        let mut file = GgufFile::open(path)?;
        let config = ModelConfig::from_gguf(file.content())?;
        file.check_shapes(&config)?;
        let tokenizer = TextTokenizer::from_gguf_metadata(file.metadata())?;
        if tokenizer.vocab_size() > config.vocab_size {
            return Err(ModelError::InvalidConfig(format!(
                "tokenizer has {} tokens but the embedding only {} rows",
                tokenizer.vocab_size(),
                config.vocab_size
            )));
        }

        let embed = Arc::new(file.tensor("token_embd.weight")?);
        let output = if config.untied_output {
            Linear::new(file.tensor("output.weight")?)?
        } else {
            Linear::shared(embed.clone())?
        };
        let final_norm = norm_vector(&mut file, "output_norm.weight")?;
        let mut layers = Vec::with_capacity(config.block_count);
        for i in 0..config.block_count {
            let mut proj = Vec::with_capacity(Projection::ALL.len());
            for p in Projection::ALL {
                let name = format!("blk.{i}.{}", p.gguf_name());
                let mut linear = Linear::new(file.tensor(&format!("{name}.weight"))?)?;
                if p.has_bias(config.architecture) {
                    linear = linear.with_bias(norm_vector(&mut file, &format!("{name}.bias"))?)?;
                }
                proj.push(linear);
            }
            layers.push(Layer {
                attn_norm: norm_vector(&mut file, &format!("blk.{i}.attn_norm.weight"))?,
                ffn_norm: norm_vector(&mut file, &format!("blk.{i}.ffn_norm.weight"))?,
                proj,
            });
        }
        let (cos, sin) = rope_tables(&config)?;
        Ok(Self {
            config,
            tokenizer,
            embed,
            output,
            final_norm,
            layers,
            cos,
            sin,
            mode: opts.mode,
            path: path.to_path_buf(),
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn mode(&self) -> ForwardMode {
        self.mode
    }

    pub fn set_mode(&mut self, mode: ForwardMode) {
        self.mode = mode;
    }

    /// An empty cache for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache {
            layers: vec![None; self.config.block_count],
            tokens: Vec::new(),
            owner: Arc::new(()),
        }
    }

    /// Runs the base model (no adapter) over `tokens` and returns their cache:
    /// the shared prefix that every task's suffix continues from.
    pub fn prefill(&self, tokens: &[u32]) -> Result<KvCache> {
        let mut cache = self.new_cache();
        self.forward(tokens, &mut cache, None, Logits::Last)?;
        Ok(cache)
    }

    /// Feeds `tokens` after the ones already in `cache`, appends their keys
    /// and values, and returns logits (`[1, vocab]` or `[tokens, vocab]`).
    pub fn forward(
        &self,
        tokens: &[u32],
        cache: &mut KvCache,
        lora: Option<LoraActivation<'_>>,
        logits: Logits,
    ) -> Result<Tensor> {
        self.check_inputs(tokens, cache, lora)?;
        let start = cache.len();
        let t = tokens.len();
        let cfg = &self.config;
        let mode = self.mode;
        let eps = cfg.rms_eps as f32;
        // Rows of this chunk from which the adapter acts.
        let lora = lora.and_then(|l| {
            let first = l.from_position.saturating_sub(start);
            (first < t).then_some((l.adapter, first))
        });

        let ids = Tensor::new(tokens, &Device::Cpu)?;
        let mut h = self.embed.embedding(&ids)?;
        let mask = (t > 1).then(|| causal_mask(t, start)).transpose()?;
        let cos = self.cos.narrow(0, start, t)?;
        let sin = self.sin.narrow(0, start, t)?;
        let (n_h, n_kv, hd) = (cfg.head_count, cfg.head_count_kv, cfg.head_dim);
        // Updated on the side so that a failure leaves `cache` as it was:
        // in-place writes land past its length, where nothing reads them.
        let mut kv_layers = cache.layers.clone();
        let exclusive = cache.is_exclusive();

        for (li, layer) in self.layers.iter().enumerate() {
            let proj = |p: Projection, x: &Tensor| -> Result<Tensor> {
                let y = layer.proj[p.index()].forward(x, mode)?;
                match lora.and_then(|(ad, first)| ad.pair(li, p).map(|ab| (ad, ab, first))) {
                    None => Ok(y),
                    Some((adapter, ab, first)) => add_delta(y, x, ab, adapter.scale(), first..t),
                }
            };

            let x = rms_norm(&h, &layer.attn_norm, eps, mode)?;
            let q = heads(&proj(Projection::Q, &x)?, t, n_h, hd)?;
            let k = heads(&proj(Projection::K, &x)?, t, n_kv, hd)?;
            let v = heads(&proj(Projection::V, &x)?, t, n_kv, hd)?;
            let q = rope(&q, &cos, &sin, mode, cfg.architecture.rope_style())?;
            let k = rope(&k, &cos, &sin, mode, cfg.architecture.rope_style())?;
            let (k, v) = LayerKv::append(&mut kv_layers[li], k, v, start, exclusive)?;

            let y = self.attend(&q, &k, &v, mask.as_ref(), t)?;
            h = (h + proj(Projection::O, &y)?)?;

            let x = rms_norm(&h, &layer.ffn_norm, eps, mode)?;
            let gate = candle_nn::ops::silu(&proj(Projection::Gate, &x)?)?;
            let up = proj(Projection::Up, &x)?;
            h = (h + proj(Projection::Down, &(gate * up)?)?)?;
        }
        let h = match logits {
            Logits::Last => h.narrow(0, t - 1, 1)?,
            Logits::All => h,
        };
        let h = rms_norm(&h, &self.final_norm, eps, mode)?;
        let logits = self.output.forward(&h, mode)?;
        cache.commit(kv_layers, tokens, exclusive);
        Ok(logits)
    }

    /// Grouped-query attention of `t` new queries (`[1, heads, t, hd]`, at
    /// the end of the sequence) over `k, v` (`[1, kv_heads, len, hd]`), without
    /// copying K/V: the query heads sharing a KV head are stacked along the
    /// row axis. Returns `[t, heads * hd]`.
    pub(super) fn attend(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: Option<&Tensor>,
        t: usize,
    ) -> Result<Tensor> {
        let cfg = &self.config;
        let (n_h, n_kv, hd) = (cfg.head_count, cfg.head_count_kv, cfg.head_dim);
        let n_rep = n_h / n_kv;
        let kv_len = k.dim(2)?;
        let q = q.reshape((1, n_kv, n_rep * t, hd))?;
        let att = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?;
        let att = match mask {
            Some(m) => att
                .reshape((1, n_kv, n_rep, t, kv_len))?
                .broadcast_add(m)?
                .reshape((1, n_kv, n_rep * t, kv_len))?,
            None => att,
        };
        let att = match self.mode {
            ForwardMode::Differentiable => candle_nn::ops::softmax(&att, D::Minus1)?,
            _ => candle_nn::ops::softmax_last_dim(&att)?,
        };
        Ok(att
            .matmul(v)?
            .reshape((1, n_h, t, hd))?
            .transpose(1, 2)?
            .reshape((t, n_h * hd))?)
    }

    pub(super) fn check_inputs(
        &self,
        tokens: &[u32],
        cache: &KvCache,
        lora: Option<LoraActivation<'_>>,
    ) -> Result<()> {
        if tokens.is_empty() {
            return Err(ModelError::InvalidArgument("no tokens to feed".into()));
        }
        if cache.layers.len() != self.config.block_count {
            return Err(ModelError::InvalidArgument(
                "KV cache belongs to a model with a different layer count".into(),
            ));
        }
        let needed = cache.len() + tokens.len();
        if needed > self.config.context_length {
            return Err(ModelError::ContextOverflow {
                needed,
                max: self.config.context_length,
            });
        }
        if let Some(&id) = tokens
            .iter()
            .find(|&&id| id as usize >= self.config.vocab_size)
        {
            return Err(ModelError::TokenOutOfRange {
                id,
                vocab: self.config.vocab_size,
            });
        }
        if let Some(l) = lora {
            l.adapter.check_base(&self.config)?;
        }
        Ok(())
    }
}
