use std::sync::atomic::AtomicBool;

use super::*;
use crate::enrich::testkit::{tiny_model, write_random_adapter};

const PY: &str =
    "import json\n\ndef load(path):\n    with open(path) as f:\n        return json.load(f)\n";

fn exact() -> EnricherOptions {
    EnricherOptions {
        mode: ForwardMode::Differentiable,
        ..EnricherOptions::default()
    }
}

#[test]
fn shared_prefill_gives_the_tokens_of_the_unshared_path_for_every_task() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 5, 1024);
    let adapters = dir.path().join("adapters");
    // Two tasks with adapters, two zero-shot: both kinds must agree.
    write_random_adapter(&adapters, "title", &model, 1);
    write_random_adapter(&adapters, "tags", &model, 2);
    let source = AdapterSource::Dir(adapters.clone());
    let enricher = Enricher::load_with(&model, &source, &exact()).unwrap();
    assert_eq!(
        enricher.adapter_dir(Task::Title),
        Some(adapters.join("title").as_path())
    );
    assert_eq!(enricher.adapter_dir(Task::Links), None);

    let shared = enricher.enrich(PY, None, Some("load.py")).unwrap();
    let unshared = enricher.enrich_unshared(PY, None, Some("load.py")).unwrap();
    assert_eq!(shared.language, "python");
    let tasks: Vec<Task> = shared.runs.iter().map(|r| r.task).collect();
    assert_eq!(tasks, Task::ALL.to_vec());
    for (a, b) in shared.runs.iter().zip(&unshared.runs) {
        assert!(!a.tokens.is_empty(), "{:?} generated nothing", a.task);
        assert!(a.tokens.len() <= max_tokens(a.task));
        assert_eq!(a.tokens, b.tokens, "{:?}", a.task);
    }
    assert_eq!(shared.fields, unshared.fields);

    // The adapters really act: without them the tuned tasks answer differently.
    let base = Enricher::load_with(&model, &AdapterSource::None, &exact()).unwrap();
    let plain = base.enrich(PY, None, Some("load.py")).unwrap();
    assert_ne!(plain.runs[0].tokens, shared.runs[0].tokens);
    assert_eq!(plain.runs[3].tokens, shared.runs[3].tokens);
}

#[test]
fn links_come_only_from_the_resolver_and_rejections_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 7, 1024);
    let enricher = Enricher::load_with(&model, &AdapterSource::None, &exact()).unwrap();
    let out = enricher.enrich(PY, Some("python"), None).unwrap();
    let links = out.fields.links.clone().unwrap();
    assert!(!links.is_empty(), "`import json` has documentation");
    assert!(links.iter().all(|l| l.starts_with("https://")), "{links:?}");
    assert_eq!(links, crate::enrich::resolve_links(PY, "python", &[]));
    // A random model writes junk; whatever was rejected left its field empty.
    for (task, why) in out.rejected() {
        assert!(!why.is_empty());
        let empty = match task {
            Task::Title => out.fields.title.is_none(),
            Task::Description => out.fields.description.is_none(),
            Task::Tags => out.fields.tags.is_none(),
            Task::Links => out.fields.links.is_some(),
        };
        assert!(empty, "{task} was rejected ({why}) but has a value");
    }
}

#[test]
fn language_is_detected_unless_given_and_text_stays_text() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 3, 1024);
    let enricher = Enricher::load_with(&model, &AdapterSource::None, &exact()).unwrap();
    let only_title = [Task::Title];
    let lang = |code: &str, given: Option<&str>, name: Option<&str>| {
        enricher
            .enrich_tasks(code, given, name, &only_title, None)
            .unwrap()
            .language
    };
    assert_eq!(lang("echo hi\n", None, Some("x.sh")), "shell");
    assert_eq!(lang("print(1)\n", None, Some("x.py")), "python");
    assert_eq!(lang("echo hi\n", Some("Fish"), Some("x.sh")), "fish");
    assert_eq!(lang("buy milk and eggs\n", None, None), "text");
    let out = enricher
        .enrich_tasks("echo hi\n", None, None, &only_title, None)
        .unwrap();
    assert_eq!(out.runs.len(), 1);
    assert_eq!(out.fields.links, None, "links were not asked for");
}

#[test]
fn long_snippets_are_cut_to_fit_a_small_context() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 9, 512);
    let enricher = Enricher::load_with(&model, &AdapterSource::None, &exact()).unwrap();
    let code = "x = 1\n".repeat(400);
    let out = enricher.enrich(&code, Some("python"), None).unwrap();
    // The longest suffix (links, ~150 tokens) and its 24-token answer fit.
    assert!(out.prefix_tokens + 170 <= 512, "{}", out.prefix_tokens);
    assert!(out.prefix_tokens > 250, "kept about as much code as fits");
    assert_eq!(out.runs.len(), 4);

    let too_small = tiny_model(dir.path(), 9, 256);
    let enricher = Enricher::load_with(&too_small, &AdapterSource::None, &exact()).unwrap();
    let err = enricher.enrich(&code, Some("python"), None).unwrap_err();
    assert!(matches!(err, EnrichError::PromptTooLong { .. }), "{err}");
}

#[test]
fn a_cancelled_run_stops_between_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 4, 1024);
    let enricher = Enricher::load_with(&model, &AdapterSource::None, &exact()).unwrap();
    let cancel = AtomicBool::new(true);
    let err = enricher
        .enrich_tasks(PY, None, None, &Task::ALL, Some(&cancel))
        .unwrap_err();
    assert!(matches!(err, EnrichError::Cancelled));
}

#[test]
fn an_adapter_for_another_model_is_an_error_naming_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 5, 1024);
    let other = dir.path().join("other.gguf");
    let mut spec = crate::model::testutil::TinySpec::new(6);
    spec.embedding_length = 32;
    crate::model::testutil::write_tiny_llama_gguf_with(&other, &spec).unwrap();
    let adapters = dir.path().join("adapters");
    write_random_adapter(&adapters, "description", &other, 1);

    let source = AdapterSource::Dir(adapters.clone());
    let err = Enricher::load_with(&model, &source, &exact()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            EnrichError::Adapter {
                task: Task::Description,
                ..
            }
        ),
        "{msg}"
    );
    let file = adapters
        .join("description")
        .join("adapter_model.safetensors");
    assert!(msg.contains(&file.display().to_string()), "{msg}");

    let missing = Enricher::load(&dir.path().join("none.gguf"), &AdapterSource::None).unwrap_err();
    assert!(matches!(missing, EnrichError::Model { .. }), "{missing}");
}

#[test]
fn provenance_names_the_model_and_the_adapter_version() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 5, 1024);
    let adapters = dir.path().join("adapters");
    write_random_adapter(&adapters, "title", &model, 1);
    let source = AdapterSource::Dir(adapters.clone());
    let enricher = Enricher::load_with(&model, &source, &exact()).unwrap();
    let Provenance::Model {
        model: name,
        adapter,
        version,
    } = enricher.provenance(Task::Title)
    else {
        panic!("not a model provenance");
    };
    assert_eq!(name, "tiny-5-1024");
    assert_eq!(adapter, "title");
    assert_eq!(version.len(), 12);
    // Retrained weights are a new version.
    write_random_adapter(&adapters, "title", &model, 2);
    let again = Enricher::load_with(&model, &source, &exact()).unwrap();
    assert_ne!(
        again.provenance(Task::Title),
        enricher.provenance(Task::Title)
    );
    let Provenance::Model { adapter, .. } = enricher.provenance(Task::Tags) else {
        panic!("not a model provenance");
    };
    assert_eq!(adapter, "none");
}

#[test]
fn bulk_enrichment_gives_each_snippet_its_own_answers() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path(), 5, 1024);
    let adapters = dir.path().join("adapters");
    write_random_adapter(&adapters, "title", &model, 1);
    write_random_adapter(&adapters, "description", &model, 3);
    let source = AdapterSource::Dir(adapters);
    // The default (quantized) kernels: what the worker runs.
    let enricher = Enricher::load_with(&model, &source, &EnricherOptions::default()).unwrap();
    let snippets = [
        (PY, Some("python"), Some("load.py")),
        ("ls -la | grep foo\n", None, None),
        ("SELECT id FROM users WHERE name = ?;\n", Some("sql"), None),
        (
            "fn main() {\n    println!(\"hi\");\n}\n",
            Some("rust"),
            Some("main.rs"),
        ),
        ("echo $HOME\n", Some("shell"), None),
    ];
    let some: &[Task] = &[Task::Tags, Task::Title];
    let items: Vec<BulkItem<'_>> = snippets
        .iter()
        .enumerate()
        .map(|(i, &(code, language, file_name))| BulkItem {
            code,
            language,
            file_name,
            // One snippet asks for two tasks only.
            tasks: if i == 2 { some } else { &Task::ALL },
        })
        .collect();
    let bulk = enricher.enrich_bulk(&items, None).unwrap();
    assert_eq!(bulk.len(), items.len());
    for (item, got) in items.iter().zip(bulk) {
        let got = got.unwrap();
        let alone = enricher
            .enrich_tasks(item.code, item.language, item.file_name, item.tasks, None)
            .unwrap();
        let tokens = |o: &EnrichOutput| {
            o.runs
                .iter()
                .map(|r| (r.task, r.tokens.clone(), r.finish))
                .collect::<Vec<_>>()
        };
        assert_eq!(tokens(&got), tokens(&alone), "{}", item.code);
        assert_eq!(got.fields, alone.fields);
    }
    // Cancelled before it starts, nothing comes back.
    let cancel = AtomicBool::new(true);
    assert!(matches!(
        enricher.enrich_bulk(&items, Some(&cancel)),
        Err(EnrichError::Cancelled)
    ));
}
