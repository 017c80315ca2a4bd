//! Printing snippets for people and for scripts.

use crate::domain::Snippet;
use std::io::Write;

/// JSON array of snippet objects: the stable shape scripts rely on.
pub fn print_json(snippets: &[Snippet]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, snippets)?;
    writeln!(out)
}

/// One line per snippet: id, language, title, tags.
pub fn print_table(snippets: &[Snippet]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    for s in snippets {
        let tags = if s.tags.is_empty() {
            String::new()
        } else {
            format!("  #{}", s.tags.join(" #"))
        };
        let secret = if s.has_secrets() { "  [secret]" } else { "" };
        writeln!(
            out,
            "{:>6}  {:<10}  {}{}{}",
            s.id,
            s.language,
            s.display_title(),
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
    writeln!(out, "#{}  {}", s.id, s.display_title())?;
    if !s.description.is_empty() {
        writeln!(out, "{}", s.description)?;
    }
    writeln!(out, "language: {}", s.language)?;
    if !s.tags.is_empty() {
        writeln!(out, "tags: {}", s.tags.join(", "))?;
    }
    for l in &s.links {
        writeln!(out, "link: {l}")?;
    }
    if let crate::domain::Source::File {
        path, start_line, ..
    } = &s.source
    {
        writeln!(out, "source: {}:{}", path.display(), start_line)?;
    }
    if s.has_secrets() {
        writeln!(out, "warning: contains secrets ({})", s.secrets.join(", "))?;
    }
    writeln!(out, "---")?;
    write!(out, "{}", s.content)?;
    if !s.content.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}
