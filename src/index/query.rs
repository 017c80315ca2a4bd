//! The search language: free words (typo-tolerant, BM25-ranked), "quoted
//! phrases", and filters `tag:x`, `lang:x`, `path:x`. A leading `-` on a
//! filter excludes instead.

use super::{guarded, Hit, IndexError, Result, SearchIndex};
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    pub tags: Vec<String>,
    pub langs: Vec<String>,
    pub paths: Vec<String>,
    pub not_tags: Vec<String>,
    pub not_langs: Vec<String>,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        *self == ParsedQuery::default()
    }
}

/// Common spellings of language names, mapped to the ids ingest produces
/// (through ingest's one alias table); an unknown name stays as written.
pub fn canonical_language(raw: &str) -> String {
    let l = raw.trim().to_lowercase();
    match crate::ingest::language_from_alias(&l) {
        Some(id) => id.to_string(),
        None => l,
    }
}

/// Split a query string into its parts. Never fails: anything odd is a word.
pub fn parse_query(input: &str) -> ParsedQuery {
    let mut q = ParsedQuery::default();
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            let phrase = after[..end].trim();
            if !phrase.is_empty() {
                q.phrases.push(phrase.to_string());
            }
            rest = after.get(end + 1..).unwrap_or("").trim_start();
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let token = &rest[..end];
        rest = rest[end..].trim_start();
        let (neg, body) = match token.strip_prefix('-') {
            Some(b) if b.contains(':') => (true, b),
            _ => (false, token),
        };
        // Filter names are case-insensitive (`TAG:git`, `Lang:Python`);
        // their values are normalised below.
        let split = body
            .split_once(':')
            .map(|(name, v)| (name.to_ascii_lowercase(), v));
        match split.as_ref().map(|(n, v)| (n.as_str(), *v)) {
            Some(("tag", v)) if !v.is_empty() => {
                if let Some(t) = crate::domain::normalize_tag(v) {
                    if neg {
                        q.not_tags.push(t)
                    } else {
                        q.tags.push(t)
                    }
                }
            }
            Some(("lang", v)) if !v.is_empty() => {
                let l = canonical_language(v);
                if neg {
                    q.not_langs.push(l)
                } else {
                    q.langs.push(l)
                }
            }
            Some(("path", v)) if !v.is_empty() => q.paths.push(v.to_string()),
            _ => q.words.push(token.to_string()),
        }
    }
    q
}

impl SearchIndex {
    /// Search with the query language above; best hits first. Damage the
    /// search meets is repaired (the index rebuilt from the database) and
    /// the search run again; it never panics.
    pub fn search(&self, input: &str, limit: usize) -> Result<Vec<Hit>> {
        match guarded("searching", || self.search_once(input, limit)) {
            Err(IndexError::Damaged(why)) => {
                self.repair_from_db(&why)?;
                guarded("searching", || self.search_once(input, limit))
            }
            other => other,
        }
    }

    fn search_once(&self, input: &str, limit: usize) -> Result<Vec<Hit>> {
        let parsed = parse_query(input);
        let query = self.build_query(&parsed)?;
        let fields = self.fields();
        let searcher = self.read().reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)))?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = doc.get_first(fields.id).and_then(|v| v.as_i64()) {
                hits.push(Hit { id, score });
            }
        }
        Ok(hits)
    }

    fn tokens(&self, field: Field, text: &str) -> Result<Vec<String>> {
        let mut analyzer = self.read().index.tokenizer_for_field(field)?;
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(t) = stream.next() {
            out.push(t.text.clone());
        }
        Ok(out)
    }

    /// The indexed tags a `tag:` filter means: `value` itself if some
    /// snippet has it, else every tag that starts with it.
    fn tags_for(&self, value: &str) -> Result<Vec<String>> {
        let field = self.fields().tag;
        let searcher = self.read().reader.searcher();
        let mut out = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(value.as_bytes())
                .into_stream()
                .map_err(tantivy::TantivyError::from)?;
            while stream.advance() {
                let key = stream.key();
                if !key.starts_with(value.as_bytes()) {
                    break;
                }
                out.insert(String::from_utf8_lossy(key).into_owned());
            }
        }
        if out.contains(value) {
            return Ok(vec![value.to_string()]);
        }
        Ok(out.into_iter().collect())
    }

    fn build_query(&self, q: &ParsedQuery) -> Result<Box<dyn Query>> {
        let f = self.fields();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let text_fields = [
            (f.title, 3.0f32),
            (f.tags, 2.0),
            (f.description, 1.5),
            (f.body, 1.0),
            (f.path, 0.5),
        ];
        let word_count = q.words.len();
        for (i, word) in q.words.iter().enumerate() {
            // The last word may still be being typed: match it as a prefix.
            let is_last = i + 1 == word_count;
            for token in self.tokens(f.body, word)? {
                let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (field, boost) in text_fields {
                    let term = Term::from_field_text(field, &token);
                    per_field.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(
                            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                            boost * 2.0,
                        )),
                    ));
                    let n = token.chars().count();
                    let distance = if n >= 8 {
                        2
                    } else if n >= 4 {
                        1
                    } else {
                        0
                    };
                    let fuzzy = if is_last && n >= 2 {
                        Some(FuzzyTermQuery::new_prefix(term, distance, true))
                    } else if distance > 0 {
                        Some(FuzzyTermQuery::new(term, distance, true))
                    } else {
                        None
                    };
                    if let Some(fq) = fuzzy {
                        per_field.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(Box::new(fq), boost * 0.5)),
                        ));
                    }
                }
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(per_field))));
            }
        }
        for phrase in &q.phrases {
            let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for (field, boost) in text_fields {
                let terms: Vec<Term> = self
                    .tokens(field, phrase)?
                    .iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect();
                let sub: Box<dyn Query> = match terms.len() {
                    0 => continue,
                    1 => Box::new(TermQuery::new(
                        terms[0].clone(),
                        IndexRecordOption::WithFreqs,
                    )),
                    _ => Box::new(PhraseQuery::new(terms)),
                };
                per_field.push((Occur::Should, Box::new(BoostQuery::new(sub, boost))));
            }
            if !per_field.is_empty() {
                clauses.push((Occur::Must, Box::new(BooleanQuery::new(per_field))));
            }
        }
        // Words that leave no token behind (only emoji or punctuation)
        // match nothing; they must not fall through to "everything".
        if (!q.words.is_empty() || !q.phrases.is_empty()) && clauses.is_empty() {
            return Ok(Box::new(EmptyQuery));
        }
        let exact = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        // A tag filter names a tag, or else the start of tags: `tag:ba`
        // finds bash while there is no tag "ba".
        for t in &q.tags {
            let names = self.tags_for(t)?;
            let any: Vec<(Occur, Box<dyn Query>)> = names
                .iter()
                .map(|name| (Occur::Should, exact(f.tag, name)))
                .collect();
            if any.is_empty() {
                return Ok(Box::new(EmptyQuery));
            }
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        for t in &q.not_tags {
            clauses.push((Occur::MustNot, exact(f.tag, t)));
        }
        if !q.langs.is_empty() {
            let any: Vec<(Occur, Box<dyn Query>)> = q
                .langs
                .iter()
                .map(|l| (Occur::Should, exact(f.lang, l)))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        for l in &q.not_langs {
            clauses.push((Occur::MustNot, exact(f.lang, l)));
        }
        for p in &q.paths {
            for token in self.tokens(f.path, p)? {
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.path, &token),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        // Filters alone (or only exclusions) select from everything.
        if !clauses.iter().any(|(o, _)| *o == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_phrases_and_words() {
        let q = parse_query(r#"read file tag:IO lang:py path:src "exact words" -tag:old -lang:js"#);
        assert_eq!(q.words, vec!["read", "file"]);
        assert_eq!(q.tags, vec!["io"]);
        assert_eq!(q.langs, vec!["python"]);
        assert_eq!(q.paths, vec!["src"]);
        assert_eq!(q.phrases, vec!["exact words"]);
        assert_eq!(q.not_tags, vec!["old"]);
        assert_eq!(q.not_langs, vec!["javascript"]);
    }

    #[test]
    fn odd_input_becomes_words_not_errors() {
        let q = parse_query("tag: \"unterminated -x foo:bar");
        assert_eq!(q.words, vec!["tag:"]);
        assert_eq!(q.phrases, vec!["unterminated -x foo:bar"]);
        assert!(parse_query("   ").is_empty());
    }

    #[test]
    fn filter_names_are_case_insensitive() {
        let q = parse_query("TAG:Git Lang:Python PATH:src -Tag:Old");
        assert_eq!(q.tags, vec!["git"]);
        assert_eq!(q.langs, vec!["python"]);
        assert_eq!(q.paths, vec!["src"]);
        assert_eq!(q.not_tags, vec!["old"]);
        assert!(q.words.is_empty(), "{q:?}");
    }
}
