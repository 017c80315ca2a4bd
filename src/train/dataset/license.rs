//! Reads the licence a package declares in its own metadata.

use super::package::PackageFile;
use super::sources::Ecosystem;

/// The declared licence: `license` in Cargo.toml or package.json,
/// `License-Expression`/`License`/classifiers in PKG-INFO or METADATA.
pub fn declared(ecosystem: Ecosystem, files: &[PackageFile]) -> Option<String> {
    let text = |path_ok: &dyn Fn(&str) -> bool| {
        files
            .iter()
            .filter(|f| path_ok(&f.path))
            .min_by_key(|f| f.path.len())
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
    };
    match ecosystem {
        Ecosystem::Crates => from_cargo_toml(&text(&|p| p == "Cargo.toml")?),
        Ecosystem::Npm => from_package_json(&text(&|p| p == "package.json")?),
        Ecosystem::Pypi => from_python_metadata(&text(&|p| {
            p == "PKG-INFO" || (p.ends_with(".dist-info/METADATA") && p.matches('/').count() == 1)
        })?),
        Ecosystem::Debian => from_debian_copyright(&text(&|p| p == "debian/copyright")?),
        Ecosystem::Dir => text(&|p| p == "Cargo.toml")
            .and_then(|t| from_cargo_toml(&t))
            .or_else(|| text(&|p| p == "package.json").and_then(|t| from_package_json(&t))),
    }
}

/// The `License:` of the `Files: *` paragraph of a machine-readable
/// debian/copyright (the upstream code's licence), else its first `License:`.
fn from_debian_copyright(text: &str) -> Option<String> {
    let license_of = |para: &str| {
        para.lines()
            .find_map(|l| l.strip_prefix("License:"))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(normalise)
    };
    let paragraphs: Vec<&str> = text.split("\n\n").collect();
    paragraphs
        .iter()
        .find(|p| p.lines().any(|l| l.trim() == "Files: *"))
        .and_then(|p| license_of(p))
        .or_else(|| paragraphs.iter().find_map(|p| license_of(p)))
}

fn from_cargo_toml(text: &str) -> Option<String> {
    let value: toml::Value = toml::from_str(text).ok()?;
    let license = value.get("package")?.get("license")?.as_str()?;
    Some(normalise(license))
}

fn from_package_json(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    match value.get("license") {
        Some(serde_json::Value::String(s)) => Some(normalise(s)),
        Some(obj) => obj.get("type")?.as_str().map(normalise),
        // The old `licenses: [{type}]` form.
        None => {
            let types: Vec<&str> = value
                .get("licenses")?
                .as_array()?
                .iter()
                .filter_map(|l| l.get("type")?.as_str())
                .collect();
            (!types.is_empty()).then(|| types.join(" OR "))
        }
    }
}

fn from_python_metadata(text: &str) -> Option<String> {
    // Headers end at the first blank line; the long description follows.
    let headers = text.split("\n\n").next().unwrap_or(text);
    let header = |key: &str| {
        headers
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("unknown"))
    };
    if let Some(expr) = header("License-Expression:") {
        return Some(normalise(expr));
    }
    // `License:` sometimes holds the whole licence text; only a short value
    // is a name.
    if let Some(name) = header("License:").filter(|v| v.len() <= 40) {
        return Some(normalise(name));
    }
    let classifiers: Vec<String> = headers
        .lines()
        .filter_map(|l| l.strip_prefix("Classifier: License :: "))
        .map(|c| normalise(c.rsplit(" :: ").next().unwrap_or(c)))
        .collect();
    (!classifiers.is_empty()).then(|| classifiers.join(" OR "))
}

fn normalise(license: &str) -> String {
    // Trove classifiers and old manifests name licences loosely.
    match license.trim() {
        "MIT License" => "MIT".into(),
        "Apache Software License"
        | "Apache License 2.0"
        | "Apache License, Version 2.0"
        | "Apache 2.0" => "Apache-2.0".into(),
        "ISC License (ISCL)" => "ISC".into(),
        "BSD License" => "BSD".into(),
        // Old Cargo manifests write `MIT/Apache-2.0`.
        other => other.replace('/', " OR "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> PackageFile {
        PackageFile {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_each_ecosystems_metadata() {
        let cargo = [file(
            "Cargo.toml",
            "[package]\nname='x'\nlicense = \"MIT/Apache-2.0\"\n",
        )];
        assert_eq!(
            declared(Ecosystem::Crates, &cargo).as_deref(),
            Some("MIT OR Apache-2.0")
        );
        let npm = [file("package.json", r#"{"license": {"type": "ISC"}}"#)];
        assert_eq!(declared(Ecosystem::Npm, &npm).as_deref(), Some("ISC"));
        let wheel = [file(
            "x-1.0.dist-info/METADATA",
            "Name: x\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: BSD License\n\nLicense: GPL\n",
        )];
        assert_eq!(declared(Ecosystem::Pypi, &wheel).as_deref(), Some("BSD"));
        let expr = [file(
            "PKG-INFO",
            "Name: y\nLicense-Expression: Apache-2.0\n",
        )];
        assert_eq!(
            declared(Ecosystem::Pypi, &expr).as_deref(),
            Some("Apache-2.0")
        );
        assert_eq!(declared(Ecosystem::Npm, &[]), None);
    }
}
