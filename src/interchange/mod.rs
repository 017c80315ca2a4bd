//! Moving snippets in and out: snipdex's own JSON (lossless), Markdown
//! export, and imports from pet's TOML and gist-style JSON.

mod gist;
mod pet;

use crate::domain::{FieldMetas, NewSnippet, Snippet, Source};
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a format snipdex can import (snipdex JSON, pet TOML, gist JSON): {0}")]
    Unrecognised(String),
    #[error("invalid {format} at snippet {index}: {detail}")]
    Invalid {
        format: &'static str,
        index: usize,
        detail: String,
    },
}

/// What an import file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Snipdex,
    Pet,
    Gist,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Snipdex => "snipdex JSON",
            Format::Pet => "pet TOML",
            Format::Gist => "gist JSON",
        }
    }
}

/// A snippet as exported. Everything but the id, which the importing
/// library assigns, comes back exactly.
#[derive(Debug, Deserialize)]
struct Exported {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    links: Vec<String>,
    #[serde(default)]
    language: String,
    content: String,
    #[serde(default = "manual")]
    source: Source,
    #[serde(default)]
    meta: FieldMetas,
    #[serde(default)]
    secrets: Vec<String>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

fn manual() -> Source {
    Source::Manual
}

/// Parse an import file, detecting its format from the content.
pub fn parse(text: &str) -> Result<(Format, Vec<NewSnippet>), ImportError> {
    // Editors on Windows start UTF-8 files with a byte-order mark, which
    // neither JSON nor TOML parsers accept.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // `[[snippets]]` starts like a JSON array, so JSON is tried first and
    // TOML only when JSON fails.
    let json_error = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(value) if gist::looks_like(&value) => return Ok((Format::Gist, gist::parse(&value)?)),
        Ok(value) => return Ok((Format::Snipdex, parse_snipdex(value)?)),
        Err(e) => e,
    };
    match toml::from_str::<toml::Value>(text) {
        Ok(v) if v.get("snippets").is_some() => Ok((Format::Pet, pet::parse(text)?)),
        Ok(_) => Err(ImportError::Unrecognised(
            "TOML without a [[snippets]] table".into(),
        )),
        Err(toml_error) => {
            // `[[snippets]]` opens a TOML table array; `[[[1]]]` or
            // `[[{` is nested JSON.
            let start = text.trim_start();
            let toml_table = start
                .strip_prefix("[[")
                .map(str::trim_start)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_alphabetic() || c == '"'));
            let looks_json = matches!(start.chars().next(), Some('{') | Some('[')) && !toml_table;
            Err(ImportError::Unrecognised(if looks_json {
                format!("JSON error: {json_error}")
            } else {
                format!("TOML error: {}", toml_error.message())
            }))
        }
    }
}

fn parse_snipdex(value: serde_json::Value) -> Result<Vec<NewSnippet>, ImportError> {
    let items = match value {
        serde_json::Value::Array(items) => items,
        // A single exported object is accepted too.
        obj @ serde_json::Value::Object(_) => vec![obj],
        _ => {
            return Err(ImportError::Unrecognised(
                "JSON that is not an array".into(),
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            let e: Exported = serde_json::from_value(item).map_err(|err| ImportError::Invalid {
                format: "snipdex JSON",
                index,
                detail: err.to_string(),
            })?;
            Ok(NewSnippet {
                title: e.title,
                description: e.description,
                tags: e.tags,
                links: e.links,
                language: e.language,
                content: e.content,
                source: Some(e.source),
                meta: e.meta,
                secrets: e.secrets,
                created_at: e.created_at,
                updated_at: e.updated_at,
            })
        })
        .collect()
}

/// Markdown for reading or sharing: a heading per snippet and a fence.
pub fn to_markdown(snippets: &[Snippet]) -> String {
    let mut out = String::from("# Snippets\n");
    for s in snippets {
        out.push_str(&format!("\n## {}\n\n", s.display_title()));
        if !s.description.is_empty() {
            out.push_str(&format!("{}\n\n", s.description));
        }
        if !s.tags.is_empty() {
            out.push_str(&format!("Tags: {}\n\n", s.tags.join(", ")));
        }
        if s.has_secrets() {
            out.push_str(&format!(
                "> **Contains secrets** ({}): do not share.\n\n",
                s.secrets.join(", ")
            ));
        }
        for l in &s.links {
            out.push_str(&format!("- <{l}>\n"));
        }
        if !s.links.is_empty() {
            out.push('\n');
        }
        // A fence longer than any backtick run inside keeps the block intact.
        let longest = s
            .content
            .split(|c| c != '`')
            .map(str::len)
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let lang = if s.language == "text" {
            ""
        } else {
            &s.language
        };
        out.push_str(&format!("{fence}{lang}\n{}", s.content));
        if !s.content.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{fence}\n"));
    }
    out
}

#[cfg(test)]
mod tests;
