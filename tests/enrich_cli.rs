//! `snipdex model`, `snipdex enrich` and `snipdex bench-enrich` as scripts
//! use them, on a tiny random model (its text is junk, so these tests check
//! the plumbing: exit codes, output shapes, job bookkeeping, locks).

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use snipdex::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use std::path::{Path, PathBuf};

const NO_MODEL: &str = "no model installed: run `snipdex model fetch`";
const PY: &str =
    "import json\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n";

fn snipdex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("snipdex").unwrap();
    // The tiny model's shapes fit no real adapter: run it without the
    // shipped ones.
    c.env("SNIPDEX_HOME", home)
        .env("SNIPDEX_SHIPPED_ADAPTERS", "none")
        .env_remove("VISUAL")
        .env_remove("EDITOR");
    c
}

/// A tiny model installed where `snipdex` looks for one.
fn install_tiny_model(home: &Path) -> PathBuf {
    let dir = home.join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny.gguf");
    let mut spec = TinySpec::new(21);
    spec.context_length = 1024;
    write_tiny_llama_gguf_with(&path, &spec).unwrap();
    path
}

fn add(home: &Path, content: &str) -> i64 {
    let out = snipdex(home)
        .args(["add", "--lang", "python"])
        .write_stdin(content)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn commands_that_need_the_model_say_how_to_get_one() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let id = add(h, PY).to_string();
    for args in [
        vec!["enrich", "--all"],
        vec!["enrich"],
        vec!["enrich", id.as_str()],
        vec!["enrich", "--jsonl"],
        vec!["bench-enrich", "-n", "1"],
    ] {
        snipdex(h)
            .args(&args)
            .write_stdin("{\"id\":\"a\",\"code\":\"ls\"}\n")
            .assert()
            .code(5)
            .stdout("")
            .stderr(predicate::str::contains(NO_MODEL));
    }
    // Everything else keeps working.
    snipdex(h)
        .args(["model", "info"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no model installed"))
        .stdout(predicate::str::contains("snipdex model fetch"));
    let info: Value = serde_json::from_slice(
        &snipdex(h)
            .args(["model", "info", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(info["active"], Value::Null);
    assert_eq!(info["models"], Value::Array(vec![]));
    snipdex(h).args(["show", &id]).assert().success();
    // A model path that does not exist is bad input, not a missing install.
    snipdex(h)
        .args(["enrich", "--jsonl", "--model"])
        .arg(h.join("nope.gguf"))
        .assert()
        .code(4);
}

#[test]
fn jsonl_answers_every_line_in_order() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    install_tiny_model(h);
    let input = [
        format!(
            "{}\n",
            serde_json::json!({"id": "a", "code": PY, "language": "python"})
        ),
        "{not json\n".to_owned(),
        "\n".to_owned(),
        "{\"id\": \"c\"}\n".to_owned(),
        format!(
            "{}\n",
            serde_json::json!({"id": 4, "code": "#!/bin/sh\necho hi\n"})
        ),
    ]
    .concat();
    let out = snipdex(h)
        .args(["enrich", "--jsonl", "--no-adapters"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let ids: Vec<&Value> = lines.iter().map(|l| &l["id"]).collect();
    assert_eq!(
        ids,
        [
            &Value::from("a"),
            &Value::Null,
            &Value::from("c"),
            &Value::from(4)
        ]
    );
    for good in [&lines[0], &lines[3]] {
        for key in ["title", "description", "tags", "links", "language", "ms"] {
            assert!(good.get(key).is_some(), "{key} missing in {good}");
        }
        assert!(good["tags"].is_array() && good["links"].is_array());
        assert!(good["title"].is_string() || good["title"].is_null());
        assert!(good.get("error").is_none());
    }
    assert_eq!(lines[0]["language"], "python");
    assert_eq!(lines[3]["language"], "shell", "detected from the code");
    let links = lines[0]["links"].as_array().unwrap();
    assert!(!links.is_empty(), "the resolver knows `import json`");
    assert!(links
        .iter()
        .all(|l| l.as_str().unwrap().starts_with("https://")));
    assert!(lines[1]["error"].as_str().unwrap().contains("invalid JSON"));
    assert!(lines[2]["error"].as_str().unwrap().contains("code"));

    // The library was not touched.
    let list: Value =
        serde_json::from_slice(&snipdex(h).args(["list", "--json"]).output().unwrap().stdout)
            .unwrap();
    assert_eq!(list, Value::Array(vec![]));
    // A missing adapters folder given on purpose is an error.
    snipdex(h)
        .args(["enrich", "--jsonl", "--adapters"])
        .arg(h.join("no-such-dir"))
        .write_stdin("")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no-such-dir"));
}

#[test]
fn enrich_ids_writes_fields_and_respects_locks() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    install_tiny_model(h);
    let free = add(h, PY);
    let mine = add(h, PY);
    snipdex(h)
        .args(["edit", &mine.to_string(), "--title", "Mine"])
        .assert()
        .success();
    snipdex(h)
        .args(["enrich", &free.to_string(), &mine.to_string()])
        .assert()
        .success()
        .stderr(predicate::str::contains("enriched 2 snippets"));
    let show = |id: i64| -> Value {
        let out = snipdex(h)
            .args(["show", "--json", &id.to_string()])
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()[0].clone()
    };
    let free = show(free);
    assert_eq!(free["meta"]["links"]["provenance"]["by"], "model");
    assert!(free["links"][0].as_str().unwrap().starts_with("https://"));
    let mine = show(mine);
    assert_eq!(mine["title"], "Mine");
    assert_eq!(mine["meta"]["title"]["provenance"]["by"], "user");
    // Without --force, a second run fills only what is still empty (the
    // tiny model's junk leaves some fields rejected) and overwrites nothing
    // it wrote before.
    let before = show(free["id"].as_i64().unwrap());
    snipdex(h)
        .args(["enrich", &before["id"].to_string()])
        .assert()
        .success()
        .stderr(predicate::str::contains("0 fields written"));
    assert_eq!(show(before["id"].as_i64().unwrap()), before);
    // An unknown id is "no such snippet", with or without --force.
    snipdex(h)
        .args(["enrich", "--force", "999"])
        .assert()
        .code(3);
}

#[test]
fn model_fetch_from_a_file_then_info_and_pause_flags() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let source = h.join("downloads").join("tiny.F32.gguf");
    std::fs::create_dir_all(source.parent().unwrap()).unwrap();
    let mut spec = TinySpec::new(5);
    spec.weight_dtype = candle_core::quantized::GgmlDType::F32;
    write_tiny_llama_gguf_with(&source, &spec).unwrap();
    snipdex(h)
        .args(["model", "fetch", "--sha256", &"0".repeat(64), "--from-file"])
        .arg(&source)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("checksum mismatch"));
    let out = snipdex(h)
        .args(["model", "fetch", "--from-file"])
        .arg(&source)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let model = h.join("models").join("tiny.Q8_0.gguf");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        model.to_str().unwrap()
    );

    let out = snipdex(h)
        .args(["model", "info", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["active"], Value::from(model.to_str().unwrap()));
    assert_eq!(
        info["models"][0]["quantization"], "Q8_0",
        "converted on install"
    );
    assert_eq!(info["models"][0]["source_file"], "tiny.F32.gguf");
    assert_eq!(info["models"][0]["sha256"].as_str().unwrap().len(), 64);
    for task in ["title", "description", "tags", "links"] {
        assert!(info["adapters"].get(task).is_some(), "{info}");
    }

    let marker = h.join("enrich.paused");
    snipdex(h).args(["enrich", "--pause"]).assert().success();
    assert!(marker.exists());
    snipdex(h).args(["enrich", "--resume"]).assert().success();
    assert!(!marker.exists());
    snipdex(h)
        .args(["enrich", "--pause", "--all"])
        .assert()
        .code(2);
}

#[test]
fn a_broken_adapter_is_bad_input_for_the_worker_and_for_jsonl() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    install_tiny_model(h);
    let id = add(h, PY);
    let adapters = h.join("broken-adapters");
    std::fs::create_dir_all(adapters.join("title")).unwrap();
    std::fs::write(adapters.join("title/adapter_config.json"), "{ not json").unwrap();
    std::fs::write(adapters.join("title/adapter_model.safetensors"), b"junk").unwrap();
    snipdex(h)
        .args(["enrich", &id.to_string(), "--adapters"])
        .arg(&adapters)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("title adapter"));
    snipdex(h)
        .args(["enrich", "--jsonl", "--adapters"])
        .arg(&adapters)
        .write_stdin("")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("title adapter"));
    // Nothing was written: the job is still queued for a later run.
    let show: Value = serde_json::from_slice(
        &snipdex(h)
            .args(["show", "--json", &id.to_string()])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(show[0]["meta"]["title"]["provenance"], Value::Null);
}
