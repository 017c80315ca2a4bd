//! The stable batch interface behind `snipdex enrich --jsonl`: one JSON
//! object per input line, one per output line, in order, nothing stored.
//!
//! Input: `{"id": "a1", "code": "...", "language": "rust"}` (`language`
//! optional; `id` a string or a number). Output:
//! `{"id", "title", "description", "tags", "links", "language", "ms",
//! "rejected"}`, where a rejected title or description is `null`, rejected
//! tags are `[]`, and `rejected` maps each rejected task to the reason. A
//! line that cannot be used gives `{"id": <id or null>, "error": "..."}`
//! and the batch goes on. Blank lines are not inputs and give nothing.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use serde::Serialize;
use serde_json::Value;

use super::engine::Enricher;

/// One answered input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub id: Value,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub links: Vec<String>,
    pub language: String,
    pub ms: u64,
    /// Task name to the reason its answer was not used.
    pub rejected: BTreeMap<String, String>,
}

/// An input line that could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub id: Value,
    pub error: String,
}

/// Counts of a finished batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub answered: usize,
    pub errors: usize,
}

struct Request {
    id: Value,
    code: String,
    language: Option<String>,
}

/// Answers every line of `input` on `output`, flushing after each line so a
/// caller can stream. Only reading or writing can fail the whole batch.
pub fn run(
    enricher: &Enricher,
    mut input: impl BufRead,
    mut output: impl Write,
) -> io::Result<Summary> {
    let mut summary = Summary::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(summary);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = parse(&line).and_then(|req| answer(enricher, req));
        match result {
            Ok(answer) => {
                summary.answered += 1;
                serde_json::to_writer(&mut output, &answer)?;
            }
            Err(error) => {
                summary.errors += 1;
                serde_json::to_writer(&mut output, &error)?;
            }
        }
        output.write_all(b"\n")?;
        output.flush()?;
    }
}

fn parse(line: &[u8]) -> Result<Request, LineError> {
    let fail = |id: &Value, error: String| LineError {
        id: id.clone(),
        error,
    };
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| fail(&Value::Null, format!("invalid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(fail(&Value::Null, "expected a JSON object".into()));
    };
    let id = obj.remove("id").unwrap_or(Value::Null);
    if !(id.is_string() || id.is_number()) {
        let why = if id.is_null() {
            "missing \"id\"".to_owned()
        } else {
            "\"id\" must be a string or a number".to_owned()
        };
        return Err(fail(&Value::Null, why));
    }
    let code = match obj.remove("code") {
        Some(Value::String(code)) if !code.trim().is_empty() => code,
        Some(Value::String(_)) => return Err(fail(&id, "\"code\" is empty".into())),
        Some(_) => return Err(fail(&id, "\"code\" must be a string".into())),
        None => return Err(fail(&id, "missing \"code\"".into())),
    };
    let language = match obj.remove("language") {
        None | Some(Value::Null) => None,
        Some(Value::String(l)) => Some(l),
        Some(_) => return Err(fail(&id, "\"language\" must be a string".into())),
    };
    Ok(Request { id, code, language })
}

fn answer(enricher: &Enricher, req: Request) -> Result<Answer, LineError> {
    let out = enricher
        .enrich(&req.code, req.language.as_deref(), None)
        .map_err(|e| LineError {
            id: req.id.clone(),
            error: e.to_string(),
        })?;
    let rejected = out
        .rejected()
        .map(|(task, why)| (task.name().to_owned(), why.to_owned()))
        .collect();
    let fields = out.fields;
    Ok(Answer {
        id: req.id,
        title: fields.title,
        description: fields.description,
        tags: fields.tags.unwrap_or_default(),
        links: fields.links.unwrap_or_default(),
        language: out.language,
        ms: out.total_ms,
        rejected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reports_what_is_wrong_with_a_line() {
        let err = |line: &str| parse(line.as_bytes()).err().map(|e| (e.id, e.error));
        let (id, why) = err("{not json").unwrap();
        assert_eq!(id, Value::Null);
        assert!(why.starts_with("invalid JSON"), "{why}");
        assert_eq!(err("[1]").unwrap().1, "expected a JSON object");
        assert_eq!(err(r#"{"code":"x"}"#).unwrap().1, "missing \"id\"");
        assert_eq!(
            err(r#"{"id":"a"}"#).unwrap(),
            (Value::from("a"), "missing \"code\"".to_owned())
        );
        assert_eq!(err(r#"{"id":7,"code":"  "}"#).unwrap().0, Value::from(7));
        assert!(err(r#"{"id":"a","code":"x","language":3}"#).is_some());
        assert!(err(r#"{"id":{},"code":"x"}"#).is_some());

        let ok = parse(br#"{"id":"a","code":"ls -la","language":null}"#).unwrap();
        assert_eq!(ok.id, Value::from("a"));
        assert_eq!(ok.code, "ls -la");
        assert_eq!(ok.language, None);
    }
}
