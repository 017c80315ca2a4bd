//! A one-line text input: the search bar, the tag editor, the tag picker's
//! filter. The cursor counts chars, never bytes, so multi-byte text is safe.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    /// Cursor position in chars, `0..=chars`.
    cursor: usize,
}

/// An edit that a key asks of a [`LineInput`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edit {
    Insert(char),
    Backspace,
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Delete the word before the cursor (Ctrl-W in a shell).
    DeleteWord,
    /// Delete everything before the cursor (Ctrl-U in a shell).
    DeleteToStart,
}

impl LineInput {
    pub fn with_text(text: &str) -> LineInput {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Apply an edit; returns whether the text changed.
    pub fn apply(&mut self, edit: Edit) -> bool {
        let len = self.text.chars().count();
        match edit {
            Edit::Insert(c) if !c.is_control() => {
                let at = self.byte_at(self.cursor);
                self.text.insert(at, c);
                self.cursor += 1;
                true
            }
            Edit::Insert(_) => false,
            Edit::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
                true
            }
            Edit::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
                true
            }
            Edit::Backspace | Edit::Delete => false,
            Edit::Left => {
                self.cursor = self.cursor.saturating_sub(1);
                false
            }
            Edit::Right => {
                self.cursor = (self.cursor + 1).min(len);
                false
            }
            Edit::Home => {
                self.cursor = 0;
                false
            }
            Edit::End => {
                self.cursor = len;
                false
            }
            Edit::DeleteWord => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                while start > 0 && !chars[start - 1].is_whitespace() {
                    start -= 1;
                }
                self.remove_range(start, self.cursor)
            }
            Edit::DeleteToStart => self.remove_range(0, self.cursor),
        }
    }

    fn remove_range(&mut self, start: usize, end: usize) -> bool {
        if start >= end {
            return false;
        }
        let (a, b) = (self.byte_at(start), self.byte_at(end));
        self.text.replace_range(a..b, "");
        self.cursor = start;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_multibyte_text_by_char() {
        let mut i = LineInput::with_text("日本");
        assert!(i.apply(Edit::Insert('語')));
        assert_eq!(i.text(), "日本語");
        i.apply(Edit::Left);
        assert!(i.apply(Edit::Backspace));
        assert_eq!(i.text(), "日語");
        assert_eq!(i.cursor(), 1);
        i.apply(Edit::Home);
        assert!(!i.apply(Edit::Backspace), "nothing before the cursor");
        assert!(i.apply(Edit::Delete));
        assert_eq!(i.text(), "語");
        i.apply(Edit::End);
        assert!(!i.apply(Edit::Delete));
        assert!(
            !i.apply(Edit::Insert('\u{7}')),
            "control chars are not text"
        );
    }

    #[test]
    fn word_and_line_deletion() {
        let mut i = LineInput::with_text("tag:rust read  file ");
        assert!(i.apply(Edit::DeleteWord));
        assert_eq!(i.text(), "tag:rust read  ");
        assert!(i.apply(Edit::DeleteWord));
        assert_eq!(i.text(), "tag:rust ");
        i.apply(Edit::Left);
        assert!(i.apply(Edit::DeleteToStart));
        assert_eq!(i.text(), " ");
        assert_eq!(i.cursor(), 0);
    }
}
