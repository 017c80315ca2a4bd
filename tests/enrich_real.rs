//! Enrichment on the real model. The model is `SNIPDEX_TEST_MODEL`, else the
//! one installed under `SNIPDEX_HOME` (or the default data folder). Without
//! one these tests fail, telling to run `snipdex model fetch`; they never
//! skip.
//!
//! `cargo test --test enrich_real -- --nocapture` shows what the model wrote.

use snipdex::enrich::bench::{Sample, SAMPLES};
use snipdex::enrich::clean::{
    is_language_tag, MAX_TAGS, MAX_TITLE_WORDS, MIN_DESCRIPTION_WORDS, MIN_TAGS, MIN_TITLE_WORDS,
};
use snipdex::enrich::{
    clean, resolve_links, shipped_adapters_dir, AdapterSource, Cleaned, EnrichOutput, Enricher,
    EnricherOptions, LinkTable, Task, Vocabulary,
};
use snipdex::model::ForwardMode;

mod model_support;

use model_support::real_model;
use snipdex::testsupport::record_ran;

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
    let model = real_model(scratch.path());
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
        assert!(
            (MIN_TITLE_WORDS..=MAX_TITLE_WORDS).contains(&words),
            "{title:?}"
        );
        let description = f.description.as_deref().expect("a description");
        assert!(
            description.split_whitespace().count() >= MIN_DESCRIPTION_WORDS,
            "{description:?}"
        );
        let tags = f.tags.as_ref().expect("tags");
        assert!((MIN_TAGS..=MAX_TAGS).contains(&tags.len()), "{tags:?}");
        let vocabulary = Vocabulary::embedded().unwrap();
        let libraries = LinkTable::embedded()
            .unwrap()
            .code_libraries(s.code, s.language);
        for tag in tags {
            assert!(!tag.is_empty() && *tag == tag.to_lowercase(), "{tags:?}");
            assert!(!is_language_tag(tag, s.language), "{tags:?}");
            // A topic of the vocabulary, or a library the code really uses.
            assert!(
                vocabulary.canonical(tag) == Some(tag.as_str())
                    || libraries.iter().any(|l| l.tag == *tag),
                "{tag} in {tags:?}"
            );
        }
        let links = f.links.as_ref().expect("links are always resolved");
        assert!(links.iter().all(|l| l.starts_with("https://")), "{links:?}");
        assert_eq!(
            *links,
            resolve_links(s.code, s.language, &link_names(&out, s.code)),
            "every link is the resolver's"
        );
    }
    record_ran("real model: enrichment writes sane fields");
}

#[test]
fn real_model_shared_prefill_gives_the_unshared_tokens() {
    let scratch = tempfile::tempdir().unwrap();
    let model = real_model(scratch.path());
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
    record_ran("real model: shared prefill gives the unshared tokens");
}

#[test]
fn real_model_sentence_ends_are_punctuation_only() {
    let scratch = tempfile::tempdir().unwrap();
    let model = real_model(scratch.path());
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

/// The tasks decoded side by side (what `Enricher::enrich` does) give each
/// task's tokens exactly as decoding them one after the other, on the real
/// model with the shipped adapters and the default (quantized decode) mode,
/// for the bench samples.
#[test]
fn real_model_batched_tasks_give_the_sequential_tokens() {
    use snipdex::model::{Adapter, BatchTask, GenerateOptions, Model};
    let scratch = tempfile::tempdir().unwrap();
    let model = Model::load(&real_model(scratch.path())).unwrap();
    let dir = shipped_adapters_dir()
        .expect("shipped adapters")
        .join(snipdex::model::DEFAULT_MODEL.name);
    let tasks = ["title", "description", "tags", "links"];
    let adapters: Vec<Adapter> = tasks
        .iter()
        .map(|t| Adapter::load(&dir.join(t), model.config()).unwrap())
        .collect();
    let tok = model.tokenizer();
    let opts = GenerateOptions {
        max_tokens: 40,
        ..GenerateOptions::default()
    };
    for s in SAMPLES {
        let mut prefix = tok
            .encode("<|im_start|>system\nYou describe code.<|im_end|>\n<|im_start|>user\n")
            .unwrap();
        prefix.extend(tok.encode_plain(s.code).unwrap());
        let suffixes: Vec<Vec<u32>> = tasks
            .iter()
            .map(|t| {
                tok.encode(&format!(
                    "\nWrite the {t}.<|im_end|>\n<|im_start|>assistant\n"
                ))
                .unwrap()
            })
            .collect();
        let cache = model.prefill(&prefix).unwrap();
        let batch: Vec<BatchTask<'_>> = suffixes
            .iter()
            .zip(&adapters)
            .map(|(suffix, adapter)| BatchTask {
                suffix,
                adapter: Some(adapter),
                opts: &opts,
            })
            .collect();
        let batched = model
            .generate_batch(&cache, &batch, &mut || true)
            .unwrap()
            .unwrap();
        for (task, got) in batch.iter().zip(&batched) {
            let want = model
                .generate(&cache, task.suffix, task.adapter, task.opts)
                .unwrap();
            assert_eq!(got.tokens, want.tokens, "{}", s.file_name);
        }
    }
    record_ran("real model: batched tasks give the sequential tokens");
}
