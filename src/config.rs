//! TOML configuration. Defaults are embedded from `assets/config.toml`, and a
//! user's file only needs the keys it changes.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_CONFIG: &str = include_str!("../assets/config.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    /// A value that parses but cannot be used, with where it is and what
    /// would work instead.
    #[error("config {}{}: {message}\n  hint: {hint}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        message: String,
        hint: String,
    },
}

/// The syntax themes built into the binary (syntect's defaults); a test
/// checks the list against syntect.
pub const THEMES: [&str; 7] = [
    "base16-ocean.dark",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.light",
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
];

/// One value that cannot be used: its key, what is wrong, what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Dotted, as written in the file: `ui.theme`, `keys.list.down`.
    pub key: String,
    pub message: String,
    pub hint: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub ingest: IngestConfig,
    #[serde(default)]
    pub watch: WatchConfig,
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub enrich: EnrichConfig,
    /// The user's key bindings, `[keys]` with `SCOPE.ACTION = KEYS`. Names
    /// and keys are the keymap's to check (`app::keymap::Keymap`), when
    /// the TUI or the picker starts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: KeysConfig,
    #[serde(default)]
    pub sync: SyncConfig,
}

/// `[keys]`: scope, then action, then the keys that replace the action's
/// default keys in that scope.
pub type KeysConfig = BTreeMap<String, BTreeMap<String, KeyList>>;

/// One key (`"J"`) or several (`["J", "Down"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn keys(&self) -> &[String] {
        match self {
            KeyList::One(k) => std::slice::from_ref(k),
            KeyList::Many(ks) => ks,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    pub max_file_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatchConfig {
    pub debounce_ms: u64,
    pub rescan_secs: u64,
    pub poll_secs: u64,
    /// Follow symbolic links that lead out of a watched folder.
    pub follow_links: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    pub theme: String,
    pub osc52: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrichConfig {
    pub enabled: bool,
    pub threads: usize,
    pub paused: bool,
    /// Snippets enriched together when that many are queued.
    pub bulk: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Also sync snippets flagged as containing secrets.
    pub include_secrets: bool,
    /// Sync by itself while the TUI or `snipdex watch` runs.
    pub auto: bool,
    /// Minutes between automatic syncs.
    pub interval_mins: u64,
    /// Seconds without a change before an automatic sync sends one.
    pub settle_secs: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            include_secrets: false,
            auto: false,
            interval_mins: 15,
            settle_secs: 30,
        }
    }
}

/// Default for `ingest.max_file_bytes`: larger files are rarely snippets,
/// and reading them would slow every rescan.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024;

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            debounce_ms: 400,
            rescan_secs: 600,
            poll_secs: 2,
            follow_links: false,
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: "base16-ocean.dark".into(),
            osc52: true,
        }
    }
}

impl Default for EnrichConfig {
    fn default() -> Self {
        EnrichConfig {
            enabled: true,
            threads: 1,
            paused: false,
            bulk: 1,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        // The embedded file is the documented default; parsing it keeps the
        // two from drifting apart (a unit test checks they agree).
        toml::from_str(DEFAULT_CONFIG).unwrap_or(Config {
            ingest: IngestConfig::default(),
            watch: WatchConfig::default(),
            ui: UiConfig::default(),
            enrich: EnrichConfig::default(),
            keys: KeysConfig::new(),
            sync: SyncConfig::default(),
        })
    }
}

impl Config {
    /// Load the user's file if it exists; a missing file means defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let cfg: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        match cfg.check() {
            Ok(()) => Ok(cfg),
            Err(bad) => Err(ConfigError::invalid_in(path, &text, bad)),
        }
    }

    /// Parse `text`, checking every value as [`Config::load`] does.
    pub fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.check()
            .map_err(|bad| format!("{}; {}", bad.message, bad.hint))?;
        Ok(cfg)
    }

    /// Every value that parses but could not work is refused here, at
    /// load, rather than ignored later.
    pub fn check(&self) -> Result<(), Invalid> {
        let at_least_1 = |key: &'static str, value: u64| {
            if value == 0 {
                Err(Invalid {
                    key: key.into(),
                    message: format!("{key} = 0 is too small"),
                    hint: format!(
                        "use a value of at least 1 (the default is {})",
                        default_of(key)
                    ),
                })
            } else {
                Ok(())
            }
        };
        at_least_1("ingest.max_file_bytes", self.ingest.max_file_bytes)?;
        at_least_1("watch.poll_secs", self.watch.poll_secs)?;
        at_least_1("enrich.threads", self.enrich.threads as u64)?;
        at_least_1("sync.interval_mins", self.sync.interval_mins)?;
        if self.sync.interval_mins > 7 * 24 * 60 {
            return Err(Invalid {
                key: "sync.interval_mins".into(),
                message: format!(
                    "sync.interval_mins = {} is more than a week",
                    self.sync.interval_mins
                ),
                hint: "use a value from 1 to 10080 (the default is 15)".into(),
            });
        }
        if self.sync.settle_secs > 3600 {
            return Err(Invalid {
                key: "sync.settle_secs".into(),
                message: format!(
                    "sync.settle_secs = {} would hold changes back for over an hour",
                    self.sync.settle_secs
                ),
                hint: "use a value from 0 to 3600 (the default is 30)".into(),
            });
        }
        if self.enrich.threads > 64 {
            return Err(Invalid {
                key: "enrich.threads".into(),
                message: format!("enrich.threads = {} is more than 64", self.enrich.threads),
                hint: "use the number of cores or fewer".into(),
            });
        }
        if self.watch.debounce_ms > 60_000 {
            return Err(Invalid {
                key: "watch.debounce_ms".into(),
                message: format!(
                    "watch.debounce_ms = {} would hold changes back for over a minute",
                    self.watch.debounce_ms
                ),
                hint: "use a value from 0 to 60000 (the default is 400)".into(),
            });
        }
        if !THEMES.contains(&self.ui.theme.as_str()) {
            let closest = closest(&self.ui.theme, &THEMES);
            return Err(Invalid {
                key: "ui.theme".into(),
                message: format!("ui.theme = {:?} is not a known theme", self.ui.theme),
                hint: format!(
                    "did you mean {closest:?}? Known themes: {}",
                    THEMES.join(", ")
                ),
            });
        }
        Ok(())
    }
}

impl ConfigError {
    /// A value of the file at `path` that cannot be used, found after
    /// loading (the `[keys]` section is checked by the keymap): the line is
    /// looked up in the file as it is now.
    pub fn invalid(path: &Path, bad: Invalid) -> ConfigError {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        ConfigError::invalid_in(path, &text, bad)
    }

    fn invalid_in(path: &Path, text: &str, bad: Invalid) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, &bad.key),
            message: bad.message,
            hint: bad.hint,
        }
    }
}

fn default_of(key: &str) -> String {
    let d = Config::default();
    match key {
        "ingest.max_file_bytes" => d.ingest.max_file_bytes.to_string(),
        "watch.poll_secs" => d.watch.poll_secs.to_string(),
        "enrich.threads" => d.enrich.threads.to_string(),
        "sync.interval_mins" => d.sync.interval_mins.to_string(),
        _ => "?".into(),
    }
}

/// The choice nearest to `given` by edit distance, ignoring case.
pub fn closest<'a>(given: &str, choices: &[&'a str]) -> &'a str {
    let given = given.to_lowercase();
    choices
        .iter()
        .min_by_key(|c| edit_distance(&given, &c.to_lowercase()))
        .copied()
        .unwrap_or_default()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The 1-based line where `key` (dotted: `section.name`, `keys.list.down`)
/// is set in `text`: under a `[section]` (or `[keys.list]`) header, or
/// written out in full. Quotes and spaces around the dots do not matter. A
/// key that holds a table (`keys.list`) is found at its header or at its
/// first entry.
fn line_of(text: &str, key: &str) -> Option<usize> {
    let dotted = |s: &str| {
        s.split('.')
            .map(|part| part.trim().trim_matches('"').trim_matches('\''))
            .collect::<Vec<_>>()
            .join(".")
    };
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        let within = |full: &str| full == key || full.starts_with(&format!("{key}."));
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = dotted(header);
            if within(&current) {
                return Some(i + 1);
            }
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        let k = dotted(k);
        let full = if current.is_empty() {
            k
        } else {
            format!("{current}.{k}")
        };
        if within(&full) {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_match_code_defaults() {
        let parsed: Config = toml::from_str(DEFAULT_CONFIG).unwrap();
        assert_eq!(parsed.ingest, IngestConfig::default());
        assert_eq!(parsed.watch, WatchConfig::default());
        assert_eq!(parsed.ui, UiConfig::default());
        assert_eq!(parsed.enrich, EnrichConfig::default());
        assert!(parsed.keys.is_empty(), "the default keys are the keymap's");

        assert_eq!(parsed.sync, SyncConfig::default());
    }

    #[test]
    fn sync_values_are_checked_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "[sync]\nauto = true\ninterval_mins = 0\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("config.toml:3:"), "{err}");
        assert!(
            err.contains("sync.interval_mins") && err.contains("default is 15"),
            "{err}"
        );
        std::fs::write(&p, "[sync]\nsettle_secs = 7200\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("config.toml:2:") && err.contains("over an hour"),
            "{err}"
        );
        assert!(Config::parse("[sync]\ninclude_secret = true\n").is_err());
        let c = Config::parse("[sync]\ninclude_secrets = true\n").unwrap();
        assert!(c.sync.include_secrets && !c.sync.auto);
    }

    #[test]
    fn partial_file_overrides_only_its_keys() {
        let c = Config::parse("[ingest]\nmax_file_bytes = 10\n").unwrap();
        assert_eq!(c.ingest.max_file_bytes, 10);
        assert_eq!(c.watch, WatchConfig::default());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(Config::parse("[ingest]\nmax_bytes = 10\n").is_err());
        assert!(Config::parse("[watch]\npoll_secs = 0\n").is_err());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "[ui\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("config.toml"), "{err}");
    }

    #[test]
    fn bad_values_name_file_line_and_a_fix() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(
            &p,
            "[ingest]\nmax_file_bytes = 10\n\n[ui]\nosc52 = true\ntheme = \"base16-ocen.dark\"\n",
        )
        .unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("config.toml:6:"), "{err}");
        assert!(err.contains("ui.theme"), "{err}");
        assert!(err.contains("did you mean \"base16-ocean.dark\""), "{err}");
        std::fs::write(&p, "enrich.threads = 0\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("config.toml:1:") && err.contains("at least 1"),
            "{err}"
        );
        std::fs::write(&p, "[watch]\npoll_secs = 0\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("config.toml:2:"), "{err}");
    }

    #[test]
    fn theme_list_matches_syntect() {
        let mut known: Vec<String> = syntect::highlighting::ThemeSet::load_defaults()
            .themes
            .into_keys()
            .collect();
        known.sort();
        let mut ours: Vec<String> = THEMES.iter().map(|t| t.to_string()).collect();
        ours.sort();
        assert_eq!(known, ours);
    }

    #[test]
    fn missing_file_is_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::load(&dir.path().join("nope.toml")).unwrap(),
            Config::default()
        );
    }
}
