use super::*;

#[test]
fn the_shipped_vocabulary_is_valid_versioned_and_small() {
    let vocab = Vocabulary::embedded().unwrap();
    assert!(vocab.version() >= 1);
    assert!((100..=300).contains(&vocab.len()), "{}", vocab.len());
    for topic in vocab.topics() {
        assert_eq!(vocab.canonical(topic), Some(topic));
    }
}

#[test]
fn synonyms_and_plurals_lead_to_one_topic() {
    let vocab = Vocabulary::embedded().unwrap();
    for tag in ["dictionaries", "dict", "dictionary", "hashmap", "hash-map"] {
        assert_eq!(vocab.canonical(tag), Some("dictionary"), "{tag}");
    }
    let cases = [
        ("strings", "string"),
        ("regexes", "regex"),
        ("regular-expressions", "regex"),
        ("date-time", "date"),
        ("cryptography", "crypto"),
        ("unit-tests", "testing"),
        ("queries", "database"),
        ("sortings", "sorting"),
        ("arrays", "list"),
        ("argparse", "cli"),
    ];
    for (tag, topic) in cases {
        assert_eq!(vocab.canonical(tag), Some(topic), "{tag}");
    }
    // Words nobody listed stay unknown; no language is a topic.
    for tag in [
        "snake-pals",
        "cyclic-reduction",
        "python",
        "rust",
        "javascript",
    ] {
        assert_eq!(vocab.canonical(tag), None, "{tag}");
    }
    assert_eq!(vocab.canonical_or_self("tokio"), "tokio");
}

#[test]
fn a_user_file_adds_moves_and_removes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tags.toml");
    std::fs::write(
        &path,
        r#"
remove = ["game"]

[topics]
snippets-tool = ["snipdex"]
dict = ["hash-table"]
string = ["words"]
"#,
    )
    .unwrap();
    let vocab = load_vocabulary(Some(&path)).unwrap();
    assert_eq!(vocab.canonical("snipdex"), Some("snippets-tool"));
    // `dict` is now the topic; `hash-table` moved to it, the rest stay.
    assert_eq!(vocab.canonical("dict"), Some("dict"));
    assert_eq!(vocab.canonical("hash-table"), Some("dict"));
    assert_eq!(vocab.canonical("dictionaries"), Some("dictionary"));
    // Extending a shipped topic keeps its own synonyms.
    assert_eq!(vocab.canonical("words"), Some("string"));
    assert_eq!(vocab.canonical("str"), Some("string"));
    assert_eq!(vocab.canonical("game"), None);
    assert_eq!(vocab.canonical("gamedev"), None);

    // A user synonym that names a shipped topic turns it into a synonym.
    std::fs::write(&path, "[topics]\ncoding = [\"regex\"]\n").unwrap();
    let vocab = load_vocabulary(Some(&path)).unwrap();
    assert_eq!(vocab.canonical("regex"), Some("coding"));
    assert_eq!(vocab.canonical("regexp"), Some("coding"));
    assert!(!vocab.topics().any(|t| t == "regex"));
}

#[test]
fn a_missing_user_file_is_fine_and_a_bad_one_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let vocab = load_vocabulary(Some(&dir.path().join("absent.toml"))).unwrap();
    assert_eq!(vocab, Vocabulary::embedded().unwrap());
    let path = dir.path().join("tags.toml");
    let bad = [
        "[topics]\n\"Web Stuff\" = []\n",
        "[topics]\nweb = [\"Browser\"]\n",
        "[topics]\na1 = [\"x1\"]\nb1 = [\"x1\"]\n",
        "remove = [\"no-such-topic\"]\n",
        "topics = 3\n",
        "[topic]\nweb = []\n",
        "not toml [",
    ];
    for text in bad {
        std::fs::write(&path, text).unwrap();
        let err = load_vocabulary(Some(&path)).unwrap_err();
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{text}: {err}"
        );
    }
    // A folder where the file should be cannot be read.
    let err = load_vocabulary(Some(dir.path())).unwrap_err();
    assert!(matches!(err, VocabError::Io { .. }), "{err}");
}

#[test]
fn singulars_are_tried_most_likely_first() {
    assert_eq!(singulars("queries"), ["query", "queri", "querie"]);
    assert_eq!(singulars("dates"), ["dat", "date"]);
    assert_eq!(singulars("matches"), ["match", "matche"]);
    assert!(singulars("class").is_empty());
    assert!(singulars("ios").is_empty());
}

#[test]
fn the_library_form_wins() {
    let vocab = Vocabulary::embedded().unwrap();
    let existing = [
        "dict",
        "regexes",
        "unittest-helpers",
        "serde-json",
        "data",
        "parsers",
    ];
    let forms = |tags: &[&str]| {
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        library_forms(&vocab, &tags, existing.iter().copied())
    };
    // A synonym the library uses.
    assert_eq!(forms(&["dictionary", "http"]), ["dict", "http"]);
    // Plural and singular.
    assert_eq!(forms(&["regex"]), ["regexes"]);
    assert_eq!(forms(&["parser"]), ["parsers"]);
    // One edit on a longer word.
    assert_eq!(forms(&["serde-jsn"]), ["serde-json"]);
    assert_eq!(forms(&["unittest-helper"]), ["unittest-helpers"]);
    // Short words one edit apart are different words.
    assert_eq!(forms(&["date"]), ["date"]);
    // Two generated tags that land on one library tag make one tag.
    assert_eq!(forms(&["dictionary", "hashmap"]), ["dict"]);
    // Nothing to follow in an empty library.
    assert_eq!(
        library_forms(&vocab, &["list".to_string()], std::iter::empty()),
        ["list"]
    );
}

#[test]
fn closeness_is_one_edit() {
    assert!(one_edit_apart("parsing", "parsink"));
    assert!(one_edit_apart("parsing", "parsings"));
    assert!(one_edit_apart("parsing", "parsng"));
    assert!(!one_edit_apart("parsing", "parsing"));
    assert!(!one_edit_apart("parsing", "pasring"));
    assert!(is_close("queries", "query"));
    assert!(!is_close("date", "data"));
}
