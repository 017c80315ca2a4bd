//! Python: `import a.b as c`, `from a.b import c`, and `alias.attr` uses.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{captures_of, compile, Candidate, Pattern};

const ECOSYSTEMS: &[&str] = &["python"];

static IMPORT: Pattern = LazyLock::new(|| compile(r"(?m)^[ \t]*import[ \t]+([^\n#;]+)"));
static FROM_IMPORT: Pattern = LazyLock::new(|| {
    compile(r"(?m)^[ \t]*from[ \t]+([A-Za-z_][\w.]*[ \t]+import[ \t]+(?:\([^)]*\)|[^\n#;]+))")
});
static DOTTED: Pattern =
    LazyLock::new(|| compile(r"(?:^|[^\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)"));

pub(super) fn extract(code: &str) -> Vec<Candidate> {
    let mut imports: Vec<(usize, String)> = Vec::new();
    // Local name -> module path, to read `np.linalg.norm` as `numpy.linalg.norm`.
    let mut bindings: HashMap<String, String> = HashMap::new();

    for (at, list) in captures_of(&IMPORT, code) {
        for item in list.split(',') {
            let mut words = item.split_whitespace();
            let Some(module) = words.next().filter(|m| is_dotted_name(m)) else {
                continue;
            };
            match (words.next(), words.next()) {
                (Some("as"), Some(alias)) => {
                    bindings.insert(alias.to_owned(), module.to_owned());
                }
                _ => {
                    let top = module.split('.').next().unwrap_or(module);
                    bindings.insert(top.to_owned(), top.to_owned());
                }
            }
            imports.push((at, module.to_owned()));
        }
    }

    for (at, statement) in captures_of(&FROM_IMPORT, code) {
        // `importlib` contains "import": split at the first space instead.
        let Some((module, rest)) = statement.split_once(char::is_whitespace) else {
            continue;
        };
        let Some(names) = rest.trim_start().strip_prefix("import") else {
            continue;
        };
        imports.push((at, module.to_owned()));
        let names = names.trim().trim_start_matches('(').trim_end_matches(')');
        for item in names.split(',') {
            let mut words = item.split_whitespace();
            let Some(name) = words.next().filter(|n| is_dotted_name(n)) else {
                continue;
            };
            let full = format!("{module}.{name}");
            let local = match (words.next(), words.next()) {
                (Some("as"), Some(alias)) => alias,
                _ => name,
            };
            bindings.insert(local.to_owned(), full.clone());
            imports.push((at, full));
        }
    }
    imports.sort_by_key(|(at, _)| *at);

    let mut out: Vec<Candidate> = imports
        .into_iter()
        .map(|(_, name)| Candidate::new(ECOSYSTEMS, name))
        .collect();
    for (_, chain) in captures_of(&DOTTED, code) {
        let (head, rest) = chain.split_once('.').unwrap_or((chain, ""));
        if let Some(module) = bindings.get(head) {
            out.push(Candidate::new(ECOSYSTEMS, format!("{module}.{rest}")));
        }
    }
    out
}

fn is_dotted_name(text: &str) -> bool {
    text.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        extract(code).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn imports_come_first_in_order() {
        let code = "import os, sys\nimport numpy as np\nfrom os import path as p\nfrom importlib import metadata\nfrom collections.abc import (\n    Mapping,\n    Sequence,\n)\n";
        assert_eq!(
            names(code),
            [
                "os",
                "sys",
                "numpy",
                "os",
                "os.path",
                "importlib",
                "importlib.metadata",
                "collections.abc",
                "collections.abc.Mapping",
                "collections.abc.Sequence"
            ]
        );
    }

    #[test]
    fn aliased_uses_are_expanded() {
        let code = "import numpy as np\nimport os\nfrom os import path as p\n\nx = np.linalg.norm(v)\ny = os.path.join(a, b)\nz = p.exists(y)\nw = other.thing()\n";
        let found = names(code);
        assert!(found.contains(&"numpy.linalg.norm".to_owned()));
        assert!(found.contains(&"os.path.join".to_owned()));
        assert!(found.contains(&"os.path.exists".to_owned()));
        assert!(!found.iter().any(|n| n.starts_with("other")));
    }

    #[test]
    fn relative_imports_and_prose_are_ignored() {
        assert!(names("from . import sibling\nfrom .pkg import x\n").is_empty());
        assert!(names("Remember to import the data first.").is_empty());
    }
}
