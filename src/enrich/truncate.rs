//! Fitting a snippet into the prompt's code budget.
//!
//! Prefill time grows with every token (about 100 tokens a second on a small
//! CPU), and what a snippet is about is nearly always visible in its first
//! lines, so long code keeps its beginning and the prompt says it was cut.

/// How much of a snippet goes into the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeBudget {
    /// At most this many characters (not bytes) of code.
    pub max_chars: usize,
    /// At most this many lines of code.
    pub max_lines: usize,
}

impl Default for CodeBudget {
    /// About 500 tokens of code: a few seconds of prefill on two cores.
    fn default() -> Self {
        Self {
            max_chars: 1600,
            max_lines: 60,
        }
    }
}

/// The part of a snippet that fits a [`CodeBudget`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated<'a> {
    /// The kept beginning of the code, without a trailing newline.
    pub text: &'a str,
    /// How many lines were left out, counting a partly kept line as left out.
    pub omitted_lines: usize,
}

impl Truncated<'_> {
    /// Whether anything was cut.
    pub fn is_truncated(&self) -> bool {
        self.omitted_lines > 0
    }
}

/// Keeps the beginning of `code` within `budget`, cutting at a line end where
/// possible and never inside a character.
pub fn truncate_code(code: &str, budget: CodeBudget) -> Truncated<'_> {
    let code = code.trim_end();
    let total_lines = code.lines().count();
    let mut end = 0;
    let mut kept_lines = 0;
    let mut chars = 0;
    for line in code.split_inclusive('\n') {
        let line_chars = line.chars().count();
        if kept_lines == budget.max_lines || chars + line_chars > budget.max_chars {
            break;
        }
        end += line.len();
        chars += line_chars;
        kept_lines += 1;
    }
    if kept_lines == 0 && budget.max_lines > 0 {
        // A single giant first line (minified code, a data blob): keep a
        // character-bounded piece of it rather than nothing at all.
        end = code
            .char_indices()
            .nth(budget.max_chars)
            .map_or(code.len(), |(index, _)| index);
    }
    let text = code[..end].trim_end();
    let kept_whole_lines = if end == code.len() {
        total_lines
    } else {
        kept_lines
    };
    Truncated {
        text,
        omitted_lines: total_lines.saturating_sub(kept_whole_lines),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered_lines(count: usize) -> String {
        (1..=count).map(|n| format!("line {n}\n")).collect()
    }

    #[test]
    fn short_code_is_kept_whole() {
        let code = "fn main() {\n    println!(\"hi\");\n}\n";
        let cut = truncate_code(code, CodeBudget::default());
        assert_eq!(cut.text, code.trim_end());
        assert!(!cut.is_truncated());
    }

    #[test]
    fn line_budget_keeps_the_first_lines() {
        let code = numbered_lines(100);
        let budget = CodeBudget {
            max_chars: 10_000,
            max_lines: 10,
        };
        let cut = truncate_code(&code, budget);
        assert_eq!(cut.text.lines().count(), 10);
        assert!(cut.text.starts_with("line 1\n"));
        assert!(cut.text.ends_with("line 10"));
        assert_eq!(cut.omitted_lines, 90);
    }

    #[test]
    fn char_budget_cuts_at_a_line_end() {
        let code = numbered_lines(100);
        let budget = CodeBudget {
            max_chars: 50,
            max_lines: 1000,
        };
        let cut = truncate_code(&code, budget);
        assert!(cut.text.chars().count() <= 50);
        assert!(cut.text.ends_with(|c: char| c.is_ascii_digit()));
        let kept = cut.text.lines().count();
        assert_eq!(cut.omitted_lines, 100 - kept);
    }

    #[test]
    fn one_huge_line_is_cut_on_a_char_boundary() {
        let code = "é".repeat(5000);
        let budget = CodeBudget {
            max_chars: 100,
            max_lines: 10,
        };
        let cut = truncate_code(&code, budget);
        assert_eq!(cut.text.chars().count(), 100);
        assert_eq!(cut.omitted_lines, 1);
        assert!(cut.is_truncated());
    }

    #[test]
    fn empty_code_stays_empty() {
        let cut = truncate_code("\n\n", CodeBudget::default());
        assert_eq!(cut.text, "");
        assert!(!cut.is_truncated());
    }
}
