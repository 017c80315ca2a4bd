//! `snipdex model use`, `model check`, `model fetch --model` and
//! `model adapters` as a user runs them, on tiny random models: choosing a
//! model, refusing what cannot be chosen, per-model adapter folders.

use assert_cmd::Command;
use serde_json::Value;
use snipdex::model::testutil::{random_adapter, write_tiny_llama_gguf_with, TinySpec};
use snipdex::model::Model;
use std::path::{Path, PathBuf};

fn snipdex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("snipdex").unwrap();
    c.env("SNIPDEX_HOME", home)
        .env("SNIPDEX_SHIPPED_ADAPTERS", "none");
    c
}

fn write_model(home: &Path, file: &str, spec: &TinySpec) -> PathBuf {
    let dir = home.join("models");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    write_tiny_llama_gguf_with(&path, spec).unwrap();
    path
}

/// `snipdex enrich --jsonl` on one line of Python.
fn enrich_one(home: &Path) -> std::process::Output {
    snipdex(home)
        .args(["enrich", "--jsonl"])
        .write_stdin("{\"id\":1,\"code\":\"x = 1\",\"language\":\"python\"}\n")
        .output()
        .unwrap()
}

fn info(home: &Path) -> Value {
    let out = snipdex(home)
        .args(["model", "info", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn model_use_switches_the_model_and_refuses_what_is_not_there() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let llama = write_model(h, "a-llama.gguf", &TinySpec::new(1));
    let qwen = write_model(h, "b-qwen.gguf", &TinySpec::qwen2(1));
    // Nothing chosen: the first file by name.
    assert_eq!(info(h)["active"], Value::from(llama.to_str().unwrap()));

    snipdex(h)
        .args(["model", "use", "b-qwen.gguf"])
        .assert()
        .success();
    assert_eq!(info(h)["active"], Value::from(qwen.to_str().unwrap()));
    assert_eq!(info(h)["adapters_for"], "b-qwen");

    // A known model that is not installed: exit 5 and the fetch command.
    let out = snipdex(h)
        .args(["model", "use", "qwen2.5-coder-0.5b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("snipdex model fetch --model qwen2.5-coder-0.5b"),
        "{err}"
    );
    // Unknown names and paths out of the models folder: bad input.
    for bad in ["gpt-5", "../b-qwen.gguf"] {
        let out = snipdex(h).args(["model", "use", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(4), "{bad}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("smollm2-135m, qwen2.5-coder-0.5b"), "{err}");
    }
    // A file the engine cannot load is refused now, and the choice stays.
    std::fs::write(h.join("models/broken.gguf"), b"not a model").unwrap();
    snipdex(h)
        .args(["model", "use", "broken.gguf"])
        .assert()
        .code(4);
    assert_eq!(info(h)["active"], Value::from(qwen.to_str().unwrap()));

    // The chosen file gone: enrichment says so instead of taking another.
    std::fs::remove_file(&qwen).unwrap();
    let out = enrich_one(h);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chosen with `snipdex model use`"), "{err}");
    let report = info(h);
    assert_eq!(report["active"], Value::Null);
    assert!(report["active_problem"]
        .as_str()
        .unwrap()
        .contains("b-qwen.gguf"));
}

#[test]
fn model_check_compares_with_candle_transformers_and_asks_a_question() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    for (file, spec) in [("l.gguf", TinySpec::new(3)), ("q.gguf", TinySpec::qwen2(3))] {
        let path = write_model(h, file, &spec);
        let out = snipdex(h)
            .args(["model", "check", "--json", "--model"])
            .arg(&path)
            .output()
            .unwrap();
        // The logits and the tokenizer pass; a random model cannot know
        // the capital of France, so the check as a whole fails (exit 10).
        assert_eq!(out.status.code(), Some(10), "{out:?}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let diff = report["max_logit_diff"].as_f64().unwrap();
        let scale = report["logit_scale"].as_f64().unwrap();
        assert!(diff <= 1e-3 * scale.max(1.0), "{report}");
        assert_eq!(report["tokenizer_round_trip"], true, "{report}");
        assert_eq!(report["answer_ok"], false, "{report}");
        let arch = if file == "q.gguf" { "qwen2" } else { "llama" };
        assert_eq!(report["architecture"], arch);
    }
}

#[test]
fn adapters_install_per_model_and_foreign_ones_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let qwen = write_model(h, "q.gguf", &TinySpec::qwen2(4));
    let model = Model::load(&qwen).unwrap();
    // A checkout-like folder: flat (old layout, the default model's) and
    // per model.
    let from = h.join("checkout-adapters");
    let adapter = random_adapter(model.config(), 2, 0.1, 1).unwrap();
    adapter.save(&from.join("q").join("title")).unwrap();
    adapter.save(&from.join("tags")).unwrap();
    snipdex(h)
        .args(["model", "adapters", "--from"])
        .arg(&from)
        .assert()
        .success();
    let installed = h.join("models/adapters");
    assert!(installed
        .join("q/title/adapter_model.safetensors")
        .is_file());
    assert!(installed
        .join("smollm2-135m/tags/adapter_model.safetensors")
        .is_file());
    let report = info(h);
    assert_eq!(report["adapters_for"], "q");
    assert_eq!(
        report["adapters"]["title"],
        Value::from(installed.join("q/title").to_str().unwrap())
    );
    // The flat one is SmolLM2's: not offered to this model.
    assert_eq!(report["adapters"]["tags"], Value::Null);

    // An adapter that says it is for SmolLM2 is refused on a qwen2, by name.
    let cfg_path = installed.join("q/title/adapter_config.json");
    let text = std::fs::read_to_string(&cfg_path).unwrap();
    std::fs::write(
        &cfg_path,
        text.replace("\"tiny\"", "\"HuggingFaceTB/SmolLM2-135M-Instruct\""),
    )
    .unwrap();
    let out = enrich_one(h);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("made for the base model HuggingFaceTB/SmolLM2-135M-Instruct"),
        "{err}"
    );
}

#[test]
fn fetch_knows_its_models_and_refuses_others() {
    let home = tempfile::tempdir().unwrap();
    let out = snipdex(home.path())
        .args(["model", "fetch", "--model", "llama-70b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown model \"llama-70b\""), "{err}");
    // --model names a known model; it cannot be mixed with a custom file.
    snipdex(home.path())
        .args([
            "model",
            "fetch",
            "--model",
            "qwen2.5-coder-0.5b",
            "--repo",
            "x/y",
        ])
        .assert()
        .code(2);
}
