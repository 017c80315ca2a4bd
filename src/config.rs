//! TOML configuration. Defaults are embedded from `assets/config.toml`, and a
//! user's file only needs the keys it changes.

use serde::{Deserialize, Serialize};
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

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_file_bytes: 256 * 1024,
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
        Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if cfg.enrich.threads == 0 {
            cfg.enrich.threads = 1;
        }
        if cfg.watch.poll_secs == 0 {
            return Err("watch.poll_secs must be at least 1".into());
        }
        if cfg.ingest.max_file_bytes == 0 {
            return Err("ingest.max_file_bytes must be at least 1".into());
        }
        Ok(cfg)
    }
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
    fn missing_file_is_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Config::load(&dir.path().join("nope.toml")).unwrap(),
            Config::default()
        );
    }
}
