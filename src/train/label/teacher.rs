//! What the teacher is asked, and turning its answer into labels.
//!
//! The answer goes through the same clean-up as the app's own model output
//! (`enrich::clean`), so the adapters are trained on exactly the shape of
//! field the app would store.

use serde::Serialize;
use serde_json::{Map, Value};

use super::client::Message;
use super::input::InputRow;
use crate::enrich::clean::{clean_description, clean_link_names, clean_tags, clean_title};
use crate::enrich::{truncate_code, CodeBudget, Vocabulary};

/// The teacher sees more code than the small model does, so that its labels
/// describe the whole snippet; far larger snippets are cut.
const TEACHER_BUDGET: CodeBudget = CodeBudget {
    max_chars: 8000,
    max_lines: 250,
};

/// A rejected answer is quoted back to the teacher up to this length.
const MAX_ECHOED_ANSWER: usize = 2000;

const SYSTEM: &str = "\
You write labels for code snippets in a searchable snippet library. The labels \
are used as training data, so they must be accurate and specific to the code shown.

Reply with exactly one JSON object and nothing else: no Markdown, no code fences, \
no comments. Its keys:
- \"title\": 2 to 6 words naming what the code does, the way a person labels a \
snippet, e.g. \"Parse TOML config\", \"Find files over 100 MB\". No articles or \
filler (\"a\", \"the\", \"function to\"), no word twice, no trailing period, no code.
- \"description\": one plain English sentence of 6 to 30 words saying what the code \
does and when it is useful. Include this key only when asked for it.
- \"tags\": 1 to 3 topics from the vocabulary below, most specific first, then the \
libraries the code really imports or calls (at most 3), lowercase. Never the \
snippet's language: it is a field of its own.
- \"apis\": the libraries, modules and API names the code actually uses, written as \
in its language, e.g. \"std::fs\", \"serde_json\", \"requests\", \"os.path\", \"fetch\". \
Use [] when it uses none. Never URLs.";

/// The system message: [`SYSTEM`] and the shipped vocabulary's topics.
fn system_message() -> String {
    let topics: Vec<&str> = Vocabulary::shipped().topics().collect();
    format!("{SYSTEM}\n\nTopic vocabulary: {}.", topics.join(", "))
}

/// One worked example, so that the reply format is shown as well as told.
const EXAMPLE_CODE: &str = "\
def load_settings(path):
    with open(path, encoding=\"utf-8\") as f:
        data = json.load(f)
    return {k.lower(): v for k, v in data.items()}";

const EXAMPLE_ANSWER: &str = r#"{"title": "Load JSON settings case-insensitively", "description": "Reads a JSON settings file and returns its entries with every key lowercased, so lookups ignore case.", "tags": ["configuration", "json", "file-io"], "apis": ["json.load", "open"]}"#;

/// The JSON schema of a good answer, for servers that constrain the reply
/// to one (`--response-format json-schema`): the keys asked for in the order
/// the prompt names them, no others, and list bounds. Only keywords that
/// OpenAI's strict mode accepts are used (no string lengths); the token cap
/// ends a runaway string, and the clean-up still judges the content.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerSchema {
    #[serde(rename = "type")]
    kind: &'static str,
    properties: AnswerProperties,
    required: Vec<&'static str>,
    #[serde(rename = "additionalProperties")]
    additional_properties: bool,
}

#[derive(Debug, Clone, Serialize)]
struct AnswerProperties {
    title: SchemaText,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<SchemaText>,
    tags: SchemaList,
    apis: SchemaList,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct SchemaText {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct SchemaList {
    #[serde(rename = "type")]
    kind: &'static str,
    items: SchemaText,
    #[serde(rename = "minItems")]
    min_items: usize,
    #[serde(rename = "maxItems")]
    max_items: usize,
}

/// See [`AnswerSchema`]; `with_description` when the description is asked
/// for.
pub fn answer_schema(with_description: bool) -> AnswerSchema {
    let text = SchemaText { kind: "string" };
    let list = |min_items, max_items| SchemaList {
        kind: "array",
        items: text,
        min_items,
        max_items,
    };
    let mut required = vec!["title"];
    if with_description {
        required.push("description");
    }
    required.extend(["tags", "apis"]);
    AnswerSchema {
        kind: "object",
        properties: AnswerProperties {
            title: text,
            description: with_description.then_some(text),
            tags: list(MIN_LABEL_TAGS, 6),
            apis: list(0, 12),
        },
        required,
        additional_properties: false,
    }
}

/// Labels taken from one good answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub title: String,
    /// `Some` only when a description was asked for.
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub apis: Vec<String>,
}

/// The conversation that asks for `row`'s labels; `with_description` when
/// the row has no usable docstring.
pub fn messages(row: &InputRow, with_description: bool) -> Vec<Message> {
    let example = InputRow {
        id: String::new(),
        code: EXAMPLE_CODE.to_owned(),
        language: "python".to_owned(),
        package: None,
        path: None,
        docstring: None,
    };
    vec![
        Message::system(system_message()),
        Message::user(user_message(&example, true)),
        Message::assistant(EXAMPLE_ANSWER),
        Message::user(user_message(row, with_description)),
    ]
}

/// What to say after an unusable answer, keeping the conversation going so
/// the teacher sees its mistake.
pub fn correction(answer: &str, reason: &str, with_description: bool) -> [Message; 2] {
    let answer: String = answer.chars().take(MAX_ECHOED_ANSWER).collect();
    [
        Message::assistant(answer),
        Message::user(format!(
            "That answer could not be used: {reason}. Reply again with only the JSON \
             object, with the keys {}.",
            wanted_keys(with_description)
        )),
    ]
}

fn wanted_keys(with_description: bool) -> &'static str {
    if with_description {
        "\"title\", \"description\", \"tags\" and \"apis\""
    } else {
        "\"title\", \"tags\" and \"apis\""
    }
}

fn user_message(row: &InputRow, with_description: bool) -> String {
    let language = row.language.trim().to_lowercase();
    let mut text = format!("Language: {language}\n");
    match (&row.package, &row.path) {
        (Some(package), Some(path)) => text.push_str(&format!("From: {package}, {path}\n")),
        (Some(package), None) => text.push_str(&format!("From: {package}\n")),
        (None, Some(path)) => text.push_str(&format!("From: {path}\n")),
        (None, None) => {}
    }
    if let Some(doc) = row
        .docstring
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        text.push_str(&format!("Its documentation says: {doc}\n"));
    }
    let code = truncate_code(&row.code, TEACHER_BUDGET);
    text.push_str(&format!("\n```{language}\n{}\n```\n", code.text));
    if code.is_truncated() {
        text.push_str(&format!(
            "(The last {} lines were left out.)\n",
            code.omitted_lines
        ));
    }
    text.push_str(&format!(
        "\nReply with a JSON object with the keys {}.",
        wanted_keys(with_description)
    ));
    text
}

/// The fewest tags a teacher label may have: one topic (the v2 rules ask
/// for one to three topics plus the libraries the code uses).
const MIN_LABEL_TAGS: usize = 1;

/// The labels in `raw`, cleaned, or why they cannot be used.
pub fn parse_answer(raw: &str, code: &str, with_description: bool) -> Result<Answer, String> {
    let object = first_json_object(raw).ok_or("the answer contains no JSON object")?;
    let title = string_field(&object, "title")?;
    let title = clean_title(&title, code).map_err(|e| format!("title: {}", e.reason()))?;
    let description = if with_description {
        let raw = string_field(&object, "description")?;
        let clean =
            clean_description(&raw, code).map_err(|e| format!("description: {}", e.reason()))?;
        Some(clean)
    } else {
        None
    };
    let tags = list_field(&object, "tags")?;
    let tags = clean_tags(&tags).map_err(|e| format!("tags: {}", e.reason()))?;
    // The teacher is asked for 1 to 3 topics plus libraries; the training
    // target is cleaned through the vocabulary later (`Row::target`), so
    // the label keeps what the teacher wrote.
    if tags.len() < MIN_LABEL_TAGS {
        return Err(format!(
            "tags: fewer than {MIN_LABEL_TAGS} usable tags in {tags:?}"
        ));
    }
    let apis = list_field(&object, "apis")?;
    let apis = if apis.trim().is_empty() {
        Vec::new()
    } else {
        clean_link_names(&apis).map_err(|e| format!("apis: {}", e.reason()))?
    };
    Ok(Answer {
        title,
        description,
        tags,
        apis,
    })
}

/// The first `{...}` in `raw` that parses as a JSON object. Searching for it
/// skips code fences, "Sure! Here is..." preambles and trailing chatter
/// alike; the streaming parser stops at the object's end, so braces inside
/// its strings are handled by the JSON grammar rather than by counting.
fn first_json_object(raw: &str) -> Option<Map<String, Value>> {
    raw.match_indices('{').find_map(|(start, _)| {
        let mut values = serde_json::Deserializer::from_str(&raw[start..]).into_iter::<Value>();
        match values.next() {
            Some(Ok(Value::Object(object))) => Some(object),
            _ => None,
        }
    })
}

fn string_field(object: &Map<String, Value>, key: &str) -> Result<String, String> {
    match object.get(key) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(format!("{key:?} is not a string: {other}")),
        None => Err(format!("the key {key:?} is missing")),
    }
}

/// A list field as the comma-separated text the clean-up functions take; a
/// plain string is accepted too, since teachers often write `"a, b, c"`.
fn list_field(object: &Map<String, Value>, key: &str) -> Result<String, String> {
    match object.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.as_str()),
                other => Err(format!("{key:?} holds a non-string: {other}")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|items| items.join(", ")),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => Err(format!("{key:?} is not a list: {other}")),
        None => Err(format!("the key {key:?} is missing")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str =
        "fn read(p: &Path) -> String {\n    std::fs::read_to_string(p).unwrap()\n}\n";

    fn row(docstring: Option<&str>) -> InputRow {
        InputRow {
            id: "x".into(),
            code: CODE.into(),
            language: "Rust".into(),
            package: Some("demo".into()),
            path: Some("src/lib.rs".into()),
            docstring: docstring.map(str::to_owned),
        }
    }

    #[test]
    fn the_prompt_shows_the_code_and_asks_only_for_what_is_missing() {
        let with = messages(&row(None), true);
        let last = &with.last().unwrap().content;
        assert!(last.contains("```rust\nfn read(p: &Path)"), "{last}");
        assert!(last.contains("\"description\""));
        assert!(last.contains("From: demo, src/lib.rs"));
        let without = messages(&row(Some("Reads a file.")), false);
        let last = &without.last().unwrap().content;
        assert!(!last.contains("\"description\""), "{last}");
        assert!(last.contains("Its documentation says: Reads a file."));
        // The worked example must itself pass the clean-up it teaches.
        assert!(parse_answer(EXAMPLE_ANSWER, EXAMPLE_CODE, true).is_ok());
    }

    #[test]
    fn the_schema_asks_for_exactly_the_keys_wanted() {
        for with_description in [true, false] {
            // Serialised text, since the order of the properties matters.
            let text = serde_json::to_string(&answer_schema(with_description)).unwrap();
            let schema: Value = serde_json::from_str(&text).unwrap();
            let want: &[&str] = if with_description {
                &["title", "description", "tags", "apis"]
            } else {
                &["title", "tags", "apis"]
            };
            assert_eq!(schema["required"], serde_json::json!(want));
            let positions: Vec<usize> = want
                .iter()
                .map(|key| text.find(&format!("\"{key}\":{{")).unwrap())
                .collect();
            assert!(positions.is_sorted(), "{text}");
            assert_eq!(schema["properties"].as_object().unwrap().len(), want.len());
            assert_eq!(schema["additionalProperties"], false);
            assert_eq!(schema["properties"]["tags"]["minItems"], 1);
        }
        // The worked example fits the schema's bounds.
        let example: Value = serde_json::from_str(EXAMPLE_ANSWER).unwrap();
        let tags = example["tags"].as_array().unwrap().len();
        assert!((3..=6).contains(&tags));
    }

    #[test]
    fn long_code_is_cut_and_the_teacher_is_told() {
        let mut long = row(None);
        long.code = "x = 1\n".repeat(400);
        let last = messages(&long, true).pop().unwrap().content;
        assert!(
            last.contains("(The last 150 lines were left out.)"),
            "{last}"
        );
    }

    #[test]
    fn json_is_found_inside_fences_and_chatter() {
        let raw = "Sure! Here it is:\n```json\n{\"note\": \"braces {\\\"in\\\" strings}\", \"title\": \"Read a file as text\", \
                   \"tags\": [\"Rust\", \"File IO\", \"fs\"], \"apis\": [\"std::fs\"]}\n```\nHope this helps {:";
        let answer = parse_answer(raw, CODE, false).unwrap();
        assert_eq!(answer.title, "Read file as text");
        assert_eq!(answer.tags, ["rust", "file-io", "fs"]);
        assert_eq!(answer.apis, ["std::fs"]);
        assert_eq!(answer.description, None);
    }

    #[test]
    fn fields_are_cleaned_and_strings_accepted_for_lists() {
        let raw = r#"{"title": "Read the whole file from disk into one string quickly",
                      "description": "reads a file into a string. Panics on error.",
                      "tags": "rust, file-io, strings", "apis": []}"#;
        let answer = parse_answer(raw, CODE, true).unwrap();
        assert!(
            answer.title.split_whitespace().count() <= 8,
            "{}",
            answer.title
        );
        assert_eq!(
            answer.description.as_deref(),
            Some("Reads a file into a string.")
        );
        assert!(answer.apis.is_empty());
    }

    #[test]
    fn unusable_answers_say_why() {
        for (raw, why) in [
            ("I cannot help with that.", "no JSON object"),
            (
                r#"{"tags": ["a1", "b2", "c3"], "apis": []}"#,
                "\"title\" is missing",
            ),
            (r#"{"title": 5, "tags": [], "apis": []}"#, "not a string"),
            (
                r#"{"title": "Read a file", "tags": [], "apis": []}"#,
                "tags:",
            ),
            (
                r#"{"title": "Read a file", "tags": ["rust", 1], "apis": []}"#,
                "non-string",
            ),
            (
                r#"{"title": "Read a file", "tags": ["a1", "b2", "c3"]}"#,
                "\"apis\" is missing",
            ),
        ] {
            let err = parse_answer(raw, CODE, false).unwrap_err();
            assert!(err.contains(why), "{raw}: {err}");
        }
        let short = r#"{"title": "Read a file", "tags": ["a1", "b2", "c3"], "apis": [], "description": "Reads."}"#;
        assert!(parse_answer(short, CODE, false).is_ok());
        let err = parse_answer(short, CODE, true).unwrap_err();
        assert!(err.starts_with("description:"), "{err}");
    }
}
