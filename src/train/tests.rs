//! Trainer tests on a tiny random llama: fast, and every property checked
//! here would fail on a trainer that only pretends.

use std::ops::ControlFlow;
use std::path::Path;

use candle_core::Tensor;
use tempfile::TempDir;

use super::data::{Dataset, Row, SkipCounts};
use super::encode::{EncodedExample, Encoder};
use super::trainer::example_loss;
use super::*;
use crate::enrich::{load_prompts, Prompts, Task};
use crate::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use crate::model::{Adapter, Logits, LoraActivation, Model, Projection};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn tiny_model(dir: &Path) -> Result<Model, Box<dyn std::error::Error>> {
    let path = dir.join("tiny.gguf");
    write_tiny_llama_gguf_with(&path, &TinySpec::new(11))?;
    Ok(Model::load(&path)?)
}

/// Short templates keep the tiny model's byte-level prompts small.
fn short_prompts(dir: &Path) -> Result<Prompts, Box<dyn std::error::Error>> {
    let p = dir.join("prompts");
    std::fs::create_dir_all(&p)?;
    std::fs::write(p.join("system.txt"), "Describe code.")?;
    std::fs::write(p.join("title.txt"), "Title?")?;
    Ok(load_prompts(Some(&p))?)
}

fn dataset(n: usize) -> Dataset {
    let titles = [
        "the return",
        "in on",
        "a fn",
        "the er",
        "def in",
        "return the",
        "on a",
        "ing er",
    ];
    let rows = (0..n)
        .map(|i| Row {
            code: format!("fn f{i}() {{ return {i} }}"),
            language: "rust".into(),
            title: Some(titles[i % titles.len()].into()),
            ..Row::default()
        })
        .collect::<Vec<_>>();
    Dataset {
        path: "mem.jsonl".into(),
        task: Task::Title,
        total: n,
        rows,
        skipped: SkipCounts::default(),
        fingerprint: "test".into(),
    }
}

fn settings(steps: usize) -> TrainSettings {
    let mut s = TrainSettings::new(Task::Title);
    s.length = TrainLength::Steps(steps);
    s.rank = 4;
    s.alpha = 8.0;
    s.lr = 1e-2;
    s.batch = 2;
    s.warmup = 2;
    s.checkpoint_every = 0;
    s
}

fn quiet(_: &StepReport) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

fn examples(model: &Model, prompts: &Prompts, data: &Dataset) -> Vec<EncodedExample> {
    let enc = Encoder::new(model.tokenizer(), prompts, Task::Title).expect("encoder");
    data.rows
        .iter()
        .map(|r| enc.example(r).expect("encode").expect("target"))
        .collect()
}

fn mean_loss(model: &mut Model, adapter: &Adapter, exs: &[EncodedExample], standard: bool) -> f32 {
    let total: f32 = exs
        .iter()
        .map(|ex| {
            example_loss(model, adapter, ex, standard)
                .and_then(|l| Ok(l.to_scalar::<f32>()?))
                .expect("loss")
        })
        .sum();
    total / exs.len() as f32
}

fn values(t: &Tensor) -> Vec<f32> {
    t.flatten_all().and_then(|t| t.to_vec1()).expect("values")
}

fn weights_equal(a: &Adapter, b: &Adapter) -> bool {
    let (wa, wb) = (a.weights(), b.weights());
    wa.len() == wb.len()
        && wa.iter().zip(&wb).all(|(x, y)| {
            x.layer == y.layer
                && x.projection == y.projection
                && values(&x.a) == values(&y.a)
                && values(&x.b) == values(&y.b)
        })
}

#[test]
fn loss_falls_on_a_small_fixed_set() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    let data = dataset(8);
    let exs = examples(&model, &prompts, &data);
    let s = settings(30);
    let untrained = Adapter::initialized(
        crate::model::AdapterConfig::new(s.rank, s.alpha, &s.targets, "tiny"),
        model.config(),
        &s.targets,
        s.seed,
    )?;
    let before = mean_loss(&mut model, &untrained, &exs, false);
    let (trained, outcome) = train(
        &mut model,
        &prompts,
        &data,
        &s,
        &dir.path().join("out"),
        false,
        &mut quiet,
    )?;
    let after = mean_loss(&mut model, &trained, &exs, false);
    assert!(after < 0.6 * before, "loss {before} -> {after}");
    assert_eq!(outcome.steps, 30);
    assert_eq!(outcome.examples_seen, 60);
    assert_eq!(outcome.losses.len(), 30);
    assert!(outcome.final_loss() < outcome.first_loss());
    Ok(())
}

#[test]
fn standard_layout_also_learns_and_is_recorded() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    let data = dataset(4);
    let mut s = settings(12);
    s.standard = true;
    let out = dir.path().join("out");
    let (trained, outcome) = train(&mut model, &prompts, &data, &s, &out, false, &mut quiet)?;
    assert!(trained.config().alora_invocation_tokens.is_none());
    assert!(outcome.final_loss() < outcome.first_loss());
    Ok(())
}

#[test]
fn base_weights_stay_frozen_and_only_lora_factors_change() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    let data = dataset(4);
    let probe = examples(&model, &prompts, &data)[0].prefix.clone();
    let base_before = values(&model.forward(&probe, &mut model.new_cache(), None, Logits::All)?);

    let s = settings(6);
    let (trained, _) = train(
        &mut model,
        &prompts,
        &data,
        &s,
        &dir.path().join("out"),
        false,
        &mut quiet,
    )?;
    // Training mode switches are undone, and the base model computes
    // exactly what it did before: no base tensor was updated.
    assert_eq!(model.mode(), crate::model::ForwardMode::default());
    let base_after = values(&model.forward(&probe, &mut model.new_cache(), None, Logits::All)?);
    assert_eq!(base_before, base_after);

    // Every LoRA factor got a gradient: B left zero, A left its init.
    let init = Adapter::initialized(trained.config().clone(), model.config(), &s.targets, s.seed)?;
    for (w, w0) in trained.weights().iter().zip(init.weights()) {
        assert_ne!(values(&w.b), values(&w0.b), "B of {:?}", w.projection);
        assert_ne!(values(&w.a), values(&w0.a), "A of {:?}", w.projection);
    }
    // In the activated layout the prefix is the base model's: the adapter
    // changes nothing before its activation position.
    let lora = LoraActivation {
        adapter: &trained,
        from_position: probe.len(),
    };
    let with = values(&model.forward(&probe, &mut model.new_cache(), Some(lora), Logits::All)?);
    assert_eq!(with, base_after);
    Ok(())
}

#[test]
fn saved_adapter_reloads_bit_for_bit_with_the_same_logits() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    let data = dataset(4);
    let out = dir.path().join("out");
    let (trained, _) = train(
        &mut model,
        &prompts,
        &data,
        &settings(5),
        &out,
        false,
        &mut quiet,
    )?;
    assert!(!out.join("checkpoint").exists());
    let loaded = Adapter::load(&out, model.config())?;
    assert!(weights_equal(&trained, &loaded));
    assert_eq!(loaded.config(), trained.config());

    let ex = &examples(&model, &prompts, &data)[1];
    let mut tokens = ex.prefix.clone();
    tokens.extend(ex.suffix_input());
    let logits = |a: &Adapter| -> Result<Vec<f32>, crate::model::ModelError> {
        let lora = LoraActivation {
            adapter: a,
            from_position: ex.prefix.len(),
        };
        Ok(values(&model.forward(
            &tokens,
            &mut model.new_cache(),
            Some(lora),
            Logits::All,
        )?))
    };
    assert_eq!(logits(&trained)?, logits(&loaded)?);
    Ok(())
}

#[test]
fn files_follow_peft_names_shapes_and_config() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    let out = dir.path().join("out");
    let s = settings(1);
    train(
        &mut model,
        &prompts,
        &dataset(2),
        &s,
        &out,
        false,
        &mut quiet,
    )?;

    let bytes = std::fs::read(out.join("adapter_model.safetensors"))?;
    let st = safetensors::SafeTensors::deserialize(&bytes)?;
    let cfg = model.config();
    let mut expected = Vec::new();
    for layer in 0..cfg.block_count {
        for p in Projection::ALL {
            let (o, i) = p.shape(cfg);
            let key = |w| {
                format!(
                    "base_model.model.model.layers.{layer}.{}.{}.lora_{w}.weight",
                    p.peft_parent(),
                    p.peft_name()
                )
            };
            expected.push((key("A"), vec![s.rank, i]));
            expected.push((key("B"), vec![o, s.rank]));
        }
    }
    assert_eq!(st.len(), expected.len());
    for (key, shape) in &expected {
        let t = st.tensor(key)?;
        assert_eq!(t.shape(), shape.as_slice(), "{key}");
        assert_eq!(t.dtype(), safetensors::Dtype::F32);
    }
    assert!(expected
        .iter()
        .any(|(k, _)| k == "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
    assert!(expected
        .iter()
        .any(|(k, _)| k == "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("adapter_config.json"))?)?;
    assert_eq!(json["r"], 4);
    assert_eq!(json["lora_alpha"], 8.0);
    assert_eq!(json["peft_type"], "LORA");
    assert_eq!(json["task_type"], "CAUSAL_LM");
    assert_eq!(json["bias"], "none");
    let targets: Vec<&str> = json["target_modules"]
        .as_array()
        .ok_or("no targets")?
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "q_proj",
            "k_proj",
            "v_proj",
            "o_proj",
            "gate_proj",
            "up_proj",
            "down_proj"
        ]
    );
    let invocation = Encoder::new(model.tokenizer(), &prompts, Task::Title)?
        .invocation()
        .to_vec();
    let stored: Vec<u32> = serde_json::from_value(json["alora_invocation_tokens"].clone())?;
    assert_eq!(stored, invocation);
    Ok(())
}

#[test]
fn resume_continues_bit_for_bit() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    // 5 rows with batch 2: passes end mid-update, so the reshuffle is covered.
    let data = dataset(5);
    let s = settings(10);

    let straight = dir.path().join("straight");
    let (a, full) = train(
        &mut model, &prompts, &data, &s, &straight, false, &mut quiet,
    )?;

    let split = dir.path().join("split");
    let mut stop_at_5 = |r: &StepReport| {
        if r.step == 5 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    match train(
        &mut model,
        &prompts,
        &data,
        &s,
        &split,
        false,
        &mut stop_at_5,
    ) {
        Err(TrainError::Stopped { step: 5 }) => {}
        other => return Err(format!("expected a stop at 5, got {other:?}").into()),
    }
    assert!(split.join("checkpoint").join("state.json").is_file());
    // A fresh start over an unfinished run is refused, as is a resume with
    // other settings.
    assert!(matches!(
        train(&mut model, &prompts, &data, &s, &split, false, &mut quiet),
        Err(TrainError::Checkpoint { .. })
    ));
    let mut other = s.clone();
    other.lr = 5e-3;
    assert!(matches!(
        train(&mut model, &prompts, &data, &other, &split, true, &mut quiet),
        Err(TrainError::Checkpoint { .. })
    ));

    let (b, resumed) = train(&mut model, &prompts, &data, &s, &split, true, &mut quiet)?;
    assert!(weights_equal(&a, &b));
    assert_eq!(
        std::fs::read(straight.join("adapter_model.safetensors"))?,
        std::fs::read(split.join("adapter_model.safetensors"))?
    );
    assert_eq!(full.losses, resumed.losses);
    assert_eq!(resumed.resumed_at, Some(5));
    assert_eq!(resumed.examples_seen, 20);
    Ok(())
}

#[test]
fn evaluation_scores_every_row_and_readme_reports_it() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    let data = dataset(3);
    let out = dir.path().join("out");
    let (adapter, outcome) = train(
        &mut model,
        &prompts,
        &data,
        &settings(2),
        &out,
        false,
        &mut quiet,
    )?;
    let opts = EvalOptions {
        limit: Some(2),
        max_tokens: Some(6),
    };
    let mut seen = Vec::new();
    let zero = evaluate(&model, &prompts, &data, None, &opts, &mut |d, t| {
        seen.push((d, t))
    })?;
    let tuned = evaluate(
        &model,
        &prompts,
        &data,
        Some(&adapter),
        &opts,
        &mut |_, _| {},
    )?;
    assert_eq!(seen, [(1, 2), (2, 2)]);
    for r in [&zero, &tuned] {
        assert_eq!(r.scores.examples, 2);
        assert_eq!(r.predictions.len(), 2);
        assert!(r.scores.bleu.is_some() && r.scores.rouge_l.is_some() && r.scores.tags.is_none());
    }
    let ctx = ReadmeContext {
        data_file: "mem.jsonl",
        data_fingerprint: "test",
        model_file: "tiny.gguf",
        eval: Some(("eval.jsonl", &zero, &tuned)),
    };
    write_readme(&out, &settings(2), &outcome, &ctx)?;
    let readme = std::fs::read_to_string(out.join("README.md"))?;
    for needle in [
        "mem.jsonl",
        "3 in the file, 3 used",
        "smoothed BLEU-4",
        "zero-shot",
        "examples/minute",
        "activated LoRA",
    ] {
        assert!(
            readme.contains(needle),
            "README lacks {needle:?}:\n{readme}"
        );
    }
    Ok(())
}

#[test]
fn link_scores_count_wellformed_urls_and_expected_pages() {
    let row = Row {
        code: "import os".into(),
        language: "python".into(),
        apis: Some(vec!["os".into(), "os.path".into()]),
        links: Some(vec![
            "https://docs.python.org/3/library/os.html".into(),
            "https://docs.python.org/3/library/json.html".into(),
        ]),
        ..Row::default()
    };
    let pred = Prediction {
        raw: "os, sys".into(),
        value: "OS, sys".into(),
        rejected: None,
        links: vec![
            "https://docs.python.org/3/library/os.html#os.listdir".into(),
            "http://example.com/".into(),
        ],
    };
    let s = eval::score(Task::Links, &[&row], &[pred]);
    // Names {os, sys} against {os, os.path}: 1 hit of 2 each way.
    let names = s.names.expect("names scored");
    assert_eq!((names.precision, names.recall, names.f1), (0.5, 0.5, 0.5));
    assert_eq!(s.links_wellformed, Some(0.5));
    assert_eq!(s.links_found, Some(0.5));
    assert!(s.bleu.is_none() && s.tags.is_none());
}

#[test]
fn backward_computes_no_gradient_for_base_weights() -> TestResult {
    let dir = TempDir::new()?;
    let mut model = tiny_model(dir.path())?;
    let prompts = short_prompts(dir.path())?;
    let data = dataset(1);
    let ex = &examples(&model, &prompts, &data)[0];
    let s = settings(1);
    let adapter = Adapter::initialized(
        crate::model::AdapterConfig::new(s.rank, s.alpha, &s.targets, "tiny"),
        model.config(),
        &s.targets,
        s.seed,
    )?;
    let weights = adapter.weights();
    let mut vars = Vec::new();
    let mut var_weights = Vec::new();
    for w in weights {
        let a = candle_core::Var::from_tensor(&w.a)?;
        let b = candle_core::Var::from_tensor(&w.b)?;
        var_weights.push(crate::model::LoraWeights {
            a: a.as_tensor().clone(),
            b: b.as_tensor().clone(),
            ..w
        });
        vars.push(a);
        vars.push(b);
    }
    let adapter = Adapter::from_weights(adapter.config().clone(), model.config(), var_weights)?;
    let cfg = model.config().clone();
    let mut weight_shapes: Vec<Vec<usize>> = Projection::ALL
        .iter()
        .map(|p| {
            let (o, i) = p.shape(&cfg);
            vec![o, i]
        })
        .collect();
    weight_shapes.push(vec![cfg.vocab_size, cfg.embedding_length]);
    for standard in [false, true] {
        let grads = example_loss(&mut model, &adapter, ex, standard)?.backward()?;
        // Every LoRA factor has a gradient...
        for v in &vars {
            assert!(grads.get(v.as_tensor()).is_some());
        }
        // ...and nothing shaped like a base weight matrix does. (Row counts
        // differ from every weight dimension, so activations cannot match.)
        let rows = if standard {
            ex.fed_len()
        } else {
            ex.suffix_input().len()
        };
        assert!(weight_shapes.iter().all(|s| !s.contains(&rows)));
        for id in grads.get_ids() {
            let dims = grads
                .get_id(*id)
                .map(|t| t.dims().to_vec())
                .unwrap_or_default();
            assert!(
                !weight_shapes.contains(&dims),
                "a gradient of shape {dims:?} was computed"
            );
        }
    }
    Ok(())
}
