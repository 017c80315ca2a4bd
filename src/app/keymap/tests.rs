use super::*;
use crate::app::state::{AppState, Mode, Screen, TagPicker};
use crate::app::{FieldsDialog, LineInput};
use std::collections::HashSet;

fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, mods)
}

fn resolve(scopes: &[Scope], key: &KeyEvent) -> Option<Action> {
    Keymap::default().resolve(scopes, key)
}

fn help_sections() -> Vec<(Scope, Vec<HelpEntry>)> {
    Keymap::default().help_sections()
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

#[test]
fn the_chains_the_keymap_checks_are_every_chain_a_mode_gives() {
    for chain in all_chains() {
        assert!(
            Scope::CHAINS.contains(&chain),
            "{chain:?} missing from CHAINS"
        );
    }
    for chain in Scope::CHAINS {
        assert!(all_chains().contains(&chain), "{chain:?} is no mode's");
    }
}

#[test]
fn every_scope_and_action_has_a_distinct_config_name() {
    let scopes: HashSet<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(scopes.len(), Scope::ALL.len());
    let actions: HashSet<&str> = Action::ALL.iter().map(|a| a.name()).collect();
    assert_eq!(actions.len(), Action::ALL.len());
    for name in scopes.iter().chain(&actions) {
        assert!(
            name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{name}"
        );
    }
}

/// `[keys]` as config.toml would give it.
fn user_keys(toml_text: &str) -> crate::config::KeysConfig {
    crate::config::Config::parse(toml_text).unwrap().keys
}

fn rebind(toml_text: &str) -> Result<Keymap, crate::config::Invalid> {
    Keymap::with_user_keys(&user_keys(toml_text))
}

#[test]
fn keys_are_written_as_the_help_shows_them() {
    let none = KeyModifiers::NONE;
    let ctrl = KeyModifiers::CONTROL;
    for (text, code, mods) in [
        ("j", KeyCode::Char('j'), none),
        ("G", KeyCode::Char('G'), none),
        ("#", KeyCode::Char('#'), none),
        ("-", KeyCode::Char('-'), none),
        ("Space", KeyCode::Char(' '), none),
        ("enter", KeyCode::Enter, none),
        ("PgDn", KeyCode::PageDown, none),
        ("PageUp", KeyCode::PageUp, none),
        ("↓", KeyCode::Down, none),
        ("F5", KeyCode::F(5), none),
        ("Ctrl-d", KeyCode::Char('d'), ctrl),
        ("Ctrl-D", KeyCode::Char('d'), ctrl),
        ("C-x", KeyCode::Char('x'), ctrl),
        ("ctrl+-", KeyCode::Char('-'), ctrl),
        ("Alt-x", KeyCode::Char('x'), KeyModifiers::ALT),
        ("Ctrl-Alt-Left", KeyCode::Left, ctrl | KeyModifiers::ALT),
    ] {
        assert_eq!(user::parse_key(text), Ok((code, mods)), "{text}");
    }
    // What the help writes parses back to the same key.
    for bd in BINDINGS {
        let label = key_label(bd.code, bd.mods);
        let (code, mods) = user::parse_key(&label).unwrap();
        assert_eq!((code, mods), (bd.code, bd.mods), "{label}");
    }
    for bad in ["", "Ctrl-", "Hyper-x", "PgDown2", "F13", "Shift-g", "jk"] {
        assert!(user::parse_key(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn a_rebinding_replaces_the_actions_keys_in_its_scope_only() {
    let map =
        rebind("[keys]\nlist.down = [\"J\", \"Ctrl-n\"]\npreview.bottom = \"End\"\n").unwrap();
    let none = KeyModifiers::NONE;
    let list = [Scope::List];
    assert_eq!(
        map.resolve(&list, &key(KeyCode::Char('J'), none)),
        Some(Action::Down)
    );
    assert_eq!(
        map.resolve(&list, &key(KeyCode::Char('n'), KeyModifiers::CONTROL)),
        Some(Action::Down)
    );
    assert_eq!(
        map.resolve(&list, &key(KeyCode::Char('j'), none)),
        None,
        "j is free now"
    );
    assert_eq!(map.resolve(&list, &key(KeyCode::Down, none)), None);
    // Other scopes keep their keys.
    assert_eq!(
        map.resolve(&[Scope::Preview], &key(KeyCode::Char('j'), none)),
        Some(Action::Down)
    );
    assert_eq!(
        map.resolve(&[Scope::Preview], &key(KeyCode::End, none)),
        Some(Action::Bottom)
    );
    assert_eq!(
        map.resolve(&[Scope::Preview], &key(KeyCode::Char('G'), none)),
        None
    );
    // The help follows, in the table's order.
    let sections = map.help_sections();
    let list_help = &sections.iter().find(|(s, _)| *s == Scope::List).unwrap().1;
    assert_eq!(list_help[0].text, "down");
    assert_eq!(list_help[0].keys, "J, Ctrl-n");
    assert_eq!(map.keys_for(Scope::List, Action::Down), vec!["J", "Ctrl-n"]);
    // An empty section changes nothing.
    assert_eq!(rebind("[keys]\n").unwrap(), Keymap::default());
    // A swap is no conflict once both are applied.
    let swapped = rebind("[keys.list]\ndown = \"k\"\nup = \"j\"\n").unwrap();
    assert_eq!(
        swapped.resolve(&list, &key(KeyCode::Char('k'), none)),
        Some(Action::Down)
    );
}

/// The error `[keys]` text gives, as the user reads it: file, line, hint.
fn keys_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let config = crate::config::Config::load(&path).unwrap();
    let bad = Keymap::with_user_keys(&config.keys).unwrap_err();
    crate::config::ConfigError::invalid(&path, bad).to_string()
}

#[test]
fn unknown_names_bad_keys_and_conflicts_name_file_line_and_a_fix() {
    let err = keys_error("[ui]\nosc52 = true\n\n[keys]\nlsit.down = \"J\"\n");
    assert!(err.contains("config.toml:5:"), "{err}");
    assert!(err.contains("keys.lsit"), "{err}");
    assert!(err.contains("did you mean \"list\""), "{err}");

    let err = keys_error("[keys.list]\ndwon = \"J\"\n");
    assert!(err.contains("config.toml:2:"), "{err}");
    assert!(err.contains("did you mean \"down\""), "{err}");
    assert!(
        err.contains("page-down"),
        "the hint lists the actions: {err}"
    );

    let err = keys_error("[keys]\nlist.accept = \"J\"\n");
    assert!(err.contains("not an action of list"), "{err}");
    assert!(err.contains("search"), "says where it is one: {err}");

    let err = keys_error("[keys]\n\"list\".\"down\" = \"Ctrl-\"\n");
    assert!(err.contains("config.toml:2:"), "{err}");
    assert!(err.contains("\"Ctrl-\" is not a key"), "{err}");
    assert!(err.contains("hint: write a key as"), "{err}");

    let err = keys_error("[keys]\nlist.down = []\n");
    assert!(err.contains("gives no key"), "{err}");
    assert!(err.contains("[\"j\", \"↓\"]"), "names the default: {err}");

    let err = keys_error("[keys]\nlist.down = \"k\"\n");
    assert!(err.contains("config.toml:2:"), "{err}");
    assert!(err.contains("k is also the key of list.up"), "{err}");
    assert!(err.contains("move list.up to another key"), "{err}");

    let err = keys_error("[keys]\nlist.quit = \"Ctrl-c\"\n");
    assert!(err.contains("global.interrupt"), "{err}");

    let err = keys_error("[keys]\nsearch.down = \"j\"\n");
    assert!(err.contains("would no longer be typed"), "{err}");
    assert!(err.contains("Ctrl-"), "{err}");
}
