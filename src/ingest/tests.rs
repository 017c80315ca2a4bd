use super::*;
use std::fs;
use tempfile::TempDir;

fn write(dir: &TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn whole_file_is_one_snippet() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "deploy",
        "\n\n#!/bin/sh\nset -eu\nrsync -a build/ host:/srv/\n\n",
    );
    let got = ingest_file(&path, &IngestOptions::default()).unwrap();
    assert_eq!(got.len(), 1);
    let e = &got[0];
    assert_eq!(e.content, "#!/bin/sh\nset -eu\nrsync -a build/ host:/srv/");
    assert_eq!((e.start_line, e.end_line, e.block), (3, 5, 0));
    assert_eq!(e.heading, None);
    assert!(e.secrets.is_empty());
}

#[test]
fn file_language_comes_from_its_name() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "Dockerfile", "FROM alpine\nRUN echo hi\n");
    let got = ingest_file(&path, &IngestOptions::default()).unwrap();
    assert_eq!(got[0].language, "dockerfile");
}

#[test]
fn markdown_file_is_split_into_fences() {
    let dir = TempDir::new().unwrap();
    let doc =
        "# Tips\n\nList files:\n\n```sh\nls -la\n```\n\n## Rust\n\n```rust\nfn main() {}\n```\n";
    let path = write(&dir, "tips.md", doc);
    let got = ingest_file(&path, &IngestOptions::default()).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].content, "ls -la");
    assert_eq!(got[0].heading.as_deref(), Some("Tips"));
    assert_eq!(got[0].context.as_deref(), Some("List files:"));
    assert_eq!((got[0].start_line, got[0].block), (6, 0));
    assert_eq!(got[1].language, "rust");
    assert_eq!(got[1].heading.as_deref(), Some("Rust"));
    assert_eq!((got[1].start_line, got[1].block), (12, 1));
}

#[test]
fn markdown_without_fences_gives_nothing() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "notes.markdown", "# Notes\n\nNothing to run here.\n");
    assert_eq!(ingest_file(&path, &IngestOptions::default()), Ok(vec![]));
}

#[test]
fn skip_reasons_pass_through_with_the_configured_limit() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "big.py", &"x = 1\n".repeat(300 * 1024 / 6));
    let opts = IngestOptions::default();
    assert!(matches!(
        ingest_file(&path, &opts),
        Err(SkipReason::TooLarge { limit, .. }) if limit == DEFAULT_MAX_FILE_BYTES
    ));
    let roomy = IngestOptions {
        max_file_bytes: 1024 * 1024,
        ..IngestOptions::default()
    };
    assert_eq!(ingest_file(&path, &roomy).map(|v| v.len()), Ok(1));

    let empty = write(&dir, "empty.rs", " \n\t\n");
    assert_eq!(ingest_file(&empty, &opts), Err(SkipReason::Empty));
    let nbsp = write(&dir, "nbsp.txt", "\u{a0}\u{2003}\n");
    assert_eq!(ingest_file(&nbsp, &opts), Err(SkipReason::Empty));
}

#[test]
fn secrets_are_attached_to_file_snippets() {
    let dir = TempDir::new().unwrap();
    let token = ["ghp_", "q8Rz2LkV0mYt7XwB4nCs9PdJ6hFa1GeU3oIx"].concat();
    let path = write(
        &dir,
        "release.sh",
        &format!("GH={token} gh release create v1\n"),
    );
    let got = ingest_file(&path, &IngestOptions::default()).unwrap();
    assert_eq!(got[0].secrets, vec![SecretKind::GithubToken]);
}

#[test]
fn text_is_one_snippet_with_detected_language() {
    let got = ingest_text(None, "SELECT id FROM users;\r\n");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].language, "sql");
    assert_eq!(got[0].content, "SELECT id FROM users;");
    assert_eq!((got[0].start_line, got[0].end_line), (1, 1));

    let hinted = ingest_text(Some("x.py"), "print('hi')");
    assert_eq!(hinted[0].language, "python");
    assert!(ingest_text(None, "  \n ").is_empty());
}

#[test]
fn text_splits_markdown_only_when_hinted() {
    let md = "Intro\n\n```sh\necho a\n```\n\n```sh\necho b\n```\n";
    assert_eq!(ingest_text(Some("notes.md"), md).len(), 2);
    let plain = ingest_text(None, md);
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].content, md.trim_end());
    // Fence-less Markdown handed over on purpose is kept whole.
    let prose = ingest_text(Some("todo.md"), "# Todo\n\n- [ ] ship it\n");
    assert_eq!(prose.len(), 1);
    assert_eq!(prose[0].language, "markdown");
}

#[test]
fn trim_blank_lines_counts_what_it_drops() {
    assert_eq!(trim_blank_lines("\n \n a\nb \n\n"), Some((2, " a\nb")));
    assert_eq!(trim_blank_lines("a"), Some((0, "a")));
    assert_eq!(trim_blank_lines(" \n\t\n"), None);
}

#[test]
fn extracted_serializes_secret_ids() {
    let got = ingest_text(None, &["key = ", "AKIA", "Z7Q2M4X9B1C8D3F6"].concat());
    let json = serde_json::to_value(&got[0]).unwrap();
    assert_eq!(json["secrets"], serde_json::json!(["aws_access_key_id"]));
}
