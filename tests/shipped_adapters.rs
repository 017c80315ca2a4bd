//! The adapters in `adapters/<model>/<task>/` fit the model they are filed
//! under, are refused by the other one, and stay under the size limit.
//! Runs without any model file: the shapes come from the models' published
//! hyper-parameters, the same ones their GGUF files carry (`model check`
//! and the real-model tests read them from the files themselves).

use std::path::{Path, PathBuf};

use snipdex::enrich::Task;
use snipdex::model::{
    known_model, Adapter, Architecture, KnownModel, ModelConfig, ModelError, MODELS,
};

/// A model's hyper-parameters as its GGUF file states them.
fn config_of(model: &KnownModel) -> ModelConfig {
    match model.name {
        "smollm2-135m" => ModelConfig {
            architecture: Architecture::Llama,
            block_count: 30,
            embedding_length: 576,
            feed_forward_length: 1536,
            head_count: 9,
            head_count_kv: 3,
            head_dim: 64,
            rope_freq_base: 100_000.0,
            rms_eps: 1e-5,
            context_length: 8192,
            vocab_size: 49152,
            untied_output: false,
        },
        "qwen2.5-coder-0.5b" => ModelConfig {
            architecture: Architecture::Qwen2,
            block_count: 24,
            embedding_length: 896,
            feed_forward_length: 4864,
            head_count: 14,
            head_count_kv: 2,
            head_dim: 64,
            rope_freq_base: 1_000_000.0,
            rms_eps: 1e-6,
            context_length: 32768,
            vocab_size: 151_936,
            untied_output: true,
        },
        other => panic!("no hyper-parameters for {other}: add them to this test"),
    }
}

/// The installed Q8_0 file of each model, in bytes: the size limit is 5 %
/// of it (the downloaded files are smaller for SmolLM2 and larger than the
/// limit needs for Qwen, so the installed file is the stricter bound for
/// neither; it is the one both READMEs quote).
fn installed_bytes(model: &KnownModel) -> u64 {
    match model.name {
        "smollm2-135m" => 144_811_264,
        "qwen2.5-coder-0.5b" => 675_711_072,
        other => panic!("no installed size for {other}"),
    }
}

fn shipped_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("adapters")
}

fn task_dirs(model: &KnownModel) -> Vec<(Task, PathBuf)> {
    ["title", "description", "tags", "links"]
        .iter()
        .map(|t| {
            (
                t.parse::<Task>().unwrap(),
                shipped_root().join(model.name).join(t),
            )
        })
        .collect()
}

#[test]
fn every_known_model_ships_four_adapters_that_fit_it() {
    for model in &MODELS {
        let config = config_of(model);
        assert!(
            model.fits(&config),
            "{}: the test's hyper-parameters do not match the catalog",
            model.name
        );
        for (task, dir) in task_dirs(model) {
            let adapter = Adapter::load(&dir, &config).unwrap_or_else(|e| {
                panic!(
                    "{} {task}: {} does not load: {e}",
                    model.name,
                    dir.display()
                )
            });
            assert!(
                adapter.config().alora_invocation_tokens.is_some(),
                "{} {task}: shipped adapters are activated (they share the snippet's prefill)",
                model.name
            );
            let weights = std::fs::metadata(dir.join("adapter_model.safetensors"))
                .unwrap()
                .len();
            let limit = installed_bytes(model) / 20;
            assert!(
                weights <= limit,
                "{} {task}: {weights} bytes, over 5 % of the model file ({limit})",
                model.name
            );
        }
    }
}

#[test]
fn an_adapter_filed_under_one_model_is_refused_by_the_other() {
    let smol = known_model("smollm2-135m").unwrap();
    let qwen = known_model("qwen2.5-coder-0.5b").unwrap();
    for (from, to) in [(smol, qwen), (qwen, smol)] {
        let dir = shipped_root().join(from.name).join("title");
        let err = Adapter::load(&dir, &config_of(to)).expect_err("another base's adapter loads");
        assert!(
            matches!(err, ModelError::AdapterBase { .. }),
            "{} adapter on {}: expected the wrong-base error, got {err}",
            from.name,
            to.name
        );
        let message = err.to_string();
        assert!(
            message.contains(from.base_model) && message.contains(to.base_model),
            "the message names both models: {message}"
        );
    }
}
