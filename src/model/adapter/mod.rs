//! LoRA adapters stored the way PEFT stores them, so they move freely between
//! snipdex, Python's `peft` and other runtimes.
//!
//! A folder holds `adapter_config.json` and `adapter_model.safetensors` with
//! keys `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`
//! (`[r, in]`) and `...lora_B.weight` (`[out, r]`).
//!
//! GGUF converters permute the rows of llama's query and key projections so
//! that RoPE can rotate adjacent pairs (llama.cpp's `permute`); Hugging Face
//! weights rotate the two halves of each head instead. For llama, `lora_B`
//! of `q_proj` and `k_proj` is therefore permuted the same way on load, and
//! back on save: in memory an [`Adapter`] is in the engine's (GGUF) layout,
//! on disk in PEFT's. qwen2 GGUFs keep the Hugging Face order (the engine
//! rotates halves for them), so their adapters are used as stored.

mod config;
mod io;
mod rng;

pub use config::{AdapterConfig, TargetModules};
pub use io::{CONFIG_FILE, WEIGHTS_FILE};
pub(crate) use rng::SplitMix64;

use candle_core::{Device, Tensor};

use super::error::{ModelError, Result};
use super::gguf::{Architecture, ModelConfig, Projection, RopeStyle};

/// The base-model dimensions an adapter was validated against.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BaseDims {
    architecture: Architecture,
    blocks: usize,
    embd: usize,
    ffn: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
}

impl BaseDims {
    fn of(cfg: &ModelConfig) -> Self {
        Self {
            architecture: cfg.architecture,
            blocks: cfg.block_count,
            embd: cfg.embedding_length,
            ffn: cfg.feed_forward_length,
            heads: cfg.head_count,
            kv_heads: cfg.head_count_kv,
            head_dim: cfg.head_dim,
        }
    }

    /// As [`Projection::rope_heads`]: rows to permute between PEFT and
    /// engine order, for models whose GGUF rotates interleaved pairs.
    fn rope_heads(&self, p: Projection) -> Option<usize> {
        if self.architecture.rope_style() == RopeStyle::Halves {
            return None;
        }
        match p {
            Projection::Q => Some(self.heads),
            Projection::K => Some(self.kv_heads),
            _ => None,
        }
    }
}

/// One LoRA weight pair for a projection of one layer, in engine layout.
#[derive(Debug, Clone)]
pub struct LoraWeights {
    pub layer: usize,
    pub projection: Projection,
    /// `[r, in_features]`.
    pub a: Tensor,
    /// `[out_features, r]`.
    pub b: Tensor,
}

/// A validated LoRA adapter for one base model. Cheap to pass by reference;
/// several adapters can be used in turn with one loaded [`super::Model`].
#[derive(Debug, Clone)]
pub struct Adapter {
    config: AdapterConfig,
    scale: f64,
    base: BaseDims,
    /// `pairs[layer][projection.index()]`.
    pairs: Vec<Vec<Option<(Tensor, Tensor)>>>,
}

/// PEFT tensor name of a LoRA factor (`which` is `'A'` or `'B'`).
pub(crate) fn peft_key(layer: usize, p: Projection, which: char) -> String {
    format!(
        "base_model.model.model.layers.{layer}.{}.{}.lora_{which}.weight",
        p.peft_parent(),
        p.peft_name()
    )
}

impl Adapter {
    /// Builds an adapter from tensors already in engine layout (as a trainer
    /// holds them), checking every shape against `base`.
    pub fn from_weights(
        config: AdapterConfig,
        base: &ModelConfig,
        weights: Vec<LoraWeights>,
    ) -> Result<Self> {
        if config.r == 0 {
            return Err(ModelError::InvalidArgument(
                "LoRA rank must be positive".into(),
            ));
        }
        if weights.is_empty() {
            return Err(ModelError::InvalidArgument(
                "an adapter needs at least one LoRA weight pair".into(),
            ));
        }
        let mut pairs = vec![vec![None; Projection::ALL.len()]; base.block_count];
        for w in weights {
            let key = |which| peft_key(w.layer, w.projection, which);
            let slot = pairs
                .get_mut(w.layer)
                .ok_or_else(|| ModelError::AdapterTensor {
                    tensor: key('A'),
                    reason: format!(
                        "layer {} does not exist (the base model has {})",
                        w.layer, base.block_count
                    ),
                })?;
            let (out, inp) = w.projection.shape(base);
            check_factor(&w.a, &key('A'), &[config.r, inp])?;
            check_factor(&w.b, &key('B'), &[out, config.r])?;
            let slot = &mut slot[w.projection.index()];
            if slot.is_some() {
                return Err(ModelError::AdapterTensor {
                    tensor: key('A'),
                    reason: "given twice".into(),
                });
            }
            *slot = Some((w.a.contiguous()?, w.b.contiguous()?));
        }
        Ok(Self {
            scale: config.scale(),
            config,
            base: BaseDims::of(base),
            pairs,
        })
    }

    /// A fresh adapter initialised like PEFT does: `A` uniform in
    /// `±1/sqrt(in)`, `B` zero, so it starts out as the identity edit.
    pub fn initialized(
        config: AdapterConfig,
        base: &ModelConfig,
        targets: &[Projection],
        seed: u64,
    ) -> Result<Self> {
        let mut rng = SplitMix64::new(seed);
        let mut weights = Vec::new();
        for layer in 0..base.block_count {
            for &p in targets {
                let (out, inp) = p.shape(base);
                let bound = 1.0 / (inp as f32).sqrt();
                let a: Vec<f32> = (0..config.r * inp)
                    .map(|_| rng.uniform(-bound, bound))
                    .collect();
                weights.push(LoraWeights {
                    layer,
                    projection: p,
                    a: Tensor::from_vec(a, (config.r, inp), &Device::Cpu)?,
                    b: Tensor::zeros((out, config.r), candle_core::DType::F32, &Device::Cpu)?,
                });
            }
        }
        Self::from_weights(config, base, weights)
    }

    pub fn config(&self) -> &AdapterConfig {
        &self.config
    }

    /// `alpha / r` (or `alpha / sqrt(r)` with rsLoRA).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// `(A, B)` for one projection of one layer, engine layout.
    pub fn pair(&self, layer: usize, p: Projection) -> Option<(&Tensor, &Tensor)> {
        self.pairs
            .get(layer)?
            .get(p.index())?
            .as_ref()
            .map(|(a, b)| (a, b))
    }

    /// All weight pairs, engine layout, in layer then projection order.
    pub fn weights(&self) -> Vec<LoraWeights> {
        let mut out = Vec::new();
        for (layer, row) in self.pairs.iter().enumerate() {
            for p in Projection::ALL {
                if let Some((a, b)) = &row[p.index()] {
                    out.push(LoraWeights {
                        layer,
                        projection: p,
                        a: a.clone(),
                        b: b.clone(),
                    });
                }
            }
        }
        out
    }

    /// Fails unless this adapter was validated against a model of `cfg`'s shape.
    pub fn check_base(&self, cfg: &ModelConfig) -> Result<()> {
        let want = BaseDims::of(cfg);
        if self.base == want {
            Ok(())
        } else {
            Err(ModelError::InvalidArgument(format!(
                "adapter was built for a base model with dimensions {:?}, this model has {want:?}",
                self.base
            )))
        }
    }
}

fn check_factor(t: &Tensor, name: &str, expected: &[usize]) -> Result<()> {
    if t.dims() != expected {
        return Err(ModelError::AdapterShape {
            tensor: name.to_string(),
            expected: expected.to_vec(),
            found: t.dims().to_vec(),
        });
    }
    if t.dtype() != candle_core::DType::F32 {
        return Err(ModelError::AdapterTensor {
            tensor: name.to_string(),
            reason: format!("dtype {:?} where f32 is needed", t.dtype()),
        });
    }
    Ok(())
}

/// Converts `lora_B` rows of q/k between PEFT order (two halves per head)
/// and GGUF order (interleaved pairs). `to_gguf` selects the direction.
pub(crate) fn permute_rope_rows(b: &Tensor, heads: usize, to_gguf: bool) -> Result<Tensor> {
    let (out, r) = b.dims2()?;
    let half = out / heads / 2;
    let t = if to_gguf {
        b.reshape((heads, 2, half, r))?.transpose(1, 2)?
    } else {
        b.reshape((heads, half, 2, r))?.transpose(1, 2)?
    };
    Ok(t.contiguous()?.reshape((out, r))?)
}
