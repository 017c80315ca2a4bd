//! Shell: the command word of every simple command, through pipes, lists,
//! substitutions, `sudo`/`xargs`-style wrappers and `find -exec`.

const ECOSYSTEMS: &[&str] = &["shell"];

/// Words that introduce the real command without being one.
const KEYWORDS: [&str; 13] = [
    "if", "then", "elif", "else", "while", "until", "do", "!", "{", "time", "fi", "done", "esac",
];
/// Commands that run another command given after their options.
const WRAPPERS: [&str; 8] = [
    "sudo", "xargs", "nohup", "nice", "timeout", "watch", "env", "exec",
];
/// Wrapper options whose value is the next word (`sudo -u app`, `xargs -n 1`).
const OPTIONS_WITH_VALUE: [&str; 9] = ["-u", "-g", "-n", "-I", "-P", "-L", "-d", "-s", "-C"];

pub(super) fn extract(code: &str) -> Vec<super::Candidate> {
    let mut out = Vec::new();
    let joined = code.replace("\\\n", " ");
    for line in joined.lines() {
        let line = strip_prompt(line.trim());
        if line.starts_with('#') {
            continue;
        }
        let line = blank_single_quotes(line);
        let line = strip_comment(&line);
        for segment in split_commands(line) {
            commands_in(segment, &mut out);
        }
    }
    out.into_iter()
        .map(|name| super::Candidate::new(ECOSYSTEMS, name))
        .collect()
}

/// Pasted terminal sessions start lines with `$ `.
fn strip_prompt(line: &str) -> &str {
    line.strip_prefix("$ ").unwrap_or(line)
}

/// Single-quoted text (awk and sed programs, literal strings) holds no
/// commands, and its `|`, `;` and braces would split it wrongly.
fn blank_single_quotes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quoted = false;
    for c in line.chars() {
        if c == '\'' {
            quoted = !quoted;
            out.push(' ');
        } else {
            out.push(if quoted { ' ' } else { c });
        }
    }
    out
}

/// Cuts a `# comment` that starts a word.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let cut = (1..bytes.len()).find(|&i| bytes[i] == b'#' && bytes[i - 1].is_ascii_whitespace());
    cut.map_or(line, |i| &line[..i])
}

/// Splits at every place a new simple command can start.
fn split_commands(line: &str) -> Vec<&str> {
    const SEPARATORS: [&str; 10] = [
        "&&",
        "||",
        "|",
        ";",
        "$(",
        "`",
        "(",
        ")",
        " -exec ",
        " -execdir ",
    ];
    let mut parts = vec![line];
    for separator in SEPARATORS {
        parts = parts
            .into_iter()
            .flat_map(|part| part.split(separator))
            .collect();
    }
    parts
}

fn commands_in(segment: &str, out: &mut Vec<String>) {
    let mut words = segment.split_whitespace();
    let mut expect_command = true;
    while let Some(word) = words.next() {
        if !expect_command {
            break;
        }
        if KEYWORDS.contains(&word) || is_assignment(word) {
            continue;
        }
        // Options and their numeric or placeholder arguments of a wrapper.
        if OPTIONS_WITH_VALUE.contains(&word) {
            words.next();
            continue;
        }
        if word.starts_with('-') || word.chars().all(|c| c.is_ascii_digit()) || word == "{}" {
            continue;
        }
        let command = word.rsplit('/').next().unwrap_or(word);
        if !is_command_name(command) {
            break;
        }
        out.push(command.to_owned());
        if command == "git" {
            if let Some(sub) = words.find(|w| !w.starts_with('-')) {
                if is_command_name(sub) {
                    out.push(format!("git.{sub}"));
                }
            }
        }
        expect_command = WRAPPERS.contains(&command);
    }
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn is_command_name(word: &str) -> bool {
    word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._+-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(code: &str) -> Vec<String> {
        extract(code).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn commands_through_pipes_and_lists() {
        let code = "#!/bin/sh\n# count words\n$ grep -rn 'TODO|FIXME' src | awk '{print $1}' | sort | uniq -c && echo done\nLC_ALL=C tar -czf out.tgz dir; /usr/bin/rsync -a out.tgz host:\n";
        assert_eq!(
            names(code),
            ["grep", "awk", "sort", "uniq", "echo", "tar", "rsync"]
        );
    }

    #[test]
    fn wrappers_substitutions_and_exec() {
        let code = "find . -name '*.log' -exec gzip {} \\;\nsudo -u app xargs -0 -n 1 sed -i 's/a/b/' < list\nNOW=$(date +%s)\nif curl -fsS \"$URL\" | jq .name; then git commit -am wip; fi\n";
        let found = names(code);
        for want in [
            "find",
            "gzip",
            "sudo",
            "xargs",
            "sed",
            "date",
            "curl",
            "jq",
            "git",
            "git.commit",
        ] {
            assert!(found.contains(&want.to_owned()), "{want} in {found:?}");
        }
        assert!(!found.iter().any(|n| n == "app" || n == "fi" || n == "wip"));
    }

    #[test]
    fn prose_yields_no_commands_worth_linking() {
        // Prose lines do produce words, but none that the table lists; the
        // resolver test checks that no link comes out of plain text.
        let found = names("This is just a note about things.");
        assert_eq!(found, Vec::<String>::new());
    }
}
