use super::*;

fn starts(cuts: &[Cut]) -> Vec<usize> {
    cuts.iter().map(|c| c.start_line).collect()
}

#[test]
fn rust_functions_methods_and_doc_comments() {
    let text = "\
use std::fmt;

/// Adds one to `x`.
///
/// More detail here.
#[inline]
pub fn add_one(x: u32) -> u32 {
    let y = x;
    y + 1
}

impl Counter {
    /// Bumps the count. Returns the new value.
    pub fn bump(&mut self) -> u32 {
        self.n += 1;
        self.n
    }

    fn tiny(&self) {}
}

#[cfg(test)]
mod tests {
    #[test]
    fn hidden() {
        assert!(true);
        assert!(true);
    }
}
";
    let cuts = cut("rust", text);
    // The whole impl fits, so it is one snippet and its method is not cut twice.
    assert_eq!(starts(&cuts), vec![6, 12]);
    assert_eq!(cuts[0].docstring.as_deref(), Some("Adds one to `x`."));
    assert!(cuts[0].code.starts_with("#[inline]\npub fn add_one"));
    assert!(!cuts[0].code.contains("///"));
    assert!(cuts[0].code.ends_with("    y + 1\n}"));
    assert!(cuts[1].code.starts_with("impl Counter {"));
    assert!(!cuts.iter().any(|c| c.code.contains("hidden")));
}

#[test]
fn long_containers_are_descended_into() {
    let body: String = (0..90)
        .map(|i| format!("    const C{i}: u8 = {i};\n"))
        .collect();
    let text = format!(
        "impl Big {{\n{body}    /// Gets it.\n    fn get(&self) -> u8 {{\n        self.0\n    }}\n}}\n"
    );
    let cuts = cut("rust", &text);
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].code, "fn get(&self) -> u8 {\n    self.0\n}");
    assert_eq!(cuts[0].docstring.as_deref(), Some("Gets it."));
    assert_eq!(cuts[0].start_line, 93);
}

#[test]
fn python_defs_by_indentation_with_docstring_removed() {
    let text = r#"import os


@decorator
def join(a, b):
    """Join two paths.

    Longer text.
    """
    s = """
not the end
"""
    return os.path.join(a, b)


class Box:
    def size(self,
             unit=None):
        '''Size of the box in `unit`.'''
        return 3
x = 1
"#;
    let cuts = cut("python", text);
    assert_eq!(starts(&cuts), vec![4, 16]);
    assert_eq!(cuts[0].docstring.as_deref(), Some("Join two paths."));
    assert!(cuts[0]
        .code
        .starts_with("@decorator\ndef join(a, b):\n    s = \"\"\""));
    assert!(!cuts[0].code.contains("Longer text"));
    assert!(cuts[0].code.ends_with("return os.path.join(a, b)"));
    // The class fits, so it is one snippet; its method's docstring stays in
    // it because only the class's own docstring is the label.
    assert!(cuts[1].code.starts_with("class Box:"));
    assert!(!cuts[1].code.contains("x = 1"));
}

#[test]
fn javascript_functions_arrows_and_methods_with_jsdoc() {
    let text = "\
// a note, not a doc
/**
 * Sums the values.
 * @param {number[]} xs
 */
export function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}

export const double = (x) => {
  const y = x * 2;
  return y;
};

app.get('/', function (req, res) {
  res.send('hi');
  res.end();
});

const o = {
  /** Greets the user. */
  greet(name) {
    const s = `hi ${name} {`;
    return s;
  },
};
";
    let cuts = cut("javascript", text);
    assert_eq!(starts(&cuts), vec![6, 10, 22]);
    assert_eq!(cuts[0].docstring.as_deref(), Some("Sums the values."));
    assert!(!cuts[0].code.contains("@param"));
    assert_eq!(cuts[1].docstring, None);
    assert!(cuts[1].code.ends_with("};"));
    assert_eq!(cuts[2].docstring.as_deref(), Some("Greets the user."));
    assert!(cuts[2].code.starts_with("greet(name) {"));
    assert!(cuts[2].code.ends_with("},"));
}

#[test]
fn c_functions_and_structs() {
    let text = "\
#include <stdio.h>
#define OPEN {

/*
** Return the larger of a and b.
*/
static int
max_of(int a,
       int b)
{
    if (a > b) { return a; }
    return b;
}

typedef struct {
    int x;
    int y;
} point;

int table[] = {
    1,
    2,
};
";
    let cuts = cut("c", text);
    assert_eq!(starts(&cuts), vec![7, 15]);
    assert_eq!(
        cuts[0].docstring.as_deref(),
        Some("Return the larger of a and b.")
    );
    assert!(cuts[0].code.starts_with("static int\nmax_of(int a,"));
    assert!(cuts[1].code.ends_with("} point;"));
}

#[test]
fn shell_functions_and_whole_scripts() {
    let text = "\
#!/usr/bin/env bash
# shellcheck disable=SC2034
# Prints a greeting for the user.
greet() {
  local name=\"${1:-world}\"
  echo \"hello {$name\"
}

function cleanup {
  rm -rf \"$tmp\"
  cat <<EOF
}
EOF
}
";
    let cuts = cut("shell", text);
    assert_eq!(starts(&cuts), vec![4, 9]);
    assert_eq!(
        cuts[0].docstring.as_deref(),
        Some("Prints a greeting for the user.")
    );
    assert!(cuts[1].code.ends_with("EOF\n}"));

    let script = "#!/bin/sh\n# Builds the docs.\nset -e\ncd docs\nmake html\n";
    let cuts = cut("shell", script);
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].code, "set -e\ncd docs\nmake html");
    assert_eq!(cuts[0].docstring.as_deref(), Some("Builds the docs."));
}

#[test]
fn sql_statements_split_on_semicolons_outside_bodies() {
    let text = "\
SET search_path = app;

-- Jobs waiting to run.
CREATE TABLE jobs (
    id bigserial PRIMARY KEY,
    note text DEFAULT 'a;b'
);

CREATE FUNCTION bump() RETURNS void AS $$
BEGIN
    UPDATE jobs SET id = id + 1;
END;
$$ LANGUAGE plpgsql;

SELECT {{ col }} FROM t
WHERE x = 1
AND y = 2;
";
    let cuts = cut("sql", text);
    assert_eq!(starts(&cuts), vec![4, 9]);
    assert_eq!(cuts[0].docstring.as_deref(), Some("Jobs waiting to run."));
    assert!(cuts[0].code.ends_with(");"));
    assert!(cuts[1].code.ends_with("$$ LANGUAGE plpgsql;"));
}

#[test]
fn snippets_stay_within_the_line_bounds() {
    let long: String = (0..100).map(|i| format!("    x += {i};\n")).collect();
    let text = format!("fn long() {{\n{long}}}\n\nfn short() {{ 1 }}\n");
    assert!(cut("rust", &text).is_empty());
    for lang in ["rust", "python", "javascript", "c", "shell", "sql"] {
        for c in cut(lang, &text) {
            let n = c.code.lines().count();
            assert!((MIN_LINES..=MAX_LINES).contains(&n), "{lang}: {n} lines");
        }
    }
}

#[test]
fn go_functions_methods_and_types_with_their_comments() {
    let text = "\
// Package demo serves hello.
package demo

import \"net/http\"

// Hello writes a greeting.
func Hello(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get(\"name\")
	w.Write([]byte(`hello {` + name))
}

type Server struct {
	Addr string
	mux  *http.ServeMux
}

// Run starts the server.
func (s *Server) Run() error {
	s.mux = http.NewServeMux()
	return http.ListenAndServe(s.Addr, s.mux)
}
";
    let cuts = cut("go", text);
    assert_eq!(starts(&cuts), vec![7, 12, 18]);
    assert_eq!(
        cuts[0].docstring.as_deref(),
        Some("Hello writes a greeting.")
    );
    assert!(cuts[0].code.starts_with("func Hello("));
    assert!(cuts[1].code.starts_with("type Server struct {"));
    assert!(cuts[2].code.starts_with("func (s *Server) Run() error {"));
}

#[test]
fn java_kotlin_and_php_members() {
    let java = "\
public class Greeter {
    /** Greets someone by name. */
    @Override
    public String greet(String name) {
        if (name == null) { return \"hi\"; }
        return \"hi \" + name + \"}\";
    }
}
";
    let cuts = cut("java", java);
    assert_eq!(starts(&cuts), vec![1]);
    let long: String = (0..90).map(|i| format!("    int f{i} = {i};\n")).collect();
    let cuts = cut(
        "java",
        &java.replace(
            "public class Greeter {\n",
            &format!("public class Greeter {{\n{long}"),
        ),
    );
    assert_eq!(cuts.len(), 1);
    assert_eq!(
        cuts[0].docstring.as_deref(),
        Some("Greets someone by name.")
    );
    assert!(cuts[0].code.starts_with("@Override\npublic String greet"));

    let kotlin = "fun add(a: Int, b: Int): Int {\n    val c = a + b\n    return c\n}\n";
    assert_eq!(starts(&cut("kotlin", kotlin)), vec![1]);

    let php = "\
<?php
# a note
/**
 * Slugifies a title.
 */
function slugify(string $title): string {
    $s = strtolower($title);
    return preg_replace('/[^a-z]+/', '-', $s);
}
";
    let cuts = cut("php", php);
    assert_eq!(starts(&cuts), vec![6]);
    assert_eq!(cuts[0].docstring.as_deref(), Some("Slugifies a title."));
}

#[test]
fn ruby_defs_end_at_their_own_end() {
    let text = "\
# frozen_string_literal: true

module Tools
  # Counts the words of a text.
  def self.words(text)
    text.split.each do |w|
      yield w
    end
  rescue ArgumentError
    []
  end

  def tiny; end
end
";
    let cuts = cut("ruby", text);
    assert_eq!(starts(&cuts), vec![3]);
    let long: String = (0..90).map(|i| format!("  X{i} = {i}\n")).collect();
    let cuts = cut(
        "ruby",
        &text.replace("module Tools\n", &format!("module Tools\n{long}")),
    );
    assert_eq!(cuts.len(), 1);
    assert_eq!(
        cuts[0].docstring.as_deref(),
        Some("Counts the words of a text.")
    );
    assert!(cuts[0].code.ends_with("rescue ArgumentError\n  []\nend"));
}

#[test]
fn dockerfiles_makefiles_yaml_and_config_blocks() {
    let docker = "# Builds the app image.\nFROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install .\n";
    let cuts = cut("dockerfile", docker);
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].start_line, 2);
    assert_eq!(cuts[0].docstring.as_deref(), Some("Builds the app image."));

    let make = "\
VERSION := 1.0
.PHONY: test

# Runs the tests.
test: build
\tcargo test
\tcargo clippy

build:
\tcargo build
";
    let cuts = cut("make", make);
    assert_eq!(starts(&cuts), vec![5]);
    assert_eq!(cuts[0].docstring.as_deref(), Some("Runs the tests."));
    assert!(cuts[0].code.ends_with("cargo clippy"));

    let steps: String = (0..45)
        .map(|i| format!("      - name: step {i}\n        run: echo {i}\n"))
        .collect();
    let workflow = format!(
        "name: CI\non: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n  test:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    );
    let cuts = cut("yaml", &workflow);
    // Too long as a whole: cut at the jobs.
    assert!(
        cuts.iter().any(|c| c.code.starts_with("lint:\n  runs-on")),
        "{cuts:?}"
    );
    assert!(cut("yaml", "a: 1\nb:\n  c: 2\n").len() == 1);

    let unit = "[Unit]\nDescription=App\n\n[Service]\nExecStart=/usr/bin/app\nRestart=always\n";
    assert_eq!(cut("ini", unit).len(), 1);
    let servers: String = (0..3)
        .map(|i| {
            let body: String = (0..30).map(|j| format!("    set $v{j} {j};\n")).collect();
            format!("server {{\n    listen 80{i};\n{body}}}\n")
        })
        .collect();
    let cuts = cut("ini", &servers);
    assert_eq!(cuts.len(), 3);
    assert!(cuts.iter().all(|c| c.code.starts_with("server {")));
}

#[test]
fn docs_code_blocks_with_their_language_and_without_prompts() {
    let md = "\
# Tool

Install it:

```console
$ pip install tool
$ tool --init \\
    --force
Initialised.
```

```python
import tool
t = tool.Tool()
t.run()
```

```
no language
given here
at all
```
";
    let blocks = everyday::markdown(md);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].language, "shell");
    assert_eq!(
        blocks[0].cut.code,
        "pip install tool\ntool --init \\\n    --force"
    );
    assert_eq!(blocks[0].cut.start_line, 6);
    assert_eq!(blocks[1].language, "python");
    assert_eq!(blocks[1].cut.start_line, 13);

    let rst = "\
Usage
=====

.. code-block:: bash
   :caption: run it

   export A=1
   tool run
   tool stop

Done.
";
    let blocks = everyday::rst(rst);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].language, "shell");
    assert_eq!(blocks[0].cut.code, "export A=1\ntool run\ntool stop");
    assert_eq!(blocks[0].cut.start_line, 7);
}
