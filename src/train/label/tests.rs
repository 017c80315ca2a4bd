//! End-to-end runs against a local stand-in for an OpenAI-compatible server.

use std::net::TcpListener;

use serde_json::{json, Value};

use super::fake_server::{FakeServer, Reply};
use super::*;

const GOOD: &str = r#"{"title": "Read config file", "description": "Reads the config file at a path and returns its text.", "tags": ["config", "file-io", "rust"], "apis": ["std::fs"]}"#;

fn good(_: usize, _: &Value) -> Reply {
    Reply::Content(GOOD.to_owned())
}

fn dataset_row(id: &str, docstring: Option<&str>) -> Value {
    json!({
        "id": id,
        "code": "fn read_config(path: &Path) -> String {\n    std::fs::read_to_string(path).unwrap()\n}",
        "language": "rust", "package": "demo", "version": "1.0.0", "license": "MIT",
        "path": "src/lib.rs", "start_line": 3, "docstring": docstring, "split": "train"
    })
}

struct Run {
    _dir: tempfile::TempDir,
    opts: LabelOptions,
}

impl Run {
    fn new(server: &FakeServer, rows: &[Value]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.jsonl");
        let text: String = rows.iter().map(|row| format!("{row}\n")).collect();
        std::fs::write(&data, text).unwrap();
        let opts = LabelOptions {
            endpoint: server.url.clone(),
            model: "teacher-7b".into(),
            api_key: None,
            data,
            out: dir.path().join("labels.jsonl"),
            limit: None,
            concurrency: 1,
            timeout: Duration::from_secs(10),
            format: AnswerFormat::JsonObject,
        };
        Self { _dir: dir, opts }
    }

    fn go(&self) -> Result<LabelSummary, LabelError> {
        run_labelling(&self.opts, &mut |_| {})
    }

    fn lines(&self, path: &Path) -> Vec<Value> {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn labels(&self) -> Vec<LabelRow> {
        let lines = self.lines(&self.opts.out);
        lines
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect()
    }
}

fn last_user_message(body: &Value) -> String {
    let messages = body["messages"].as_array().unwrap();
    messages.last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn good_answers_become_label_rows_that_record_the_labeler() {
    let server = FakeServer::start(good);
    let mut run = Run::new(
        &server,
        &[
            dataset_row("a", Some("Reads the configuration file into a string.")),
            dataset_row("b", None),
        ],
    );
    run.opts.api_key = Some("sk-test".into());
    let summary = run.go().unwrap();
    assert_eq!((summary.labelled, summary.failed), (2, 0));
    let labels = run.labels();
    assert_eq!(labels[0].id, "a");
    assert_eq!(
        labels[0].description,
        "Reads the configuration file into a string."
    );
    assert_eq!(labels[0].description_source, DescriptionSource::Docstring);
    assert_eq!(
        labels[1].description,
        "Reads the config file at a path and returns its text."
    );
    assert_eq!(labels[1].description_source, DescriptionSource::Teacher);
    assert_eq!(labels[1].title, "Read config file");
    assert_eq!(labels[1].tags, ["config", "file-io", "rust"]);
    assert_eq!(labels[1].apis, ["std::fs"]);
    let labeler = &labels[1].labeler;
    assert_eq!(
        (labeler.kind.as_str(), labeler.model.as_str()),
        ("llm", "teacher-7b")
    );
    assert_eq!(labeler.endpoint_host, "127.0.0.1");
    let at = &labeler.at;
    assert!(
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok(),
        "{at}"
    );

    let (authorization, body) = server.request(0);
    assert_eq!(authorization.as_deref(), Some("Bearer sk-test"));
    assert_eq!(body["model"], "teacher-7b");
    assert_eq!(body["response_format"]["type"], "json_object");
    assert!(!last_user_message(&body).contains("\"description\""));
    assert!(last_user_message(&server.request(1).1).contains("\"description\""));
    assert!(!failures_path(&run.opts.out).exists());
}

#[test]
fn fenced_json_with_chatter_is_accepted() {
    let server =
        FakeServer::start(|_, _| Reply::Content(format!("Here you go:\n```json\n{GOOD}\n```\n")));
    let run = Run::new(&server, &[dataset_row("a", None)]);
    assert_eq!(run.go().unwrap().labelled, 1);
    assert_eq!(run.labels()[0].title, "Read config file");
}

#[test]
fn garbage_is_retried_with_the_reason_until_good() {
    let server = FakeServer::start(|n, _| {
        match n {
        0 => Reply::Content("I think this code reads a file.".into()),
        1 => Reply::Content(
            r#"{"title": "Read config file", "description": "Reads the config file at a path.", "tags": [], "apis": []}"#.into(),
        ),
        _ => good(n, &Value::Null),
    }
    });
    let run = Run::new(&server, &[dataset_row("a", None)]);
    let summary = run.go().unwrap();
    assert_eq!((summary.labelled, summary.failed), (1, 0));
    assert_eq!(server.requests(), 3);
    let second = server.request(1).1;
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(
        messages[messages.len() - 2]["content"],
        "I think this code reads a file."
    );
    assert!(last_user_message(&second).contains("no JSON object"));
    assert!(last_user_message(&server.request(2).1).contains("usable tags"));
    assert!(second["temperature"].as_f64() > server.request(0).1["temperature"].as_f64());
}

#[test]
fn rows_that_never_get_a_good_answer_are_recorded_and_the_run_goes_on() {
    let server = FakeServer::start(|n, body| {
        if n < MAX_ATTEMPTS {
            Reply::Content("{\"title\": \"\"}".into())
        } else {
            good(n, body)
        }
    });
    let run = Run::new(&server, &[dataset_row("a", None), dataset_row("b", None)]);
    let summary = run.go().unwrap();
    assert_eq!((summary.labelled, summary.failed), (1, 1));
    assert_eq!(server.requests(), MAX_ATTEMPTS + 1);
    let failures = run.lines(&failures_path(&run.opts.out));
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["id"], "a");
    assert_eq!(failures[0]["attempts"], MAX_ATTEMPTS);
    assert!(
        failures[0]["reason"].as_str().unwrap().contains("title"),
        "{}",
        failures[0]
    );
    assert_eq!(failures[0]["labeler"]["model"], "teacher-7b");
    assert_eq!(run.labels()[0].id, "b");
}

#[test]
fn a_request_the_server_rejects_is_not_retried() {
    let server = FakeServer::start(|_, _| Reply::Status(400, "context length exceeded"));
    let run = Run::new(&server, &[dataset_row("a", None)]);
    assert_eq!(run.go().unwrap().failed, 1);
    assert_eq!(server.requests(), 1);
    let failures = run.lines(&failures_path(&run.opts.out));
    assert!(failures[0]["reason"].as_str().unwrap().contains("HTTP 400"));
}

#[test]
fn each_response_format_is_sent_as_servers_expect_it() {
    let server = FakeServer::start(good);
    let mut run = Run::new(&server, &[dataset_row("a", None)]);
    let mut bodies = Vec::new();
    for (n, format) in [
        AnswerFormat::Text,
        AnswerFormat::JsonSchema,
        AnswerFormat::SchemaInJsonObject,
    ]
    .into_iter()
    .enumerate()
    {
        run.opts.format = format;
        std::fs::remove_file(&run.opts.out).ok();
        assert_eq!(run.go().unwrap().labelled, 1);
        bodies.push(server.request(n).1);
    }
    assert!(bodies[0].get("response_format").is_none());
    let openai = &bodies[1]["response_format"];
    assert_eq!(openai["type"], "json_schema");
    assert_eq!(openai["json_schema"]["strict"], true);
    let schema = &openai["json_schema"]["schema"];
    // No docstring: the description is asked for and required.
    assert_eq!(
        schema["required"],
        json!(["title", "description", "tags", "apis"])
    );
    let inline = &bodies[2]["response_format"];
    assert_eq!(inline["type"], "json_object");
    assert_eq!(&inline["schema"], schema);
}

#[test]
fn a_server_that_rejects_the_response_format_stops_the_run_with_a_hint() {
    let server = FakeServer::start(|_, _| {
        // llama-cpp-python's answer, status included.
        Reply::Status(500, "'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\"")
    });
    let mut run = Run::new(&server, &[dataset_row("a", None), dataset_row("b", None)]);
    run.opts.format = AnswerFormat::JsonSchema;
    match run.go() {
        Err(error @ LabelError::FormatRefused { status: 500, .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("does not take --response-format json-schema")
                    && message
                        .contains("try --response-format schema-in-json-object or json-object"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(server.requests(), 1);
}

#[test]
fn resuming_skips_ids_already_labelled() {
    let server = FakeServer::start(good);
    let rows = [
        dataset_row("a", None),
        dataset_row("b", None),
        dataset_row("c", None),
    ];
    let mut run = Run::new(&server, &rows);
    run.opts.limit = Some(2);
    let first = run.go().unwrap();
    assert_eq!((first.labelled, first.left), (2, 1));
    run.opts.limit = None;
    let second = run.go().unwrap();
    assert_eq!(
        (second.labelled, second.already_done, second.left),
        (1, 2, 0)
    );
    assert_eq!(server.requests(), 3);
    let ids: Vec<String> = run.labels().into_iter().map(|l| l.id).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(run.go().unwrap().labelled, 0);
    assert_eq!(server.requests(), 3);
}

#[test]
fn a_torn_last_line_is_dropped_and_that_row_labelled_again() {
    let server = FakeServer::start(good);
    let run = Run::new(&server, &[dataset_row("a", None), dataset_row("b", None)]);
    run.go().unwrap();
    let text = std::fs::read_to_string(&run.opts.out).unwrap();
    // What a kill in the middle of the second write leaves behind.
    let torn = &text[..text.len() - 20];
    std::fs::write(&run.opts.out, torn).unwrap();
    let mut events = Vec::new();
    let summary = run_labelling(&run.opts, &mut |e| events.push(e)).unwrap();
    assert_eq!((summary.labelled, summary.already_done), (1, 1));
    assert!(
        matches!(events[0], LabelEvent::Started { pending: 1, dropped_bytes, .. } if dropped_bytes > 0)
    );
    let ids: Vec<String> = run.labels().into_iter().map(|l| l.id).collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn concurrent_workers_label_each_row_once() {
    let server = FakeServer::start(good);
    let rows: Vec<Value> = (0..12)
        .map(|i| dataset_row(&format!("r{i}"), None))
        .collect();
    let mut run = Run::new(&server, &rows);
    run.opts.concurrency = 4;
    assert_eq!(run.go().unwrap().labelled, 12);
    let mut ids: Vec<String> = run.labels().into_iter().map(|l| l.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    assert_eq!(server.requests(), 12);
}

#[test]
fn a_refused_key_stops_the_run() {
    let server = FakeServer::start(|_, _| Reply::Status(401, "invalid api key"));
    let run = Run::new(&server, &[dataset_row("a", None), dataset_row("b", None)]);
    match run.go() {
        Err(LabelError::Refused {
            status: 401, body, ..
        }) => assert!(body.contains("invalid api key")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(server.requests(), 1);
}

#[test]
fn an_unreachable_endpoint_is_reported_as_such() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = FakeServer::start(good);
    let mut run = Run::new(&server, &[dataset_row("a", None)]);
    run.opts.endpoint = format!("http://127.0.0.1:{port}/v1");
    assert!(
        matches!(run.go(), Err(LabelError::Unreachable { .. })),
        "port {port}"
    );
    assert!(run.labels().is_empty());
}

#[test]
fn bad_input_fails_before_any_request() {
    let server = FakeServer::start(good);
    let run = Run::new(&server, &[dataset_row("a", None)]);
    let mut text = std::fs::read_to_string(&run.opts.data).unwrap();
    text.push_str("{\"id\": \"b\"\n");
    std::fs::write(&run.opts.data, text).unwrap();
    assert!(matches!(
        run.go(),
        Err(LabelError::InputRow { line: 2, .. })
    ));
    assert_eq!(server.requests(), 0);
}

#[test]
fn an_overloaded_server_is_retried_after_a_pause() {
    let server = FakeServer::start(|n, body| match n {
        0 => Reply::Status(503, "busy"),
        _ => good(n, body),
    });
    let run = Run::new(&server, &[dataset_row("a", None)]);
    let summary = run.go().unwrap();
    assert_eq!((summary.labelled, summary.failed), (1, 0));
    assert_eq!(server.requests(), 2);
    assert!(summary.elapsed >= Duration::from_secs(1));
}
