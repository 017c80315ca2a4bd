//! Finding credentials in snippet text, so the app can warn before a secret
//! is stored, copied or shown.
//!
//! Two kinds of rule: token formats with a fixed, recognisable shape (cheap
//! and precise), and values assigned to secret-sounding names, which are only
//! reported when the value looks random (see [`looks_random`]).

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// A kind of credential found in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SecretKind {
    #[serde(rename = "private_key")]
    PrivateKey,
    #[serde(rename = "aws_access_key_id")]
    AwsAccessKeyId,
    #[serde(rename = "aws_secret_access_key")]
    AwsSecretAccessKey,
    #[serde(rename = "github_token")]
    GithubToken,
    #[serde(rename = "slack_token")]
    SlackToken,
    #[serde(rename = "google_api_key")]
    GoogleApiKey,
    #[serde(rename = "stripe_key")]
    StripeKey,
    #[serde(rename = "jwt")]
    Jwt,
    #[serde(rename = "url_password")]
    UrlPassword,
    #[serde(rename = "password")]
    Password,
    #[serde(rename = "generic_secret")]
    GenericSecret,
}

impl SecretKind {
    /// Every kind, in report order.
    pub const ALL: [SecretKind; 11] = [
        Self::PrivateKey,
        Self::AwsAccessKeyId,
        Self::AwsSecretAccessKey,
        Self::GithubToken,
        Self::SlackToken,
        Self::GoogleApiKey,
        Self::StripeKey,
        Self::Jwt,
        Self::UrlPassword,
        Self::Password,
        Self::GenericSecret,
    ];

    /// Stable id used in storage and in serialised form.
    pub fn id(self) -> &'static str {
        match self {
            Self::PrivateKey => "private_key",
            Self::AwsAccessKeyId => "aws_access_key_id",
            Self::AwsSecretAccessKey => "aws_secret_access_key",
            Self::GithubToken => "github_token",
            Self::SlackToken => "slack_token",
            Self::GoogleApiKey => "google_api_key",
            Self::StripeKey => "stripe_key",
            Self::Jwt => "jwt",
            Self::UrlPassword => "url_password",
            Self::Password => "password",
            Self::GenericSecret => "generic_secret",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::PrivateKey => "private key",
            Self::AwsAccessKeyId => "AWS access key ID",
            Self::AwsSecretAccessKey => "AWS secret access key",
            Self::GithubToken => "GitHub token",
            Self::SlackToken => "Slack token",
            Self::GoogleApiKey => "Google API key",
            Self::StripeKey => "Stripe live key",
            Self::Jwt => "JSON Web Token",
            Self::UrlPassword => "password in a URL",
            Self::Password => "password",
            Self::GenericSecret => "secret-like value",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The id given to [`SecretKind::from_str`] is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown secret kind {0:?}")]
pub struct UnknownSecretKind(pub String);

impl FromStr for SecretKind {
    type Err = UnknownSecretKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| UnknownSecretKind(s.to_owned()))
    }
}

/// Fixed-shape token formats. Boundaries are spelled out because the regex
/// crate has no look-around and `\b` does not treat `-` as part of a token.
const FORMATS: &[(SecretKind, &str)] = &[
    // A header alone is often just a parser's string constant; a real key
    // has a base64 body right after it.
    (
        SecretKind::PrivateKey,
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----\r?\n(?:[\w-]+:[^\n]*\n|\r?\n)*[A-Za-z0-9+/=]{40,}",
    ),
    (
        SecretKind::AwsAccessKeyId,
        r"(?:^|[^A-Za-z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?:$|[^A-Za-z0-9])",
    ),
    (
        SecretKind::GithubToken,
        r"(?:^|[^A-Za-z0-9_])((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})(?:$|[^A-Za-z0-9_])",
    ),
    (
        SecretKind::SlackToken,
        r"(?:^|[^A-Za-z0-9])(xox[abprs]-[A-Za-z0-9]{4,}-[A-Za-z0-9-]{6,})",
    ),
    (
        SecretKind::GoogleApiKey,
        r"(?:^|[^A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?:$|[^0-9A-Za-z_-])",
    ),
    (
        SecretKind::StripeKey,
        r"(?:^|[^A-Za-z0-9_])([sr]k_live_[0-9A-Za-z]{20,})",
    ),
    (
        SecretKind::Jwt,
        r"(?:^|[^A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
    ),
];

/// `name = value`, `name: value`, `"name": "value"`, `name := value`,
/// `name => value`, where the name sounds like it holds a credential.
/// Group 1 is the name, 2 the value, 3 the character right after the value.
const ASSIGNMENT: &str = r#"(?i)([A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api_?key|apikey|access_?key|auth_?key|credentials?|private_?key)[A-Za-z0-9_-]*)["']?\s*(?::=|=>|[:=])\s*[bru]?["'`]?([A-Za-z0-9+/=_.~-]{20,})(.?)"#;

/// Below this many bits per character a value reads as words or a
/// pattern, not as random. Random base64/base62 strings of 20+ characters
/// score about 4.0-4.5; lowercase hex scores about 3.5-3.9 and is held
/// to its own bar ([`MIN_HEX_ENTROPY`]), since its alphabet caps it at 4.
const MIN_ENTROPY: f64 = 3.5;
const MIN_HEX_ENTROPY: f64 = 3.0;
const MIN_SECRET_LEN: usize = 20;
/// See [`class_switch_ratio`]: set well below random strings' averages so
/// that a real token is rarely missed by chance.
const MIN_CLASS_SWITCH_RATIO: f64 = 0.25;

/// `scheme://user:password@host`: group 1 is the user, 2 the password.
const URL_CREDENTIALS: &str =
    r#"(?i)\b[a-z][a-z0-9+.-]*://([^\s:/?#@'"`<>]*):([^\s/?#@'"`<>]+)@[A-Za-z0-9\[]"#;

/// `PASSWORD='…'`, `db_password = "…"`, `password: '…'`: a quoted literal
/// given to a name that ends in a password word. Group 1 is the value.
const PASSWORD_ASSIGNMENT: &str = r#"(?i)(?:^|[^A-Za-z0-9_])[A-Za-z0-9_]*(?:password|passwd|passphrase|pwd)["']?\s*(?::=|=>|[:=])\s*(?:"([^"\s]{6,})"|'([^'\s]{6,})')"#;

/// Words that stand for a password in documentation, not a password.
const PASSWORD_PLACEHOLDERS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "changeme",
    "change_me",
    "example",
    "xxx",
    "your",
    "placeholder",
    "dummy",
    "redacted",
    "hidden",
    "mypass",
    "pass",
    "pwd",
    "test",
];

static URL_RULE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(URL_CREDENTIALS).ok());
static PASSWORD_RULE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(PASSWORD_ASSIGNMENT).ok());

/// Whether a password found in text is a real one rather than a variable,
/// a template, a mask or a word that stands for one.
fn looks_like_password(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if PASSWORD_PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return false;
    }
    // `$PGPASS`, `${PASS}`, `{password}`, `%(pw)s`, `<pw>`, `{{ pw }}`.
    if value.starts_with(['$', '%', '{', '<', '*', '[', '(', '&', '@', ':'])
        || value.contains("${")
        || value.contains("{{")
        || value.contains("%s")
    {
        return false;
    }
    // `********`, `abababab12`, `123456789`: a mask or a pattern. A
    // password mixes kinds of character and repeats few of them.
    let classes = [
        value.bytes().any(|b| b.is_ascii_lowercase()),
        value.bytes().any(|b| b.is_ascii_uppercase()),
        value.bytes().any(|b| b.is_ascii_digit()),
        value.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ];
    let mut distinct: Vec<char> = value.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    classes.iter().filter(|&&c| c).count() >= 2 && distinct.len() >= 5
}

static FORMAT_RULES: LazyLock<Vec<(SecretKind, Regex)>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .filter_map(|&(kind, pattern)| Regex::new(pattern).ok().map(|re| (kind, re)))
        .collect()
});

static ASSIGNMENT_RULE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(ASSIGNMENT).ok());

/// All kinds of secret found in `content`, each once, in [`SecretKind::ALL`]
/// order; empty when none.
pub fn detect_secrets(content: &str) -> Vec<SecretKind> {
    let mut found: Vec<SecretKind> = FORMAT_RULES
        .iter()
        .filter(|(_, re)| re.is_match(content))
        .map(|&(kind, _)| kind)
        .collect();

    if let Some(re) = URL_RULE.as_ref() {
        let found_one = re.captures_iter(content).any(|caps| {
            let (Some(user), Some(pass)) = (caps.get(1), caps.get(2)) else {
                return false;
            };
            user.as_str() != pass.as_str() && looks_like_password(pass.as_str())
        });
        if found_one {
            found.push(SecretKind::UrlPassword);
        }
    }
    if let Some(re) = PASSWORD_RULE.as_ref() {
        let found_one = re.captures_iter(content).any(|caps| {
            // A long random value is the generic rule's to report.
            caps.get(1)
                .or_else(|| caps.get(2))
                .is_some_and(|v| looks_like_password(v.as_str()) && !looks_random(v.as_str()))
        });
        if found_one {
            found.push(SecretKind::Password);
        }
    }
    if let Some(re) = ASSIGNMENT_RULE.as_ref() {
        for caps in re.captures_iter(content) {
            let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
                continue;
            };
            let next = caps.get(3).map_or("", |m| m.as_str());
            if let Some(kind) = classify_assignment(name.as_str(), value.as_str(), next) {
                found.push(kind);
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

fn classify_assignment(name: &str, value: &str, next: &str) -> Option<SecretKind> {
    // A value followed by `(`, `[`, `.` or `:` is an expression
    // (`token = make_token(...)`, `key = cfg::KEY`), not a literal.
    if matches!(next, "(" | "[" | "." | ":" | "!" | "<") {
        return None;
    }
    // Already reported under its own format.
    if FORMAT_RULES.iter().any(|(_, re)| re.is_match(value)) {
        return None;
    }
    if !looks_random(value) {
        return None;
    }
    let name = name.to_ascii_lowercase();
    if name.contains("aws") && name.contains("secret") && value.len() == 40 {
        return Some(SecretKind::AwsSecretAccessKey);
    }
    Some(SecretKind::GenericSecret)
}

/// Whether `value` looks like a machine-made token rather than an
/// identifier, a path or a placeholder.
fn looks_random(value: &str) -> bool {
    if value.len() < MIN_SECRET_LEN {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    if [
        "example",
        "xxxx",
        "your",
        "changeme",
        "placeholder",
        "dummy",
    ]
    .iter()
    .any(|p| lower.contains(p))
    {
        return false;
    }
    if class_switch_ratio(value) < MIN_CLASS_SWITCH_RATIO {
        return false;
    }
    let entropy = shannon_entropy(value);
    if value.bytes().all(|b| b.is_ascii_hexdigit()) {
        entropy >= MIN_HEX_ENTROPY
    } else {
        entropy >= MIN_ENTROPY
    }
}

/// Share of neighbouring alphanumeric pairs that change class (lowercase,
/// uppercase, digit), not counting an upper-case letter followed by a
/// lower-case one. Names stay in one class for whole words
/// (`argon2id_default` and `ValidationTokenConfig` score about 0.1); random
/// strings switch all the time (base62 about 0.45, hex about 0.47,
/// upper-case with digits about 0.4).
fn class_switch_ratio(value: &str) -> f64 {
    const LOWER: u8 = 0;
    const UPPER: u8 = 1;
    const DIGIT: u8 = 2;
    fn class(b: u8) -> Option<u8> {
        match b {
            b'a'..=b'z' => Some(LOWER),
            b'A'..=b'Z' => Some(UPPER),
            b'0'..=b'9' => Some(DIGIT),
            _ => None,
        }
    }
    let (mut pairs, mut switches) = (0u32, 0u32);
    for w in value.as_bytes().windows(2) {
        if let (Some(a), Some(b)) = (class(w[0]), class(w[1])) {
            pairs += 1;
            // Upper to lower is the start of a camelCase word, not noise.
            switches += u32::from(a != b && (a, b) != (UPPER, LOWER));
        }
    }
    if pairs == 0 {
        0.0
    } else {
        f64::from(switches) / f64::from(pairs)
    }
}

/// Shannon entropy in bits per byte.
fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
#[path = "secrets_tests.rs"]
mod tests;
