//! pet (knqyf263/pet) keeps snippets as `[[snippets]]` tables with
//! `description`, `command`, `tag` and `output`.

use super::ImportError;
use crate::domain::{FieldMeta, FieldMetas, NewSnippet, Provenance};
use serde::Deserialize;

#[derive(Deserialize)]
struct PetFile {
    #[serde(default)]
    snippets: Vec<PetSnippet>,
}

#[derive(Deserialize)]
struct PetSnippet {
    #[serde(default)]
    description: String,
    command: String,
    #[serde(default)]
    tag: Vec<String>,
    #[serde(default)]
    output: String,
}

pub(super) fn parse(text: &str) -> Result<Vec<NewSnippet>, ImportError> {
    let file: PetFile = toml::from_str(text).map_err(|e| ImportError::Invalid {
        format: "pet TOML",
        index: 0,
        detail: e.message().to_string(),
    })?;
    let imported = FieldMeta {
        provenance: Some(Provenance::Import),
        locked: false,
    };
    Ok(file
        .snippets
        .into_iter()
        .filter(|p| !p.command.trim().is_empty())
        .map(|p| {
            let mut meta = FieldMetas::default();
            if !p.description.is_empty() {
                meta.title = imported.clone();
            }
            if !p.tag.is_empty() {
                meta.tags = imported.clone();
            }
            let description = if p.output.trim().is_empty() {
                String::new()
            } else {
                meta.description = imported.clone();
                format!("Output: {}", p.output.trim())
            };
            NewSnippet {
                title: p.description,
                description,
                tags: p.tag,
                language: "shell".into(),
                content: p.command,
                meta,
                ..Default::default()
            }
        })
        .collect())
}
