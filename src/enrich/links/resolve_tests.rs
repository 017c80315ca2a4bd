use super::*;

fn links(code: &str, language: &str) -> Vec<String> {
    resolve_links(code, language, &[])
}

fn with_names(code: &str, language: &str, names: &[&str]) -> Vec<String> {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    resolve_links(code, language, &names)
}

fn assert_well_formed(urls: &[String]) {
    for url in urls {
        let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(parsed.scheme(), "https", "{url}");
        assert!(parsed.host_str().is_some_and(|h| h.contains('.')), "{url}");
    }
    let mut unique = urls.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), urls.len(), "duplicates in {urls:?}");
    assert!(urls.len() <= MAX_LINKS);
}

fn check(code: &str, language: &str, expected: &[&str]) -> Vec<String> {
    let urls = links(code, language);
    assert_well_formed(&urls);
    for want in expected {
        assert!(
            urls.iter().any(|u| u == want),
            "{want} missing from {urls:?}"
        );
    }
    urls
}

#[test]
fn python_stdlib_and_packages() {
    let code = "import os\nimport requests\nfrom pathlib import Path\nimport mycompany_utils\n\ndef fetch(url, dest):\n    r = requests.get(url, timeout=10)\n    os.makedirs(os.path.dirname(dest), exist_ok=True)\n    Path(dest).write_bytes(r.content)\n";
    let urls = check(
        code,
        "python",
        &[
            "https://docs.python.org/3/library/os.html",
            "https://requests.readthedocs.io/en/latest/",
            "https://docs.python.org/3/library/pathlib.html",
            "https://docs.python.org/3/library/os.path.html",
        ],
    );
    assert!(!urls.iter().any(|u| u.contains("mycompany")));
    // Imports come first, in order.
    assert_eq!(urls[0], "https://docs.python.org/3/library/os.html");
}

#[test]
fn rust_std_and_crates() {
    let code = "use std::collections::HashMap;\nuse serde::{Deserialize, Serialize};\nuse my_crate::thing;\n\nfn load(p: &std::path::Path) -> std::io::Result<String> {\n    std::fs::read_to_string(p)\n}\n";
    let urls = check(
        code,
        "rust",
        &[
            "https://doc.rust-lang.org/std/collections/index.html",
            "https://docs.rs/serde",
            "https://doc.rust-lang.org/std/fs/index.html",
        ],
    );
    assert!(!urls.iter().any(|u| u.contains("my_crate")));
}

#[test]
fn javascript_node_and_web_apis() {
    let node = "const fs = require('node:fs/promises');\nimport express from 'express';\nimport { helper } from './helper.js';\n";
    check(
        node,
        "javascript",
        &[
            "https://nodejs.org/api/fs.html",
            "https://expressjs.com/en/api.html",
        ],
    );
    let web = "const res = await fetch('/api/items');\nlocalStorage.setItem('items', await res.text());\ndocument.querySelector('#list').addEventListener('click', onClick);\nnew IntersectionObserver(onSeen).observe(el);\n";
    check(
        web,
        "typescript",
        &[
            "https://developer.mozilla.org/en-US/docs/Web/API/Window/fetch",
            "https://developer.mozilla.org/en-US/docs/Web/API/Window/localStorage",
            "https://developer.mozilla.org/en-US/docs/Web/API/Document/querySelector",
            "https://developer.mozilla.org/en-US/docs/Web/API/EventTarget/addEventListener",
            "https://developer.mozilla.org/en-US/docs/Web/API/IntersectionObserver",
        ],
    );
    assert!(links("import x from 'left-pad-unknown';", "js").is_empty());
    // Logging is everywhere; a link to it would crowd out the useful ones.
    assert!(links("console.log(total);", "js").is_empty());
}

#[test]
fn go_c_cpp_and_java() {
    let go = "package main\n\nimport (\n\t\"encoding/json\"\n\t\"net/http\"\n\t\"example.com/internal/thing\"\n)\n";
    let urls = check(
        go,
        "go",
        &[
            "https://pkg.go.dev/encoding/json",
            "https://pkg.go.dev/net/http",
        ],
    );
    assert_eq!(urls.len(), 2);
    check(
        "#include <stdio.h>\n#include \"local.h\"\nint main(void) { puts(\"hi\"); }\n",
        "c",
        &["https://en.cppreference.com/w/c/header/stdio"],
    );
    check(
        "#include <vector>\n#include <stdlib.h>\nint main() { std::vector<int> v; }\n",
        "cpp",
        &[
            "https://en.cppreference.com/w/cpp/header/vector",
            "https://en.cppreference.com/w/c/header/stdlib",
        ],
    );
    check(
        "import java.util.HashMap;\nimport java.net.http.HttpClient;\nimport com.acme.Widget;\n",
        "java",
        &[
            "https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/HashMap.html",
            "https://docs.oracle.com/en/java/javase/21/docs/api/java.net.http/java/net/http/HttpClient.html",
        ],
    );
}

#[test]
fn php_shell_and_sql() {
    let php = "<?php\n$names = array_map(fn($u) => $u['name'], $users);\necho json_encode($names);\nmy_helper($names);\n";
    let urls = check(
        php,
        "php",
        &[
            "https://www.php.net/manual/en/function.array-map.php",
            "https://www.php.net/manual/en/function.json-encode.php",
        ],
    );
    assert_eq!(urls.len(), 2);
    check(
        "find . -name '*.rs' -print0 | xargs -0 grep -l 'unsafe' | sort\ncurl -s \"$URL\" | jq '.items[]'\n",
        "bash",
        &[
            "https://man7.org/linux/man-pages/man1/find.1.html",
            "https://man7.org/linux/man-pages/man1/xargs.1.html",
            "https://man7.org/linux/man-pages/man1/grep.1.html",
            "https://man7.org/linux/man-pages/man1/sort.1.html",
            "https://man7.org/linux/man-pages/man1/curl.1.html",
        ],
    );
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)\nSELECT i, sum(i) OVER (ORDER BY i) FROM n;\n";
    check(
        sql,
        "sql",
        &[
            "https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-RECURSIVE",
            "https://www.postgresql.org/docs/current/sql-select.html",
            "https://www.postgresql.org/docs/current/tutorial-window.html",
        ],
    );
    check(
        &format!("PRAGMA journal_mode = WAL;\n{sql}"),
        "sql",
        &[
            "https://www.sqlite.org/pragma.html",
            "https://www.sqlite.org/lang_with.html#recursive_common_table_expressions",
        ],
    );
}

#[test]
fn model_names_are_mapped_through_the_table() {
    // The extractor alone finds nothing here: `json` is used without an
    // import in the snippet, as in a function cut out of a module.
    let code = "def load(path):\n    with open(path) as f:\n        return json.load(f)\n";
    assert!(links(code, "python").is_empty());
    let urls = with_names(code, "python", &["json"]);
    assert_eq!(urls, ["https://docs.python.org/3/library/json.html"]);
}

#[test]
fn made_up_or_absent_model_names_are_dropped() {
    let code = "def load(path):\n    with open(path) as f:\n        return json.load(f)\n";
    // Not in the table at all.
    assert!(with_names(code, "python", &["jsonmagic", "superfast_io"]).is_empty());
    // In the table, but the snippet shows no sign of it.
    assert!(with_names(code, "python", &["requests", "numpy"]).is_empty());
    // URLs from the model are never passed through.
    assert!(with_names(code, "python", &["https://evil.example/json"]).is_empty());
}

#[test]
fn plain_text_and_unknown_languages_get_nothing() {
    let prose = "Remember to water the plants and call Sam about the import of tea.";
    for language in [
        "text",
        "markdown",
        "",
        "python",
        "rust",
        "javascript",
        "sh",
        "sql",
    ] {
        assert!(links(prose, language).is_empty(), "{language}");
    }
    assert!(with_names(prose, "text", &["os"]).is_empty());
}

#[test]
fn links_are_capped_and_unique() {
    let code = "import os\nimport sys\nimport json\nimport re\nimport csv\nimport math\nimport time\nimport os\n";
    let urls = links(code, "python");
    assert_eq!(urls.len(), MAX_LINKS);
    assert_well_formed(&urls);
    assert_eq!(urls[0], "https://docs.python.org/3/library/os.html");
    let table = LinkTable::embedded().unwrap();
    assert_eq!(table.resolve(code, "python", &[], 2).len(), 2);
}

#[test]
fn word_evidence_respects_identifier_boundaries() {
    assert!(contains_word("x = json.load(f)", "json"));
    assert!(!contains_word("x = jsonish(f)", "json"));
    assert!(contains_word("#include <STDIO.H>", "stdio"));
    assert_eq!(last_segment("std::io::Read"), "Read");
    assert_eq!(last_segment("stdio.h"), "stdio");
}

#[test]
fn js_members_link_to_their_object_never_to_an_invented_page() {
    let urls = with_names(
        "const x = Array.frobnicate([1, 2]);\nawait Promise.all(jobs);",
        "javascript",
        &["Promise.whatever"],
    );
    assert_well_formed(&urls);
    let base = "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/";
    assert!(urls.contains(&format!("{base}Array")), "{urls:?}");
    assert!(urls.contains(&format!("{base}Promise")), "{urls:?}");
    assert!(!urls
        .iter()
        .any(|u| u.contains("frobnicate") || u.contains("whatever")));
}
