//! Language detection: file name first, then the shebang line, then content
//! heuristics ([`super::heuristics`]).
//!
//! Languages are plain lowercase ids (`"rust"`, `"shell"`, ...) so they can be
//! stored, searched and filtered as text; [`KNOWN_LANGUAGES`] lists them all.

use std::path::Path;

use super::heuristics;

/// The id given to content whose language is unknown.
pub const TEXT: &str = "text";

/// Every id that [`detect_language`] can return.
pub const KNOWN_LANGUAGES: &[&str] = &[
    "rust",
    "python",
    "javascript",
    "typescript",
    "shell",
    "fish",
    "powershell",
    "sql",
    "c",
    "cpp",
    "csharp",
    "go",
    "java",
    "kotlin",
    "scala",
    "swift",
    "php",
    "ruby",
    "perl",
    "lua",
    "r",
    "haskell",
    "elixir",
    "erlang",
    "clojure",
    "zig",
    "dart",
    "nix",
    "groovy",
    "html",
    "css",
    "scss",
    "xml",
    "json",
    "yaml",
    "toml",
    "ini",
    "markdown",
    "dockerfile",
    "make",
    "cmake",
    "terraform",
    "graphql",
    "protobuf",
    "vim",
    "awk",
    "diff",
    "regex",
    "asm",
    TEXT,
];

/// Whether `id` is one of [`KNOWN_LANGUAGES`].
pub fn is_known_language(id: &str) -> bool {
    KNOWN_LANGUAGES.contains(&id)
}

/// Aliases (file extensions, Markdown info strings, interpreter names) to
/// canonical ids. Keys are lowercase.
const ALIASES: &[(&str, &str)] = &[
    ("rs", "rust"),
    ("rust", "rust"),
    ("py", "python"),
    ("pyw", "python"),
    ("pyi", "python"),
    ("python", "python"),
    ("python3", "python"),
    ("ipython", "python"),
    ("js", "javascript"),
    ("mjs", "javascript"),
    ("cjs", "javascript"),
    ("jsx", "javascript"),
    ("javascript", "javascript"),
    ("node", "javascript"),
    ("nodejs", "javascript"),
    ("ts", "typescript"),
    ("mts", "typescript"),
    ("cts", "typescript"),
    ("tsx", "typescript"),
    ("typescript", "typescript"),
    ("sh", "shell"),
    ("bash", "shell"),
    ("zsh", "shell"),
    ("ksh", "shell"),
    ("dash", "shell"),
    ("shell", "shell"),
    ("console", "shell"),
    ("shell-session", "shell"),
    ("shellscript", "shell"),
    ("shellsession", "shell"),
    ("fish", "fish"),
    ("ps1", "powershell"),
    ("psm1", "powershell"),
    ("pwsh", "powershell"),
    ("powershell", "powershell"),
    ("sql", "sql"),
    ("psql", "sql"),
    ("mysql", "sql"),
    ("sqlite", "sql"),
    ("postgres", "sql"),
    ("postgresql", "sql"),
    ("plpgsql", "sql"),
    ("c", "c"),
    ("h", "c"),
    ("cpp", "cpp"),
    ("c++", "cpp"),
    ("cc", "cpp"),
    ("cxx", "cpp"),
    ("hpp", "cpp"),
    ("hh", "cpp"),
    ("hxx", "cpp"),
    ("cs", "csharp"),
    ("csharp", "csharp"),
    ("c#", "csharp"),
    ("go", "go"),
    ("golang", "go"),
    ("java", "java"),
    ("kt", "kotlin"),
    ("kts", "kotlin"),
    ("kotlin", "kotlin"),
    ("scala", "scala"),
    ("sc", "scala"),
    ("swift", "swift"),
    ("php", "php"),
    ("rb", "ruby"),
    ("ruby", "ruby"),
    ("rake", "ruby"),
    ("gemspec", "ruby"),
    ("pl", "perl"),
    ("pm", "perl"),
    ("perl", "perl"),
    ("lua", "lua"),
    ("luajit", "lua"),
    ("r", "r"),
    ("rscript", "r"),
    ("hs", "haskell"),
    ("haskell", "haskell"),
    ("ex", "elixir"),
    ("exs", "elixir"),
    ("elixir", "elixir"),
    ("erl", "erlang"),
    ("erlang", "erlang"),
    ("clj", "clojure"),
    ("cljs", "clojure"),
    ("clojure", "clojure"),
    ("zig", "zig"),
    ("dart", "dart"),
    ("nix", "nix"),
    ("groovy", "groovy"),
    ("gradle", "groovy"),
    ("html", "html"),
    ("htm", "html"),
    ("xhtml", "html"),
    ("css", "css"),
    ("scss", "scss"),
    ("sass", "scss"),
    ("xml", "xml"),
    ("svg", "xml"),
    ("xsd", "xml"),
    ("plist", "xml"),
    ("json", "json"),
    ("jsonc", "json"),
    ("json5", "json"),
    ("geojson", "json"),
    ("yaml", "yaml"),
    ("yml", "yaml"),
    ("toml", "toml"),
    ("ini", "ini"),
    ("cfg", "ini"),
    ("conf", "ini"),
    ("gitconfig", "ini"),
    ("md", "markdown"),
    ("markdown", "markdown"),
    ("mkd", "markdown"),
    ("dockerfile", "dockerfile"),
    ("docker", "dockerfile"),
    ("containerfile", "dockerfile"),
    ("make", "make"),
    ("makefile", "make"),
    ("mk", "make"),
    ("cmake", "cmake"),
    ("tf", "terraform"),
    ("tfvars", "terraform"),
    ("hcl", "terraform"),
    ("terraform", "terraform"),
    ("graphql", "graphql"),
    ("gql", "graphql"),
    ("proto", "protobuf"),
    ("protobuf", "protobuf"),
    ("vim", "vim"),
    ("vimrc", "vim"),
    ("viml", "vim"),
    ("awk", "awk"),
    ("gawk", "awk"),
    ("diff", "diff"),
    ("patch", "diff"),
    ("regex", "regex"),
    ("asm", "asm"),
    ("s", "asm"),
    ("nasm", "asm"),
    ("x86asm", "asm"),
    ("regexp", "regex"),
    ("text", TEXT),
    ("txt", TEXT),
    ("plain", TEXT),
    ("plaintext", TEXT),
];

/// Whole file names (compared case-insensitively) that say what they hold.
const FILE_NAMES: &[(&str, &str)] = &[
    ("dockerfile", "dockerfile"),
    ("containerfile", "dockerfile"),
    ("makefile", "make"),
    ("gnumakefile", "make"),
    ("cmakelists.txt", "cmake"),
    (".bashrc", "shell"),
    (".bash_profile", "shell"),
    (".bash_aliases", "shell"),
    (".bash_logout", "shell"),
    (".profile", "shell"),
    (".zshrc", "shell"),
    (".zshenv", "shell"),
    (".zprofile", "shell"),
    (".zlogin", "shell"),
    (".envrc", "shell"),
    ("pkgbuild", "shell"),
    ("gemfile", "ruby"),
    ("rakefile", "ruby"),
    ("vagrantfile", "ruby"),
    ("jenkinsfile", "groovy"),
    (".vimrc", "vim"),
    (".gitconfig", "ini"),
    (".editorconfig", "ini"),
    ("cargo.lock", "toml"),
    ("pipfile", "toml"),
];

/// Maps an alias such as a file extension or a Markdown info string to its
/// canonical id; `None` when the alias is not known.
pub fn language_from_alias(alias: &str) -> Option<&'static str> {
    let alias = alias.trim().to_ascii_lowercase();
    ALIASES
        .iter()
        .find(|(key, _)| *key == alias)
        .map(|&(_, id)| id)
}

/// Detects the language of `content`, using the file name when there is one.
///
/// The file name wins over content because it is what the user chose; a
/// `.txt` or extension-less file falls through to the shebang line and then to
/// content heuristics. Unknown content is `"text"`.
pub fn detect_language(path: Option<&Path>, content: &str) -> String {
    let by_name = path.and_then(language_from_path);
    let lang = match by_name {
        // C and C++ share `.h`; the content tells them apart.
        Some("c") if path.is_some_and(has_extension_h) => {
            if heuristics::looks_like_cpp(content) {
                "cpp"
            } else {
                "c"
            }
        }
        Some(id) if id != TEXT => id,
        _ => language_from_shebang(content)
            .or_else(|| heuristics::guess(content))
            .unwrap_or(TEXT),
    };
    lang.to_owned()
}

/// The language implied by a path's file name or extension alone.
pub fn language_from_path(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if let Some(&(_, id)) = FILE_NAMES.iter().find(|(n, _)| *n == name) {
        return Some(id);
    }
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(language_from_alias);
    if by_extension.is_some_and(|id| id != TEXT) {
        return by_extension;
    }
    // `Dockerfile.dev`, `Makefile.am`: when the extension says nothing, the
    // stem carries the meaning.
    match name.split_once('.').map(|(stem, _)| stem) {
        Some("dockerfile" | "containerfile") => Some("dockerfile"),
        Some("makefile") => Some("make"),
        _ => by_extension,
    }
}

fn has_extension_h(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("h"))
}

/// Reads the interpreter from a `#!` first line, seeing through `env` and its
/// flags (`#!/usr/bin/env -S python3 -u`) and version suffixes (`python3.12`).
pub fn language_from_shebang(content: &str) -> Option<&'static str> {
    let line = content.lines().next()?.strip_prefix("#!")?;
    let mut words = line.split_whitespace();
    let mut program = basename(words.next()?);
    if program == "env" {
        program = words
            .find(|w| !w.starts_with('-') && !w.contains('='))
            .map(basename)?;
    }
    let trimmed = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    language_from_alias(program)
        .or_else(|| language_from_alias(trimmed))
        .or(match trimmed {
            "nodejs" | "deno" | "bun" => Some("javascript"),
            "pypy" => Some("python"),
            "osh" | "mksh" | "yash" | "busybox" => Some("shell"),
            _ => None,
        })
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
#[path = "language_tests.rs"]
mod tests;
