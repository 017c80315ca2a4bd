//! Content heuristics for snippets that carry no file name: weighted regex
//! markers per language, summed; the best total at or above [`MIN_SCORE`]
//! wins. Each marker counts once however often it occurs, so a long file of
//! one weak marker cannot outvote a short file with a decisive one.

use std::sync::LazyLock;

use regex::Regex;

/// Below this total a guess is not trusted and the content stays `"text"`.
const MIN_SCORE: u32 = 3;

/// Only the head of large content is scanned: markers show up early, and
/// this keeps detection cheap on files near the size limit.
const SCAN_LIMIT: usize = 16 * 1024;

/// `(language, weight, pattern)`. Weight 3 and up is decisive on its own;
/// 1 and 2 need company. Order breaks ties: earlier languages win.
#[rustfmt::skip]
const RULES: &[(&str, u32, &str)] = &[
    ("php", 6, r"<\?php\b"),
    ("php", 3, r"\bfunction\s+\w+\s*\(\s*\$"),
    ("php", 2, r"\becho\s+\$"),
    ("xml", 6, r"\A\s*<\?xml\b"),
    ("html", 6, r"(?i)<!doctype\s+html"),
    ("html", 2, r"(?i)<(html|head|body|div|span|script|ul|li|table|form|input|a\s+href)\b[^>]*>"),
    ("html", 1, r"</[a-z]+>"),
    ("diff", 6, r"(?m)^@@ -\d+(,\d+)? \+\d+(,\d+)? @@"),
    ("diff", 6, r"(?m)^diff --git "),
    ("protobuf", 6, r#"(?m)^syntax\s*=\s*"proto[23]""#),
    ("protobuf", 2, r"(?m)^\s*message\s+\w+\s*\{"),
    ("dockerfile", 3, r"\A(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*FROM\s+\S+"),
    ("dockerfile", 2, r"(?m)^(RUN|COPY|ADD|CMD|ENTRYPOINT|WORKDIR|ENV|EXPOSE|ARG|USER|VOLUME)\s"),
    // An indented mnemonic whose first operand is a register (x86 Intel or
    // AT&T, AArch64).
    ("asm", 3, r"(?m)^\s+[a-z]{2,7}\s+%?(r[abcd]x|r[sd]i|r[sb]p|e[abcd]x|e[sd]i|r\d{1,2}[dwb]?|[xw]\d{1,2}|[xy]mm\d{1,2})\b"),
    ("make", 3, r"(?m)^\.PHONY\s*:"),
    ("make", 3, r"(?m)^[\w.%/-]+\s*:[^=\n]*\n\t\S"),
    ("make", 1, r"\$\([A-Z_]+\)"),
    ("rust", 3, r"\bfn\s+\w+\s*(<[^>]*>)?\s*\("),
    ("rust", 3, r"\blet\s+mut\s+\w+"),
    ("rust", 3, r"#!?\[(derive|cfg|cfg_attr|test|allow|deny|warn|forbid|doc|must_use|inline|non_exhaustive|no_std)\b"),
    ("rust", 2, r"(?m)^\s*(pub(\([\w:]+\))?\s+)?(mod|use)\s+[\w:]+(::\{[^}]*\})?\s*;"),
    ("rust", 2, r"(?m)^\s*//[/!]"),
    ("rust", 2, r"(?m)^\s*use\s+(std|crate|super|self)::"),
    ("rust", 2, r"\b(println|eprintln|format|vec|assert_eq|assert|panic|write|writeln)!\s*[(\[]"),
    ("rust", 2, r"(?m)^\s*impl\b.*\{\s*$"),
    ("rust", 2, r"\bpub(\([\w:]+\))?\s+(fn|struct|enum|mod|trait|use|const|static|type)\b"),
    ("rust", 1, r"&(mut\s+)?self\b"),
    ("python", 3, r"(?m)^\s*(async\s+)?def\s+\w+\s*\([^)]*\)\s*(->\s*[^:]+)?:\s*(#.*)?$"),
    ("python", 3, r#"if\s+__name__\s*==\s*['"]__main__['"]"#),
    ("python", 2, r"(?m)^\s*from\s+[\w.]+\s+import\s+"),
    ("python", 2, r"(?m)^\s*import\s+[\w.]+(\s+as\s+\w+)?(\s*,\s*[\w.]+)*\s*$"),
    ("python", 2, r"(?m)^\s*class\s+\w+\s*(\([^)]*\))?:\s*$"),
    ("python", 2, r"(?m)^\s*(elif\b.*|except\b.*|try|finally):\s*$"),
    ("python", 1, r"\bself\.\w+"),
    ("python", 1, r"\bprint\("),
    ("python", 1, r"\b(True|False|None)\b"),
    ("go", 3, r"(?m)^package\s+\w+\s*$"),
    ("go", 3, r"\bfunc\s+(\([^)]*\)\s*)?\w+\s*\("),
    ("go", 3, r"\berr\s*!=\s*nil\b"),
    ("go", 2, r"\bfmt\.(Print|Sprint|Fprint|Errorf)"),
    ("go", 1, r"\w\s*:=\s*"),
    ("go", 1, r"(?m)^import\s*\("),
    ("c", 2, r#"(?m)^\s*#\s*include\s*[<"]"#),
    ("c", 2, r"\bint\s+main\s*\("),
    ("c", 1, r"\bprintf\s*\("),
    ("c", 1, r"(?m)^\s*#\s*define\s+\w+"),
    ("c", 1, r"\b(malloc|free|sizeof)\s*\("),
    ("c", 2, r"(?m)^\s*(static\s+)?(inline\s+)?(const\s+)?(void|int|char|unsigned|size_t|long|short|double|float|bool|struct\s+\w+)\s*\**\s*\w+\s*\([^)]*\)\s*\{?\s*$"),
    ("c", 2, r"(?m)^\s*typedef\s+(struct|enum|union|unsigned|int|void)\b"),
    ("c", 1, r"(?m)^\s*#\s*(ifndef|ifdef|endif|if\s+defined)\b"),
    ("cpp", 3, r"\bstd::(cout|cin|cerr|endl|vector|string|map|unordered_map|unique_ptr|shared_ptr|make_unique|move)\b"),
    ("cpp", 3, r"#\s*include\s*<(iostream|vector|string|memory|map|algorithm|unordered_map)>"),
    ("cpp", 2, r"\btemplate\s*<"),
    ("cpp", 2, r"\bnamespace\s+\w+\s*\{|\busing\s+namespace\s+\w+"),
    ("cpp", 2, r"\bnullptr\b"),
    ("csharp", 3, r"(?m)^\s*using\s+System(\.\w+)*;"),
    ("csharp", 3, r"\bConsole\.Write(Line)?\("),
    ("csharp", 3, r"\{\s*get;\s*(set;\s*)?\}"),
    ("java", 3, r"\bSystem\.out\.print(ln)?\("),
    ("java", 3, r"(?m)^\s*import\s+java\."),
    ("java", 2, r"\bpublic\s+(static\s+)?(final\s+)?(class|interface|enum|record|void)\b"),
    ("java", 2, r"@Override\b"),
    ("kotlin", 3, r"\bfun\s+\w+\s*\("),
    ("kotlin", 1, r"\bval\s+\w+\s*[:=]"),
    ("swift", 3, r"\bimport\s+(Foundation|UIKit|SwiftUI)\b"),
    ("swift", 3, r"\bguard\s+let\b"),
    ("perl", 3, r"(?m)^\s*use\s+strict\s*;"),
    ("perl", 3, r"\bmy\s+[$@%]\w+"),
    ("powershell", 3, r"\b(Get|Set|New|Remove|Write|Invoke)-[A-Z][a-zA-Z]+"),
    ("haskell", 3, r"(?m)^module\s+[A-Z][\w.]*(\s*\([^)]*\))?\s+where\b"),
    ("haskell", 3, r"(?m)^\w+\s*::\s*.+->"),
    ("elixir", 3, r"(?m)^\s*defmodule\s+[A-Z]"),
    ("terraform", 3, r#"(?m)^\s*(resource|data|provider|variable)\s+"\w+"(\s+"\w+")?\s*\{"#),
    // Columns are `*`, names or calls, comma-separated, aliased only with
    // `AS`: that keeps "select the files from the list" out.
    ("sql", 3, r"(?i)\bselect\s+(distinct\s+)?(\*|[\w.]+(\([^)]*\))?(\s+as\s+\w+)?)(\s*,\s*(\*|[\w.]+(\([^)]*\))?(\s+as\s+\w+)?))*\s+from\s+\w+"),
    ("sql", 3, r"(?im)^\s*(create\s+(or\s+replace\s+)?(temp(orary)?\s+)?(table|index|unique\s+index|view|trigger|function)|insert\s+into|alter\s+table|drop\s+table|delete\s+from)\b"),
    ("sql", 2, r"(?im)^\s*update\s+\w+\s+set\b"),
    ("sql", 1, r"(?i)\b(group|order)\s+by\b|\b(inner|left|right|outer)\s+join\b"),
    ("typescript", 2, r"(?m)^\s*(export\s+)?interface\s+\w+\s*(<[^>]*>)?\s*\{"),
    ("typescript", 2, r"(?m)^\s*(export\s+)?type\s+\w+\s*=\s*[{(\w'|]"),
    ("typescript", 2, r"\w\??:\s*(string|number|boolean|any|unknown|void|never)\b"),
    ("typescript", 2, r"\bas\s+const\b|\breadonly\s+\w+\s*:"),
    ("javascript", 3, r"\bconsole\.(log|error|warn|info)\("),
    ("javascript", 2, r"\bfunction\s*\w*\s*\([^)]*\)\s*\{"),
    ("javascript", 2, r"(?m)^\s*(export\s+)?(const|var)\s+\w+\s*="),
    ("javascript", 2, r#"\brequire\(\s*['"][\w@./-]+['"]\s*\)"#),
    ("javascript", 2, r#"(?m)^\s*(export\s+default\b|import\s+.+\s+from\s+['"])"#),
    ("javascript", 2, r"\b(document|window)\.\w+"),
    ("javascript", 2, r"\basync\s+function\b|\bawait\s+fetch\("),
    ("javascript", 1, r"(?m)^\s*let\s+\w+\s*="),
    ("javascript", 1, r"\)\s*=>|===|!=="),
    ("ruby", 3, r"\battr_(accessor|reader|writer)\b"),
    ("ruby", 3, r"\bdo\s*\|\w+(,\s*\w+)*\|"),
    ("ruby", 2, r"(?m)^\s*def\s+(self\.)?\w+[?!]?(\s*\([^)]*\))?\s*$"),
    ("ruby", 2, r"(?m)^\s*end\s*$"),
    ("ruby", 2, r"(?m)^\s*puts\s"),
    ("ruby", 2, r#"(?m)^\s*require(_relative)?\s+['"]"#),
    ("lua", 2, r"(?m)^\s*local\s+(function\s+)?\w+(\s*=\s|\s*\()"),
    ("lua", 2, r"(?m)^\s*(local\s+)?function\s+[\w.:]+\s*\([^)]*\)\s*$"),
    ("lua", 2, r"(?m)^\s*end\s*$"),
    ("lua", 1, r"(?m)\bif\b[^;\n]*\bthen\s*$"),
    ("lua", 1, r"~="),
    ("shell", 2, r"(?m)^\s*(sudo|apt|apt-get|brew|git|docker|kubectl|curl|wget|cd|ls|mkdir|rm|cp|mv|chmod|chown|tar|grep|find|ssh|scp|rsync|npm|npx|pip|cargo|systemctl|journalctl|export|echo|source|alias)\s"),
    ("shell", 2, r"\|\s*(grep|awk|sed|xargs|sort|uniq|head|tail|wc|cut|tr|tee|jq|less)\b"),
    ("shell", 2, r"(?m);\s*then\b|^\s*fi\s*$|^\s*done\b|^\s*esac\s*$|;\s*do\b"),
    ("shell", 2, r"2>&1|>\s*/dev/null"),
    ("shell", 1, r"\$\{?[A-Za-z_]\w*\}?|\$\("),
    ("shell", 1, r"\s--[a-z][\w-]+"),
    ("css", 3, r"(?m)^\s*@media\b|\b\d+(px|rem|em|vh|vw)\s*;"),
    ("css", 2, r"(?m)^\s*[a-z-]+\s*:\s*[^;:{}\n]+;\s*$"),
    ("css", 1, r"(?m)^\s*[.#]?[\w-]+([\s>+~,]+[.#:]?[\w-]+)*\s*\{\s*$"),
    ("graphql", 2, r"(?m)^\s*(query|mutation|subscription)\s+\w*\s*(\([^)]*\))?\s*\{"),
    ("yaml", 3, r"(?m)^(apiVersion|kind|services|jobs|steps):"),
    ("yaml", 2, r"(?m)^---\s*$"),
    ("yaml", 2, r"(?m)^\s*-\s+[\w.-]+:\s"),
    ("yaml", 1, r"(?m)^[\w.-]+:\s*$"),
    ("yaml", 1, r"(?m)^\s+[\w-]+:\s+\S"),
    ("toml", 2, r"(?m)^\[\[?[\w.-]+\]\]?\s*$"),
    ("toml", 1, r#"(?m)^[\w-]+\s*=\s*("|\d|\[|\{|true\b|false\b)"#),
    ("markdown", 3, r"(?m)^```"),
    ("markdown", 2, r"\[[^\]\n]+\]\(https?://"),
    ("markdown", 1, r"(?m)^#{1,6}\s+\S"),
    ("markdown", 1, r"(?m)^\s*[-*]\s+\[[ xX]\]\s"),
];

struct Rule {
    lang: &'static str,
    weight: u32,
    regex: Regex,
}

/// Compiled once. A pattern that failed to compile would only ever drop
/// that one marker; a test checks that none do.
static COMPILED: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    RULES
        .iter()
        .filter_map(|&(lang, weight, pattern)| {
            Regex::new(pattern).ok().map(|regex| Rule {
                lang,
                weight,
                regex,
            })
        })
        .collect()
});

/// The best-scoring language for `content`, or `None` when nothing is
/// convincing.
pub(crate) fn guess(content: &str) -> Option<&'static str> {
    let head = head(content);
    if looks_like_json(content) {
        return Some("json");
    }
    let mut scores: Vec<(&'static str, u32)> = Vec::new();
    for rule in COMPILED.iter() {
        if rule.regex.is_match(head) {
            match scores.iter_mut().find(|(lang, _)| *lang == rule.lang) {
                Some((_, score)) => *score += rule.weight,
                None => scores.push((rule.lang, rule.weight)),
            }
        }
    }
    let score_of = |lang: &str| {
        scores
            .iter()
            .find(|(l, _)| *l == lang)
            .map_or(0, |&(_, s)| s)
    };
    // Supersets: C++ markers add to what C already found, TypeScript
    // markers to JavaScript's, but only once a marker of their own is seen.
    let c = score_of("c");
    let js = score_of("javascript");
    for (lang, score) in &mut scores {
        match *lang {
            "cpp" => *score += c,
            "typescript" => *score += js,
            _ => {}
        }
    }
    let mut best: Option<(&'static str, u32)> = None;
    for &(lang, score) in &scores {
        if score >= MIN_SCORE && best.is_none_or(|(_, b)| score > b) {
            best = Some((lang, score));
        }
    }
    best.map(|(lang, _)| lang)
}

/// Whether content already judged to be C-family reads as C++.
pub(crate) fn looks_like_cpp(content: &str) -> bool {
    let head = head(content);
    COMPILED
        .iter()
        .any(|rule| rule.lang == "cpp" && rule.regex.is_match(head))
}

/// A JSON object, or an array of objects or arrays. Bare scalars and flat
/// arrays like `[1, 2]` are also valid Python, JavaScript and Ruby, so they
/// are not claimed.
fn looks_like_json(content: &str) -> bool {
    let trimmed = content.trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return false;
    }
    match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(serde_json::Value::Object(_)) => true,
        Ok(serde_json::Value::Array(items)) => {
            items.first().is_some_and(|v| v.is_object() || v.is_array())
        }
        _ => false,
    }
}

fn head(content: &str) -> &str {
    if content.len() <= SCAN_LIMIT {
        return content;
    }
    let mut end = SCAN_LIMIT;
    while !content.is_char_boundary(end) {
        end -= 1;
    }
    &content[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles_and_names_a_known_language() {
        assert_eq!(COMPILED.len(), RULES.len());
        for (lang, _, pattern) in RULES {
            assert!(
                super::super::language::is_known_language(lang),
                "{lang} in rule {pattern}"
            );
        }
    }

    #[test]
    fn head_respects_char_boundaries() {
        let s = "é".repeat(SCAN_LIMIT);
        let h = head(&s);
        assert!(h.len() <= SCAN_LIMIT && h.len() >= SCAN_LIMIT - 1);
    }

    #[test]
    fn flat_arrays_are_not_json_but_objects_are() {
        assert!(!looks_like_json("[1, 2, 3]"));
        assert!(looks_like_json(r#"[{"a": 1}]"#));
        assert!(looks_like_json("{\n  \"a\": [true, null]\n}"));
        assert!(!looks_like_json("{ not json }"));
    }
}
