use super::*;
use crate::domain::{Field, Provenance};

#[test]
fn detects_pet_toml() {
    let text = r#"
[[snippets]]
  description = "Show listening ports"
  command = "ss -tlnp"
  tag = ["net", "Linux"]
  output = ""

[[snippets]]
  description = "empty is skipped"
  command = "  "
"#;
    let (format, snippets) = parse(text).unwrap();
    assert_eq!(format, Format::Pet);
    assert_eq!(snippets.len(), 1);
    let s = &snippets[0];
    assert_eq!(
        (s.title.as_str(), s.content.as_str()),
        ("Show listening ports", "ss -tlnp")
    );
    assert_eq!(s.tags, vec!["net", "Linux"]);
    assert_eq!(s.language, "shell");
    assert_eq!(
        s.meta.get(Field::Title).provenance,
        Some(Provenance::Import)
    );
}

#[test]
fn detects_gist_json_with_many_files() {
    let text = r##"[{"description": "Helpers", "files": {
        "a.py": {"filename": "a.py", "language": "Python", "content": "print(1)\n"},
        "b.sh": {"filename": "b.sh", "language": null, "content": "#!/bin/sh\necho hi\n"}
    }}]"##;
    let (format, snippets) = parse(text).unwrap();
    assert_eq!(format, Format::Gist);
    assert_eq!(snippets.len(), 2);
    assert_eq!(snippets[0].language, "python");
    assert_eq!(snippets[1].language, "shell");
    assert_eq!(snippets[1].description, "Helpers");
}

#[test]
fn gist_listing_without_content_is_a_clear_error() {
    let text = r#"{"description": "x", "files": {"a.py": {"filename": "a.py", "raw_url": "u"}}}"#;
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("no `content`"), "{err}");
}

#[test]
fn garbage_is_unrecognised() {
    assert!(matches!(
        parse("hello there"),
        Err(ImportError::Unrecognised(_))
    ));
    assert!(matches!(
        parse("{broken"),
        Err(ImportError::Unrecognised(_))
    ));
    assert!(matches!(parse("[1, 2]"), Err(ImportError::Invalid { .. })));
    assert!(matches!(parse("a = 1"), Err(ImportError::Unrecognised(_))));
}

#[test]
fn markdown_fence_survives_backticks_in_content() {
    let s = crate::domain::Snippet {
        id: 1,
        title: "Fence".into(),
        description: "Has ``` inside.".into(),
        tags: vec!["md".into()],
        links: vec![],
        language: "markdown".into(),
        content: "```rust\nfn x() {}\n```".into(),
        source: crate::domain::Source::Manual,
        meta: Default::default(),
        secrets: vec![],
        created_at: 0,
        updated_at: 0,
        content_hash: String::new(),
    };
    let md = to_markdown(&[s]);
    assert!(md.contains("````markdown\n```rust"), "{md}");
    assert!(md.trim_end().ends_with("````"));
}

#[test]
fn a_byte_order_mark_is_not_an_error() {
    let text = "\u{feff}[{\"title\": \"BOM\", \"content\": \"ls\"}]";
    let (format, snippets) = parse(text).unwrap();
    assert_eq!((format, snippets.len()), (Format::Snipdex, 1));
}

#[test]
fn deeply_nested_json_is_reported_as_json() {
    let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("JSON error"), "{err}");
    let text = format!("{}1{}", "[".repeat(1000), "]".repeat(1000));
    let err = parse(&text).unwrap_err().to_string();
    assert!(err.contains("JSON error"), "{err}");
}
