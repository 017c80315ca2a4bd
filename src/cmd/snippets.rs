//! add, list, show, search, edit, rm, tag.

use super::output::{print_json, print_snippet, print_table, print_tag_counts};
use super::{CliError, CmdResult, Exit};
use crate::cli::{AddArgs, EditArgs, ListArgs, RmArgs, SearchArgs, ShowArgs, TagArgs};
use crate::domain::terminal::one_line;
use crate::domain::{normalize_tags, NewSnippet, Snippet, Source};
use crate::library::{Library, LibraryError};
use crate::paths::Paths;
use crate::store::{ListFilter, SnippetPatch};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// How long `add` waits for a busy library after saying that it waits.
const ADD_PATIENCE: Duration = Duration::from_secs(120);

/// Largest snippet `add` accepts; the same limit the watcher uses.
fn read_input(file: Option<&Path>, limit: u64) -> Result<(String, Option<String>), CliError> {
    let mut bytes = Vec::new();
    let name = match file {
        Some(p) if p != Path::new("-") => {
            let f = std::fs::File::open(p)
                .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", p.display())))?;
            f.take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::bad_input(format!("cannot read {}: {e}", p.display())))?;
            p.file_name().map(|n| n.to_string_lossy().into_owned())
        }
        _ => {
            std::io::stdin()
                .lock()
                .take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| CliError::bad_input(format!("cannot read stdin: {e}")))?;
            None
        }
    };
    if bytes.len() as u64 > limit {
        return Err(CliError::bad_input(format!(
            "input is larger than the {limit}-byte limit (ingest.max_file_bytes)"
        )));
    }
    if bytes.contains(&0) {
        return Err(CliError::bad_input(
            "input looks binary (contains NUL bytes)",
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::bad_input("input is not valid UTF-8 text"))?;
    if text.trim().is_empty() {
        return Err(CliError::bad_input("nothing to add: the input is empty"));
    }
    Ok((text, name))
}

/// Tags as the user gave them, normalised; a tag that normalising would
/// drop (over 40 characters, or without a letter or digit) is an error
/// rather than silently lost.
fn usable_tags(raw: &[String]) -> Result<Vec<String>, CliError> {
    for part in raw.iter().flat_map(|t| t.split(',')) {
        if !part.trim().is_empty() && crate::domain::normalize_tag(part).is_none() {
            return Err(CliError::bad_input(format!(
                "the tag {:?} cannot be used: a tag has at most 40 characters and at least one letter or digit",
                one_line(part.trim())
            )));
        }
    }
    Ok(normalize_tags(raw))
}

pub fn add(paths: Paths, a: AddArgs) -> CmdResult {
    let mut lib = Library::open(paths)?;
    let (content, name) = read_input(a.file.as_deref(), lib.config.ingest.max_file_bytes)?;
    let language = match a.lang {
        Some(l) => crate::index::canonical_language(&l),
        None => crate::ingest::detect_language(name.as_deref().map(Path::new), &content),
    };
    // A file keeps its place as the source, as a watched file does: the
    // preview shows where the snippet came from, and the file's name is
    // its title until one is written or generated.
    let source = a
        .file
        .as_deref()
        .filter(|p| *p != Path::new("-"))
        .map(|p| Source::File {
            path: std::fs::canonicalize(p)
                .or_else(|_| std::path::absolute(p))
                .unwrap_or_else(|_| p.to_path_buf()),
            start_line: 1,
            end_line: u32::try_from(content.lines().count().max(1)).unwrap_or(u32::MAX),
            block: 0,
        });
    // Secrets, provenance (what the user gave is theirs) and the
    // enrichment job: the write path's business (crate::intake).
    let new = NewSnippet {
        title: a.title.unwrap_or_default(),
        source,
        description: a.description.unwrap_or_default(),
        tags: usable_tags(&a.tags)?,
        language,
        content,
        ..Default::default()
    };
    // Another process (a long import) may hold the write lock past
    // SQLite's busy timeout. Rather than fail, say so and wait longer.
    lib.store.set_patience(Duration::ZERO);
    let s = match lib.add(&new) {
        Err(LibraryError::Store(e)) if e.is_busy() => {
            eprintln!(
                "snipdex: the library is busy (another snipdex is writing to it); waiting up to {} s",
                ADD_PATIENCE.as_secs()
            );
            lib.store.set_patience(ADD_PATIENCE);
            lib.add(&new)?
        }
        other => other?,
    };
    if a.json {
        print_json(std::slice::from_ref(&s))?;
    } else {
        println!("{}", s.id);
        if s.has_secrets() {
            eprintln!(
                "warning: snippet {} looks like it contains secrets ({})",
                s.id,
                s.secrets.join(", ")
            );
        }
    }
    Ok(Exit::Ok)
}

pub fn list(paths: Paths, a: ListArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    let filter = ListFilter {
        tag: a.tag,
        language: a.lang.map(|l| crate::index::canonical_language(&l)),
        path_prefix: a.path.map(|p| std::path::absolute(&p).unwrap_or(p)),
        limit: a.limit,
    };
    let filtered =
        filter.tag.is_some() || filter.language.is_some() || filter.path_prefix.is_some();
    let snippets = lib.store.list(&filter)?;
    if a.json {
        print_json(&snippets)?;
    } else {
        print_table(&snippets)?;
    }
    Ok(if snippets.is_empty() && filtered {
        Exit::NoMatch
    } else {
        Exit::Ok
    })
}

pub fn show(paths: Paths, a: ShowArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    let snippets = a
        .ids
        .iter()
        .map(|id| lib.store.get(*id))
        .collect::<Result<Vec<Snippet>, _>>()?;
    if a.json {
        print_json(&snippets)?;
    } else if a.raw {
        for s in &snippets {
            print!("{}", s.content);
        }
    } else {
        for (i, s) in snippets.iter().enumerate() {
            if i > 0 {
                println!();
            }
            print_snippet(s)?;
        }
    }
    Ok(Exit::Ok)
}

pub fn search(paths: Paths, a: SearchArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    let query = a.query.join(" ");
    let parsed = crate::index::parse_query(&query);
    // Filters alone rank nothing: take every match, then the newest.
    let filter_only = parsed.words.is_empty() && parsed.phrases.is_empty();
    let fetch = if filter_only {
        usize::try_from(lib.index.num_docs())
            .unwrap_or(usize::MAX)
            .max(a.limit)
    } else {
        a.limit
    };
    let mut hits = lib.index.search(&query, fetch)?;
    // Another process owns the index (a watcher, the TUI): what was
    // written since it last synced is still in the outbox. Read through
    // it so that a snippet added a moment ago is found.
    if !lib.index.is_writable() {
        hits = super::pending::read_through(&lib.store, &query, fetch, hits)?;
    }
    let mut found = Vec::with_capacity(hits.len());
    for h in hits {
        // The index can briefly lag the store; skip what no longer exists.
        if let Some(s) = lib.store.find(h.id)? {
            found.push(s);
        }
    }
    if filter_only {
        found.sort_by(|x, y| y.updated_at.cmp(&x.updated_at).then(y.id.cmp(&x.id)));
    }
    found.truncate(a.limit);
    if a.json {
        print_json(&found)?;
    } else {
        print_table(&found)?;
    }
    Ok(if found.is_empty() {
        Exit::NoMatch
    } else {
        Exit::Ok
    })
}

pub fn edit(paths: Paths, a: EditArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    let s = lib.store.get(a.id)?;
    let mut patch = SnippetPatch {
        title: a.title,
        description: a.description,
        language: a.lang.map(|l| crate::index::canonical_language(&l)),
        ..Default::default()
    };
    if patch == SnippetPatch::default() {
        // A file-backed snippet belongs to its file: open the file at the
        // snippet's line, and let the watcher (or the next scan) pick up
        // the change, so the library and the file never disagree.
        if let Some((path, start_line)) = lib.store.owning_file(&s)? {
            let path = &path;
            crate::editor::open_file(path, Some(start_line)).map_err(editor_error)?;
            return Ok(Exit::Ok);
        }
        let edited = crate::editor::edit_text(&s.content, &s.language).map_err(editor_error)?;
        match edited {
            text if text != s.content && !text.trim().is_empty() => {
                patch.content = Some(text);
            }
            text if text.trim().is_empty() => {
                return Err(CliError::bad_input(
                    "the edited snippet is empty; nothing changed",
                ));
            }
            _ => {
                eprintln!("no changes");
                return Ok(Exit::Ok);
            }
        }
    }
    // New content gets its secrets found and an enrichment job, with the
    // row, in the write path.
    lib.intake().edit(&lib.store, s.id, patch)?;
    lib.sync_index();
    Ok(Exit::Ok)
}

/// A missing editor is unavailable (5); one that fails is a failure (10).
fn editor_error(e: crate::editor::EditorError) -> CliError {
    use crate::editor::EditorError;
    let exit = match &e {
        EditorError::Missing(_) | EditorError::Start { .. } => Exit::Unavailable,
        EditorError::Failed { .. } | EditorError::Io(_) => Exit::Failure,
    };
    CliError::new(exit, e)
}

pub fn rm(paths: Paths, a: RmArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    let mut missing = Vec::new();
    for id in &a.ids {
        if !lib.store.delete(*id)? {
            missing.push(id.to_string());
        }
    }
    lib.sync_index();
    if !missing.is_empty() {
        return Err(CliError::new(
            Exit::NotFound,
            anyhow::anyhow!("no snippet with id {}", missing.join(", ")),
        ));
    }
    Ok(Exit::Ok)
}

pub fn tag(paths: Paths, a: TagArgs) -> CmdResult {
    let lib = Library::open(paths)?;
    let Some(id) = a.id.filter(|_| !a.list) else {
        let counts = lib.store.tag_counts()?;
        if a.json {
            println!("{}", serde_json::to_string(&counts)?);
        } else {
            print_tag_counts(&counts)?;
        }
        return Ok(Exit::Ok);
    };
    let s = lib.store.get(id)?;
    let changing = !a.set.is_empty() || !a.add.is_empty() || !a.remove.is_empty();
    let s = if changing {
        let mut tags = if a.set.is_empty() {
            s.tags.clone()
        } else {
            usable_tags(&a.set)?
        };
        tags.extend(usable_tags(&a.add)?);
        let remove = normalize_tags(&a.remove);
        tags.retain(|t| !remove.contains(t));
        let s = lib.intake().edit(
            &lib.store,
            s.id,
            SnippetPatch {
                tags: Some(normalize_tags(&tags)),
                ..Default::default()
            },
        )?;
        lib.sync_index();
        s
    } else {
        s
    };
    if a.json {
        println!("{}", serde_json::to_string(&s.tags)?);
    } else {
        println!("{}", one_line(&s.tags.join(", ")));
    }
    Ok(Exit::Ok)
}
