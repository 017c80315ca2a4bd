//! GitHub gist JSON (as the gists API returns it): an object, or an array
//! of objects, each with a `description` and a `files` map whose values have
//! `filename`, `language` and `content`. Each file becomes a snippet.

use super::ImportError;
use crate::domain::{FieldMeta, FieldMetas, NewSnippet, Provenance};
use serde_json::Value;

pub(super) fn looks_like(v: &Value) -> bool {
    let one = |o: &Value| o.get("files").is_some_and(Value::is_object);
    match v {
        Value::Array(items) => !items.is_empty() && items.iter().all(one),
        other => one(other),
    }
}

pub(super) fn parse(v: &Value) -> Result<Vec<NewSnippet>, ImportError> {
    let gists: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let imported = FieldMeta {
        provenance: Some(Provenance::Import),
        locked: false,
    };
    let mut out = Vec::new();
    for (index, gist) in gists.into_iter().enumerate() {
        let description = gist
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        let files = gist
            .get("files")
            .and_then(Value::as_object)
            .ok_or_else(|| ImportError::Invalid {
                format: "gist JSON",
                index,
                detail: "`files` is not an object".into(),
            })?;
        for (key, file) in files {
            let content = file.get("content").and_then(Value::as_str).ok_or_else(|| {
                ImportError::Invalid {
                    format: "gist JSON",
                    index,
                    detail: format!(
                        "file {key} has no `content` (fetch the full gist, not the listing)"
                    ),
                }
            })?;
            if content.trim().is_empty() {
                continue;
            }
            let name = file.get("filename").and_then(Value::as_str).unwrap_or(key);
            let language = file
                .get("language")
                .and_then(Value::as_str)
                .map(crate::index::canonical_language)
                .filter(|l| crate::ingest::is_known_language(l))
                .unwrap_or_else(|| {
                    crate::ingest::detect_language(Some(std::path::Path::new(name)), content)
                });
            let mut meta = FieldMetas {
                title: imported.clone(),
                ..Default::default()
            };
            if !description.is_empty() {
                meta.description = imported.clone();
            }
            out.push(NewSnippet {
                title: name.to_string(),
                description: description.clone(),
                language,
                content: content.to_string(),
                meta,
                ..Default::default()
            });
        }
    }
    Ok(out)
}
