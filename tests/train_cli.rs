//! `snipdex train` and `snipdex eval` end to end on a tiny random model:
//! files written, JSON shape, and the exit codes of the error paths.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use snipdex::model::testutil::{write_tiny_llama_gguf_with, TinySpec};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn snipdex(home: &Path) -> Result<Command, Box<dyn std::error::Error>> {
    let mut c = Command::cargo_bin("snipdex")?;
    c.env("SNIPDEX_HOME", home).env_remove("SNIPDEX_MODEL");
    Ok(c)
}

/// A tiny model, short prompt templates and a small data file.
fn setup(dir: &Path) -> TestResult {
    let mut spec = TinySpec::new(5);
    spec.context_length = 512;
    write_tiny_llama_gguf_with(&dir.join("tiny.gguf"), &spec)?;
    let prompts = dir.join("prompts");
    std::fs::create_dir_all(&prompts)?;
    std::fs::write(prompts.join("system.txt"), "Describe code.")?;
    std::fs::write(prompts.join("tags.txt"), "Tags?")?;
    let rows: String = (0..4)
        .map(|i| {
            format!(
                "{{\"code\":\"def f{i}(): return {i}\",\"language\":\"python\",\"tags\":[\"python\",\"the\",\"in{i}\"]}}\n"
            )
        })
        .collect();
    std::fs::write(
        dir.join("data.jsonl"),
        rows + "{\"code\":\"x\",\"language\":\"c\"}\n",
    )?;
    Ok(())
}

fn model_args(dir: &Path) -> Vec<String> {
    vec![
        "--model".into(),
        dir.join("tiny.gguf").display().to_string(),
        "--prompts".into(),
        dir.join("prompts").display().to_string(),
    ]
}

#[test]
fn train_writes_an_adapter_that_eval_scores() -> TestResult {
    let dir = tempfile::tempdir()?;
    setup(dir.path())?;
    let out = dir.path().join("out");
    snipdex(dir.path())?
        .args([
            "train", "--task", "tags", "--steps", "3", "--batch", "2", "--rank", "2",
        ])
        .arg("--data")
        .arg(dir.path().join("data.jsonl"))
        .arg("--out")
        .arg(&out)
        .arg("--eval")
        .arg(dir.path().join("data.jsonl"))
        .args(["--eval-limit", "2"])
        .args(model_args(dir.path()))
        .assert()
        .success()
        .stdout(predicate::str::contains("tag F1"));
    for file in [
        "adapter_config.json",
        "adapter_model.safetensors",
        "README.md",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let readme = std::fs::read_to_string(out.join("README.md"))?;
    assert!(readme.contains("5 in the file, 4 used"), "{readme}");
    assert!(readme.contains("1 without a `tags` label"), "{readme}");
    assert!(readme.contains("tag F1"), "{readme}");

    let output = snipdex(dir.path())?
        .args(["eval", "--task", "tags", "--json", "--limit", "3"])
        .arg("--data")
        .arg(dir.path().join("data.jsonl"))
        .arg("--adapters")
        .arg(dir.path())
        .args(model_args(dir.path()))
        .output()?;
    // `--adapters` names a folder with no adapter: neither it nor its
    // `tags/` sub-folder holds one.
    assert_eq!(output.status.code(), Some(4), "{output:?}");

    std::fs::rename(&out, dir.path().join("tags"))?;
    let output = snipdex(dir.path())?
        .args(["eval", "--task", "tags", "--json", "--limit", "3"])
        .arg("--data")
        .arg(dir.path().join("data.jsonl"))
        .arg("--adapters")
        .arg(dir.path())
        .args(model_args(dir.path()))
        .output()?;
    assert!(output.status.success(), "{output:?}");
    let report: Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(report["task"], "tags");
    assert_eq!(report["adapter"], true);
    assert_eq!(report["scores"]["examples"], 3);
    assert_eq!(report["predictions"].as_array().map(Vec::len), Some(3));
    assert!(report["scores"]["tags"]["f1"].is_number());

    // A hard length floor: no answer ends before 5 tokens, so every raw
    // answer is at least as long as without it.
    let eval_with = |extra: &[&str]| -> Result<Value, Box<dyn std::error::Error>> {
        let output = snipdex(dir.path())?
            .args([
                "eval",
                "--task",
                "tags",
                "--json",
                "--limit",
                "3",
                "--no-adapters",
            ])
            .args(extra)
            .arg("--data")
            .arg(dir.path().join("data.jsonl"))
            .args(model_args(dir.path()))
            .output()?;
        assert!(output.status.success(), "{output:?}");
        Ok(serde_json::from_slice(&output.stdout)?)
    };
    let free = eval_with(&[])?;
    let floored = eval_with(&["--min-tokens", "5", "--end-penalty", "inf"])?;
    let raw_len = |report: &Value, i: usize| report["predictions"][i]["raw"].as_str().map(str::len);
    for i in 0..3 {
        assert!(raw_len(&floored, i) >= raw_len(&free, i), "{floored}");
    }
    Ok(())
}

#[test]
fn error_paths_have_their_exit_codes() -> TestResult {
    let dir = tempfile::tempdir()?;
    setup(dir.path())?;
    let data = dir.path().join("data.jsonl");
    // Unknown task: a usage error.
    snipdex(dir.path())?
        .args(["train", "--task", "summary", "--out", "o"])
        .arg("--data")
        .arg(&data)
        .assert()
        .code(2);
    // No model installed.
    snipdex(dir.path())?
        .args(["train", "--task", "tags", "--out", "o"])
        .arg("--data")
        .arg(&data)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no model"));
    // A data file without a single usable row.
    snipdex(dir.path())?
        .args(["train", "--task", "title", "--out", "o"])
        .arg("--data")
        .arg(&data)
        .args(model_args(dir.path()))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no usable rows"));
    // A broken data line names its line number.
    let broken = dir.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"code\":\"x\",\"language\":\"c\",\"tags\":[\"a\"]}\n{oops\n",
    )?;
    snipdex(dir.path())?
        .args(["eval", "--task", "tags", "--no-adapters"])
        .arg("--data")
        .arg(&broken)
        .args(model_args(dir.path()))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("broken.jsonl:2"));
    // A negative or NaN end penalty, or one without --min-tokens: usage.
    for bad in [
        &["--min-tokens", "4", "--end-penalty", "-1"][..],
        &["--end-penalty", "2"],
    ] {
        snipdex(dir.path())?
            .args(["eval", "--task", "description", "--no-adapters"])
            .args(bad)
            .arg("--data")
            .arg(&data)
            .args(model_args(dir.path()))
            .assert()
            .code(2);
    }
    // Resuming without a checkpoint.
    snipdex(dir.path())?
        .args(["train", "--task", "tags", "--resume", "--steps", "1"])
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("fresh"))
        .args(model_args(dir.path()))
        .assert()
        .code(4)
        .stderr(predicate::str::contains("no checkpoint"));
    // --steps and --epochs exclude each other.
    snipdex(dir.path())?
        .args([
            "train", "--task", "tags", "--steps", "1", "--epochs", "1", "--out", "o",
        ])
        .arg("--data")
        .arg(&data)
        .assert()
        .code(2);
    Ok(())
}
