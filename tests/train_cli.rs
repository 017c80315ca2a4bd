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

    // `snipdex eval --task tags --json --limit 3` on the data, plus `extra`.
    let eval = |extra: &[&str]| -> Result<std::process::Output, Box<dyn std::error::Error>> {
        Ok(snipdex(dir.path())?
            .args(["eval", "--task", "tags", "--json", "--limit", "3"])
            .args(extra)
            .arg("--data")
            .arg(dir.path().join("data.jsonl"))
            .args(model_args(dir.path()))
            .output()?)
    };
    let report = |output: std::process::Output| -> Result<Value, Box<dyn std::error::Error>> {
        assert!(output.status.success(), "{output:?}");
        Ok(serde_json::from_slice(&output.stdout)?)
    };
    let adapters = dir.path().to_str().ok_or("non-UTF-8 temp path")?.to_owned();
    let output = eval(&["--adapters", &adapters])?;
    // `--adapters` names a folder with no adapter: neither it nor its
    // `tags/` sub-folder holds one.
    assert_eq!(output.status.code(), Some(4), "{output:?}");

    std::fs::rename(&out, dir.path().join("tags"))?;
    let tuned = report(eval(&["--adapters", &adapters])?)?;
    assert_eq!(tuned["task"], "tags");
    assert_eq!(tuned["adapter"], true);
    assert_eq!(tuned["scores"]["examples"], 3);
    assert_eq!(tuned["predictions"].as_array().map(Vec::len), Some(3));
    assert!(tuned["scores"]["tags"]["f1"].is_number());

    // The length-floor flags are taken (their effect on decoding is
    // asserted in `model::tests::a_length_floor_keeps_an_answer_from_ending_early`;
    // with this tiny model the answers come out the same).
    let floored = report(eval(&[
        "--no-adapters",
        "--min-tokens",
        "12",
        "--end-penalty",
        "inf",
    ])?)?;
    assert_eq!(floored["adapter"], false);
    assert_eq!(floored["predictions"].as_array().map(Vec::len), Some(3));
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
    // No model installed: unavailable (5), as the README's table says.
    snipdex(dir.path())?
        .args(["train", "--task", "tags", "--out", "o"])
        .arg("--data")
        .arg(&data)
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no model"));
    snipdex(dir.path())?
        .args(["eval", "--task", "tags", "--no-adapters"])
        .arg("--data")
        .arg(&data)
        .assert()
        .code(5)
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
