//! Building blocks of the forward pass: weight matrices with a choice of
//! kernels, normalisation, rotary embeddings and the causal mask.

use std::sync::{Arc, OnceLock};

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Module, Shape, Tensor};

use super::error::{ModelError, Result};
use super::gguf::{ModelConfig, RopeStyle};
use super::qgemm::{self, PackedQ8};

/// Which kernels the forward pass uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardMode {
    /// Quantized matmuls everywhere: least memory, slow prefill.
    Quantized,
    /// Dequantize each weight to f32 for chunks of at least `min_rows`
    /// tokens. candle's f32 matmul is several times faster than its
    /// quantized one once there are enough rows to amortise the dequantization.
    Auto { min_rows: usize },
    /// Like `Auto`, but chunks of at least `min_rows` rows take f32 weights
    /// and exact f32 activations also where snipdex's Q8_0 kernel would run
    /// (it quantizes activations per 32 values). `min_rows: 1` computes every
    /// product in f32: a reference for what the activation rounding changes
    /// (`snipdex eval --precision`). Slower; not a mode for enrichment.
    ExactFrom { min_rows: usize },
    /// f32 weights and autograd-friendly ops everywhere so that gradients
    /// reach the LoRA tensors (training). Dequantized weights are cached.
    Differentiable,
}

impl Default for ForwardMode {
    fn default() -> Self {
        Self::Auto { min_rows: 32 }
    }
}

/// A weight matrix kept quantized, with an f32 copy made on demand.
///
/// Q8_0 matrices whose shape fits are repacked at load for snipdex's own
/// kernel ([`super::qgemm`]) where the CPU runs it, and then serve every
/// chunk length from the repacked copy (the GGUF's original is dropped, so
/// the model does not take more memory); other matrices keep candle's
/// quantized matmul, and its f32 path for long chunks.
///
/// Where the architecture has one, the bias vector is added to the output.
pub(crate) struct Linear {
    kernel: Kernel,
    dense: OnceLock<Tensor>,
    bias: Option<Tensor>,
}

enum Kernel {
    Candle { weight: Arc<QTensor>, qmm: QMatMul },
    Packed(PackedQ8),
}

impl Linear {
    pub(crate) fn new(weight: QTensor) -> Result<Self> {
        if qgemm::available() {
            if let Some(packed) = PackedQ8::pack(&weight)? {
                return Ok(Self {
                    kernel: Kernel::Packed(packed),
                    dense: OnceLock::new(),
                    bias: None,
                });
            }
        }
        Self::shared(Arc::new(weight))
    }

    /// A matrix sharing its storage with another user (tied embeddings).
    pub(crate) fn shared(weight: Arc<QTensor>) -> Result<Self> {
        let qmm = QMatMul::from_arc(weight.clone())?;
        Ok(Self {
            kernel: Kernel::Candle { weight, qmm },
            dense: OnceLock::new(),
            bias: None,
        })
    }

    /// Adds `bias` (`[out]`, f32) to every output row.
    pub(crate) fn with_bias(mut self, bias: Tensor) -> Result<Self> {
        let out = match &self.kernel {
            Kernel::Candle { weight, .. } => weight.shape().dims().first().copied().unwrap_or(0),
            Kernel::Packed(p) => p.shape().0,
        };
        if bias.dims() != [out] {
            return Err(ModelError::InvalidArgument(format!(
                "bias of shape {:?} does not fit a projection with {out} outputs",
                bias.dims()
            )));
        }
        self.bias = Some(bias.to_dtype(DType::F32)?);
        Ok(self)
    }

    fn dense(&self, keep: bool) -> Result<Tensor> {
        if let Some(t) = self.dense.get() {
            return Ok(t.clone());
        }
        let t = match &self.kernel {
            Kernel::Candle { weight, .. } => weight.dequantize(&Device::Cpu)?,
            Kernel::Packed(p) => Tensor::from_vec(p.dequantize(), p.shape(), &Device::Cpu)?,
        };
        if keep {
            // A racing thread may have stored the same values first; either copy is fine.
            let _ = self.dense.set(t.clone());
        }
        Ok(t)
    }

    /// `x [rows, in] -> [rows, out]`, plus the bias if there is one. The
    /// result is a fresh contiguous tensor either way, which the LoRA
    /// delta's in-place path relies on.
    pub(crate) fn forward(&self, x: &Tensor, mode: ForwardMode) -> Result<Tensor> {
        let y = self.forward_weight(x, mode, x.dim(0)?)?;
        self.add_bias(y)
    }

    /// Like [`Self::forward`], choosing candle's kernel as for a chunk of
    /// `chunk_rows` rows: a batch of several sequences' chunks takes the
    /// kernel each would take alone, so that every row's arithmetic is the
    /// one of its sequence run by itself.
    pub(crate) fn forward_as(
        &self,
        x: &Tensor,
        mode: ForwardMode,
        chunk_rows: usize,
    ) -> Result<Tensor> {
        let y = self.forward_weight(x, mode, chunk_rows)?;
        self.add_bias(y)
    }

    fn add_bias(&self, y: Tensor) -> Result<Tensor> {
        match &self.bias {
            Some(b) => Ok(y.broadcast_add(b)?),
            None => Ok(y),
        }
    }

    fn forward_weight(&self, x: &Tensor, mode: ForwardMode, chunk_rows: usize) -> Result<Tensor> {
        let rows = x.dim(0)?;
        let dense = match (&self.kernel, mode) {
            (_, ForwardMode::Differentiable) => true,
            (_, ForwardMode::ExactFrom { min_rows }) if chunk_rows >= min_rows => true,
            (Kernel::Packed(p), _) => return packed_forward(p, x, rows),
            (_, ForwardMode::Quantized) => false,
            (
                Kernel::Candle { weight, .. },
                ForwardMode::Auto { min_rows } | ForwardMode::ExactFrom { min_rows },
            ) => chunk_rows >= min_rows && weight.dtype() != GgmlDType::F32,
        };
        match &self.kernel {
            Kernel::Candle { qmm, .. } if !dense => Ok(qmm.forward(x)?),
            _ => {
                let w = self.dense(mode == ForwardMode::Differentiable)?;
                if x.track_op() {
                    return Ok(x.contiguous()?.apply_op1(FrozenMatmul(w))?);
                }
                Ok(x.matmul(&w.t()?)?)
            }
        }
    }
}

/// `x · Wᵀ` through snipdex's own kernel.
fn packed_forward(p: &PackedQ8, x: &Tensor, rows: usize) -> Result<Tensor> {
    let (out, inputs) = p.shape();
    if x.dims() != [rows, inputs] {
        return Err(ModelError::InvalidArgument(format!(
            "input of shape {:?} does not fit a [{out}, {inputs}] weight",
            x.dims()
        )));
    }
    let x = x.contiguous()?;
    let y = {
        let (storage, layout) = x.storage_and_layout();
        match (&*storage, layout.contiguous_offsets()) {
            (candle_core::Storage::Cpu(CpuStorage::F32(data)), Some((start, end))) => {
                p.matmul(&data[start..end], rows)
            }
            _ => {
                return Err(candle_core::Error::Msg(
                    "the Q8_0 kernel needs f32 input on the CPU".into(),
                )
                .into())
            }
        }
    };
    Ok(Tensor::from_vec(y, (rows, out), &Device::Cpu)?)
}

/// `x · Wᵀ` for a frozen base weight: its backward pass yields the input's
/// gradient only. candle's matmul would also compute, and accumulate into a
/// zero-filled buffer, a full-size gradient for every weight matrix on each
/// backward pass: most of a training step's time, for values nobody reads.
struct FrozenMatmul(Tensor);

impl CustomOp1 for FrozenMatmul {
    fn name(&self) -> &'static str {
        "frozen-matmul"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(data), Some((start, end))) = (storage, layout.contiguous_offsets())
        else {
            return Err(candle_core::Error::Msg(
                "frozen matmul needs a contiguous f32 input".into(),
            ));
        };
        let x = Tensor::from_slice(&data[start..end], layout.shape(), &Device::Cpu)?;
        let y = x.matmul(&self.0.t()?)?;
        let shape = y.shape().clone();
        Ok((CpuStorage::F32(y.flatten_all()?.to_vec1()?), shape))
    }

    fn bwd(
        &self,
        _arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        Ok(Some(grad_res.matmul(&self.0)?))
    }
}

/// `[rows, heads * hd] -> [1, heads, rows, hd]`, contiguous for RoPE.
pub(crate) fn heads(x: &Tensor, t: usize, n: usize, hd: usize) -> Result<Tensor> {
    Ok(x.reshape((1, t, n, hd))?.transpose(1, 2)?.contiguous()?)
}

pub(crate) fn rms_norm(x: &Tensor, w: &Tensor, eps: f32, mode: ForwardMode) -> Result<Tensor> {
    Ok(match mode {
        ForwardMode::Differentiable => candle_nn::ops::rms_norm_slow(x, w, eps)?,
        _ => candle_nn::ops::rms_norm(&x.contiguous()?, w, eps)?,
    })
}

/// Rotates `x` (`[1, heads, t, hd]`) by the positions' angles. GGUF llama
/// weights are permuted for interleaved (GPT-J style) rotation; qwen2's are
/// in Hugging Face order and rotate halves (GPT-NeoX style).
pub(crate) fn rope(
    x: &Tensor,
    cos: &Tensor,
    sin: &Tensor,
    mode: ForwardMode,
    style: RopeStyle,
) -> Result<Tensor> {
    use candle_nn::rotary_emb as re;
    let slow = mode == ForwardMode::Differentiable;
    Ok(match (style, slow) {
        (RopeStyle::Interleaved, true) => re::rope_i_slow(x, cos, sin)?,
        (RopeStyle::Interleaved, false) => re::rope_i(x, cos, sin)?,
        (RopeStyle::Halves, true) => re::rope_slow(x, cos, sin)?,
        (RopeStyle::Halves, false) => re::rope(x, cos, sin)?,
    })
}

pub(crate) fn rope_tables(cfg: &ModelConfig) -> Result<(Tensor, Tensor)> {
    let half = cfg.head_dim / 2;
    let inv_freq: Vec<f32> = (0..half)
        .map(|i| {
            1.0 / cfg
                .rope_freq_base
                .powf(2.0 * i as f32 / cfg.head_dim as f32)
        })
        .collect();
    let inv_freq = Tensor::from_vec(inv_freq, (1, half), &Device::Cpu)?;
    let positions = Tensor::arange(0u32, cfg.context_length as u32, &Device::Cpu)?
        .to_dtype(DType::F32)?
        .reshape((cfg.context_length, 1))?;
    let angles = positions.matmul(&inv_freq)?;
    Ok((angles.cos()?, angles.sin()?))
}

/// Additive mask `[t, start + t]`: query `i` (position `start + i`) sees every
/// cached key and the chunk's keys up to itself.
pub(crate) fn causal_mask(t: usize, start: usize) -> Result<Tensor> {
    let kv = start + t;
    let mask: Vec<f32> = (0..t)
        .flat_map(|i| {
            (0..kv).map(move |j| {
                if j > start + i {
                    f32::NEG_INFINITY
                } else {
                    0.0
                }
            })
        })
        .collect();
    Ok(Tensor::from_vec(mask, (t, kv), &Device::Cpu)?)
}
