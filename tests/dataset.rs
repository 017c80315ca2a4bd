//! The dataset harvester end to end, on the hand-written fixture packages
//! in tests/fixtures/dataset (offline: every package is a local folder).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use snipdex::train::dataset::{
    harvest, load_sources, split_for, write_jsonl, FetchOptions, HarvestOptions, Row, Split,
};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dataset/sources.toml")
}

fn options(cache: &Path) -> HarvestOptions {
    HarvestOptions {
        fetch: FetchOptions {
            cache: cache.join("cache"),
            cargo_home: cache.join("cargo"),
            offline: true,
        },
        max_per_package: 150,
        max_extra_per_package: 150,
        keep: None,
    }
}

fn harvest_rows(dir: &Path) -> Vec<Row> {
    let sources = load_sources(&fixture()).unwrap();
    harvest(&sources, &options(dir), &mut |_| {}).unwrap().rows
}

#[test]
fn same_inputs_give_byte_identical_jsonl() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let rows_a = harvest_rows(a.path());
    let rows_b = harvest_rows(b.path());
    write_jsonl(&rows_a, &a.path().join("out.jsonl")).unwrap();
    write_jsonl(&rows_b, &b.path().join("out.jsonl")).unwrap();
    let bytes_a = std::fs::read(a.path().join("out.jsonl")).unwrap();
    assert!(!bytes_a.is_empty());
    assert_eq!(bytes_a, std::fs::read(b.path().join("out.jsonl")).unwrap());
    // Every line is a row that reads back as it was written.
    let back: Vec<Row> = String::from_utf8(bytes_a)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(back, rows_a);
}

#[test]
fn fixture_rows_cover_every_language_with_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let rows = harvest_rows(dir.path());
    let languages: BTreeSet<&str> = rows.iter().map(|r| r.language.as_str()).collect();
    for lang in [
        "c",
        "javascript",
        "python",
        "rust",
        "shell",
        "sql",
        "typescript",
    ] {
        assert!(languages.contains(lang), "no {lang} row in {languages:?}");
    }
    let ids: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), rows.len(), "ids are unique");
    for r in &rows {
        assert_eq!(
            r.id,
            format!("{}@{}:{}:{}", r.package, r.version, r.path, r.start_line)
        );
        assert_eq!(r.split, split_for(&r.package));
        let n = r.code.lines().count();
        assert!((3..=80).contains(&n), "{}: {n} lines", r.id);
    }
    // The crate's own Cargo.toml licence wins over the expected one.
    let rust = rows.iter().find(|r| r.language == "rust").unwrap();
    assert_eq!(rust.license, "MIT OR Apache-2.0");
    let sql = rows.iter().find(|r| r.language == "sql").unwrap();
    assert_eq!(sql.license, "PostgreSQL");
}

#[test]
fn docstrings_leave_the_code_and_become_labels() {
    let dir = tempfile::tempdir().unwrap();
    let rows = harvest_rows(dir.path());
    let by_path_line = |path: &str| rows.iter().find(|r| r.path == path).unwrap();
    let clamp = rows.iter().find(|r| r.code.contains("fn clamp")).unwrap();
    assert_eq!(
        clamp.docstring.as_deref(),
        Some("Clamps `value` into `[lo, hi]`.")
    );
    assert!(!clamp.code.contains("///"));
    let slug = rows
        .iter()
        .find(|r| r.code.contains("def slugify"))
        .unwrap();
    assert_eq!(
        slug.docstring.as_deref(),
        Some("Turn `text` into a URL slug.")
    );
    assert!(!slug.code.contains("URL slug") && !slug.code.contains("Args:"));
    let js = by_path_line("src/index.js");
    assert_eq!(
        js.docstring.as_deref(),
        Some("Debounces `fn` by `ms` milliseconds.")
    );
    assert!(!js.code.contains("@param"));
    let sh = by_path_line("backup.sh");
    assert_eq!(
        sh.docstring.as_deref(),
        Some("Copies a folder into a dated archive.")
    );
    let c = by_path_line("crc.c");
    assert_eq!(
        c.docstring.as_deref(),
        Some("Computes the CRC-32 of a buffer, bit by bit.")
    );
    assert!(c.code.starts_with("uint32_t crc32_bitwise"));
}

#[test]
fn duplicates_and_test_folders_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let rows = harvest_rows(dir.path());
    let word_counts: Vec<&str> = rows
        .iter()
        .filter(|r| r.code.contains("fn word_count"))
        .map(|r| r.path.as_str())
        .collect();
    // Whitespace-only differences are duplicates; the first by path stays.
    assert_eq!(word_counts, vec!["src/lib.rs"]);
    assert!(rows.iter().all(|r| !r.path.starts_with("tests/")));
}

#[test]
fn a_package_never_spans_two_splits() {
    let dir = tempfile::tempdir().unwrap();
    let rows = harvest_rows(dir.path());
    let mut splits: BTreeMap<&str, BTreeSet<Split>> = BTreeMap::new();
    for r in &rows {
        splits.entry(&r.package).or_default().insert(r.split);
    }
    assert!(splits.values().all(|s| s.len() == 1), "{splits:?}");
    // Over many names the split is close to 80/10/10.
    let mut counts: BTreeMap<Split, usize> = BTreeMap::new();
    for i in 0..2000 {
        *counts
            .entry(split_for(&format!("package-{i}")))
            .or_default() += 1;
    }
    assert!((1450..=1750).contains(&counts[&Split::Train]), "{counts:?}");
    assert!((120..=280).contains(&counts[&Split::Dev]), "{counts:?}");
    assert!((120..=280).contains(&counts[&Split::Test]), "{counts:?}");
}

fn snipdex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("snipdex").unwrap();
    c.env("SNIPDEX_HOME", home)
        .env_remove("SNIPDEX_DATASET_CACHE");
    c
}

#[test]
fn cli_harvest_writes_jsonl_and_maps_errors_to_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    snipdex(dir.path())
        .args(["dataset", "harvest", "--offline", "--json", "--sources"])
        .arg(fixture())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let lines = std::fs::read_to_string(out.join("snippets.jsonl")).unwrap();
    assert!(lines.lines().count() >= 7);

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[package]]\nname = \"x\"\n").unwrap();
    snipdex(dir.path())
        .args(["dataset", "harvest", "--sources"])
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(4);

    let missing = dir.path().join("missing.toml");
    std::fs::write(
        &missing,
        "[[package]]\nname = \"nothing-here\"\nversion = \"1.0\"\necosystem = \"pypi\"\nlicense = \"MIT\"\n",
    )
    .unwrap();
    snipdex(dir.path())
        .args(["dataset", "harvest", "--offline", "--sources"])
        .arg(&missing)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(5);
}
