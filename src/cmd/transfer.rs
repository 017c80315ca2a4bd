//! export and import.

use super::{CliError, CmdResult, Exit};
use crate::cli::{ExportArgs, ExportFormat, ImportArgs};
use crate::domain::content_hash;
use crate::domain::terminal::one_line;
use crate::library::Library;
use crate::paths::Paths;
use crate::store::ListFilter;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::Path;

pub fn export(paths: Paths, a: ExportArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    let mut snippets = lib.store.list(&ListFilter::default())?;
    // Oldest first reads naturally and keeps re-imports in the same order.
    snippets.reverse();
    // An export is made to be copied and shared: what holds a key or a
    // password stays behind unless asked for.
    let flagged = snippets.iter().filter(|s| s.has_secrets()).count();
    if !a.include_secrets {
        snippets.retain(|s| !s.has_secrets());
    }
    let body = match a.format {
        ExportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&snippets)?;
            s.push('\n');
            s
        }
        ExportFormat::Markdown => crate::interchange::to_markdown(&snippets),
    };
    match a.output {
        None => std::io::stdout().lock().write_all(body.as_bytes())?,
        Some(path) => write_atomically(&path, body.as_bytes())?,
    }
    eprintln!(
        "exported {}",
        crate::domain::count(snippets.len(), "snippet")
    );
    if flagged > 0 && a.include_secrets {
        let verb = if flagged == 1 { "is" } else { "are" };
        eprintln!("warning: {flagged} of them {verb} flagged as containing secrets");
    } else if flagged > 0 {
        eprintln!(
            "left out {} flagged as containing secrets (--include-secrets exports them)",
            crate::domain::count(flagged, "snippet")
        );
    }
    Ok(Exit::Ok)
}

/// Write through a temporary file in the same folder and rename it, so a
/// kill mid-write never leaves a half-written export behind.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

pub fn import(paths: Paths, a: ImportArgs) -> CmdResult {
    let mut text = String::new();
    let read = if a.file == Path::new("-") {
        std::io::stdin().lock().read_to_string(&mut text)
    } else {
        std::fs::File::open(&a.file).and_then(|mut f| f.read_to_string(&mut text))
    };
    read.map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", a.file.display())))?;
    let (format, incoming) = crate::interchange::parse(&text)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", a.file.display())))?;
    let mut lib = Library::open(paths)?;
    // Importing the same file twice must not duplicate: skip snippets whose
    // title and content already exist.
    let mut existing: HashSet<(String, String)> = HashSet::new();
    lib.store.for_each(|s| {
        existing.insert((s.title.clone(), s.content_hash.clone()));
        Ok(())
    })?;
    // The same checks, secrets and enrichment jobs as every other way in
    // (crate::intake); an import file is outside data, however it was made.
    let intake = lib.intake();
    let report = intake.import(&mut lib.store, incoming, |n| {
        existing.insert((n.title.trim().to_string(), content_hash(&n.content)))
    })?;
    let mut added = Vec::with_capacity(report.added.len());
    for id in &report.added {
        added.push(lib.store.get(*id)?);
    }
    let refused: Vec<String> = report
        .refused
        .iter()
        .map(|(i, title, why)| format!("snippet {} ({}): {why}", i + 1, one_line(title)))
        .collect();
    let cleaned = report.cleaned;
    let skipped = report.skipped;
    lib.sync_index();
    if a.json {
        super::output::print_json(&added)?;
    }
    for r in &refused {
        eprintln!("not imported: {r}");
    }
    if cleaned.dropped_links > 0 {
        eprintln!(
            "dropped {} links that were not https or http URLs",
            cleaned.dropped_links
        );
    }
    if cleaned.reset_times > 0 {
        eprintln!(
            "{} impossible times (before 1970 or in the future) were set to now",
            cleaned.reset_times
        );
    }
    eprintln!(
        "imported {} from {} ({} already present, {} refused)",
        crate::domain::count(added.len(), "snippet"),
        format.name(),
        skipped,
        refused.len()
    );
    Ok(Exit::Ok)
}
