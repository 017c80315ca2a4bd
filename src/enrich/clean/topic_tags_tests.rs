//! The vocabulary-aware tag clean-up, on answers like the ones issue 9
//! quotes, with libraries found by the real link resolver.

use super::*;
use crate::enrich::links::LinkTable;

fn tags(raw: &str, language: &str, code: &str) -> Result<Vec<String>, Rejected> {
    let vocabulary = Vocabulary::embedded().unwrap();
    let libraries = LinkTable::embedded()
        .unwrap()
        .code_libraries(code, language);
    clean_topic_tags(
        raw,
        &TagContext {
            vocabulary: &vocabulary,
            language,
            libraries: &libraries,
        },
    )
}

const PLAIN_PY: &str = "def pick(d, keys):\n    return {k: d[k] for k in keys}\n";

#[test]
fn the_language_is_never_a_tag() {
    assert_eq!(
        tags("python, dictionaries, dict", "python", PLAIN_PY).unwrap(),
        ["dictionary"]
    );
    assert_eq!(tags("py, strings", "python", PLAIN_PY).unwrap(), ["string"]);
    assert_eq!(
        tags("bash, files", "shell", "cat a.txt\n").unwrap(),
        ["file-io"]
    );
    // Only the language is left: nothing usable.
    assert!(tags("python", "python", PLAIN_PY).is_err());
}

#[test]
fn synonyms_collapse_and_unknown_words_are_dropped() {
    let got = tags(
        "dictionaries, dict, dictionary, hashmap, snake-pals, cyclic-reduction",
        "python",
        PLAIN_PY,
    )
    .unwrap();
    assert_eq!(got, ["dictionary"]);
    let got = tags("Regular Expressions, text, parsing-combinators", "rust", "").unwrap();
    assert_eq!(got, ["regex", "string", "parsing"]);
}

#[test]
fn at_most_three_topics() {
    let got = tags("http, json, testing, regex, cli", "go", "").unwrap();
    assert_eq!(got, ["http", "json", "testing"]);
}

#[test]
fn libraries_the_code_imports_are_added_and_kept() {
    let code = "import requests\nimport os\n\nr = requests.get(os.environ['URL'])\n";
    let got = tags("http-client, python", "python", code).unwrap();
    // `os` is the standard library: linked, but not a tag of its own.
    assert_eq!(got, ["http", "requests"]);
    // A library the model names is kept when the code really uses it...
    let got = tags("requests, http", "python", code).unwrap();
    assert_eq!(got, ["http", "requests"]);
    // ...and dropped when it does not (no invented libraries).
    let got = tags("numpy, pandas, math", "python", PLAIN_PY).unwrap();
    assert_eq!(got, ["math"]);
    // A standard module the model names and the code imports stays.
    let got = tags("os, environment", "python", code).unwrap();
    assert_eq!(got, ["environment", "os", "requests"]);
}

#[test]
fn libraries_across_languages() {
    let rust = "use serde::Deserialize;\nuse std::collections::HashMap;\n\nfn f() { let v: HashMap<String, u8> = serde_json::from_str(\"{}\").unwrap(); }\n";
    let got = tags("serialization, rust", "rust", rust).unwrap();
    assert_eq!(got, ["serialization", "serde", "serde-json"]);
    let go = "package main\n\nimport (\n\t\"fmt\"\n\t\"github.com/go-chi/chi/v5\"\n)\n\nfunc main() { r := chi.NewRouter(); fmt.Println(r) }\n";
    let got = tags("routing", "go", go).unwrap();
    assert_eq!(got, ["web-server", "chi"]);
    let sh = "docker ps -q | xargs docker stop\n";
    let got = tags("containers, shell", "shell", sh).unwrap();
    assert_eq!(got, ["docker"]);
}

#[test]
fn standard_modules_stand_in_when_the_model_names_no_topic() {
    let code = "import json\n\ndef load(p):\n    return json.load(open(p))\n";
    assert_eq!(tags("loader, stuff", "python", code).unwrap(), ["json"]);
    // Not when the model named a topic.
    assert_eq!(tags("file-io", "python", code).unwrap(), ["file-io"]);
}

#[test]
fn nothing_usable_is_rejected() {
    for raw in ["", "snake-pals, cyclic-reduction", "code, snippet"] {
        let err = tags(raw, "python", PLAIN_PY).unwrap_err();
        assert!(err.reason().contains("vocabulary"), "{raw:?}: {err}");
    }
}
