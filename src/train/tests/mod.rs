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
    // What the tiny test model is; the default names SmolLM2, and an
    // adapter that says so is refused on any other model.
    s.base_model = "tiny-test-llama".into();
    s
}

#[test]
fn an_adapter_is_not_trained_for_a_base_model_it_will_not_fit() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut model = tiny_model(dir.path()).unwrap();
    let prompts = short_prompts(dir.path()).unwrap();
    let mut s = settings(1);
    s.base_model = crate::model::DEFAULT_MODEL.base_model.into();
    let out = dir.path().join("out");
    let err = train(
        &mut model,
        &prompts,
        &dataset(2),
        &s,
        &out,
        false,
        &mut quiet,
    )
    .unwrap_err();
    assert!(matches!(err, TrainError::Settings(_)), "{err}");
    assert!(
        err.to_string()
            .contains("HuggingFaceTB/SmolLM2-135M-Instruct"),
        "{err}"
    );
    assert!(!out.join("adapter_model.safetensors").exists());
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

mod files;
