use super::*;

const DOC: &str = "\
# Server notes

Some intro text.

## Start the database

Run this once per machine,
before anything else.

```sh
docker run -d --name pg -p 5432:5432 postgres:16
```

```
SELECT 1 FROM pg_stat_activity;
```

## Queries

```sql

SELECT name, count(*) FROM users GROUP BY name;
SELECT 2;

```

```rust,ignore
fn main() {
    println!(\"hi\");
}
```

```py
   
```

### Helpers

1. Install the tool:

   ```{python}
   import this
   ```

> ```bash
> echo quoted
> ```
";

#[test]
fn one_snippet_per_non_empty_fence_with_languages() {
    let got = extract_fences(DOC);
    let langs: Vec<_> = got.iter().map(|e| e.language.as_str()).collect();
    // The unlabelled fence is recognised from its content.
    assert_eq!(langs, ["shell", "sql", "sql", "rust", "python", "shell"]);
    // The empty ```py fence (index 4) is counted but not emitted.
    let blocks: Vec<_> = got.iter().map(|e| e.block).collect();
    assert_eq!(blocks, [0, 1, 2, 3, 5, 6]);
}

#[test]
fn positions_are_content_lines_in_the_file() {
    let got = extract_fences(DOC);
    let lines: Vec<_> = DOC.lines().collect();
    for e in &got {
        let first = lines[e.start_line as usize - 1];
        let last = lines[e.end_line as usize - 1];
        assert!(
            first.contains(e.content.lines().next().unwrap().trim()),
            "{e:?}"
        );
        assert!(
            last.contains(e.content.lines().last().unwrap().trim()),
            "{e:?}"
        );
    }
    // Blank lines inside the fence are trimmed from both ends.
    assert_eq!(
        got[2].content,
        "SELECT name, count(*) FROM users GROUP BY name;\nSELECT 2;"
    );
    assert_eq!((got[2].start_line, got[2].end_line), (22, 23));
    assert_eq!((got[3].start_line, got[3].end_line), (28, 30));
}

#[test]
fn heading_and_context_come_from_the_nearest_section() {
    let got = extract_fences(DOC);
    assert_eq!(got[0].heading.as_deref(), Some("Start the database"));
    assert_eq!(
        got[0].context.as_deref(),
        Some("Run this once per machine, before anything else.")
    );
    // The second fence in a section still has the paragraph above both.
    assert_eq!(got[1].context, got[0].context);
    // A new heading starts with no paragraph: "Some intro text" or the
    // database paragraph must not leak into it.
    assert_eq!(got[2].heading.as_deref(), Some("Queries"));
    assert_eq!(got[2].context, None);
    // Paragraphs inside list items count.
    assert_eq!(got[4].heading.as_deref(), Some("Helpers"));
    assert_eq!(got[4].context.as_deref(), Some("Install the tool:"));
    assert_eq!(got[4].content, "import this");
    assert_eq!(got[5].content, "echo quoted");
}

#[test]
fn no_fences_means_no_snippets() {
    assert!(extract_fences("# Title\n\nJust prose.\n\n    indented code\n").is_empty());
    assert!(extract_fences("").is_empty());
}

#[test]
fn long_context_is_capped_on_a_char_boundary() {
    let para = "é".repeat(MAX_CONTEXT_CHARS + 50);
    let doc = format!("{para}\n\n```\nls -la\n```\n");
    let got = extract_fences(&doc);
    let context = got[0].context.as_deref().unwrap();
    assert_eq!(context.chars().count(), MAX_CONTEXT_CHARS + 1);
    assert!(context.ends_with('…'));
}

#[test]
fn unclosed_fence_runs_to_end_of_file() {
    let got = extract_fences("intro\n\n```go\npackage main\nfunc main() {}\n");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].language, "go");
    assert_eq!((got[0].start_line, got[0].end_line), (4, 5));
}

#[test]
fn secrets_in_fences_are_reported() {
    let key = ["AKIA", "Z7Q2M4X9B1C8D3F6"].concat();
    let doc = format!("```sh\nexport AWS_ACCESS_KEY_ID={key}\n```\n");
    let got = extract_fences(&doc);
    assert_eq!(
        got[0].secrets,
        vec![crate::ingest::SecretKind::AwsAccessKeyId]
    );
}

#[test]
fn info_string_variants() {
    assert_eq!(fence_language("rust,ignore", "x"), "rust");
    assert_eq!(fence_language("{python}", "x"), "python");
    assert_eq!(fence_language("sh title=\"x\"", "x"), "shell");
    assert_eq!(fence_language(".yaml", "x"), "yaml");
    assert_eq!(fence_language("", "fn main() { let mut x = 1; }"), "rust");
    assert_eq!(fence_language("output", "hello world"), "text");
}

#[test]
fn front_matter_and_tables_are_not_context() {
    let doc = "---\ntitle: Notes\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```sh\nls\n```\n";
    let got = extract_fences(doc);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].heading, None);
    assert_eq!(got[0].context, None);
    assert_eq!(got[0].start_line, 10);
}
