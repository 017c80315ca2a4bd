//! What `cargo package` ships, as cargo itself lists it (issue 13): under
//! the registry's 10 MB limit, without the training data and adapter
//! weights (they are installed with the model: README, "Installing"), and
//! with every file a `cargo install` of the packaged crate builds from.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// The registry refuses crates over 10 MB.
const LIMIT_BYTES: u64 = 10_000_000;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `cargo package --list`, offline: the lockfile pins every dependency,
/// so listing needs no registry.
fn packaged() -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--offline",
            "--locked",
        ])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo package --list failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim().replace('\\', "/"))
        .filter(|l| !l.is_empty())
        .collect()
}

/// Every file below `dir`, relative to the crate root with `/`.
fn files_under(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(relative(&path));
        }
    }
}

fn relative(path: &Path) -> String {
    let rel = path.strip_prefix(root()).unwrap();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `base/../x` as `x`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The files the source embeds with `include_str!` / `include_bytes!`.
fn embedded(sources: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for rel in sources.iter().filter(|f| f.ends_with(".rs")) {
        let file = root().join(rel);
        let text = std::fs::read_to_string(&file).unwrap();
        for marker in ["include_str!(\"", "include_bytes!(\""] {
            for (at, _) in text.match_indices(marker) {
                let rest = &text[at + marker.len()..];
                let target = &rest[..rest.find('"').unwrap()];
                let resolved = normalise(&file.parent().unwrap().join(target));
                found.push(relative(&resolved));
            }
        }
    }
    found
}

#[test]
fn the_package_is_what_install_needs_and_stays_under_the_registry_limit() {
    let listed = packaged();

    // Small enough for the registry, counting every file as it is on disk
    // (cargo writes its own Cargo.toml and .orig copy, about as large).
    let mut total = 0;
    for name in &listed {
        let on_disk = root().join(name.strip_suffix(".orig").unwrap_or(name));
        if let Ok(meta) = std::fs::metadata(&on_disk) {
            total += meta.len();
        }
    }
    assert!(
        total < LIMIT_BYTES,
        "the package holds {total} bytes, over {LIMIT_BYTES}: {listed:#?}"
    );

    // Neither the training data nor the adapter weights: the weights are
    // installed with the model (`snipdex model fetch` / `model adapters`).
    let adapters: Vec<&String> = listed
        .iter()
        .filter(|f| f.starts_with("adapters/"))
        .collect();
    assert!(adapters.is_empty(), "{adapters:?}");
    for other in ["tests/", "tools/", "target/", ".ci/"] {
        assert!(
            listed.iter().all(|f| !f.starts_with(other)),
            "{other} is not for users: {listed:#?}"
        );
    }

    // Everything a build of the packaged crate reads: the manifest, the
    // lockfile (`cargo install --locked`), every source file, every asset,
    // and whatever the source embeds, wherever it lives.
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
    ] {
        assert!(listed.contains(needed), "{needed} missing: {listed:#?}");
    }
    let mut sources = Vec::new();
    files_under(&root().join("src"), &mut sources);
    let mut assets = Vec::new();
    files_under(&root().join("assets"), &mut assets);
    assert!(sources.iter().any(|f| f == "src/main.rs"));
    assert!(assets.iter().any(|f| f == "assets/config.toml"));
    for file in sources.iter().chain(&assets) {
        assert!(listed.contains(file), "{file} is not packaged");
    }
    let includes = embedded(&sources);
    assert!(
        includes.iter().any(|f| f == "assets/config.toml"),
        "the include scan finds the embedded defaults: {includes:?}"
    );
    for file in &includes {
        assert!(
            listed.contains(file),
            "{file} is embedded by the source but not packaged"
        );
    }
}

#[test]
fn release_builds_strip_their_debug_info() {
    // Line tables made the release binary about 176 MB.
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    let release = &manifest["profile"]["release"];
    assert_eq!(release["strip"].as_str(), Some("debuginfo"));
}
