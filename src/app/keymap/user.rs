//! The user's `[keys]` from config.toml applied to the default table:
//!
//! ```toml
//! [keys]
//! list.down = ["J", "Down"]     # SCOPE.ACTION = KEY or [KEYS]
//! preview.bottom = "End"
//! global.interrupt = "Ctrl-q"
//! ```
//!
//! The keys given replace the action's default keys in that scope. Names
//! are the ones [`Scope::name`] and [`Action::name`] give; keys are written
//! as the help shows them (`j`, `G`, `Space`, `Enter`, `PgDn`, `Ctrl-d`,
//! `Alt-x`, `F5`). Anything that could not work is refused with what would:
//! an unknown scope or action (with the nearest name), a key that does not
//! parse, an action left without a key, and a key that would do two things
//! where the same scopes are looked up together (or would stop typing it
//! into a text field).

use super::{key_label, Action, Binding, Keymap, Scope, BINDINGS};
use crate::config::{closest, Invalid, KeysConfig};
use crossterm::event::{KeyCode, KeyModifiers};

/// How keys are written, for hints.
const KEY_SYNTAX: &str = "write a key as a character (`j`, `G`, `#`), a name (Space, Enter, Esc, \
     Tab, Backspace, Del, Up, Down, Left, Right, Home, End, PgUp, PgDn, F1 to F12), \
     optionally after Ctrl- or Alt- (`Ctrl-d`)";

impl Keymap {
    /// The default table with `keys` applied, or the first entry that
    /// cannot work, with its dotted key (`keys.list.down`), what is wrong
    /// and a suggestion.
    pub fn with_user_keys(keys: &KeysConfig) -> Result<Keymap, Invalid> {
        let mut bindings = BINDINGS.to_vec();
        // Where each rebound (scope, action) was set, for conflict reports.
        let mut rebound: Vec<(Scope, Action, String)> = Vec::new();
        for (scope_name, actions) in keys {
            let scope = scope_named(scope_name)?;
            for (action_name, list) in actions {
                let at = format!("keys.{scope_name}.{action_name}");
                let action = action_named(scope, action_name, &at)?;
                if list.keys().is_empty() {
                    return Err(Invalid {
                        message: format!("{at} gives no key"),
                        hint: format!(
                            "give at least one key; the default is {}",
                            default_keys(scope, action)
                        ),
                        key: at,
                    });
                }
                let mut parsed: Vec<(KeyCode, KeyModifiers)> = Vec::new();
                for text in list.keys() {
                    let key = parse_key(text).map_err(|why| Invalid {
                        message: format!("{at}: {text:?} is not a key ({why})"),
                        hint: KEY_SYNTAX.into(),
                        key: at.clone(),
                    })?;
                    if !parsed.contains(&key) {
                        parsed.push(key);
                    }
                }
                // The new keys take the place of the first old one, so the
                // help keeps its order.
                let first = bindings
                    .iter()
                    .position(|b| b.scope == scope && b.action == action)
                    .unwrap_or(bindings.len());
                bindings.retain(|b| !(b.scope == scope && b.action == action));
                let new = parsed.into_iter().map(|(code, mods)| Binding {
                    scope,
                    code,
                    mods,
                    action,
                });
                bindings.splice(first..first, new);
                rebound.push((scope, action, at));
            }
        }
        check_conflicts(&bindings, &rebound)?;
        Ok(Keymap { bindings })
    }
}

fn scope_named(name: &str) -> Result<Scope, Invalid> {
    if let Some(scope) = Scope::ALL.iter().find(|s| s.name() == name) {
        return Ok(*scope);
    }
    let names: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
    Err(Invalid {
        key: format!("keys.{name}"),
        message: format!("keys.{name}: {name:?} is not a part of the TUI with keys"),
        hint: format!(
            "did you mean {:?}? The parts are: {}",
            closest(name, &names),
            names.join(", ")
        ),
    })
}

/// An action of `scope`: one the default table binds there.
fn action_named(scope: Scope, name: &str, at: &str) -> Result<Action, Invalid> {
    let mut names: Vec<&str> = Vec::new();
    for b in BINDINGS.iter().filter(|b| b.scope == scope) {
        if b.action.name() == name {
            return Ok(b.action);
        }
        if !names.contains(&b.action.name()) {
            names.push(b.action.name());
        }
    }
    let elsewhere: Vec<&str> = Scope::ALL
        .iter()
        .filter(|s| {
            BINDINGS
                .iter()
                .any(|b| b.scope == **s && b.action.name() == name)
        })
        .map(|s| s.name())
        .collect();
    let message = if elsewhere.is_empty() {
        format!("{at}: {name:?} is not an action")
    } else {
        format!(
            "{at}: {name:?} is not an action of {} (it is one of {})",
            scope.name(),
            elsewhere.join(", ")
        )
    };
    Err(Invalid {
        key: at.into(),
        message,
        hint: format!(
            "did you mean {:?}? The actions of {} are: {}",
            closest(name, &names),
            scope.name(),
            names.join(", ")
        ),
    })
}

fn default_keys(scope: Scope, action: Action) -> String {
    let keys: Vec<String> = BINDINGS
        .iter()
        .filter(|b| b.scope == scope && b.action == action)
        .map(|b| format!("{:?}", key_label(b.code, b.mods)))
        .collect();
    if keys.len() == 1 {
        keys.concat()
    } else {
        format!("[{}]", keys.join(", "))
    }
}

/// A key as the user writes it: `j`, `Space`, `PgDn`, `Ctrl-d`, `Alt-x`.
pub fn parse_key(text: &str) -> Result<(KeyCode, KeyModifiers), String> {
    let mut mods = KeyModifiers::NONE;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("it is empty".into());
    }
    // A lone `-` or `+` (or one after a modifier) is a key, not a separator.
    while let Some((prefix, after)) = rest.split_once(['-', '+']) {
        if after.is_empty() {
            break;
        }
        match prefix.to_ascii_lowercase().as_str() {
            "ctrl" | "control" | "c" => mods.insert(KeyModifiers::CONTROL),
            "alt" | "meta" | "m" => mods.insert(KeyModifiers::ALT),
            "shift" | "s" => {
                return Err("Shift is not written: use the character it types (`G`, `#`)".into())
            }
            _ => break,
        }
        rest = after;
    }
    // Names first: the arrows as the help draws them are one character.
    if let Some(code) = named_key(rest) {
        return Ok((code, mods));
    }
    let mut chars = rest.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return Err(format!("{rest:?} is no key name"));
    };
    if c.is_control() {
        return Err("it is a control character".into());
    }
    // Terminals send Ctrl-D and Ctrl-d alike.
    let code = if mods.contains(KeyModifiers::CONTROL) {
        KeyCode::Char(c.to_ascii_lowercase())
    } else {
        KeyCode::Char(c)
    };
    Ok((code, mods))
}

fn named_key(name: &str) -> Option<KeyCode> {
    let lower = name.to_ascii_lowercase();
    let code = match lower.as_str() {
        "space" => KeyCode::Char(' '),
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backspace" => KeyCode::Backspace,
        "del" | "delete" => KeyCode::Delete,
        "up" | "↑" => KeyCode::Up,
        "down" | "↓" => KeyCode::Down,
        "left" | "←" => KeyCode::Left,
        "right" | "→" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
        f if f.starts_with('f') => {
            let n: u8 = f[1..].parse().ok()?;
            if !(1..=12).contains(&n) {
                return None;
            }
            KeyCode::F(n)
        }
        _ => return None,
    };
    Some(code)
}

/// A key bound twice where the same scopes are looked up together, or a
/// plain character bound where it would otherwise be typed. Reported at the
/// user's entry that made it so.
fn check_conflicts(
    bindings: &[Binding],
    rebound: &[(Scope, Action, String)],
) -> Result<(), Invalid> {
    let user_entry = |b: &Binding| {
        rebound
            .iter()
            .find(|(s, a, _)| *s == b.scope && *a == b.action)
            .map(|(_, _, at)| at.clone())
    };
    for chain in Scope::CHAINS {
        let looked_up: Vec<Scope> = chain.iter().copied().chain([Scope::Global]).collect();
        let in_chain: Vec<&Binding> = looked_up
            .iter()
            .flat_map(|s| bindings.iter().filter(move |b| b.scope == *s))
            .collect();
        for (i, b) in in_chain.iter().enumerate() {
            let label = key_label(b.code, b.mods);
            if let Some(other) = in_chain[..i]
                .iter()
                .find(|o| o.code == b.code && o.mods == b.mods)
            {
                // Blame the entry the user wrote; either may be theirs.
                let (mine, theirs): (&Binding, &Binding) = if user_entry(b).is_some() {
                    (*b, *other)
                } else {
                    (*other, *b)
                };
                let at = user_entry(mine).unwrap_or_else(|| "keys".into());
                let where_ = if mine.scope == theirs.scope {
                    format!("in {}", mine.scope.name())
                } else {
                    format!(
                        "where {} and {} are looked up together",
                        mine.scope.name(),
                        theirs.scope.name()
                    )
                };
                return Err(Invalid {
                    message: format!(
                        "{at}: {label} is also the key of {}.{} {where_}",
                        theirs.scope.name(),
                        theirs.action.name()
                    ),
                    hint: format!(
                        "pick another key, or move {}.{} to another key as well",
                        theirs.scope.name(),
                        theirs.action.name()
                    ),
                    key: at,
                });
            }
            let typed = matches!(b.code, KeyCode::Char(_))
                && !b.mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
            if typed && chain.contains(&Scope::Input) {
                let at = user_entry(b).unwrap_or_else(|| "keys".into());
                return Err(Invalid {
                    message: format!(
                        "{at}: {label} would no longer be typed in the {} field",
                        chain[0].name()
                    ),
                    hint: "text fields need plain characters: use a Ctrl- or Alt- key, or a \
                           named key such as Down"
                        .into(),
                    key: at,
                });
            }
        }
    }
    Ok(())
}
