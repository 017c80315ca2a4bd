//! Snippet rows: create, read, update, delete. All SQL is parameterised.

use super::{Result, Store, StoreError};
use crate::domain::{
    content_hash, now_ms, Field, FieldMetas, NewSnippet, Provenance, Snippet, SnippetId, Source,
};
use rusqlite::{params, OptionalExtension, Row};
use std::path::{Path, PathBuf};

const COLUMNS: &str = "s.id, s.title, s.description, s.links, s.language, s.content,
    s.content_hash, s.source_path, s.source_start, s.source_end, s.source_block, s.meta,
    s.secrets, s.created_at, s.updated_at,
    (SELECT json_group_array(tag) FROM
        (SELECT tag FROM snippet_tags WHERE snippet_id = s.id ORDER BY position))";

/// Which snippets `list` returns. Empty filters match everything.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub tag: Option<String>,
    pub language: Option<String>,
    /// Only snippets from files under this path.
    pub path_prefix: Option<PathBuf>,
    pub limit: Option<usize>,
}

/// A change made by the user (CLI, TUI, editor). Every field it sets becomes
/// user-provided and locked against the model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnippetPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub links: Option<Vec<String>>,
    pub content: Option<String>,
    pub language: Option<String>,
    pub secrets: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TagCount {
    pub tag: String,
    pub count: i64,
}

pub(super) fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

fn parse_list(id: i64, text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::BadRow {
        id,
        detail: e.to_string(),
    })
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<(Snippet, [String; 4])> {
    let id: i64 = row.get(0)?;
    let path: Option<String> = row.get(7)?;
    let source = match path {
        None => Source::Manual,
        Some(p) => Source::File {
            path: PathBuf::from(p),
            start_line: row.get::<_, Option<u32>>(8)?.unwrap_or(1),
            end_line: row.get::<_, Option<u32>>(9)?.unwrap_or(1),
            block: row.get::<_, Option<u32>>(10)?.unwrap_or(0),
        },
    };
    let snippet = Snippet {
        id,
        title: row.get(1)?,
        description: row.get(2)?,
        tags: Vec::new(),
        links: Vec::new(),
        language: row.get(4)?,
        content: row.get(5)?,
        content_hash: row.get(6)?,
        source,
        meta: FieldMetas::default(),
        secrets: Vec::new(),
        created_at: row.get(13)?,
        updated_at: row.get(14)?,
    };
    // JSON columns are decoded outside the rusqlite closure so a bad value
    // becomes a `BadRow` naming the snippet rather than a generic SQL error.
    Ok((
        snippet,
        [row.get(3)?, row.get(11)?, row.get(12)?, row.get(15)?],
    ))
}

fn finish((mut s, [links, meta, secrets, tags]): (Snippet, [String; 4])) -> Result<Snippet> {
    s.links = parse_list(s.id, &links)?;
    s.secrets = parse_list(s.id, &secrets)?;
    s.tags = parse_list(s.id, &tags)?;
    s.meta = serde_json::from_str(&meta).map_err(|e| StoreError::BadRow {
        id: s.id,
        detail: e.to_string(),
    })?;
    Ok(s)
}

pub(super) fn source_columns(
    source: &Source,
) -> (Option<String>, Option<u32>, Option<u32>, Option<u32>) {
    match source {
        Source::Manual => (None, None, None, None),
        Source::File {
            path,
            start_line,
            end_line,
            block,
        } => (
            Some(path.to_string_lossy().into_owned()),
            Some(*start_line),
            Some(*end_line),
            Some(*block),
        ),
    }
}

impl Store {
    /// Add a snippet and return it as stored.
    pub fn insert(&self, new: &NewSnippet) -> Result<Snippet> {
        let now = now_ms();
        let source = new.source.clone().unwrap_or(Source::Manual);
        let (path, start, end, block) = source_columns(&source);
        let meta = serde_json::to_string(&new.meta).unwrap_or_else(|_| "{}".into());
        let language = if new.language.trim().is_empty() {
            "text"
        } else {
            new.language.as_str()
        };
        let tx = self.savepoint()?;
        tx.execute(
            "INSERT INTO snippets (title, description, links, language, content, content_hash,
                source_path, source_start, source_end, source_block, meta, secrets,
                created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                new.title.trim(),
                new.description.trim(),
                json_list(&new.links),
                language,
                new.content,
                content_hash(&new.content),
                path,
                start,
                end,
                block,
                meta,
                json_list(&new.secrets),
                new.created_at.unwrap_or(now),
                new.updated_at.unwrap_or(now),
            ],
        )?;
        let id = tx.last_insert_rowid();
        write_tags(&tx, id, &crate::domain::normalize_tags(&new.tags))?;
        tx.commit()?;
        self.get(id)
    }

    pub fn find(&self, id: SnippetId) -> Result<Option<Snippet>> {
        let sql = format!("SELECT {COLUMNS} FROM snippets s WHERE s.id = ?1");
        let row = self
            .conn()
            .query_row(&sql, params![id], from_row)
            .optional()?;
        row.map(finish).transpose()
    }

    pub fn get(&self, id: SnippetId) -> Result<Snippet> {
        self.find(id)?.ok_or(StoreError::NotFound(id))
    }

    /// Snippets matching `filter`, most recently updated first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<Snippet>> {
        let mut sql = format!("SELECT {COLUMNS} FROM snippets s WHERE 1 = 1");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(tag) = &filter.tag {
            args.push(Box::new(tag.to_lowercase()));
            sql.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM snippet_tags t WHERE t.snippet_id = s.id AND t.tag = ?{})",
                args.len()
            ));
        }
        if let Some(lang) = &filter.language {
            args.push(Box::new(lang.to_lowercase()));
            sql.push_str(&format!(" AND s.language = ?{}", args.len()));
        }
        if let Some(prefix) = &filter.path_prefix {
            let p = prefix.to_string_lossy().into_owned();
            args.push(Box::new(p.clone()));
            let exact = args.len();
            args.push(Box::new(format!("{}{}", p.trim_end_matches('/'), "/")));
            // substr avoids LIKE, whose wildcards could appear in a path.
            sql.push_str(&format!(
                " AND (s.source_path = ?{exact} OR substr(s.source_path, 1, length(?{n})) = ?{n})",
                n = args.len()
            ));
        }
        sql.push_str(" ORDER BY s.updated_at DESC, s.id DESC");
        if let Some(limit) = filter.limit {
            sql.push_str(&format!(" LIMIT {}", limit.min(i64::MAX as usize)));
        }
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(args.iter().map(|b| b.as_ref())),
            from_row,
        )?;
        rows.map(|r| finish(r?)).collect()
    }

    /// Visit every snippet in id order without holding them all in memory.
    pub fn for_each(&self, mut f: impl FnMut(Snippet) -> Result<()>) -> Result<()> {
        let sql = format!("SELECT {COLUMNS} FROM snippets s ORDER BY s.id");
        let mut stmt = self.conn().prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            f(finish(from_row(row)?)?)?;
        }
        Ok(())
    }

    pub fn count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM snippets", [], |r| r.get(0))?)
    }

    /// Apply a user edit; every field it touches becomes user-owned and locked.
    pub fn update(&self, id: SnippetId, patch: &SnippetPatch) -> Result<Snippet> {
        let mut s = self.get(id)?;
        let tx = self.savepoint()?;
        let lock = |field: Field, meta: &mut FieldMetas| {
            let m = meta.get_mut(field);
            m.provenance = Some(Provenance::User);
            m.locked = true;
        };
        if let Some(t) = &patch.title {
            s.title = t.trim().to_string();
            lock(Field::Title, &mut s.meta);
        }
        if let Some(d) = &patch.description {
            s.description = d.trim().to_string();
            lock(Field::Description, &mut s.meta);
        }
        if let Some(l) = &patch.links {
            s.links = l.clone();
            lock(Field::Links, &mut s.meta);
        }
        if let Some(tags) = &patch.tags {
            write_tags(&tx, id, &crate::domain::normalize_tags(tags))?;
            lock(Field::Tags, &mut s.meta);
        }
        if let Some(c) = &patch.content {
            s.content_hash = content_hash(c);
            s.content = c.clone();
        }
        if let Some(l) = &patch.language {
            s.language = l.clone();
        }
        if let Some(sec) = &patch.secrets {
            s.secrets = sec.clone();
        }
        tx.execute(
            "UPDATE snippets SET title = ?2, description = ?3, links = ?4, content = ?5,
                content_hash = ?6, language = ?7, meta = ?8, secrets = ?9, updated_at = ?10
             WHERE id = ?1",
            params![
                id,
                s.title,
                s.description,
                json_list(&s.links),
                s.content,
                s.content_hash,
                s.language,
                serde_json::to_string(&s.meta).unwrap_or_else(|_| "{}".into()),
                json_list(&s.secrets),
                now_ms(),
            ],
        )?;
        tx.commit()?;
        self.get(id)
    }

    /// Write a model-generated value unless the user locked the field.
    /// Returns whether it was written.
    pub fn set_generated(
        &self,
        id: SnippetId,
        field: Field,
        value: &GeneratedValue,
        provenance: Provenance,
    ) -> Result<bool> {
        let mut s = self.get(id)?;
        if s.meta.get(field).locked {
            return Ok(false);
        }
        s.meta.get_mut(field).provenance = Some(provenance);
        let tx = self.savepoint()?;
        match (field, value) {
            (Field::Title, GeneratedValue::Text(t)) => s.title = t.clone(),
            (Field::Description, GeneratedValue::Text(t)) => s.description = t.clone(),
            (Field::Links, GeneratedValue::List(l)) => s.links = l.clone(),
            (Field::Tags, GeneratedValue::List(l)) => {
                write_tags(&tx, id, &crate::domain::normalize_tags(l))?
            }
            _ => {
                return Err(StoreError::BadRow {
                    id,
                    detail: format!("value of the wrong shape for {field}"),
                })
            }
        }
        tx.execute(
            "UPDATE snippets SET title = ?2, description = ?3, links = ?4, meta = ?5 WHERE id = ?1",
            params![
                id,
                s.title,
                s.description,
                json_list(&s.links),
                serde_json::to_string(&s.meta).unwrap_or_else(|_| "{}".into()),
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Lock or unlock a field without changing its value.
    pub fn set_locked(&self, id: SnippetId, field: Field, locked: bool) -> Result<()> {
        let mut s = self.get(id)?;
        s.meta.get_mut(field).locked = locked;
        self.conn().execute(
            "UPDATE snippets SET meta = ?2 WHERE id = ?1",
            params![
                id,
                serde_json::to_string(&s.meta).unwrap_or_else(|_| "{}".into())
            ],
        )?;
        Ok(())
    }

    /// Replace content and position of a file-backed snippet after its file
    /// changed. Metadata (title, tags, …) stays.
    pub fn update_from_file(
        &self,
        id: SnippetId,
        content: &str,
        language: &str,
        source: &Source,
        secrets: &[String],
    ) -> Result<()> {
        let (path, start, end, block) = source_columns(source);
        let hash = content_hash(content);
        // Only bump updated_at when the content really changed, so a rescan
        // that finds nothing new leaves the library untouched.
        self.conn().execute(
            "UPDATE snippets SET content = ?2, content_hash = ?3, language = ?4,
                source_path = ?5, source_start = ?6, source_end = ?7, source_block = ?8,
                secrets = ?9,
                updated_at = CASE WHEN content_hash = ?3 THEN updated_at ELSE ?10 END
             WHERE id = ?1",
            params![
                id,
                content,
                hash,
                language,
                path,
                start,
                end,
                block,
                json_list(secrets),
                now_ms()
            ],
        )?;
        Ok(())
    }

    pub fn delete(&self, id: SnippetId) -> Result<bool> {
        Ok(self
            .conn()
            .execute("DELETE FROM snippets WHERE id = ?1", params![id])?
            > 0)
    }

    /// Snippets cut from the file at `path`, in block order.
    pub fn by_path(&self, path: &Path) -> Result<Vec<Snippet>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM snippets s WHERE s.source_path = ?1 ORDER BY s.source_block, s.id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt.query_map(params![path.to_string_lossy()], from_row)?;
        rows.map(|r| finish(r?)).collect()
    }

    /// Every distinct file path that has snippets.
    pub fn source_paths(&self) -> Result<Vec<PathBuf>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT source_path FROM snippets WHERE source_path IS NOT NULL ORDER BY 1",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(PathBuf::from(r?))).collect()
    }

    /// Follow a rename of a file or folder: snippets keep their metadata.
    pub fn rename_path(&self, from: &Path, to: &Path) -> Result<usize> {
        let from_s = from.to_string_lossy().into_owned();
        let to_s = to.to_string_lossy().into_owned();
        let from_dir = format!("{}/", from_s.trim_end_matches('/'));
        let to_dir = format!("{}/", to_s.trim_end_matches('/'));
        let n = self.conn().execute(
            "UPDATE snippets SET source_path = CASE
                WHEN source_path = ?1 THEN ?2
                ELSE ?4 || substr(source_path, length(?3) + 1) END
             WHERE source_path = ?1 OR substr(source_path, 1, length(?3)) = ?3",
            params![from_s, to_s, from_dir, to_dir],
        )?;
        Ok(n)
    }

    /// Tags with how many snippets carry each, most used first. `snipdex
    /// tag --list` and the TUI's tag filter both show this list.
    pub fn tag_counts(&self) -> Result<Vec<TagCount>> {
        self.tag_counts_except(None)
    }

    /// [`Store::tag_counts`] leaving one snippet's own tags out (`None`
    /// leaves none out): what the rest of the library uses.
    pub fn tag_counts_except(&self, snippet: Option<SnippetId>) -> Result<Vec<TagCount>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT tag, count(*) FROM snippet_tags WHERE ?1 IS NULL OR snippet_id <> ?1 \
             GROUP BY tag ORDER BY count(*) DESC, tag",
        )?;
        let rows = stmt.query_map(params![snippet], |r| {
            Ok(TagCount {
                tag: r.get(0)?,
                count: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// A value the model wrote for one field.
#[derive(Debug, Clone, PartialEq)]
pub enum GeneratedValue {
    Text(String),
    List(Vec<String>),
}

pub(super) fn write_tags(
    conn: &rusqlite::Connection,
    id: SnippetId,
    tags: &[String],
) -> Result<()> {
    conn.execute(
        "DELETE FROM snippet_tags WHERE snippet_id = ?1",
        params![id],
    )?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO snippet_tags (snippet_id, tag, position) VALUES (?1, ?2, ?3)",
    )?;
    for (i, t) in tags.iter().enumerate() {
        stmt.execute(params![id, t, i as i64])?;
    }
    Ok(())
}
