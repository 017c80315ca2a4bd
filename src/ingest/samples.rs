//! Sample snippets for the first run, embedded from `assets/samples.toml`.

use serde::{Deserialize, Serialize};

use super::language::is_known_language;

const SAMPLES_TOML: &str = include_str!("../../assets/samples.toml");

/// A ready-made snippet with hand-written metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub title: String,
    /// One sentence.
    pub description: String,
    /// Lowercase, 3-5 of them.
    pub tags: Vec<String>,
    /// One of [`super::KNOWN_LANGUAGES`].
    pub language: String,
    /// The code, without trailing whitespace.
    pub content: String,
}

/// The embedded samples file is malformed. Only a broken build can cause
/// this, but the caller decides whether that is fatal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    #[error("embedded samples are not valid TOML: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("sample {index} ({title:?}): {problem}")]
    Invalid {
        index: usize,
        title: String,
        problem: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleFile {
    sample: Vec<Sample>,
}

/// Parses and checks the embedded samples.
pub fn sample_snippets() -> Result<Vec<Sample>, SampleError> {
    parse(SAMPLES_TOML)
}

fn parse(text: &str) -> Result<Vec<Sample>, SampleError> {
    let file: SampleFile = toml::from_str(text)?;
    file.sample
        .into_iter()
        .enumerate()
        .map(|(index, mut sample)| {
            sample.content.truncate(sample.content.trim_end().len());
            match problem(&sample) {
                None => Ok(sample),
                Some(problem) => Err(SampleError::Invalid {
                    index,
                    title: sample.title,
                    problem,
                }),
            }
        })
        .collect()
}

fn problem(sample: &Sample) -> Option<String> {
    if sample.title.trim().is_empty() {
        return Some("empty title".into());
    }
    if sample.description.trim().is_empty() {
        return Some("empty description".into());
    }
    if sample.content.trim().is_empty() {
        return Some("empty content".into());
    }
    if !is_known_language(&sample.language) {
        return Some(format!("unknown language {:?}", sample.language));
    }
    if !(3..=5).contains(&sample.tags.len()) {
        return Some(format!("{} tags, want 3-5", sample.tags.len()));
    }
    let bad_tag = sample.tags.iter().find(|t| {
        t.is_empty()
            || !t
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    });
    bad_tag.map(|t| format!("tag {t:?} is not lowercase letters, digits and dashes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::detect_language;

    #[test]
    fn embedded_samples_parse_and_are_well_formed() {
        let samples = sample_snippets().unwrap();
        assert!(samples.len() >= 12, "only {} samples", samples.len());
        let mut titles: Vec<_> = samples.iter().map(|s| s.title.as_str()).collect();
        titles.sort_unstable();
        titles.dedup();
        assert_eq!(titles.len(), samples.len(), "titles are unique");
        let mut languages: Vec<_> = samples.iter().map(|s| s.language.as_str()).collect();
        languages.sort_unstable();
        languages.dedup();
        assert!(languages.len() >= 8, "varied languages: {languages:?}");
        for s in &samples {
            assert!(!s.title.is_empty() && !s.tags.is_empty());
            assert!(s.description.ends_with('.'), "{}: one sentence", s.title);
            assert!(!s.content.ends_with('\n'));
        }
    }

    #[test]
    fn sample_languages_agree_with_detection() {
        // Where content heuristics can tell, they should agree with the label
        // (regex is a label only a person can give).
        for s in sample_snippets().unwrap() {
            let detected = detect_language(None, &s.content);
            if s.language != "regex" {
                assert_eq!(detected, s.language, "{}", s.title);
            }
        }
    }

    #[test]
    fn rejects_bad_samples() {
        let base = |lang: &str, tags: &str| {
            format!(
                "[[sample]]\ntitle = \"t\"\ndescription = \"d.\"\ntags = {tags}\nlanguage = \"{lang}\"\ncontent = \"x\"\n"
            )
        };
        assert!(parse(&base("rust", r#"["a", "b", "c"]"#)).is_ok());
        for bad in [
            base("klingon", r#"["a", "b", "c"]"#),
            base("rust", r#"["a", "b"]"#),
            base("rust", r#"["a", "B", "c"]"#),
            base("rust", r#"["a", "has space", "c"]"#),
        ] {
            assert!(
                matches!(parse(&bad), Err(SampleError::Invalid { index: 0, .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            parse("[[sample]]\ntitle = 1"),
            Err(SampleError::Parse(_))
        ));
        let unknown_field = format!("{}extra = 1\n", base("rust", r#"["a", "b", "c"]"#));
        assert!(matches!(parse(&unknown_field), Err(SampleError::Parse(_))));
    }
}
