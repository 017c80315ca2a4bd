//! Key bindings as data. [`BINDINGS`] is the default table; a [`Keymap`]
//! is that table with the user's `[keys]` from config.toml applied, and is
//! the single source in force: [`Keymap::resolve`] looks keys up in it and
//! the help overlay is generated from it, so the two cannot disagree.

mod action;
mod user;

pub use action::Action;

use super::input::Edit;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A group of bindings that is active in some modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Active everywhere, looked up last.
    Global,
    List,
    Preview,
    Search,
    /// Line editing, shared by every mode with a text input.
    Input,
    TagEdit,
    TagPicker,
    Confirm,
    Help,
    FirstRun,
    /// The fields dialog: one snippet's enrichable fields.
    Fields,
    /// Editing one field's value in the fields dialog.
    FieldEdit,
    /// The offer to download the enrichment model.
    ModelOffer,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::List => "Snippet list",
            Scope::Preview => "Full-screen preview",
            Scope::Search => "Search",
            Scope::Input => "Text input",
            Scope::TagEdit => "Tag editor",
            Scope::TagPicker => "Tag filter",
            Scope::Confirm => "Confirmation",
            Scope::Help => "Help",
            Scope::FirstRun => "First run",
            Scope::Fields => "Fields dialog",
            Scope::FieldEdit => "Field editor",
            Scope::ModelOffer => "Model download offer",
        }
    }

    /// The scope's name in config.toml's `[keys]` (`list.down = "J"`).
    pub fn name(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::List => "list",
            Scope::Preview => "preview",
            Scope::Search => "search",
            Scope::Input => "input",
            Scope::TagEdit => "tag-edit",
            Scope::TagPicker => "tag-picker",
            Scope::Confirm => "confirm",
            Scope::Help => "help",
            Scope::FirstRun => "first-run",
            Scope::Fields => "fields",
            Scope::FieldEdit => "field-edit",
            Scope::ModelOffer => "model-offer",
        }
    }

    /// The scopes looked up together, first to last (then
    /// [`Scope::Global`]): every chain [`crate::app::AppState::scopes`]
    /// gives. A key may be bound once in a chain.
    pub const CHAINS: [&'static [Scope]; 11] = [
        &[Scope::FirstRun],
        &[Scope::List],
        &[Scope::Preview],
        &[Scope::Search, Scope::Input],
        &[Scope::Help],
        &[Scope::Confirm],
        &[Scope::TagEdit, Scope::Input],
        &[Scope::TagPicker, Scope::Input],
        &[Scope::FieldEdit, Scope::Input],
        &[Scope::Fields],
        &[Scope::ModelOffer],
    ];

    /// Order in the help overlay.
    pub const ALL: [Scope; 13] = [
        Scope::List,
        Scope::Search,
        Scope::Preview,
        Scope::Fields,
        Scope::FieldEdit,
        Scope::TagEdit,
        Scope::TagPicker,
        Scope::Input,
        Scope::Confirm,
        Scope::ModelOffer,
        Scope::FirstRun,
        Scope::Help,
        Scope::Global,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub scope: Scope,
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub action: Action,
}

const fn b(scope: Scope, code: KeyCode, action: Action) -> Binding {
    Binding {
        scope,
        code,
        mods: KeyModifiers::NONE,
        action,
    }
}

const fn ctrl(scope: Scope, c: char, action: Action) -> Binding {
    Binding {
        scope,
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
        action,
    }
}

const fn ch(scope: Scope, c: char, action: Action) -> Binding {
    b(scope, KeyCode::Char(c), action)
}

use Action as A;
use KeyCode as K;
use Scope as S;

pub static BINDINGS: &[Binding] = &[
    ctrl(S::Global, 'c', A::Interrupt),
    // The list.
    ch(S::List, 'j', A::Down),
    b(S::List, K::Down, A::Down),
    ch(S::List, 'k', A::Up),
    b(S::List, K::Up, A::Up),
    ch(S::List, 'g', A::Top),
    b(S::List, K::Home, A::Top),
    ch(S::List, 'G', A::Bottom),
    b(S::List, K::End, A::Bottom),
    b(S::List, K::PageDown, A::PageDown),
    ctrl(S::List, 'd', A::PageDown),
    b(S::List, K::PageUp, A::PageUp),
    ctrl(S::List, 'u', A::PageUp),
    ch(S::List, 'h', A::ScrollLeft),
    b(S::List, K::Left, A::ScrollLeft),
    ch(S::List, 'l', A::ScrollRight),
    b(S::List, K::Right, A::ScrollRight),
    ch(S::List, 'w', A::ToggleWrap),
    ch(S::List, '/', A::StartSearch),
    b(S::List, K::Esc, A::ClearFilter),
    b(S::List, K::Enter, A::Open),
    ch(S::List, 'y', A::Copy),
    ch(S::List, 'e', A::Edit),
    ch(S::List, 'n', A::New),
    ch(S::List, 'd', A::Delete),
    ch(S::List, 't', A::EditTags),
    ch(S::List, 'T', A::TagFilter),
    ch(S::List, '#', A::TagFilter),
    ch(S::List, 'f', A::Fields),
    ch(S::List, 'r', A::Regenerate),
    ch(S::List, 'p', A::TogglePause),
    ch(S::List, '?', A::Help),
    ch(S::List, 'q', A::Quit),
    // Search: arrows and fzf's Ctrl keys move while typing.
    b(S::Search, K::Enter, A::Accept),
    b(S::Search, K::Esc, A::Cancel),
    b(S::Search, K::Down, A::Down),
    ctrl(S::Search, 'n', A::Down),
    ctrl(S::Search, 'j', A::Down),
    b(S::Search, K::Up, A::Up),
    ctrl(S::Search, 'p', A::Up),
    ctrl(S::Search, 'k', A::Up),
    b(S::Search, K::PageDown, A::PageDown),
    b(S::Search, K::PageUp, A::PageUp),
    // Full-screen preview: a pager.
    ch(S::Preview, 'j', A::Down),
    b(S::Preview, K::Down, A::Down),
    ch(S::Preview, 'k', A::Up),
    b(S::Preview, K::Up, A::Up),
    ch(S::Preview, 'g', A::Top),
    ch(S::Preview, 'G', A::Bottom),
    b(S::Preview, K::PageDown, A::PageDown),
    ch(S::Preview, ' ', A::PageDown),
    b(S::Preview, K::PageUp, A::PageUp),
    ch(S::Preview, 'h', A::ScrollLeft),
    b(S::Preview, K::Left, A::ScrollLeft),
    ch(S::Preview, 'l', A::ScrollRight),
    b(S::Preview, K::Right, A::ScrollRight),
    ch(S::Preview, 'w', A::ToggleWrap),
    b(S::Preview, K::Esc, A::Back),
    b(S::Preview, K::Enter, A::Back),
    ch(S::Preview, 'q', A::Back),
    ch(S::Preview, 'y', A::Copy),
    ch(S::Preview, 'e', A::Edit),
    ch(S::Preview, 't', A::EditTags),
    ch(S::Preview, 'd', A::Delete),
    ch(S::Preview, 'f', A::Fields),
    ch(S::Preview, 'r', A::Regenerate),
    ch(S::Preview, 'p', A::TogglePause),
    ch(S::Preview, '?', A::Help),
    // Line editing.
    b(S::Input, K::Backspace, A::Input(Edit::Backspace)),
    ctrl(S::Input, 'h', A::Input(Edit::Backspace)),
    b(S::Input, K::Delete, A::Input(Edit::Delete)),
    b(S::Input, K::Left, A::Input(Edit::Left)),
    b(S::Input, K::Right, A::Input(Edit::Right)),
    b(S::Input, K::Home, A::Input(Edit::Home)),
    ctrl(S::Input, 'a', A::Input(Edit::Home)),
    b(S::Input, K::End, A::Input(Edit::End)),
    ctrl(S::Input, 'e', A::Input(Edit::End)),
    ctrl(S::Input, 'w', A::Input(Edit::DeleteWord)),
    ctrl(S::Input, 'u', A::Input(Edit::DeleteToStart)),
    // Tag editor and tag picker.
    b(S::TagEdit, K::Enter, A::Accept),
    b(S::TagEdit, K::Esc, A::Cancel),
    b(S::TagPicker, K::Enter, A::Accept),
    b(S::TagPicker, K::Esc, A::Cancel),
    b(S::TagPicker, K::Down, A::Down),
    ctrl(S::TagPicker, 'n', A::Down),
    b(S::TagPicker, K::Up, A::Up),
    ctrl(S::TagPicker, 'p', A::Up),
    b(S::TagPicker, K::PageDown, A::PageDown),
    b(S::TagPicker, K::PageUp, A::PageUp),
    // Dialogs.
    ch(S::Confirm, 'y', A::Yes),
    ch(S::Confirm, 'Y', A::Yes),
    ch(S::Confirm, 'n', A::No),
    ch(S::Confirm, 'N', A::No),
    b(S::Confirm, K::Esc, A::No),
    ch(S::Help, 'j', A::Down),
    b(S::Help, K::Down, A::Down),
    ch(S::Help, 'k', A::Up),
    b(S::Help, K::Up, A::Up),
    b(S::Help, K::Esc, A::Back),
    ch(S::Help, 'q', A::Back),
    ch(S::Help, '?', A::Back),
    b(S::Help, K::Enter, A::Back),
    // Fields dialog: j/k pick a field, then act on it.
    ch(S::Fields, 'j', A::Down),
    b(S::Fields, K::Down, A::Down),
    ch(S::Fields, 'k', A::Up),
    b(S::Fields, K::Up, A::Up),
    ch(S::Fields, 'a', A::LockField),
    ch(S::Fields, 'e', A::EditField),
    b(S::Fields, K::Enter, A::EditField),
    ch(S::Fields, 'u', A::UnlockField),
    ch(S::Fields, 'r', A::RegenerateField),
    b(S::Fields, K::Esc, A::Close),
    ch(S::Fields, 'q', A::Close),
    ch(S::Fields, 'f', A::Close),
    b(S::FieldEdit, K::Enter, A::Accept),
    b(S::FieldEdit, K::Esc, A::Cancel),
    // Model download offer.
    ch(S::ModelOffer, 'y', A::FetchModel),
    ch(S::ModelOffer, 'Y', A::FetchModel),
    ch(S::ModelOffer, 'n', A::DeclineModel),
    ch(S::ModelOffer, 'N', A::DeclineModel),
    b(S::ModelOffer, K::Esc, A::Later),
    b(S::FirstRun, K::Enter, A::LoadSamples),
    ch(S::FirstRun, 's', A::LoadSamples),
    ch(S::FirstRun, 'n', A::New),
    b(S::FirstRun, K::Esc, A::SkipSamples),
    ch(S::FirstRun, 'q', A::Quit),
];

/// Terminals disagree on whether `G` or `#` carry SHIFT; the character
/// alone says what was typed.
fn normalise(key: &KeyEvent) -> (KeyCode, KeyModifiers) {
    let mut mods = key.modifiers;
    if matches!(key.code, KeyCode::Char(_)) {
        mods.remove(KeyModifiers::SHIFT);
    }
    (key.code, mods)
}

/// The bindings in force: [`BINDINGS`] with the user's `[keys]` applied
/// ([`Keymap::with_user_keys`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: BINDINGS.to_vec(),
        }
    }
}

impl Keymap {
    /// Every binding, in table order (a rebound action keeps its place).
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action for `key` in the first of `scopes` that binds it. In a
    /// chain with [`Scope::Input`], a plain character that nothing binds is
    /// text.
    pub fn resolve(&self, scopes: &[Scope], key: &KeyEvent) -> Option<Action> {
        let (code, mods) = normalise(key);
        let bound = scopes
            .iter()
            .chain(std::iter::once(&Scope::Global))
            .find_map(|scope| {
                self.bindings
                    .iter()
                    .find(|bd| bd.scope == *scope && bd.code == code && bd.mods == mods)
            });
        if let Some(bd) = bound {
            return Some(bd.action);
        }
        match code {
            KeyCode::Char(c)
                if scopes.contains(&Scope::Input)
                    && !mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(Action::Input(Edit::Insert(c)))
            }
            _ => None,
        }
    }

    /// The help overlay's content, generated from the bindings in force.
    pub fn help_sections(&self) -> Vec<(Scope, Vec<HelpEntry>)> {
        Scope::ALL
            .iter()
            .map(|&scope| {
                let mut actions: Vec<Action> = Vec::new();
                for bd in self.bindings.iter().filter(|bd| bd.scope == scope) {
                    if !actions.contains(&bd.action) {
                        actions.push(bd.action);
                    }
                }
                let entries = actions
                    .into_iter()
                    .map(|action| HelpEntry {
                        keys: self.keys_for(scope, action).join(", "),
                        text: action.help(),
                    })
                    .collect();
                (scope, entries)
            })
            .collect()
    }

    /// Labels of the keys bound to `action` in `scope`, in table order.
    pub fn keys_for(&self, scope: Scope, action: Action) -> Vec<String> {
        self.bindings
            .iter()
            .filter(|bd| bd.scope == scope && bd.action == action)
            .map(|bd| key_label(bd.code, bd.mods))
            .collect()
    }
}

/// How a key is written in the help and hints.
pub fn key_label(code: KeyCode, mods: KeyModifiers) -> String {
    let base = match code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::Delete => "Del".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Tab => "Tab".into(),
        other => format!("{other:?}"),
    };
    let mut label = base;
    if mods.contains(KeyModifiers::ALT) {
        label = format!("Alt-{label}");
    }
    if mods.contains(KeyModifiers::CONTROL) {
        label = format!("Ctrl-{label}");
    }
    label
}

/// One line of the help: every key of an action in a scope, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub keys: String,
    pub text: &'static str,
}

#[cfg(test)]
mod tests;
