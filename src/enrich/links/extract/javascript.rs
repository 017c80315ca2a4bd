//! JavaScript and TypeScript: module specifiers (`import`, `require`,
//! dynamic `import()`), Node built-ins, Web APIs and JS built-ins.

use std::sync::LazyLock;

use super::{captures_of, compile, Candidate, Pattern};

const NODE_ONLY: &[&str] = &["node"];
/// A bare specifier such as `fs` is a Node built-in if the table lists it,
/// else an npm package.
const MODULES: &[&str] = &["node", "npm"];
const GLOBALS: &[&str] = &["web", "js"];
const METHODS: &[&str] = &["web"];

static FROM: Pattern =
    LazyLock::new(|| compile(r#"\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"\n]+)['"]"#));
static BARE_IMPORT: Pattern = LazyLock::new(|| compile(r#"\bimport\s*\(?\s*['"]([^'"\n]+)['"]"#));
static REQUIRE: Pattern = LazyLock::new(|| compile(r#"\brequire\s*\(\s*['"]([^'"\n]+)['"]\s*\)"#));
static CHAIN: Pattern =
    LazyLock::new(|| compile(r"([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)"));

/// Receivers that are the global object itself: `window.fetch` is `fetch`.
const GLOBAL_OBJECTS: [&str; 3] = ["window.", "globalThis.", "self."];

pub(super) fn extract(code: &str) -> Vec<Candidate> {
    let mut specifiers: Vec<(usize, &str)> = Vec::new();
    for pattern in [&FROM, &BARE_IMPORT, &REQUIRE] {
        specifiers.extend(captures_of(pattern, code));
    }
    specifiers.sort_by_key(|(at, _)| *at);
    let mut out: Vec<Candidate> = specifiers
        .into_iter()
        .filter_map(|(_, spec)| module_candidate(spec))
        .collect();
    out.extend(api_candidates(code));
    out
}

fn module_candidate(spec: &str) -> Option<Candidate> {
    if spec.starts_with(['.', '/', '~']) || (spec.contains(':') && !spec.starts_with("node:")) {
        // Relative paths, aliases and URLs name the user's own files.
        return None;
    }
    Some(match spec.strip_prefix("node:") {
        Some(builtin) => Candidate::new(NODE_ONLY, builtin),
        None => Candidate::new(MODULES, spec),
    })
}

/// Dotted names that are called, constructed or read from a known global.
fn api_candidates(code: &str) -> Vec<Candidate> {
    let Some(regex) = CHAIN.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for m in regex.find_iter(code) {
        let before = code[..m.start()].trim_end();
        let after = code[m.end()..].trim_start();
        let is_call = after.starts_with('(');
        let chain: String = m.as_str().chars().filter(|c| !c.is_whitespace()).collect();
        let on_expression = before.ends_with('.') || before.ends_with("?.");
        let constructed = before.strip_suffix("new").is_some_and(|head| {
            !head.ends_with(|c: char| c.is_alphanumeric() || "_$.".contains(c))
        });
        let last = chain.rsplit('.').next().unwrap_or(&chain);
        if on_expression {
            // `foo().addEventListener(...)`: only the method name is known.
            if is_call {
                out.push(Candidate::new(METHODS, format!(".{last}")));
            }
            continue;
        }
        let chain = GLOBAL_OBJECTS
            .iter()
            .find_map(|global| chain.strip_prefix(global))
            .map_or(chain.clone(), str::to_owned);
        let dotted = chain.contains('.');
        if dotted && is_call {
            out.push(Candidate::new(GLOBALS, chain.clone()).or(METHODS, format!(".{last}")));
        } else if dotted || is_call || constructed {
            out.push(Candidate::new(GLOBALS, chain.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        let found = extract(code);
        found
            .iter()
            .flat_map(|c| c.readings().map(|(_, name)| name.to_owned()))
            .collect()
    }

    #[test]
    fn module_specifiers_in_order() {
        let code = "import React, { useState } from 'react';\nimport debounce from \"lodash/debounce\";\nimport './styles.css';\nconst fs = require('node:fs/promises');\nconst path = require(\"path\");\nexport { x } from './local';\nconst lazy = await import('zod');\n";
        let found = extract(code);
        let modules: Vec<_> = found
            .iter()
            .filter(|c| c.ecosystems != GLOBALS && c.ecosystems != METHODS)
            .map(|c| (c.ecosystems, c.name.as_str()))
            .collect();
        assert_eq!(
            modules,
            [
                (MODULES, "react"),
                (MODULES, "lodash/debounce"),
                (NODE_ONLY, "fs/promises"),
                (MODULES, "path"),
                (MODULES, "zod"),
            ]
        );
    }

    #[test]
    fn web_apis_are_found() {
        let code = "const res = await fetch(url);\nlocalStorage.setItem('k', v);\nwindow.requestAnimationFrame(draw);\ndocument.querySelector('#btn').addEventListener('click', go);\nconst io = new IntersectionObserver(cb);\nconst all = await Promise.all(jobs);\n";
        let found = names(code);
        for want in [
            "fetch",
            "localStorage.setItem",
            "requestAnimationFrame",
            "document.querySelector",
            ".addEventListener",
            "IntersectionObserver",
            "Promise.all",
        ] {
            assert!(found.contains(&want.to_owned()), "{want} in {found:?}");
        }
        // A plain variable is neither called nor dotted.
        assert!(!found.contains(&"res".to_owned()));
    }
}
