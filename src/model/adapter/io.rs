//! Reading and writing adapter folders.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use safetensors::tensor::{Dtype, View};
use safetensors::SafeTensors;

use super::{peft_key, permute_rope_rows, Adapter, AdapterConfig, LoraWeights};
use crate::model::catalog::{identify, MODELS};
use crate::model::convert::write_atomically;
use crate::model::error::{ModelError, Result};
use crate::model::gguf::{ModelConfig, Projection};

pub const CONFIG_FILE: &str = "adapter_config.json";
pub const WEIGHTS_FILE: &str = "adapter_model.safetensors";

/// Splits `base_model.model.model.layers.N.<parent>.<proj>.lora_X[.default].weight`.
fn parse_key(key: &str) -> Option<(usize, Projection, char)> {
    let rest = key.strip_prefix("base_model.model.model.layers.")?;
    let rest = rest.strip_suffix(".weight")?;
    let rest = rest.strip_suffix(".default").unwrap_or(rest);
    let mut parts = rest.split('.');
    let layer = parts.next()?.parse().ok()?;
    let parent = parts.next()?;
    let proj = Projection::from_peft_name(parts.next()?)?;
    let which = match parts.next()? {
        "lora_A" => 'A',
        "lora_B" => 'B',
        _ => return None,
    };
    (parts.next().is_none() && parent == proj.peft_parent()).then_some((layer, proj, which))
}

fn to_f32(name: &str, view: &safetensors::tensor::TensorView<'_>) -> Result<Tensor> {
    let dtype = match view.dtype() {
        Dtype::F32 => DType::F32,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        other => {
            return Err(ModelError::AdapterTensor {
                tensor: name.into(),
                reason: format!("dtype {other:?} is not a float type"),
            })
        }
    };
    let t = Tensor::from_raw_buffer(view.data(), dtype, view.shape(), &Device::Cpu)?
        .to_dtype(DType::F32)?;
    let finite = t
        .flatten_all()?
        .to_vec1::<f32>()?
        .iter()
        .all(|v| v.is_finite());
    if !finite {
        return Err(ModelError::AdapterTensor {
            tensor: name.into(),
            reason: "contains NaN or infinite values".into(),
        });
    }
    Ok(t)
}

impl Adapter {
    /// Loads a PEFT adapter folder and validates it against `base`: every
    /// tensor must be a LoRA factor of an existing layer and projection, with
    /// the shape the base model and the config's rank imply.
    ///
    /// An adapter whose `base_model_name_or_path` names a known model (see
    /// [`crate::model::MODELS`]) other than `base` is refused with
    /// [`ModelError::AdapterBase`], naming both, before any tensor is read;
    /// one that names no known model is held to `base`'s shapes.
    pub fn load(dir: &Path, base: &ModelConfig) -> Result<Self> {
        let cfg_path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&cfg_path).map_err(|e| ModelError::io(&cfg_path, e))?;
        let config: AdapterConfig =
            serde_json::from_str(&text).map_err(|e| ModelError::AdapterConfig {
                path: cfg_path.clone(),
                reason: e.to_string(),
            })?;
        config.validate(&cfg_path)?;
        let wrong_base = |adapter_base: &str| ModelError::AdapterBase {
            path: dir.to_path_buf(),
            adapter_base: adapter_base.to_string(),
            model: describe_base(base),
        };
        if let Some(named) = &config.base_model_name_or_path {
            if names_other_known_model(named, base) {
                return Err(wrong_base(named));
            }
        }
        Self::load_tensors(dir, config, base)
    }

    fn load_tensors(dir: &Path, config: AdapterConfig, base: &ModelConfig) -> Result<Self> {
        let w_path = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&w_path).map_err(|e| ModelError::io(&w_path, e))?;
        let st = SafeTensors::deserialize(&bytes).map_err(|e| ModelError::AdapterConfig {
            path: w_path.clone(),
            reason: e.to_string(),
        })?;

        let mut factors: BTreeMap<(usize, Projection), (Option<Tensor>, Option<Tensor>)> =
            BTreeMap::new();
        for (name, view) in st.tensors() {
            let (layer, proj, which) =
                parse_key(&name).ok_or_else(|| ModelError::AdapterTensor {
                    tensor: name.clone(),
                    reason: "not a LoRA factor of a llama attention or MLP projection".into(),
                })?;
            let t = to_f32(&name, &view)?;
            let entry = factors.entry((layer, proj)).or_default();
            match which {
                'A' => entry.0 = Some(t),
                _ => entry.1 = Some(t),
            }
        }
        if factors.is_empty() {
            return Err(ModelError::AdapterConfig {
                path: w_path,
                reason: "holds no LoRA tensors".into(),
            });
        }

        let mut weights = Vec::with_capacity(factors.len());
        for ((layer, proj), pair) in factors {
            let missing = |which| ModelError::AdapterTensor {
                tensor: peft_key(layer, proj, which),
                reason: "missing (its partner factor is present)".into(),
            };
            let a = pair.0.ok_or_else(|| missing('A'))?;
            let b = pair.1.ok_or_else(|| missing('B'))?;
            // Check before permuting so the error names the shape on disk.
            let (out, _) = proj.shape(base);
            if b.dims() != [out, config.r] {
                return Err(ModelError::AdapterShape {
                    tensor: peft_key(layer, proj, 'B'),
                    expected: vec![out, config.r],
                    found: b.dims().to_vec(),
                });
            }
            let b = match proj.rope_heads(base) {
                Some(heads) => permute_rope_rows(&b, heads, true)?,
                None => b,
            };
            weights.push(LoraWeights {
                layer,
                projection: proj,
                a,
                b,
            });
        }
        Self::from_weights(config, base, weights)
    }

    /// Writes the adapter as a PEFT folder (created if needed). Each file is
    /// replaced atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| ModelError::io(dir, e))?;
        let mut tensors = Vec::new();
        for w in self.weights() {
            let b = match self.base.rope_heads(w.projection) {
                Some(heads) => permute_rope_rows(&w.b, heads, false)?,
                None => w.b.clone(),
            };
            tensors.push((peft_key(w.layer, w.projection, 'A'), F32View::new(&w.a)?));
            tensors.push((peft_key(w.layer, w.projection, 'B'), F32View::new(&b)?));
        }
        let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
        let bytes = safetensors::tensor::serialize(tensors, Some(meta)).map_err(|e| {
            ModelError::AdapterConfig {
                path: dir.join(WEIGHTS_FILE),
                reason: e.to_string(),
            }
        })?;
        let w_path = dir.join(WEIGHTS_FILE);
        write_atomically(&w_path, |w| {
            w.write_all(&bytes).map_err(|e| ModelError::io(&w_path, e))
        })?;

        let json =
            serde_json::to_string_pretty(&self.config).map_err(|e| ModelError::AdapterConfig {
                path: dir.join(CONFIG_FILE),
                reason: e.to_string(),
            })?;
        let c_path = dir.join(CONFIG_FILE);
        write_atomically(&c_path, |w| {
            w.write_all(json.as_bytes())
                .map_err(|e| ModelError::io(&c_path, e))
        })
    }
}

/// The last part of a model id or path, lower-cased:
/// `HuggingFaceTB/SmolLM2-135M-Instruct` -> `smollm2-135m-instruct`.
fn model_stem(name: &str) -> String {
    name.trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase()
}

/// Whether `named` (an adapter's base model) is a known model that `base`
/// is not. Names the catalog does not know (a local checkpoint, a test's
/// "tiny") decide nothing; the shapes do.
fn names_other_known_model(named: &str, base: &ModelConfig) -> bool {
    let stem = model_stem(named);
    let Some(named_model) = MODELS.iter().find(|m| model_stem(m.base_model) == stem) else {
        return false;
    };
    !named_model.fits(base)
}

/// How an error names the loaded base model.
fn describe_base(base: &ModelConfig) -> String {
    match identify(base) {
        Some(m) => format!("{} ({})", m.base_model, m.name),
        None => format!(
            "this {} model ({} layers, {} wide)",
            base.architecture.name(),
            base.block_count,
            base.embedding_length
        ),
    }
}

/// An f32 tensor's little-endian bytes, as safetensors wants them.
struct F32View {
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl F32View {
    fn new(t: &Tensor) -> Result<Self> {
        let values = t.flatten_all()?.to_vec1::<f32>()?;
        Ok(Self {
            shape: t.dims().to_vec(),
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        })
    }
}

impl View for F32View {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }

    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}
