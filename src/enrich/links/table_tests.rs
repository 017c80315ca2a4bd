use super::*;

fn always(_: &str) -> bool {
    true
}

fn get(table: &LinkTable, eco: &str, name: &str) -> Option<String> {
    table.lookup(eco, name, &always).map(String::from)
}

#[test]
fn embedded_table_parses_and_every_entry_is_https() {
    let table = LinkTable::embedded().unwrap();
    assert!(table.ecosystems.len() >= 12);
    for (id, eco) in &table.ecosystems {
        for (name, url) in &eco.exact {
            assert_eq!(url.scheme(), "https", "{id}.{name}");
            assert!(url.host_str().is_some(), "{id}.{name}");
        }
        for group in &eco.groups {
            for name in &group.names {
                let member = group.member.map(|_| "Member");
                assert!(
                    fill(&group.template, name, member).is_some(),
                    "{id}: {name}"
                );
            }
        }
    }
}

#[test]
fn longest_listed_prefix_wins() {
    let table = LinkTable::embedded().unwrap();
    assert_eq!(
        get(&table, "python", "os.path.join").as_deref(),
        Some("https://docs.python.org/3/library/os.path.html")
    );
    assert_eq!(
        get(&table, "python", "os.getcwd").as_deref(),
        Some("https://docs.python.org/3/library/os.html")
    );
    assert_eq!(
        get(&table, "python", "xml.etree.ElementTree.parse").as_deref(),
        Some("https://docs.python.org/3/library/xml.etree.elementtree.html")
    );
    assert_eq!(
        get(&table, "rust", "std::sync::mpsc::channel").as_deref(),
        Some("https://doc.rust-lang.org/std/sync/mpsc/index.html")
    );
    assert_eq!(
        get(&table, "go", "net/http").as_deref(),
        Some("https://pkg.go.dev/net/http")
    );
    assert_eq!(get(&table, "python", "notamodule.sub"), None);
    assert_eq!(get(&table, "nonexistent", "os"), None);
}

#[test]
fn member_groups_need_a_well_formed_member() {
    let table = LinkTable::embedded().unwrap();
    assert_eq!(
        get(&table, "java", "java.util.HashMap").as_deref(),
        Some("https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/HashMap.html")
    );
    // A lower-case member is not a class: the package summary instead.
    assert_eq!(
        get(&table, "java", "java.util.notaclass").as_deref(),
        Some("https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/package-summary.html")
    );
    assert_eq!(
        get(&table, "js", "Promise.prototype").as_deref(),
        Some("https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Promise")
    );
    let never = |_: &str| false;
    assert_eq!(
        table.lookup("js", "Promise.all", &never).map(String::from).as_deref(),
        Some("https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Promise")
    );
}

#[test]
fn sql_keywords_ignore_case() {
    let table = LinkTable::embedded().unwrap();
    assert_eq!(
        get(&table, "sqlite", "with recursive").as_deref(),
        Some("https://www.sqlite.org/lang_with.html#recursive_common_table_expressions")
    );
}

#[test]
fn bad_tables_are_errors() {
    let cases = [
        "[python]\nexact = { os = \"http://docs.python.org/\" }",
        "[python]\nexact = { os = \"not a url\" }",
        "[python]\nexact = { \"os?x=1\" = \"https://docs.python.org/\" }",
        "[[python.groups]]\ntemplate = \"https://x.org/{name}/{member}\"\nnames = [\"os\"]",
        "[[python.groups]]\ntemplate = \"ftp://x.org/{name}\"\nnames = [\"os\"]",
        "[[python.groups]]\ntemplate = \"https://x.org/{nam}\"\nnames = [\"os\"]",
        "[python]\nunknown_key = 1",
        "not toml at all [",
    ];
    for text in cases {
        assert!(LinkTable::from_toml(text, "test").is_err(), "{text}");
    }
}

#[test]
fn user_file_extends_overrides_and_removes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doclinks.toml");
    std::fs::write(
        &path,
        r#"
[python.exact]
mylib = "https://mylib.example.org/docs/"
requests = "https://requests.example.org/"
numpy = ""

[[python.groups]]
template = "https://internal.example.org/py/{name}"
names = ["json"]

[postgresql.exact]
"copy" = "https://www.postgresql.org/docs/current/sql-copy.html"
"#,
    )
    .unwrap();
    let table = load_table(Some(&path)).unwrap();
    assert_eq!(
        get(&table, "python", "mylib.sub").as_deref(),
        Some("https://mylib.example.org/docs/")
    );
    assert_eq!(
        get(&table, "python", "requests").as_deref(),
        Some("https://requests.example.org/")
    );
    assert_eq!(get(&table, "python", "numpy"), None);
    assert_eq!(
        get(&table, "python", "json").as_deref(),
        Some("https://internal.example.org/py/json")
    );
    // Untouched defaults survive.
    assert_eq!(
        get(&table, "python", "os").as_deref(),
        Some("https://docs.python.org/3/library/os.html")
    );
    // The user's lower-case key still matches in a case-insensitive table.
    assert_eq!(
        get(&table, "postgresql", "COPY").as_deref(),
        Some("https://www.postgresql.org/docs/current/sql-copy.html")
    );
}

#[test]
fn missing_user_file_means_defaults_and_broken_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let table = load_table(Some(&dir.path().join("absent.toml"))).unwrap();
    assert!(get(&table, "python", "os").is_some());
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[python.exact]\nos = \"javascript:alert(1)\"\n").unwrap();
    let err = load_table(Some(&path)).unwrap_err();
    assert!(matches!(err, TableError::Invalid { .. }), "{err}");
    assert!(matches!(
        load_table(Some(dir.path())),
        Err(TableError::Io { .. })
    ));
}

#[test]
fn prefixes_split_at_every_separator() {
    let got: Vec<_> = prefixes("a.b::c/d");
    assert_eq!(
        got,
        [
            ("a.b::c/d", ""),
            ("a.b::c", "d"),
            ("a.b", "c/d"),
            ("a", "b::c/d")
        ]
    );
    assert_eq!(first_segment("c/d"), "c");
    assert_eq!(first_segment("b::c/d"), "b");
}
