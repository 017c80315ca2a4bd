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

/// Rows staged per transaction, and the pause between two, in which other
/// writers (the watcher, `snipdex add`) take their turn: longer than the
/// longest sleep of SQLite's busy handler, so that one waiting is sure to
/// wake up inside it.
const STAGE_ROWS: usize = 2_000;
const STAGE_PAUSE: std::time::Duration = std::time::Duration::from_millis(120);

/// Write `rows` into the staging table in short transactions, then move
/// them into the library in one: the import lands whole or not at all,
/// without holding the write lock for the whole import.
fn stage_and_import(
    store: &mut crate::store::Store,
    rows: &[crate::domain::NewSnippet],
    enrich: bool,
) -> Result<Vec<crate::domain::SnippetId>, crate::store::StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut import = store.stage_begin()?;
    for (i, chunk) in rows.chunks(STAGE_ROWS).enumerate() {
        if i > 0 {
            std::thread::sleep(STAGE_PAUSE);
        }
        if let Err(e) = store.stage(&mut import, chunk) {
            if let Err(again) = store.stage_discard(import) {
                tracing::warn!(error = %again, "staged rows left for the next import to remove");
            }
            return Err(e);
        }
    }
    store.stage_finish(import, enrich)
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
    let mut added = Vec::new();
    let mut skipped = 0usize;
    let enrich = lib.config.enrich.enabled;
    let limit = lib.config.ingest.max_file_bytes;
    // The same check as every other way in; an import file is outside
    // data, however it was made.
    let mut refused: Vec<String> = Vec::new();
    let mut cleaned = crate::ingest::Admitted::default();
    let mut admitted = Vec::with_capacity(incoming.len());
    for (i, mut n) in incoming.into_iter().enumerate() {
        match crate::ingest::admit(&mut n, limit) {
            Ok(done) => {
                cleaned.dropped_links += done.dropped_links;
                cleaned.reset_times += done.reset_times;
                admitted.push(n);
            }
            Err(why) => refused.push(format!(
                "snippet {} ({}): {why}",
                i + 1,
                one_line(n.title.trim())
            )),
        }
    }
    let mut rows = Vec::with_capacity(admitted.len());
    for mut n in admitted {
        let key = (n.title.trim().to_string(), content_hash(&n.content));
        if !existing.insert(key) {
            skipped += 1;
            continue;
        }
        if n.language.trim().is_empty() {
            n.language = crate::ingest::detect_language(None, &n.content);
        }
        if n.secrets.is_empty() {
            n.secrets = crate::ingest::detect_secrets(&n.content)
                .iter()
                .map(|k| k.to_string())
                .collect();
        }
        rows.push(n);
    }
    let ids = stage_and_import(&mut lib.store, &rows, enrich)?;
    for id in ids {
        added.push(lib.store.get(id)?);
    }
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
