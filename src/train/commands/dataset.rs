//! `snipdex dataset harvest`: the edge of [`crate::train::dataset`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use crate::exit::{CliError, CmdResult, Exit};
use crate::train::cli::{DatasetAction, DatasetArgs, HarvestArgs};
use crate::train::dataset::{
    harvest, load_sources, write_jsonl, DatasetError, FetchOptions, HarvestOptions, HarvestReport,
};

pub fn run(args: DatasetArgs) -> CmdResult {
    match args.action {
        DatasetAction::Harvest(a) => run_harvest(a),
        DatasetAction::Join(a) => {
            let report =
                crate::train::dataset::join(&a.snippets, &a.labels, &a.out).map_err(fail)?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(Exit::Ok)
        }
    }
}

fn exit_for(e: &DatasetError) -> Exit {
    match e {
        DatasetError::Sources { .. } => Exit::BadInput,
        DatasetError::NotCached { .. } | DatasetError::CrateMissing { .. } => Exit::Unavailable,
        _ => Exit::Failure,
    }
}

fn fail(e: DatasetError) -> CliError {
    CliError::new(exit_for(&e), e)
}

fn default_cache() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("SNIPDEX_HOME").filter(|h| !h.is_empty()) {
        return Some(PathBuf::from(home).join("cache").join("dataset"));
    }
    directories::ProjectDirs::from("dev", "snipdex", "snipdex")
        .map(|d| d.cache_dir().join("dataset"))
}

/// Id to code of every row of an earlier harvest.
fn read_keep(
    path: &std::path::Path,
) -> Result<std::collections::HashMap<String, String>, DatasetError> {
    #[derive(serde::Deserialize)]
    struct Kept {
        id: String,
        code: String,
    }
    let text = std::fs::read_to_string(path).map_err(|source| DatasetError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut out = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Kept = serde_json::from_str(line).map_err(|e| DatasetError::Sources {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        out.insert(row.id, row.code);
    }
    Ok(out)
}

fn run_harvest(args: HarvestArgs) -> CmdResult {
    if args.max_per_package == 0 {
        return Err(CliError::bad_input("--max-per-package must be at least 1"));
    }
    let sources = load_sources(&args.sources).map_err(fail)?;
    let cache = args
        .cache
        .or_else(default_cache)
        .ok_or_else(|| CliError::bad_input("no cache folder: pass --cache"))?;
    let cargo_home = args
        .cargo_home
        .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".cargo")))
        .ok_or_else(|| CliError::bad_input("no cargo home: pass --cargo-home"))?;
    let opts = HarvestOptions {
        fetch: FetchOptions {
            cache,
            cargo_home,
            offline: args.offline,
        },
        max_per_package: args.max_per_package,
        max_extra_per_package: args.max_extra_per_package.unwrap_or(args.max_per_package),
        keep: match &args.keep {
            Some(path) => Some(read_keep(path).map_err(fail)?),
            None => None,
        },
    };
    let total = sources.len();
    let mut seen = 0;
    let report = harvest(&sources, &opts, &mut |s| {
        seen += 1;
        eprintln!(
            "[{seen}/{total}] {} {} ({})",
            s.name,
            s.version,
            s.ecosystem.as_str()
        );
    })
    .map_err(fail)?;
    let out = args.out.join("snippets.jsonl");
    write_jsonl(&report.rows, &out).map_err(fail)?;
    for p in report
        .packages
        .iter()
        .filter(|p| p.expected_license.is_some())
    {
        eprintln!(
            "warning: {} declares licence {:?}, the source list expected {:?}",
            p.name,
            p.license,
            p.expected_license.as_deref().unwrap_or_default()
        );
    }
    if args.json {
        print_json(&report)?;
    } else {
        print_summary(&report, &out)?;
    }
    Ok(if report.rows.is_empty() {
        Exit::NoMatch
    } else {
        Exit::Ok
    })
}

/// Rows per split and language.
fn counts(report: &HarvestReport) -> BTreeMap<&'static str, BTreeMap<&str, usize>> {
    let mut by: BTreeMap<&'static str, BTreeMap<&str, usize>> = BTreeMap::new();
    for r in &report.rows {
        *by.entry(r.split.as_str())
            .or_default()
            .entry(r.language.as_str())
            .or_default() += 1;
    }
    by
}

/// Everyday rows per split.
fn everyday_counts(report: &HarvestReport) -> BTreeMap<&'static str, usize> {
    let mut by = BTreeMap::new();
    for r in &report.rows {
        if r.kind == crate::train::dataset::Kind::Everyday {
            *by.entry(r.split.as_str()).or_default() += 1;
        }
    }
    by
}

fn print_json(report: &HarvestReport) -> Result<(), CliError> {
    let documented = report.rows.iter().filter(|r| r.docstring.is_some()).count();
    let value = serde_json::json!({
        "rows": report.rows.len(),
        "documented": documented,
        "duplicates": report.duplicates,
        "secrets_dropped": report.secrets,
        "kept": report.kept,
        "everyday": everyday_counts(report),
        "by_split": counts(report),
        "packages": report.packages,
    });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &value)?;
    writeln!(stdout)?;
    Ok(())
}

fn print_summary(report: &HarvestReport, out: &std::path::Path) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    let documented = report.rows.iter().filter(|r| r.docstring.is_some()).count();
    writeln!(
        stdout,
        "{} rows ({documented} with a docstring, {} duplicates dropped) -> {}",
        report.rows.len(),
        report.duplicates,
        out.display()
    )?;
    writeln!(
        stdout,
        "  everyday rows by split: {:?}; {} kept rows found unchanged; {} new cuts dropped for secrets",
        everyday_counts(report),
        report.kept,
        report.secrets
    )?;
    for (split, langs) in counts(report) {
        let parts: Vec<String> = langs.iter().map(|(l, n)| format!("{l} {n}")).collect();
        writeln!(stdout, "  {split:<5}  {}", parts.join(", "))?;
    }
    for p in &report.packages {
        writeln!(
            stdout,
            "  {:<24} {:<14} {:<7} {:<6} files {:>4}  cuts {:>6}  rows {:>4}  everyday {:>4}  {}",
            p.name,
            p.version,
            p.ecosystem.as_str(),
            crate::train::dataset::split_for(&p.name).as_str(),
            p.files,
            p.cuts,
            p.rows,
            p.everyday,
            p.license
        )?;
    }
    Ok(())
}
