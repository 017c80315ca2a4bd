//! Enrichment on the real model. The model is `SNIPDEX_TEST_MODEL`, else the
//! one installed under `SNIPDEX_HOME` (or the default data folder). Without
//! one these tests fail, telling to run `snipdex model fetch`, unless
//! `SNIPDEX_SKIP_REAL_MODEL=1`.
//!
//! `SNIPDEX_TEST_MODEL=path cargo test --test enrich_real -- --nocapture`

use std::path::{Path, PathBuf};

use snipdex::enrich::bench::{Sample, SAMPLES};
use snipdex::enrich::{
    clean, installed_model, resolve_links, shipped_adapters_dir, AdapterSource, Cleaned,
    EnrichOutput, Enricher, EnricherOptions, Task,
};
use snipdex::model::{install_from_file, ForwardMode};
use snipdex::paths::Paths;

/// The model to test, converted to Q8_0 in `scratch` when it is not yet.
fn real_model(scratch: &Path) -> Option<PathBuf> {
    let given = std::env::var_os("SNIPDEX_TEST_MODEL").map(PathBuf::from);
    let found = given.or_else(|| {
        let paths = Paths::resolve().ok()?;
        installed_model(&paths.models_dir()).ok()
    });
    let Some(path) = found else {
        if std::env::var("SNIPDEX_SKIP_REAL_MODEL").as_deref() == Ok("1") {
            eprintln!("skipping: no real model and SNIPDEX_SKIP_REAL_MODEL=1");
            return None;
        }
        panic!(
            "no model installed: run `snipdex model fetch` (or set SNIPDEX_TEST_MODEL to a \
             GGUF file, or SNIPDEX_SKIP_REAL_MODEL=1 to skip these tests)"
        );
    };
    assert!(path.is_file(), "{} does not exist", path.display());
    if path.to_string_lossy().contains("Q8_0") {
        return Some(path);
    }
    Some(install_from_file(&path, scratch, None, &mut |_| {}).unwrap())
}

/// The shipped adapters only, so a developer's own adapters cannot change
/// what the test sees.
fn shipped() -> AdapterSource {
    AdapterSource::Layers(shipped_adapters_dir().into_iter().collect())
}

fn samples() -> Vec<&'static Sample> {
    ["rust", "python", "shell"]
        .iter()
        .map(|lang| SAMPLES.iter().find(|s| s.language == *lang).unwrap())
        .collect()
}

fn link_names(out: &EnrichOutput, code: &str) -> Vec<String> {
    let raw = &out.runs.iter().find(|r| r.task == Task::Links).unwrap().raw;
    match clean(Task::Links, raw, code) {
        Ok(Cleaned::LinkNames(names)) => names,
        _ => Vec::new(),
    }
}

#[test]
fn real_model_writes_sane_fields_and_only_resolver_links() {
    let scratch = tempfile::tempdir().unwrap();
    let Some(model) = real_model(scratch.path()) else {
        return;
    };
    let enricher = Enricher::load(&model, &shipped()).unwrap();
    for s in samples() {
        let out = enricher
            .enrich(s.code, Some(s.language), Some(s.file_name))
            .unwrap();
        let f = &out.fields;
        eprintln!("{}: {f:#?}", s.file_name);
        for run in &out.runs {
            eprintln!("  {}: {:?} ({:?})", run.task, run.raw, run.rejected);
        }
        let title = f.title.as_deref().expect("a title");
        let words = title.split_whitespace().count();
        assert!((1..=8).contains(&words), "{title:?}");
        let description = f.description.as_deref().expect("a description");
        assert!(
            description.split_whitespace().count() >= 3,
            "{description:?}"
        );
        let tags = f.tags.as_ref().expect("tags");
        assert!((1..=6).contains(&tags.len()), "{tags:?}");
        for tag in tags {
            assert!(!tag.is_empty() && *tag == tag.to_lowercase(), "{tags:?}");
        }
        let links = f.links.as_ref().expect("links are always resolved");
        assert!(links.iter().all(|l| l.starts_with("https://")), "{links:?}");
        assert_eq!(
            *links,
            resolve_links(s.code, s.language, &link_names(&out, s.code)),
            "every link is the resolver's"
        );
    }
}

#[test]
fn real_model_shared_prefill_gives_the_unshared_tokens() {
    let scratch = tempfile::tempdir().unwrap();
    let Some(model) = real_model(scratch.path()) else {
        return;
    };
    // Dense f32 kernels throughout: candle's quantized matmul picks its
    // kernel by row count (tiles, then single rows for the tail), so with
    // quantized weights a row's rounding depends on how many rows share its
    // chunk, and the shared and unshared chunks differ. f32 matmuls round a
    // row the same way whatever the chunk.
    let opts = EnricherOptions {
        mode: ForwardMode::Differentiable,
        ..EnricherOptions::default()
    };
    let enricher = Enricher::load_with(&model, &shipped(), &opts).unwrap();
    for s in samples() {
        let args = (s.code, Some(s.language), Some(s.file_name));
        let shared = enricher.enrich(args.0, args.1, args.2).unwrap();
        let unshared = enricher.enrich_unshared(args.0, args.1, args.2).unwrap();
        assert_eq!(shared.runs.len(), 4);
        for (a, b) in shared.runs.iter().zip(&unshared.runs) {
            assert_eq!(a.task, b.task);
            assert!(
                !a.tokens.is_empty(),
                "{}: {} wrote nothing",
                s.file_name,
                a.task
            );
            assert_eq!(a.tokens, b.tokens, "{}: {}", s.file_name, a.task);
        }
        assert_eq!(shared.fields, unshared.fields);
    }
}

#[test]
fn real_model_sentence_ends_are_punctuation_only() {
    let scratch = tempfile::tempdir().unwrap();
    let Some(model) = real_model(scratch.path()) else {
        return;
    };
    let model = snipdex::model::Model::load(&model).unwrap();
    let tok = model.tokenizer();
    let ends = tok.sentence_end_ids();
    let id = |text: &str| {
        let ids = tok.encode_plain(text).unwrap();
        assert_eq!(ids.len(), 1, "{text:?} is one token");
        ids[0]
    };
    for end in [".", "!", "?"] {
        assert!(ends.contains(&id(end)), "{end:?}");
    }
    for word in ["path", "os", ",", " the"] {
        assert!(!ends.contains(&id(word)), "{word:?}");
    }
    // A handful of punctuation tokens, not a sizeable part of the vocabulary.
    assert!(ends.len() < 200, "{}", ends.len());
}
