//! Why a result matched, in characters the user can see. Fuzzy matches
//! must keep to words: each typed character starts a word of the text or
//! continues the word of the character before it ("rdfl" in "Read a file",
//! not "deb" strewn over "Run a command in every subfolder"). The same
//! rule filters fuzzy results and draws their highlights, so whatever is
//! listed has its reason lit.

use crate::index::parse_query;

/// The free words and phrases of a query, lowercased; filters are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms {
    atoms: Vec<Vec<char>>,
}

impl Terms {
    pub fn from_query(query: &str) -> Terms {
        let parsed = parse_query(query);
        let atoms = parsed
            .words
            .iter()
            .chain(&parsed.phrases)
            .map(|w| w.to_lowercase().chars().collect::<Vec<char>>())
            .filter(|a| !a.is_empty())
            .collect();
        Terms { atoms }
    }

    pub fn is_empty(&self) -> bool {
        self.atoms.is_empty()
    }

    /// Every term matches somewhere in `text`.
    pub fn all_match(&self, text: &str) -> bool {
        let hay = lower(text);
        self.atoms.iter().all(|a| positions(a, &hay).is_some())
    }

    /// Per character of `text`: whether it is part of a match of any term.
    pub fn mask(&self, text: &str) -> Vec<bool> {
        let hay = lower(text);
        let mut mask = vec![false; hay.len()];
        for atom in &self.atoms {
            for p in positions(atom, &hay).unwrap_or_default() {
                mask[p] = true;
            }
        }
        mask
    }

    /// Per character of a content line: the literal occurrences of the
    /// terms (what the index matched in the body).
    pub fn literal_mask(&self, text: &str) -> Vec<bool> {
        let hay = lower(text);
        let mut mask = vec![false; hay.len()];
        for atom in &self.atoms {
            for p in substrings(atom, &hay) {
                for m in &mut mask[p..p + atom.len()] {
                    *m = true;
                }
            }
        }
        mask
    }
}

/// One char per char of `text` (lowercasing that grows a char keeps its
/// first char, so indices stay those of `text`).
fn lower(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| c.to_lowercase().next().unwrap_or(c))
        .collect()
}

fn substrings(atom: &[char], hay: &[char]) -> Vec<usize> {
    if atom.is_empty() || atom.len() > hay.len() {
        return Vec::new();
    }
    (0..=hay.len() - atom.len())
        .filter(|&i| hay[i..i + atom.len()] == *atom)
        .collect()
}

/// Where `atom` matches in `hay`: as a substring, else fuzzily under the
/// word rule above. `None` when it does not match.
pub fn positions(atom: &[char], hay: &[char]) -> Option<Vec<usize>> {
    if let Some(&start) = substrings(atom, hay).first() {
        return Some((start..start + atom.len()).collect());
    }
    if atom.iter().any(|c| c.is_whitespace()) {
        // A phrase matches only as written.
        return None;
    }
    let words = word_ids(hay);
    let mut memo = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(atom.len());
    fuzzy(atom, hay, &words, 0, None, &mut memo, &mut out).then_some(out)
}

/// For each char, the number of the word it belongs to, and whether it
/// starts one (`None` for separators).
fn word_ids(hay: &[char]) -> Vec<Option<(usize, bool)>> {
    let mut out = Vec::with_capacity(hay.len());
    let mut word = 0;
    let mut prev: Option<char> = None;
    for (i, &c) in hay.iter().enumerate() {
        if !c.is_alphanumeric() {
            out.push(None);
            prev = Some(c);
            continue;
        }
        let starts = match prev {
            None => true,
            Some(p) => !p.is_alphanumeric() || (p.is_alphabetic() != c.is_alphabetic()),
        };
        if starts && i > 0 {
            word += 1;
        }
        out.push(Some((word, starts)));
        prev = Some(c);
    }
    out
}

type Memo = std::collections::HashMap<(usize, Option<usize>), bool>;

fn fuzzy(
    atom: &[char],
    hay: &[char],
    words: &[Option<(usize, bool)>],
    i: usize,
    prev: Option<usize>,
    memo: &mut Memo,
    out: &mut Vec<usize>,
) -> bool {
    if i == atom.len() {
        return true;
    }
    if memo.get(&(i, prev)) == Some(&false) {
        return false;
    }
    let from = prev.map_or(0, |p| p + 1);
    for p in from..hay.len() {
        if hay[p] != atom[i] {
            continue;
        }
        let Some((word, starts)) = words[p] else {
            continue;
        };
        let same_word = prev.and_then(|q| words[q]).is_some_and(|(w, _)| w == word);
        if !(starts || same_word) {
            continue;
        }
        out.push(p);
        if fuzzy(atom, hay, words, i + 1, Some(p), memo, out) {
            return true;
        }
        out.pop();
    }
    memo.insert((i, prev), false);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_match_but_scattered_letters_do_not() {
        let t = Terms::from_query("rdfl");
        assert!(t.all_match("Read a file to string"));
        assert!(!Terms::from_query("retry").all_match("Read a whole file into memory"));
        assert!(!Terms::from_query("deb").all_match("Run a command in every subfolder"));
        assert!(Terms::from_query("deb").all_match("Install a .deb package"));
        assert!(Terms::from_query("retri").all_match("HTTP GET with retries"));
        assert!(Terms::from_query("rts").all_match("read_to_string"));
        assert!(Terms::from_query("tag:x").is_empty());
    }

    #[test]
    fn masks_mark_the_matched_characters() {
        let t = Terms::from_query("rdfl");
        let mask = t.mask("Read a file");
        let lit: String = "Read a file"
            .chars()
            .zip(&mask)
            .filter(|(_, m)| **m)
            .map(|(c, _)| c)
            .collect();
        assert_eq!(lit, "Rdfl");
        let t = Terms::from_query("json");
        let mask = t.literal_mask("let v = JSON.parse(s); // json");
        assert_eq!(mask.iter().filter(|m| **m).count(), 8);
    }
}
