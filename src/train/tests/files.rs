//! Tests of what training leaves on disk and of evaluation: PEFT files,
//! reloading, resuming, README and scores.

use std::ops::ControlFlow;

use super::*;

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
        length_floor: None,
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
fn tag_scores_compare_through_the_vocabulary_without_the_language() {
    let row = Row {
        code: "import requests\nrequests.get(url)\n".into(),
        language: "python".into(),
        tags: Some(vec![
            "python".into(),
            "dictionaries".into(),
            "http-client".into(),
            "requests".into(),
        ]),
        ..Row::default()
    };
    let pred = Prediction {
        raw: "dict, http, snake-pals, requests, py".into(),
        value: "dictionary, http, requests".into(),
        rejected: None,
        links: Vec::new(),
    };
    let s = eval::score(Task::Tags, &[&row], &[pred]);
    // {dictionary, http, requests} on both sides once canonicalised, and
    // the language on neither.
    let tags = s.tags.expect("tags scored");
    assert_eq!((tags.precision, tags.recall, tags.f1), (1.0, 1.0, 1.0));
    // Of the model's own four tags (`py` left out), `snake-pals` is neither
    // a topic nor a library; `requests` is a real library.
    assert_eq!(s.tags_outside_vocabulary, Some(0.25));
    let table = s.table();
    assert!(
        table
            .iter()
            .any(|(name, value)| *name == "model tags outside vocabulary" && value == "25.0%"),
        "{table:?}"
    );
}
