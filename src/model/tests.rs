//! Unit tests of engine internals on tiny generated models.

use candle_core::{Device, Tensor, Var};

use super::adapter::permute_rope_rows;
use super::testutil::write_tiny_llama_gguf;
use super::*;

fn tiny(seed: u64) -> (tempfile::TempDir, Model) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_llama_gguf(&path, seed).unwrap();
    let model = Model::load(&path).unwrap();
    (dir, model)
}

#[test]
fn tokenizer_round_trips_unicode_and_keeps_chatml_tokens_whole() -> Result<()> {
    let (_dir, model) = tiny(1);
    let tok = model.tokenizer();
    for text in [
        "the return in def",
        "héllo wörld — 你好, 🦀 crab\n\ttabs  and  spaces 12345",
        "",
    ] {
        let ids = tok.encode_plain(text)?;
        assert_eq!(tok.decode(&ids, false)?, text);
    }
    // Merges are used: "the" is one token, not three bytes.
    assert_eq!(tok.encode_plain("the")?.len(), 1);

    let im_start = tok.encode("<|im_start|>")?;
    assert_eq!(im_start.len(), 1);
    assert_eq!(Some(im_start[0]), tok.specials().im_start);
    let turn = tok.encode("<|im_start|>user\nhi<|im_end|>")?;
    assert_eq!(turn.first().copied(), tok.specials().im_start);
    assert_eq!(turn.last().copied(), tok.specials().im_end);
    // Untrusted text cannot smuggle in control tokens.
    let plain = tok.encode_plain("<|im_start|>")?;
    assert!(plain.len() > 1);
    assert!(!plain.contains(&im_start[0]));
    assert_eq!(tok.decode(&plain, true)?, "<|im_start|>");
    // Specials vanish when decoding with skip_special.
    assert_eq!(tok.decode(&turn, true)?, "user\nhi");
    assert_eq!(tok.stop_ids().len(), 2); // <|im_end|> (= eos) and <|endoftext|>
    Ok(())
}

#[test]
fn rope_row_permutation_is_inverted_by_save_direction() -> Result<()> {
    let heads = 3;
    let b = Tensor::arange(0f32, (3 * 8 * 2) as f32, &Device::Cpu)?.reshape((24, 2))?;
    let gguf = permute_rope_rows(&b, heads, true)?;
    // Head 0 of PEFT order has rows 0..8 as [first half 0..4 | second half 4..8];
    // GGUF interleaves them: 0,4,1,5,2,6,3,7.
    let first_col: Vec<f32> = gguf.narrow(1, 0, 1)?.flatten_all()?.to_vec1()?;
    assert_eq!(&first_col[..8], &[0., 8., 2., 10., 4., 12., 6., 14.]);
    let back = permute_rope_rows(&gguf, heads, false)?;
    assert_eq!(
        back.flatten_all()?.to_vec1::<f32>()?,
        b.flatten_all()?.to_vec1::<f32>()?
    );
    Ok(())
}

#[test]
fn installed_names_replace_the_quantization_tag() {
    assert_eq!(
        installed_name("SmolLM2-135M-Instruct.Q4_1.gguf"),
        "SmolLM2-135M-Instruct.Q8_0.gguf"
    );
    assert_eq!(installed_name("model.f16.gguf"), "model.Q8_0.gguf");
    assert_eq!(installed_name("my.model.gguf"), "my.model.Q8_0.gguf");
}

#[test]
fn differentiable_mode_passes_gradients_to_lora_factors() -> Result<()> {
    let (_dir, mut model) = tiny(3);
    model.set_mode(ForwardMode::Differentiable);
    let cfg = model.config().clone();
    let r = 2;
    let (out, inp) = Projection::Q.shape(&cfg);
    let a = Var::from_tensor(&Tensor::ones(
        (r, inp),
        candle_core::DType::F32,
        &Device::Cpu,
    )?)?;
    let b = Var::zeros((out, r), candle_core::DType::F32, &Device::Cpu)?;
    let adapter = Adapter::from_weights(
        AdapterConfig::new(r, 4.0, &[Projection::Q], "tiny"),
        &cfg,
        vec![LoraWeights {
            layer: 1,
            projection: Projection::Q,
            a: a.as_tensor().clone(),
            b: b.as_tensor().clone(),
        }],
    )?;
    let tokens = [1u32, 40, 41, 42, 43];
    let lora = LoraActivation {
        adapter: &adapter,
        from_position: 3,
    };
    let logits = model.forward(&tokens, &mut model.new_cache(), Some(lora), Logits::All)?;
    let loss = candle_nn::loss::cross_entropy(
        &logits.narrow(0, 3, 2)?,
        &Tensor::new(&[7u32, 9], &Device::Cpu)?,
    )?;
    let grads = loss.backward()?;
    let gb = grads
        .get(b.as_tensor())
        .ok_or_else(|| ModelError::InvalidArgument("no gradient for B".into()))?;
    let norm = gb.sqr()?.sum_all()?.to_scalar::<f32>()?;
    assert!(norm > 0.0, "gradient of B is zero");
    Ok(())
}

#[test]
fn a_length_floor_keeps_an_answer_from_ending_early() -> Result<()> {
    let (_dir, model) = tiny(4);
    let cache = model.prefill(&[1, 40, 41])?;
    let free = GenerateOptions {
        max_tokens: 12,
        stop_ids: vec![u32::MAX],
        repetition: None,
        floor: None,
    };
    let tokens = model.generate(&cache, &[42], None, &free)?.tokens;
    // A token that first appears after the start becomes the stop token:
    // without a floor, the answer ends right before it.
    let (at, &stop) = tokens
        .iter()
        .enumerate()
        .skip(1)
        .find(|(i, t)| !tokens[..*i].contains(t))
        .expect("the tiny model's answer repeats one token");
    let stopping = GenerateOptions {
        stop_ids: vec![stop],
        ..free.clone()
    };
    let g = model.generate(&cache, &[42], None, &stopping)?;
    assert_eq!((g.tokens.len(), g.finish), (at, FinishReason::Stop));

    let floor = |penalty| GenerateOptions {
        floor: Some(LengthFloor {
            min_tokens: at + 2,
            end_ids: Vec::new(),
            penalty,
        }),
        ..stopping.clone()
    };
    let g = model.generate(&cache, &[42], None, &floor(f32::INFINITY))?;
    assert!(g.tokens.len() >= at + 2, "{g:?}");
    assert!(!g.tokens[..at + 2].contains(&stop), "{g:?}");
    // No penalty, no change.
    let g = model.generate(&cache, &[42], None, &floor(0.0))?;
    assert_eq!(g.tokens.len(), at);
    Ok(())
}

#[test]
fn generation_respects_budget_and_context() -> Result<()> {
    let (_dir, model) = tiny(4);
    let cache = model.prefill(&[1, 40, 41])?;
    let opts = GenerateOptions {
        max_tokens: 5,
        stop_ids: vec![u32::MAX],
        repetition: None,
        floor: None,
    };
    let g = model.generate(&cache, &[42], None, &opts)?;
    assert_eq!(g.tokens.len(), 5);
    assert_eq!(g.finish, FinishReason::Length);

    let zero = GenerateOptions {
        max_tokens: 0,
        ..opts.clone()
    };
    assert!(model
        .generate(&cache, &[42], None, &zero)?
        .tokens
        .is_empty());

    let ctx = model.config().context_length;
    let long = GenerateOptions {
        max_tokens: ctx,
        ..opts
    };
    let g = model.generate(&cache, &[42], None, &long)?;
    assert_eq!(g.finish, FinishReason::ContextFull);
    // 4 prompt tokens fill the cache, each answer token but the last is fed
    // back: 4 + (n - 1) == ctx.
    assert_eq!(g.tokens.len(), ctx - 3);

    let too_long = vec![5u32; ctx + 1];
    assert!(matches!(
        model.prefill(&too_long),
        Err(ModelError::ContextOverflow { .. })
    ));
    assert!(matches!(
        model.prefill(&[u32::MAX]),
        Err(ModelError::TokenOutOfRange { .. })
    ));
    assert!(matches!(
        model.prefill(&[]),
        Err(ModelError::InvalidArgument(_))
    ));
    Ok(())
}

#[test]
fn model_and_adapter_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Model>();
    assert_send_sync::<Adapter>();
    assert_send_sync::<KvCache>();
}

/// An `adapter_config.json` as `peft` writes it for a LoRA on SmolLM2.
const PEFT_CONFIG: &str = r#"{
  "alpha_pattern": {},
  "auto_mapping": null,
  "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct",
  "bias": "none",
  "fan_in_fan_out": false,
  "inference_mode": true,
  "init_lora_weights": true,
  "layers_to_transform": null,
  "lora_alpha": 32,
  "lora_dropout": 0.05,
  "peft_type": "LORA",
  "r": 2,
  "rank_pattern": {},
  "revision": null,
  "target_modules": ["q_proj", "v_proj"],
  "task_type": "CAUSAL_LM",
  "use_dora": false,
  "use_rslora": false
}"#;

#[test]
fn peft_config_files_are_read_and_unknown_fields_kept() -> Result<()> {
    let (dir, model) = tiny(2);
    let config: AdapterConfig = serde_json::from_str(PEFT_CONFIG)
        .map_err(|e| ModelError::InvalidArgument(e.to_string()))?;
    assert_eq!(config.r, 2);
    assert_eq!(config.scale(), 16.0);
    assert_eq!(
        config.extra.get("use_dora"),
        Some(&serde_json::Value::Bool(false))
    );
    let adapter = Adapter::initialized(config, model.config(), &[Projection::Q, Projection::V], 1)?;
    let path = dir.path().join("peft");
    adapter.save(&path)?;
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path.join("adapter_config.json"))
            .map_err(|e| ModelError::io(&path, e))?,
    )
    .map_err(|e| ModelError::InvalidArgument(e.to_string()))?;
    assert_eq!(saved["task_type"], "CAUSAL_LM");
    assert_eq!(
        saved["target_modules"],
        serde_json::json!(["q_proj", "v_proj"])
    );
    // The config names SmolLM2, which the tiny model is not: refused by name.
    let err = Adapter::load(&path, model.config()).unwrap_err();
    assert!(matches!(err, ModelError::AdapterBase { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("HuggingFaceTB/SmolLM2-135M-Instruct"), "{msg}");
    assert!(msg.contains("llama model (2 layers, 64 wide)"), "{msg}");
    let mine = PEFT_CONFIG.replace("HuggingFaceTB/SmolLM2-135M-Instruct", "my/tiny-llama");
    std::fs::write(path.join("adapter_config.json"), &mine)
        .map_err(|e| ModelError::io(&path, e))?;
    assert_eq!(Adapter::load(&path, model.config())?.weights().len(), 2 * 2);

    // Semantics the engine does not implement are refused, not ignored.
    for (from, to) in [
        ("\"my/tiny-llama\"", "\"Qwen/Qwen2.5-Coder-0.5B-Instruct\""),
        ("\"bias\": \"none\"", "\"bias\": \"all\""),
        ("\"use_dora\": false", "\"use_dora\": true"),
        ("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\""),
    ] {
        let changed = mine.replace(from, to);
        assert_ne!(changed, mine);
        std::fs::write(path.join("adapter_config.json"), changed)
            .map_err(|e| ModelError::io(&path, e))?;
        let err = Adapter::load(&path, model.config()).unwrap_err();
        assert!(
            matches!(
                err,
                ModelError::AdapterConfig { .. } | ModelError::AdapterBase { .. }
            ),
            "{to}: {err}"
        );
    }
    Ok(())
}

fn tiny_qwen2(seed: u64) -> (tempfile::TempDir, Model) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny-qwen2.gguf");
    testutil::write_tiny_llama_gguf_with(&path, &testutil::TinySpec::qwen2(seed)).unwrap();
    let model = Model::load(&path).unwrap();
    (dir, model)
}

/// The words a tokenizer's pre-tokenizer cuts `text` into, with GPT-2's
/// byte characters for space and newline turned back.
fn words(tok: &TextTokenizer, text: &str) -> Vec<String> {
    use tokenizers::{OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer};
    let mut pre = PreTokenizedString::from(text);
    tok.inner()
        .get_pre_tokenizer()
        .expect("a pre-tokenizer")
        .pre_tokenize(&mut pre)
        .unwrap();
    pre.get_splits(OffsetReferential::Original, OffsetType::Char)
        .into_iter()
        .map(|(w, _, _)| w.replace('Ġ', " ").replace('Ċ', "\n"))
        .collect()
}

#[test]
fn qwen2_pre_tokenizer_follows_qwen2_rules_not_gpt2() {
    let (_d, qwen) = tiny_qwen2(1);
    let (_e, smol) = tiny(1);
    let text = "x = 12345;\n\n  foo's";
    assert_eq!(
        words(qwen.tokenizer(), text),
        ["x", " =", " ", "1", "2", "3", "4", "5", ";\n\n", " ", " foo", "'s"]
    );
    // SmolLM2's rules: digits alone too, but GPT-2's regex keeps the
    // space before a number and cuts newlines off the punctuation.
    assert_ne!(words(smol.tokenizer(), text), words(qwen.tokenizer(), text));

    let tok = qwen.tokenizer();
    for text in [
        "héllo wörld — 你好 🦀\n\tfn main() {}",
        "the return in def",
        "",
    ] {
        assert_eq!(
            tok.decode(&tok.encode_plain(text).unwrap(), false).unwrap(),
            text
        );
    }
    // Qwen2 composes text first: a decomposed é is the precomposed one.
    assert_eq!(
        tok.encode_plain("cafe\u{301}").unwrap(),
        tok.encode_plain("caf\u{e9}").unwrap()
    );
    assert_eq!(tok.encode("<|im_start|>").unwrap().len(), 1);
}

#[test]
fn an_unknown_pre_tokenizer_is_an_error_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.gguf");
    let mut spec = testutil::TinySpec::new(1);
    spec.pre_tokenizer = "deepseek-coder".into();
    testutil::write_tiny_llama_gguf_with(&path, &spec).unwrap();
    let err = Model::load(&path).unwrap_err();
    assert!(matches!(err, ModelError::Tokenizer(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("\"deepseek-coder\""), "{msg}");
    assert!(msg.contains("qwen2") && msg.contains("smollm"), "{msg}");
}

/// `ExactFrom` computes a long enough chunk's products in f32 (as the
/// dense path does), and leaves shorter chunks to the usual kernels, which
/// round activations to 8 bits (on every CPU: snipdex's kernel or candle's).
#[test]
fn exact_mode_takes_f32_products_from_its_row_count() -> Result<()> {
    let (_dir, mut model) = tiny(5);
    let tokens = [1u32, 40, 41, 42, 43];
    let mut run = |mode| -> Result<Vec<f32>> {
        model.set_mode(mode);
        let mut cache = model.new_cache();
        let logits = model.forward(&tokens, &mut cache, None, Logits::All)?;
        Ok(logits.flatten_all()?.to_vec1::<f32>()?)
    };
    let dense = run(ForwardMode::Differentiable)?;
    let exact = run(ForwardMode::ExactFrom { min_rows: 1 })?;
    let kernel = run(ForwardMode::default())?;
    let short = run(ForwardMode::ExactFrom { min_rows: 6 })?;
    let gap = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max)
    };
    assert!(gap(&exact, &dense) < 1e-4, "exact {}", gap(&exact, &dense));
    assert!(
        gap(&kernel, &dense) > 1e-4,
        "kernel {}",
        gap(&kernel, &dense)
    );
    // Five rows are fewer than six: the kernels, bit for bit.
    assert_eq!(short, kernel);
    Ok(())
}
