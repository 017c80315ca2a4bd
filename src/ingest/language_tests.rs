use super::*;

fn detect(name: Option<&str>, content: &str) -> String {
    detect_language(name.map(Path::new), content)
}

#[test]
fn file_names_and_extensions() {
    let table = [
        ("src/main.rs", "rust"),
        ("tool.PY", "python"),
        ("app.tsx", "typescript"),
        ("index.mjs", "javascript"),
        ("deploy.sh", "shell"),
        ("query.sql", "sql"),
        ("lib.cc", "cpp"),
        ("main.go", "go"),
        ("Main.java", "java"),
        ("index.php", "php"),
        ("Rakefile", "ruby"),
        ("page.html", "html"),
        ("style.css", "css"),
        ("data.json", "json"),
        ("ci.yml", "yaml"),
        ("Cargo.toml", "toml"),
        ("README.md", "markdown"),
        ("Dockerfile", "dockerfile"),
        ("Dockerfile.dev", "dockerfile"),
        ("build.dockerfile", "dockerfile"),
        ("Makefile", "make"),
        ("Makefile.am", "make"),
        ("makefile.rs", "rust"),
        ("GNUmakefile", "make"),
        ("rules.mk", "make"),
        ("init.lua", "lua"),
        (".bashrc", "shell"),
        (".zshrc", "shell"),
        ("CMakeLists.txt", "cmake"),
        ("main.tf", "terraform"),
    ];
    for (name, want) in table {
        assert_eq!(detect(Some(name), "whatever"), want, "{name}");
    }
}

#[test]
fn name_beats_content() {
    // Python-looking content in a .rs file is still Rust: the user named it.
    assert_eq!(detect(Some("x.rs"), "def f(x):\n    return x\n"), "rust");
}

#[test]
fn header_files_are_told_apart_by_content() {
    assert_eq!(detect(Some("list.h"), "struct node { int v; };\n"), "c");
    assert_eq!(
        detect(
            Some("list.h"),
            "namespace util {\ntemplate <typename T> T id(T v);\n}\n"
        ),
        "cpp"
    );
}

#[test]
fn txt_and_unknown_extensions_fall_through_to_content() {
    assert_eq!(
        detect(Some("notes.txt"), "SELECT id FROM users WHERE id = 1;"),
        "sql"
    );
    assert_eq!(detect(Some("run"), "#!/bin/bash\necho hi\n"), "shell");
    assert_eq!(
        detect(Some("notes.txt"), "Call Anna about the budget."),
        "text"
    );
}

#[test]
fn shebangs() {
    let table = [
        ("#!/bin/sh\n", Some("shell")),
        ("#!/usr/bin/env bash\n", Some("shell")),
        ("#!/usr/bin/env -S python3 -u\n", Some("python")),
        ("#!/usr/bin/python3.12\n", Some("python")),
        ("#!/usr/bin/env node\n", Some("javascript")),
        ("#!/usr/bin/env ruby\n", Some("ruby")),
        ("#!/usr/bin/perl -w\n", Some("perl")),
        ("#!/usr/bin/env LC_ALL=C awk -f\n", Some("awk")),
        ("#!/usr/bin/env fish\n", Some("fish")),
        ("#!/opt/weird/interp\n", None),
        ("echo no shebang\n", None),
        // A Rust inner attribute is not a shebang.
        ("#![allow(dead_code)]\n", None),
    ];
    for (content, want) in table {
        assert_eq!(language_from_shebang(content), want, "{content:?}");
    }
}

#[test]
fn content_heuristics() {
    let table = [
        (
            "fn main() {\n    let mut v = Vec::new();\n    v.push(1);\n}\n",
            "rust",
        ),
        ("#[derive(Debug)]\nstruct P { x: i32 }\n", "rust"),
        ("def greet(name):\n    return f'hi {name}'\n", "python"),
        ("import os\nprint(os.getcwd())\n", "python"),
        (
            "#include <stdio.h>\nint main(void) { printf(\"hi\\n\"); return 0; }\n",
            "c",
        ),
        (
            "#include <iostream>\nint main() { std::cout << \"hi\"; }\n",
            "cpp",
        ),
        ("SELECT id, name FROM users WHERE active = 1;", "sql"),
        (
            "select u.id, count(*) from users u\nleft join orders o on o.user_id = u.id\ngroup by u.id;",
            "sql",
        ),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY);", "sql"),
        (
            "const add = (a, b) => a + b;\nconsole.log(add(1, 2));\n",
            "javascript",
        ),
        (
            "function debounce(fn, ms) {\n  let t;\n  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };\n}\n",
            "javascript",
        ),
        (
            "interface User {\n  name: string;\n  age: number;\n}\n",
            "typescript",
        ),
        (
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n",
            "go",
        ),
        ("git log --oneline --graph | head -20", "shell"),
        ("docker run --rm -it ubuntu bash", "shell"),
        (
            "for f in *.log; do\n  gzip \"$f\"\ndone\n",
            "shell",
        ),
        ("<?php echo 'hi'; ?>", "php"),
        ("FROM rust:1.85\nRUN cargo build --release\n", "dockerfile"),
        (".PHONY: build\nbuild:\n\tcargo build\n", "make"),
        ("{\"name\": \"x\", \"tags\": [1]}", "json"),
        (
            "local x = 10\nfunction greet(name)\n  print('hi ' .. name)\nend\n",
            "lua",
        ),
        (
            "class Greeter\n  def hello\n    puts 'hi'\n  end\nend\n",
            "ruby",
        ),
        (
            "public class Hi {\n  public static void main(String[] a) { System.out.println(1); }\n}\n",
            "java",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n",
            "yaml",
        ),
        ("[package]\nname = \"x\"\nversion = \"0.1.0\"\n", "toml"),
        (
            ".card {\n  margin: 0 auto;\n  padding: 8px;\n}\n",
            "css",
        ),
        (
            "<!DOCTYPE html>\n<html><body><p>hi</p></body></html>\n",
            "html",
        ),
        ("Just some notes about the meeting tomorrow.", "text"),
        ("Select the files from the list and press enter.", "text"),
        ("[1, 2, 3]", "text"),
    ];
    for (content, want) in table {
        assert_eq!(detect(None, content), want, "{content}");
    }
}

#[test]
fn aliases_cover_common_fence_names() {
    for (alias, want) in [
        ("py", "python"),
        ("RS", "rust"),
        ("sh", "shell"),
        ("console", "shell"),
        ("c++", "cpp"),
        ("yml", "yaml"),
        ("golang", "go"),
        ("postgresql", "sql"),
        ("txt", TEXT),
    ] {
        assert_eq!(language_from_alias(alias), Some(want), "{alias}");
    }
    assert_eq!(language_from_alias("klingon"), None);
}

#[test]
fn every_alias_and_name_maps_to_a_known_language() {
    for (key, id) in ALIASES.iter().chain(FILE_NAMES) {
        assert!(is_known_language(id), "{key} -> {id}");
        assert_eq!(key.to_ascii_lowercase(), *key, "keys are lowercase");
    }
    let mut ids = KNOWN_LANGUAGES.to_vec();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), KNOWN_LANGUAGES.len(), "no duplicate ids");
}
