//! Gets a package's files: from cargo's unpacked registry sources, or from a
//! download cache filled by pip and npm (and usable offline once filled).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::license;
use super::package::PackageFile;
use super::sources::{Ecosystem, Source};
use super::DatasetError;

/// Files bigger than this are skipped: nothing worth cutting is that large
/// except amalgamations, and those are read in full below this bound.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Where packages are found or cached.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Download cache for pip and npm archives (not the repository).
    pub cache: PathBuf,
    /// Cargo's home; crates are read from `registry/src/*/NAME-VERSION`.
    pub cargo_home: PathBuf,
    /// Fail instead of downloading what the cache lacks.
    pub offline: bool,
}

/// A package's files and the licence it declares, when it declares one.
#[derive(Debug, Clone)]
pub struct PackageFiles {
    pub files: Vec<PackageFile>,
    pub license: Option<String>,
}

/// Reads a package, downloading it into the cache first when needed.
pub fn fetch(source: &Source, opts: &FetchOptions) -> Result<PackageFiles, DatasetError> {
    let mut files = match source.ecosystem {
        Ecosystem::Crates => read_dir_tree(&crate_dir(source, &opts.cargo_home)?)?,
        Ecosystem::Dir => {
            let dir = source.path.clone().unwrap_or_default();
            read_dir_tree(&dir)?
        }
        Ecosystem::Pypi | Ecosystem::Npm => {
            let archive = cached_archive(source, opts)?;
            read_archive(&archive)?
        }
        Ecosystem::Debian => {
            let tree = cached_debian_tree(source, opts)?;
            let mut files = read_dir_tree(&tree)?;
            // Debian's packaging (patches, maintainer scripts) is not the
            // upstream code; only its copyright file is read, for the licence.
            files.retain(|f| !f.path.starts_with("debian/") || f.path == "debian/copyright");
            files
        }
    };
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let license = license::declared(source.ecosystem, &files);
    Ok(PackageFiles { files, license })
}

fn crate_dir(source: &Source, cargo_home: &Path) -> Result<PathBuf, DatasetError> {
    let registry = cargo_home.join("registry").join("src");
    let wanted = format!("{}-{}", source.name, source.version);
    let mut indexes: Vec<PathBuf> = std::fs::read_dir(&registry)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    indexes.sort();
    indexes
        .into_iter()
        .map(|index| index.join(&wanted))
        .find(|dir| dir.join("Cargo.toml").is_file())
        .ok_or(DatasetError::CrateMissing {
            package: wanted,
            dir: registry,
        })
}

fn cache_dir(source: &Source, cache: &Path) -> PathBuf {
    // Scoped npm names contain a slash; keep one folder per package.
    let name = source.name.replace('/', "+");
    cache
        .join(source.ecosystem.as_str())
        .join(format!("{name}@{}", source.version))
}

fn find_archive(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.to_string_lossy();
            [".whl", ".tar.gz", ".tgz", ".zip"]
                .iter()
                .any(|ext| name.ends_with(ext))
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

fn cached_archive(source: &Source, opts: &FetchOptions) -> Result<PathBuf, DatasetError> {
    let dir = cache_dir(source, &opts.cache);
    if let Some(archive) = find_archive(&dir) {
        return Ok(archive);
    }
    let label = format!("{}@{}", source.name, source.version);
    if opts.offline {
        return Err(DatasetError::NotCached { package: label });
    }
    // Download next to the final folder and rename, so an interrupted
    // download never looks like a cached package.
    let parent = dir.parent().unwrap_or(&opts.cache).to_owned();
    std::fs::create_dir_all(&parent).map_err(|e| io_err(&parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&parent)
        .map_err(|e| io_err(&parent, e))?;
    match source.ecosystem {
        Ecosystem::Pypi => pip_download(source, staging.path(), &label)?,
        _ => npm_pack(source, staging.path(), &label)?,
    }
    if find_archive(staging.path()).is_none() {
        return Err(DatasetError::Download {
            client: client_name(source.ecosystem),
            package: label,
            detail: "the client reported success but left no archive".into(),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    let staged = staging.keep();
    std::fs::rename(&staged, &dir).map_err(|e| io_err(&dir, e))?;
    find_archive(&dir).ok_or(DatasetError::NotCached { package: label })
}

/// The unpacked tree of a Debian source package, cached as
/// `debian/NAME@VERSION/tree`.
fn cached_debian_tree(source: &Source, opts: &FetchOptions) -> Result<PathBuf, DatasetError> {
    let dir = cache_dir(source, &opts.cache);
    let tree = dir.join("tree");
    if tree.is_dir() {
        return Ok(tree);
    }
    let label = format!("{}@{}", source.name, source.version);
    if opts.offline {
        return Err(DatasetError::NotCached { package: label });
    }
    let parent = dir.parent().unwrap_or(&opts.cache).to_owned();
    std::fs::create_dir_all(&parent).map_err(|e| io_err(&parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".download-")
        .tempdir_in(&parent)
        .map_err(|e| io_err(&parent, e))?;
    let mut cmd = Command::new("apt-get");
    cmd.args(["source", "--download-only", "--quiet", "--quiet"])
        .arg(format!("{}={}", source.name, source.version))
        .current_dir(staging.path());
    run_client(cmd, "apt-get", &label)?;
    let dsc = std::fs::read_dir(staging.path())
        .map_err(|e| io_err(staging.path(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "dsc"))
        .ok_or_else(|| DatasetError::Download {
            client: "apt-get",
            package: label.clone(),
            detail: "no .dsc was downloaded".into(),
        })?;
    let mut unpack = Command::new("dpkg-source");
    unpack
        .args(["--no-check", "--skip-debianization", "-x"])
        .arg(&dsc)
        .arg("tree")
        .current_dir(staging.path());
    if run_client(unpack, "dpkg-source", &label).is_err() {
        // Older formats cannot skip the debian folder; unpack it all.
        let _ = std::fs::remove_dir_all(staging.path().join("tree"));
        let mut unpack = Command::new("dpkg-source");
        unpack
            .args(["--no-check", "-x"])
            .arg(&dsc)
            .arg("tree")
            .current_dir(staging.path());
        run_client(unpack, "dpkg-source", &label)?;
    }
    // The licence comes from debian/copyright, which --skip-debianization
    // leaves out: take it from the Debian tarball.
    if !staging.path().join("tree/debian/copyright").is_file() {
        copy_debian_copyright(staging.path(), &label)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let staged = staging.keep();
    std::fs::rename(&staged, &dir).map_err(|e| io_err(&dir, e))?;
    Ok(tree)
}

fn copy_debian_copyright(staging: &Path, label: &str) -> Result<(), DatasetError> {
    let Some(debian_tar) = std::fs::read_dir(staging)
        .map_err(|e| io_err(staging, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains(".debian.tar."))
    else {
        return Ok(());
    };
    let out = staging.join("tree").join("debian");
    std::fs::create_dir_all(&out).map_err(|e| io_err(&out, e))?;
    let mut cmd = Command::new("tar");
    cmd.arg("-xf")
        .arg(&debian_tar)
        .args(["--strip-components=1", "-C"])
        .arg(&out)
        .arg("debian/copyright");
    run_client(cmd, "tar", label)
}

fn client_name(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Pypi => "pip",
        _ => "npm",
    }
}

fn pip_download(source: &Source, dest: &Path, label: &str) -> Result<(), DatasetError> {
    let spec = format!("{}=={}", source.name, source.version);
    let base = |binary_flag: &str, binary_value: &str| {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "pip", "download", "--no-deps", "--quiet"])
            .args(["--disable-pip-version-check", binary_flag, binary_value])
            .arg(&spec)
            .arg("-d")
            .arg(dest);
        cmd
    };
    if source.sdist {
        return run_client(base("--no-binary", ":all:"), "pip", label);
    }
    // Wheels need no build step; sdists are the fallback for packages
    // that ship none.
    match run_client(base("--only-binary", ":all:"), "pip", label) {
        Ok(()) => Ok(()),
        Err(DatasetError::Download { .. }) => {
            run_client(base("--no-binary", ":all:"), "pip", label)
        }
        Err(e) => Err(e),
    }
}

fn npm_pack(source: &Source, dest: &Path, label: &str) -> Result<(), DatasetError> {
    let mut cmd = Command::new("npm");
    cmd.args(["pack", "--silent", "--pack-destination"])
        .arg(dest)
        .arg(format!("{}@{}", source.name, source.version))
        .current_dir(dest);
    run_client(cmd, "npm", label)
}

fn run_client(mut cmd: Command, client: &'static str, label: &str) -> Result<(), DatasetError> {
    let output = cmd.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DatasetError::ClientMissing {
            client,
            package: label.to_owned(),
        },
        _ => DatasetError::Download {
            client,
            package: label.to_owned(),
            detail: e.to_string(),
        },
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(4).collect();
    Err(DatasetError::Download {
        client,
        package: label.to_owned(),
        detail: tail.into_iter().rev().collect::<Vec<_>>().join(" / "),
    })
}

fn read_dir_tree(root: &Path) -> Result<Vec<PackageFile>, DatasetError> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| io_err(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&dir, e))?;
            let path = entry.path();
            // Symlinks are skipped: a package must not reach outside itself.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                let meta = entry.metadata().map_err(|e| io_err(&path, e))?;
                if meta.len() > MAX_FILE_BYTES {
                    continue;
                }
                let bytes = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
                let rel = path.strip_prefix(root).unwrap_or(&path);
                let rel = rel.components().map(|c| c.as_os_str().to_string_lossy());
                let rel: Vec<_> = rel.collect();
                out.push(PackageFile {
                    path: rel.join("/"),
                    bytes,
                });
            }
        }
    }
    Ok(out)
}

fn read_archive(path: &Path) -> Result<Vec<PackageFile>, DatasetError> {
    let name = path.to_string_lossy();
    let archive_err = |reason: String| DatasetError::Archive {
        path: path.to_owned(),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|e| io_err(path, e))?;
    let mut out = Vec::new();
    if name.ends_with(".whl") || name.ends_with(".zip") {
        let mut zip = zip::ZipArchive::new(file).map_err(|e| archive_err(e.to_string()))?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| archive_err(e.to_string()))?;
            if !entry.is_file() || entry.size() > MAX_FILE_BYTES {
                continue;
            }
            let Some(entry_path) = entry.enclosed_name() else {
                continue;
            };
            let entry_path = entry_path.to_string_lossy().replace('\\', "/");
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry
                .read_to_end(&mut bytes)
                .map_err(|e| archive_err(e.to_string()))?;
            out.push(PackageFile {
                // Wheels have no top folder; a zip sdist has one.
                path: if name.ends_with(".zip") {
                    strip_top(&entry_path)
                } else {
                    entry_path
                },
                bytes,
            });
        }
        return Ok(out);
    }
    let gz = flate2::read::GzDecoder::new(file);
    let mut tar = tar::Archive::new(gz);
    let entries = tar.entries().map_err(|e| archive_err(e.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| archive_err(e.to_string()))?;
        if !entry.header().entry_type().is_file() || entry.size() > MAX_FILE_BYTES {
            continue;
        }
        let entry_path = entry.path().map_err(|e| archive_err(e.to_string()))?;
        if entry_path
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            continue;
        }
        let entry_path = entry_path.to_string_lossy().into_owned();
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| archive_err(e.to_string()))?;
        // npm tarballs and sdists both wrap everything in one top folder.
        out.push(PackageFile {
            path: strip_top(&entry_path),
            bytes,
        });
    }
    Ok(out)
}

fn strip_top(path: &str) -> String {
    path.split_once('/')
        .map_or(path, |(_, rest)| rest)
        .to_owned()
}

fn io_err(path: &Path, source: std::io::Error) -> DatasetError {
    DatasetError::Io {
        path: path.to_owned(),
        source,
    }
}
