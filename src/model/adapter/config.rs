//! `adapter_config.json` in the PEFT layout.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::error::{ModelError, Result};
use crate::model::gguf::Projection;

/// PEFT's `target_modules`: a list of module names or a regular expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TargetModules {
    List(Vec<String>),
    Pattern(String),
}

impl Default for TargetModules {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

fn default_peft_type() -> String {
    "LORA".into()
}

fn default_bias() -> String {
    "none".into()
}

/// The fields of a PEFT LoRA config this engine understands. Anything else
/// in the file is kept in `extra` and written back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdapterConfig {
    #[serde(default = "default_peft_type")]
    pub peft_type: String,
    pub r: usize,
    pub lora_alpha: f64,
    #[serde(default)]
    pub target_modules: TargetModules,
    #[serde(default)]
    pub base_model_name_or_path: Option<String>,
    #[serde(default)]
    pub use_rslora: bool,
    #[serde(default)]
    pub fan_in_fan_out: bool,
    #[serde(default = "default_bias")]
    pub bias: String,
    #[serde(default, skip_serializing_if = "is_empty_object")]
    pub rank_pattern: serde_json::Value,
    #[serde(default, skip_serializing_if = "is_empty_object")]
    pub alpha_pattern: serde_json::Value,
    /// Tokens from whose first occurrence PEFT's activated LoRA switches the
    /// adapter on; informational here, callers choose the position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alora_invocation_tokens: Option<Vec<u32>>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn is_empty_object(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

impl AdapterConfig {
    /// A config for a new adapter on the given projections, with the fields
    /// PEFT needs to load it as a causal-LM LoRA.
    pub fn new(r: usize, lora_alpha: f64, targets: &[Projection], base_model: &str) -> Self {
        let mut extra = serde_json::Map::new();
        extra.insert("task_type".into(), "CAUSAL_LM".into());
        extra.insert("inference_mode".into(), true.into());
        extra.insert("lora_dropout".into(), 0.0.into());
        Self {
            peft_type: default_peft_type(),
            r,
            lora_alpha,
            target_modules: TargetModules::List(
                targets.iter().map(|p| p.peft_name().to_string()).collect(),
            ),
            base_model_name_or_path: Some(base_model.to_string()),
            use_rslora: false,
            fan_in_fan_out: false,
            bias: default_bias(),
            rank_pattern: serde_json::Value::Null,
            alpha_pattern: serde_json::Value::Null,
            alora_invocation_tokens: None,
            extra,
        }
    }

    /// The factor applied to `B(Ax)`: `alpha / r`, or `alpha / sqrt(r)`
    /// with rank-stabilised LoRA.
    pub fn scale(&self) -> f64 {
        let r = self.r as f64;
        if self.use_rslora {
            self.lora_alpha / r.sqrt()
        } else {
            self.lora_alpha / r
        }
    }

    /// Rejects configurations whose semantics this engine does not implement,
    /// rather than silently computing something else.
    pub fn validate(&self, path: &Path) -> Result<()> {
        let fail = |reason: String| {
            Err(ModelError::AdapterConfig {
                path: path.to_path_buf(),
                reason,
            })
        };
        if !self.peft_type.eq_ignore_ascii_case("lora") {
            return fail(format!("peft_type {:?} is not LORA", self.peft_type));
        }
        if self.r == 0 {
            return fail("rank r must be positive".into());
        }
        if !self.lora_alpha.is_finite() {
            return fail("lora_alpha is not a finite number".into());
        }
        if self.bias != "none" {
            return fail(format!(
                "bias {:?} is not supported (only \"none\")",
                self.bias
            ));
        }
        if self.fan_in_fan_out {
            return fail("fan_in_fan_out adapters are not supported".into());
        }
        if !is_empty_object(&self.rank_pattern) || !is_empty_object(&self.alpha_pattern) {
            return fail("per-module rank_pattern/alpha_pattern is not supported".into());
        }
        // Variants that change the maths, stored by PEFT as extra fields.
        for flag in ["use_dora", "lora_bias"] {
            if self.extra.get(flag).and_then(serde_json::Value::as_bool) == Some(true) {
                return fail(format!("{flag} adapters are not supported"));
            }
        }
        Ok(())
    }
}
