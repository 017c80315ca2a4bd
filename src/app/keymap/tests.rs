use super::*;
use crate::app::state::{AppState, Mode, Screen, TagPicker};
use crate::app::{FieldsDialog, LineInput};
use std::collections::HashSet;

fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, mods)
}

/// Every scope chain a mode can produce.
fn all_chains() -> Vec<&'static [Scope]> {
    let mut state = AppState::new(false);
    let mut chains = Vec::new();
    for screen in [Screen::FirstRun, Screen::Browse, Screen::Preview] {
        state.screen = screen;
        for mode in [
            Mode::Normal,
            Mode::Search,
            Mode::Help { scroll: 0 },
            Mode::ConfirmDelete(crate::app::ConfirmDelete {
                id: 1,
                title: String::new(),
                source: None,
            }),
            Mode::TagEdit {
                id: 1,
                input: LineInput::default(),
            },
            Mode::TagPicker(TagPicker::default()),
            Mode::Fields(FieldsDialog::new(1)),
            Mode::Fields(FieldsDialog {
                input: Some(LineInput::default()),
                ..FieldsDialog::new(1)
            }),
            Mode::ModelOffer,
        ] {
            state.mode = mode;
            chains.push(state.scopes());
        }
    }
    chains
}

#[test]
fn no_key_is_bound_twice_in_a_scope() {
    let mut seen = HashSet::new();
    for bd in BINDINGS {
        assert!(
            seen.insert((bd.scope, bd.code, bd.mods)),
            "{:?} {} bound twice",
            bd.scope,
            key_label(bd.code, bd.mods)
        );
    }
}

#[test]
fn no_binding_is_shadowed_in_any_mode() {
    // A key bound in a scope and again in a scope after it in some mode's
    // chain would make the later binding dead in that mode.
    for chain in all_chains() {
        let mut full: Vec<Scope> = chain.to_vec();
        full.push(Scope::Global);
        let mut seen = HashSet::new();
        for scope in full {
            for bd in BINDINGS.iter().filter(|b| b.scope == scope) {
                assert!(
                    seen.insert((bd.code, bd.mods)),
                    "{} in {scope:?} is shadowed in {chain:?}",
                    key_label(bd.code, bd.mods)
                );
            }
        }
    }
}

#[test]
fn every_action_has_help_and_a_key() {
    for action in Action::ALL {
        assert!(!action.help().trim().is_empty(), "{action:?}");
        assert!(
            BINDINGS.iter().any(|b| b.action == action),
            "{action:?} has no key"
        );
    }
    for bd in BINDINGS {
        assert!(
            Action::ALL.contains(&bd.action),
            "{:?} missing from ALL",
            bd.action
        );
    }
}

#[test]
fn help_is_generated_from_the_table() {
    let sections = help_sections();
    let list = &sections.iter().find(|(s, _)| *s == Scope::List).unwrap().1;
    let quit = list.iter().find(|e| e.text == "quit").unwrap();
    assert_eq!(quit.keys, "q");
    let down = list.iter().find(|e| e.text == "down").unwrap();
    assert_eq!(down.keys, "j, ↓");
    let total: usize = sections.iter().map(|(_, e)| e.len()).sum();
    let distinct: HashSet<_> = BINDINGS.iter().map(|b| (b.scope, b.action)).collect();
    assert_eq!(total, distinct.len());
}

#[test]
fn resolve_uses_scope_order_shift_and_text() {
    let list = [Scope::List];
    let search = [Scope::Search, Scope::Input];
    let none = KeyModifiers::NONE;
    assert_eq!(
        resolve(&list, &key(KeyCode::Char('j'), none)),
        Some(Action::Down)
    );
    assert_eq!(
        resolve(&list, &key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Action::Bottom)
    );
    assert_eq!(
        resolve(&list, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(Action::Interrupt)
    );
    assert_eq!(resolve(&list, &key(KeyCode::Char('z'), none)), None);
    assert_eq!(
        resolve(&search, &key(KeyCode::Char('j'), none)),
        Some(Action::Input(Edit::Insert('j')))
    );
    assert_eq!(
        resolve(&search, &key(KeyCode::Char('J'), KeyModifiers::SHIFT)),
        Some(Action::Input(Edit::Insert('J')))
    );
    assert_eq!(
        resolve(&search, &key(KeyCode::Char('x'), KeyModifiers::ALT)),
        None,
        "Alt chords are not text"
    );
    assert_eq!(
        resolve(&search, &key(KeyCode::Esc, none)),
        Some(Action::Cancel)
    );
}

#[test]
fn enrichment_keys_resolve_in_their_dialogs() {
    let none = KeyModifiers::NONE;
    let r = key(KeyCode::Char('r'), none);
    assert_eq!(resolve(&[Scope::List], &r), Some(Action::Regenerate));
    assert_eq!(resolve(&[Scope::Fields], &r), Some(Action::RegenerateField));
    assert_eq!(
        resolve(&[Scope::FieldEdit, Scope::Input], &r),
        Some(Action::Input(Edit::Insert('r'))),
        "typing a value, r is a letter"
    );
    assert_eq!(
        resolve(
            &[Scope::ModelOffer],
            &key(KeyCode::Char('Y'), KeyModifiers::SHIFT)
        ),
        Some(Action::FetchModel)
    );
    assert_eq!(
        resolve(&[Scope::ModelOffer], &key(KeyCode::Char('q'), none)),
        None,
        "the offer wants an answer"
    );
    let sections = help_sections();
    let fields = &sections
        .iter()
        .find(|(s, _)| *s == Scope::Fields)
        .unwrap()
        .1;
    assert!(fields
        .iter()
        .any(|e| e.keys == "a" && e.text.contains("lock")));
    assert!(fields
        .iter()
        .any(|e| e.keys == "Esc, q, f" && e.text == "close"));
}
