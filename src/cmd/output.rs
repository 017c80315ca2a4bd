//! Printing snippets for people and for scripts.
//!
//! Everything printed for people goes through [`crate::domain::terminal`]:
//! stored text may carry escape sequences (from a watched file, an import,
//! a gist's file name) that must never reach the terminal as commands.

use crate::domain::terminal::{block, one_line};
use crate::domain::Snippet;
use std::io::Write;

/// JSON array of snippet objects: the stable shape scripts rely on.
pub fn print_json(snippets: &[Snippet]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, snippets)?;
    writeln!(out)
}

/// Tags as `#a #b`, each one safe for the terminal.
fn hash_tags(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("#{}", one_line(t)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line per snippet: id, language, title, tags.
pub fn print_table(snippets: &[Snippet]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for s in snippets {
        let tags = if s.tags.is_empty() {
            String::new()
        } else {
            format!("  {}", hash_tags(&s.tags))
        };
        let secret = if s.has_secrets() { "  [secret]" } else { "" };
        writeln!(
            out,
            "{:>6}  {:<10}  {}{}{}",
            s.id,
            one_line(&s.language),
            one_line(&s.display_title()),
            tags,
            secret
        )?;
    }
    Ok(())
}

/// One line per tag: the tag, then how many snippets carry it.
pub fn print_tag_counts(counts: &[crate::store::TagCount]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let width = counts.iter().map(|c| c.tag.len()).max().unwrap_or(0);
    for c in counts {
        writeln!(out, "{:<width$}  {:>5}", c.tag, c.count)?;
    }
    Ok(())
}

/// A full, human-readable view of one snippet.
pub fn print_snippet(s: &Snippet) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let list = |items: &[String]| {
        items
            .iter()
            .map(|t| one_line(t).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(out, "#{}  {}", s.id, one_line(&s.display_title()))?;
    if !s.description.is_empty() {
        writeln!(out, "{}", one_line(&s.description))?;
    }
    writeln!(out, "language: {}", one_line(&s.language))?;
    if !s.tags.is_empty() {
        writeln!(out, "tags: {}", list(&s.tags))?;
    }
    for l in &s.links {
        writeln!(out, "link: {}", one_line(l))?;
    }
    if let crate::domain::Source::File {
        path, start_line, ..
    } = &s.source
    {
        writeln!(
            out,
            "source: {}:{}",
            one_line(&path.to_string_lossy()),
            start_line
        )?;
    }
    if s.has_secrets() {
        writeln!(out, "warning: contains secrets ({})", list(&s.secrets))?;
    }
    writeln!(out, "---")?;
    let content = block(&s.content);
    write!(out, "{content}")?;
    if !content.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}
