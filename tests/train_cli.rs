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
                "{{\"code\":\"def f{i}(): return {i}\",\"language\":\"python\",\"tags\":[\"python\",\"the\",\"math\",\"in{i}\"]}}\n"
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

    // The kernel against exact f32 products: both scored on the same rows,
    // each changed answer explained at its first differing token.
    let explained = report(eval(&[
        "--no-adapters",
        "--precision",
        "kernel",
        "--explain-against",
        "f32",
    ])?)?;
    assert_eq!(
        explained["report"]["predictions"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(explained["against"]["scores"]["examples"], 3);
    let divergences = explained["against"]["divergences"]
        .as_array()
        .ok_or("no divergences list")?;
    for d in divergences {
        let (first, second) = (&d["answers"][0], &d["answers"][1]);
        assert_ne!(first, second, "{d}");
        assert_ne!(d["picks"][0], d["picks"][1], "{d}");
        assert!(d["logits_first"][0].is_number() && d["logits_second"][1].is_number());
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
    // Diagnostic precisions are never recorded.
    snipdex(dir.path())?
        .args(["eval", "--task", "tags", "--no-adapters"])
        .args(["--precision", "f32", "--record", "results"])
        .arg("--data")
        .arg(&data)
        .args(model_args(dir.path()))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("are diagnostics"));
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

/// Rows of one split, with a package of that split (the split is the
/// package's, see docs/evaluation.md).
fn split_rows(split: snipdex::train::dataset::Split, n: usize) -> String {
    let package = (0..)
        .map(|i| format!("pkg{i}"))
        .find(|p| snipdex::train::dataset::split_for(p) == split)
        .unwrap();
    (0..n)
        .map(|i| {
            format!(
                "{{\"code\":\"def f{i}(): return {i}\",\"language\":\"python\",\
                 \"tags\":[\"python\",\"math\"],\"package\":\"{package}\"}}\n"
            )
        })
        .collect()
}

#[test]
fn test_rows_are_scored_once_and_every_score_is_kept() -> TestResult {
    use snipdex::train::dataset::Split;
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    setup(d)?;
    let test = d.join("test.jsonl");
    std::fs::write(&test, split_rows(Split::Test, 2))?;
    let results = d.join("results");
    let eval = |data: &Path, extra: &[&str]| -> Result<Command, Box<dyn std::error::Error>> {
        let mut c = snipdex(d)?;
        c.args(["eval", "--task", "tags", "--no-adapters"])
            .args(extra)
            .arg("--data")
            .arg(data)
            .args(model_args(d));
        Ok(c)
    };
    let record = results.to_str().ok_or("non-UTF-8 temp path")?.to_owned();

    // Test rows are never scored unrecorded, nor partly, nor tuned.
    eval(&test, &[])?
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--record"));
    eval(&test, &["--record", &record, "--limit", "1"])?
        .assert()
        .code(2)
        .stderr(predicate::str::contains("dev"));
    assert!(!results.exists());

    // The first score is taken and kept, with its report.
    let out = eval(&test, &["--record", &record, "--json"])?.output()?;
    assert!(out.status.success(), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["split"], "test");
    assert_eq!(
        report["metrics_version"],
        snipdex::train::metrics::METRICS_VERSION
    );
    let ledger = std::fs::read_to_string(results.join("test/ledger.jsonl"))?;
    let entries: Vec<Value> = ledger
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(entries.len(), 1);
    assert!(entries[0]["subject"].as_str().unwrap().starts_with("base:"));
    let kept = results.join(entries[0]["report"].as_str().unwrap());
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(kept)?)?;
    assert_eq!(kept["report"]["scores"], report["scores"]);

    // A second score of the same model on the same rows is refused, and
    // nothing is added to the ledger.
    eval(&test, &["--record", &record])?
        .assert()
        .code(4)
        .stderr(predicate::str::contains("already scored"));
    assert_eq!(
        std::fs::read_to_string(results.join("test/ledger.jsonl"))?,
        ledger
    );

    // Candidates are chosen on dev: training refuses to evaluate on test.
    snipdex(d)?
        .args(["train", "--task", "tags", "--steps", "1", "--batch", "1"])
        .arg("--data")
        .arg(d.join("data.jsonl"))
        .arg("--out")
        .arg(d.join("out"))
        .arg("--eval")
        .arg(&test)
        .args(model_args(d))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("chosen on the dev split"));

    // Dev rows may be scored and recorded as often as wanted.
    let dev = d.join("dev.jsonl");
    std::fs::write(&dev, split_rows(Split::Dev, 2))?;
    for _ in 0..2 {
        eval(&dev, &["--record", &record, "--limit", "1"])?
            .assert()
            .success();
    }
    let dev_ledger = std::fs::read_to_string(results.join("dev/ledger.jsonl"))?;
    assert_eq!(dev_ledger.lines().count(), 2);

    // A file that mixes splits means nothing as a score.
    let mixed = d.join("mixed.jsonl");
    std::fs::write(
        &mixed,
        split_rows(Split::Dev, 1) + &split_rows(Split::Test, 1),
    )?;
    eval(&mixed, &[])?
        .assert()
        .code(4)
        .stderr(predicate::str::contains("mixes"));
    Ok(())
}
