//! End-to-end tests of the model engine on tiny random models.

use snipdex::model::testutil::{write_tiny_llama_gguf_with, TinySpec};
use snipdex::model::{
    install_from_file, model_info, Adapter, AdapterConfig, ForwardMode, GenerateOptions,
    LoadOptions, Logits, LoraActivation, Model, ModelError, Projection,
};

mod model_support;

use model_support::*;

#[test]
fn forward_matches_candle_quantized_llama() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spec = TinySpec::new(7);
    assert!(!spec.untied_output);
    matches_reference_in_every_mode(dir.path(), &spec)
}

#[test]
fn shared_prefix_generates_the_same_tokens_as_unshared() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 11)?;
    let tok = model.tokenizer();
    let prefix = tok.encode("<|im_start|>system\nexplain the code<|im_end|>\n")?;
    let suffix = tok.encode("<|im_start|>user\nin return<|im_end|>\n<|im_start|>assistant\n")?;
    let opts = GenerateOptions {
        max_tokens: 24,
        stop_ids: vec![2],
        repetition: None,
        floor: None,
    };
    let adapter = random_adapter(&model, 4, 3)?;
    let cache = model.prefill(&prefix)?;
    let prompt: Vec<u32> = prefix.iter().chain(&suffix).copied().collect();
    for adapter in [None, Some(&adapter)] {
        let shared = model.generate(&cache, &suffix, adapter, &opts)?;
        let unshared = model.generate_unshared(&prompt, prefix.len(), adapter, &opts)?;
        assert!(!shared.tokens.is_empty());
        assert_eq!(shared, unshared);
    }
    // The shared cache is untouched and reusable.
    assert_eq!(cache.tokens(), prefix.as_slice());
    let base = model.generate(&cache, &suffix, None, &opts)?;
    let tuned = model.generate(&cache, &suffix, Some(&adapter), &opts)?;
    assert_ne!(
        base.tokens, tuned.tokens,
        "a strong adapter should change the answer"
    );
    Ok(())
}

#[test]
fn zero_b_adapter_leaves_logits_unchanged() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 5)?;
    let config = AdapterConfig::new(8, 16.0, &Projection::ALL, "tiny");
    let adapter = Adapter::initialized(config, model.config(), &Projection::ALL, 9)?;
    let tokens = [1u32, 100, 101, 102, 40, 41, 2];
    let base = model.forward(&tokens, &mut model.new_cache(), None, Logits::All)?;
    let lora = LoraActivation {
        adapter: &adapter,
        from_position: 0,
    };
    let tuned = model.forward(&tokens, &mut model.new_cache(), Some(lora), Logits::All)?;
    assert_eq!(max_abs_diff(&base, &tuned), 0.0);
    Ok(())
}

#[test]
fn adapter_acts_only_from_its_activation_position() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 6)?;
    let adapter = random_adapter(&model, 4, 1)?;
    let tokens = [1u32, 60, 61, 62, 63, 64, 65, 66, 67, 2];
    assert_adapter_acts_from(&model, &adapter, &tokens, 6)
}

#[test]
fn broken_model_files_give_clear_errors() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (path, _) = tiny_model(dir.path(), 2)?;
    let bytes = std::fs::read(&path)?;

    let truncated = dir.path().join("truncated.gguf");
    std::fs::write(&truncated, &bytes[..bytes.len() - 1000])?;
    let err = Model::load(&truncated).unwrap_err();
    assert!(matches!(err, ModelError::Truncated { .. }), "{err}");
    assert!(err.to_string().contains("truncated"));

    let header_only = dir.path().join("header.gguf");
    std::fs::write(&header_only, &bytes[..100])?;
    let err = Model::load(&header_only).unwrap_err();
    assert!(matches!(err, ModelError::InvalidModel { .. }), "{err}");

    let garbage = dir.path().join("garbage.gguf");
    std::fs::write(&garbage, b"this is not a model at all, just some text")?;
    let err = Model::load(&garbage).unwrap_err();
    assert!(matches!(err, ModelError::InvalidModel { .. }), "{err}");

    let mut spec = TinySpec::new(2);
    spec.architecture = "gpt-neox".into();
    let wrong_arch = dir.path().join("neox.gguf");
    write_tiny_llama_gguf_with(&wrong_arch, &spec)?;
    let err = Model::load(&wrong_arch).unwrap_err();
    assert!(
        matches!(&err, ModelError::UnsupportedArchitecture { found } if found == "gpt-neox"),
        "{err}"
    );

    let err = Model::load(&dir.path().join("missing.gguf")).unwrap_err();
    assert!(matches!(err, ModelError::Io { .. }), "{err}");
    Ok(())
}

#[test]
fn checksum_mismatch_is_refused_and_nothing_is_installed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (path, _) = tiny_model(dir.path(), 3)?;
    let models = dir.path().join("models");
    let wrong = "0".repeat(64);
    let err = install_from_file(&path, &models, Some(&wrong), &mut |_| {}).unwrap_err();
    assert!(
        matches!(&err, ModelError::ChecksumMismatch { expected, .. } if *expected == wrong),
        "{err}"
    );
    assert!(model_info(&models)?.is_empty());
    Ok(())
}

#[test]
fn install_converts_to_q8_0_and_reports_info() -> TestResult {
    let dir = tempfile::tempdir()?;
    let source = dir.path().join("tiny.Q4_1.gguf");
    let mut spec = TinySpec::new(4);
    spec.weight_dtype = candle_core::quantized::GgmlDType::Q4_1;
    write_tiny_llama_gguf_with(&source, &spec)?;
    let sha = snipdex::model::sha256_file(&source)?;
    let models = dir.path().join("models");
    let mut events = Vec::new();
    let installed = install_from_file(&source, &models, Some(&sha), &mut |e| events.push(e))?;
    assert_eq!(installed, models.join("tiny.Q8_0.gguf"));
    assert!(events
        .iter()
        .any(|e| matches!(e, snipdex::model::FetchEvent::Convert { .. })));

    let infos = model_info(&models)?;
    assert_eq!(infos.len(), 1);
    let info = &infos[0];
    assert_eq!(info.quantization.as_deref(), Some("Q8_0"));
    assert_eq!(info.source_sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(info.problem, None);
    assert_eq!(info.size_bytes, std::fs::metadata(&installed)?.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&installed)?.permissions().mode();
        assert_eq!(
            mode & 0o644,
            0o644,
            "installed model should be readable by all"
        );
    }

    // Q8_0 re-quantization keeps the Q4_1 model's behaviour.
    let opts = LoadOptions {
        mode: ForwardMode::Quantized,
    };
    let original = Model::load_with(&source, &opts)?;
    let converted = Model::load_with(&installed, &opts)?;
    let tokens = [1u32, 50, 51, 52, 53];
    let a = original.forward(&tokens, &mut original.new_cache(), None, Logits::All)?;
    let b = converted.forward(&tokens, &mut converted.new_cache(), None, Logits::All)?;
    let scale = a.abs()?.max_all()?.to_scalar::<f32>()?;
    assert!(max_abs_diff(&a, &b) < 0.05 * scale.max(1.0));
    Ok(())
}

#[test]
fn wrong_adapter_shapes_are_rejected_with_the_tensor_name() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, small) = tiny_model(dir.path(), 1)?;
    let big_path = dir.path().join("big.gguf");
    let mut spec = TinySpec::new(1);
    spec.embedding_length = 96;
    spec.head_count = 6;
    spec.head_count_kv = 3;
    write_tiny_llama_gguf_with(&big_path, &spec)?;
    let big = Model::load(&big_path)?;

    let adapter_dir = dir.path().join("adapter");
    random_adapter(&big, 4, 2)?.save(&adapter_dir)?;
    let err = Adapter::load(&adapter_dir, small.config()).unwrap_err();
    match &err {
        ModelError::AdapterShape {
            tensor,
            expected,
            found,
        } => {
            assert!(
                tensor.starts_with("base_model.model.model.layers.0."),
                "{tensor}"
            );
            assert_ne!(expected, found);
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().contains("lora_"));

    // An adapter validated for one model refuses to run on another.
    let loaded = Adapter::load(&adapter_dir, big.config())?;
    let lora = LoraActivation {
        adapter: &loaded,
        from_position: 0,
    };
    let err = small
        .forward(&[1, 2], &mut small.new_cache(), Some(lora), Logits::Last)
        .unwrap_err();
    assert!(matches!(err, ModelError::InvalidArgument(_)), "{err}");
    Ok(())
}

#[test]
fn adapter_save_load_round_trip_is_bit_exact() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 12)?;
    let adapter = random_adapter(&model, 4, 8)?;
    let first = dir.path().join("a1");
    adapter.save(&first)?;
    let loaded = Adapter::load(&first, model.config())?;
    assert_eq!(loaded.config(), adapter.config());
    let original = adapter.weights();
    let reloaded = loaded.weights();
    assert_eq!(original.len(), reloaded.len());
    for (x, y) in original.iter().zip(&reloaded) {
        assert_eq!((x.layer, x.projection), (y.layer, y.projection));
        for (s, t) in [(&x.a, &y.a), (&x.b, &y.b)] {
            let s: Vec<u32> = s
                .flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .map(|v| v.to_bits())
                .collect();
            let t: Vec<u32> = t
                .flatten_all()?
                .to_vec1::<f32>()?
                .iter()
                .map(|v| v.to_bits())
                .collect();
            assert_eq!(s, t);
        }
    }
    // Saving the loaded adapter reproduces the same files byte for byte.
    let second = dir.path().join("a2");
    loaded.save(&second)?;
    for file in ["adapter_model.safetensors", "adapter_config.json"] {
        assert_eq!(
            std::fs::read(first.join(file))?,
            std::fs::read(second.join(file))?
        );
    }
    Ok(())
}

#[test]
fn corrupted_headers_never_panic() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (path, _) = tiny_model(dir.path(), 21)?;
    let bytes = std::fs::read(&path)?;
    let broken = dir.path().join("broken.gguf");
    // Cut at many points of the header and the data.
    for cut in (0..bytes.len()).step_by(997) {
        std::fs::write(&broken, &bytes[..cut])?;
        assert!(Model::load(&broken).is_err(), "cut at {cut} loaded");
    }
    // Overwrite single header bytes with extreme values.
    let mut state = 0x5eed_u64;
    for _ in 0..300 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = (state >> 33) as usize % 4096;
        let mut copy = bytes.clone();
        copy[at] = if state & 1 == 0 { 0xff } else { 0x7f };
        std::fs::write(&broken, &copy)?;
        // Either a clean error or a (still valid) model; never a panic.
        let _ = Model::load(&broken);
    }
    Ok(())
}

/// The same adapter with its factors held as autograd variables: the
/// forward then takes the generic candle ops (as training does) instead of
/// the in-place kernel, and the KV cache concatenates instead of writing in
/// place. A reference for the fast decode path.
fn tracked_copy(model: &Model, adapter: &Adapter) -> Result<Adapter, ModelError> {
    let weights = adapter
        .weights()
        .into_iter()
        .map(|w| {
            Ok(snipdex::model::LoraWeights {
                a: candle_core::Var::from_tensor(&w.a)?.as_tensor().clone(),
                b: candle_core::Var::from_tensor(&w.b)?.as_tensor().clone(),
                ..w
            })
        })
        .collect::<Result<Vec<_>, candle_core::Error>>()?;
    Adapter::from_weights(adapter.config().clone(), model.config(), weights)
}

/// Greedy answers of the tiny model, recorded with the engine as it was
/// before the lean decode path (LoRA deltas as candle ops, the KV cache
/// concatenated each step). Faster code must not change a token.
#[test]
fn greedy_tokens_are_those_of_the_engine_before_the_lean_decode_path() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 11)?;
    let tok = model.tokenizer();
    let prefix = tok.encode("<|im_start|>system\nexplain the code<|im_end|>\n")?;
    let suffix = tok.encode("<|im_start|>user\nin return<|im_end|>\n<|im_start|>assistant\n")?;
    let opts = GenerateOptions {
        max_tokens: 40,
        stop_ids: vec![u32::MAX],
        repetition: None,
        floor: None,
    };
    let adapter = random_adapter(&model, 4, 3)?;
    let cache = model.prefill(&prefix)?;
    let base = model.generate(&cache, &suffix, None, &opts)?.tokens;
    let tuned = model
        .generate(&cache, &suffix, Some(&adapter), &opts)?
        .tokens;
    assert_eq!(base, PINNED_BASE);
    assert_eq!(tuned, PINNED_TUNED);
    Ok(())
}

const PINNED_BASE: &[u32] = &[
    244, 244, 244, 244, 244, 244, 244, 244, 244, 244, 244, 131, 38, 38, 78, 79, 223, 78, 79, 223,
    223, 131, 226, 270, 119, 141, 223, 147, 80, 116, 116, 54, 133, 149, 135, 185, 59, 78, 79, 214,
];
const PINNED_TUNED: &[u32] = &[
    219, 91, 128, 124, 57, 268, 279, 243, 266, 36, 173, 185, 185, 185, 185, 185, 91, 91, 91, 91,
    249, 249, 185, 272, 126, 196, 190, 174, 158, 281, 281, 281, 281, 281, 158, 244, 59, 187, 158,
    244,
];

#[test]
fn lean_decode_matches_the_generic_ops_token_for_token() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 5)?;
    let tok = model.tokenizer();
    let prefix = tok.encode("<|im_start|>system\nexplain the code<|im_end|>\n")?;
    let suffix = tok.encode("<|im_start|>user\nin return<|im_end|>\n<|im_start|>assistant\n")?;
    // Long enough for the cache to outgrow its first buffers.
    let opts = GenerateOptions {
        max_tokens: 180,
        stop_ids: vec![u32::MAX],
        repetition: None,
        floor: None,
    };
    let fast = random_adapter(&model, 4, 9)?;
    let generic = tracked_copy(&model, &fast)?;
    let cache = model.prefill(&prefix)?;
    let a = model.generate(&cache, &suffix, Some(&fast), &opts)?;
    let b = model.generate(&cache, &suffix, Some(&generic), &opts)?;
    assert_eq!(a.tokens.len(), 180);
    assert_eq!(a, b);

    // Logits of single steps agree closely, not just their argmax.
    let mut c1 = cache.clone();
    let mut c2 = cache.clone();
    for (i, &t) in suffix.iter().chain(&a.tokens[..20]).enumerate() {
        let on = |adapter| LoraActivation {
            adapter,
            from_position: prefix.len(),
        };
        let l1 = model.forward(&[t], &mut c1, Some(on(&fast)), Logits::Last)?;
        let l2 = model.forward(&[t], &mut c2, Some(on(&generic)), Logits::Last)?;
        let diff = max_abs_diff(&l1, &l2);
        assert!(diff < 1e-4, "step {i}: {diff}");
    }
    Ok(())
}

/// Clones share the cache's buffers until one of them appends: writing in
/// place must never show through another clone.
#[test]
fn cache_clones_never_see_each_others_tokens() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 6)?;
    let mut cache = model.prefill(&[1, 40, 41, 42])?;
    let snapshot = cache.clone();
    let mut other = cache.clone();
    // Both sides append different tokens, several times, past a growth step.
    for i in 0..140u32 {
        model.forward(&[50 + i % 60], &mut cache, None, Logits::Last)?;
        model.forward(&[120 - i % 60], &mut other, None, Logits::Last)?;
    }
    // The untouched snapshot still continues exactly like a fresh prefill.
    let mut fresh = model.prefill(&[1, 40, 41, 42])?;
    let mut from_snapshot = snapshot.clone();
    let want = model.forward(&[77, 78], &mut fresh, None, Logits::All)?;
    let got = model.forward(&[77, 78], &mut from_snapshot, None, Logits::All)?;
    assert_eq!(max_abs_diff(&want, &got), 0.0);
    // And a cache grown step by step matches one long pass over the same tokens.
    let tokens: Vec<u32> = [1, 40, 41, 42]
        .into_iter()
        .chain((0..140u32).map(|i| 50 + i % 60))
        .collect();
    let mut one_pass = model.new_cache();
    model.forward(&tokens, &mut one_pass, None, Logits::Last)?;
    let a = model.forward(&[9], &mut one_pass, None, Logits::Last)?;
    let b = model.forward(&[9], &mut cache, None, Logits::Last)?;
    assert!(max_abs_diff(&a, &b) < 1e-4, "{}", max_abs_diff(&a, &b));
    Ok(())
}

/// The four tasks decoded side by side give each task's answer exactly as
/// decoding them one after the other does: different suffix lengths,
/// adapters (and none), budgets and stop tokens, so rows leave the batch at
/// different steps.
#[test]
fn batched_decoding_gives_the_sequential_tokens() -> TestResult {
    use snipdex::model::BatchTask;
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 11)?;
    let tok = model.tokenizer();
    let prefix = tok.encode("<|im_start|>system\nexplain the code<|im_end|>\n")?;
    let suffixes = [
        tok.encode("<|im_start|>user\nin return<|im_end|>\n<|im_start|>assistant\n")?,
        tok.encode("<|im_start|>user\ndef<|im_end|>\n<|im_start|>assistant\n")?,
        tok.encode("<|im_start|>user\nthe code in the return<|im_end|>\n")?,
        tok.encode("<|im_start|>assistant\n")?,
    ];
    let adapters = [
        random_adapter(&model, 4, 3)?,
        random_adapter(&model, 2, 4)?,
        random_adapter(&model, 8, 5)?,
    ];
    let opts = |max_tokens, stop: u32| GenerateOptions {
        max_tokens,
        stop_ids: vec![stop],
        repetition: Some(Default::default()),
        floor: None,
    };
    let settings = [
        opts(30, u32::MAX),
        opts(9, u32::MAX),
        opts(40, 2),
        opts(25, u32::MAX),
    ];
    let tasks: Vec<BatchTask<'_>> = (0..4)
        .map(|i| BatchTask {
            suffix: &suffixes[i],
            adapter: adapters.get(i),
            opts: &settings[i],
        })
        .collect();
    let cache = model.prefill(&prefix)?;
    let none = model.generate_batch(&cache, &[], &mut || true)?;
    assert_eq!(none, Some(Vec::new()), "no tasks, no answers");
    let batched = model
        .generate_batch(&cache, &tasks, &mut || true)?
        .expect("not cancelled");
    let mut lengths = Vec::new();
    for (task, got) in tasks.iter().zip(&batched) {
        let want = model.generate(&cache, task.suffix, task.adapter, task.opts)?;
        assert_eq!(got, &want);
        lengths.push(got.tokens.len());
    }
    // Rows really left the batch at different steps.
    lengths.sort_unstable();
    lengths.dedup();
    assert!(lengths.len() > 1, "{lengths:?}");
    assert_eq!(cache.tokens(), prefix.as_slice());

    // Asked to stop, it stops.
    let mut steps = 0;
    let stopped = model.generate_batch(&cache, &tasks, &mut || {
        steps += 1;
        steps < 8
    })?;
    assert!(stopped.is_none());
    Ok(())
}

/// Bulk decoding: the tasks of several snippets (each its own prefix, more
/// rows than one step takes) decoded together give every snippet's answers
/// exactly as decoding that snippet alone does, with budgets, stop tokens
/// and the repetition guard acting per row, and cancellation stopping all.
#[test]
fn bulk_decoding_gives_each_snippets_own_tokens() -> TestResult {
    use snipdex::model::{BatchTask, MAX_STEP_ROWS};
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_model(dir.path(), 11)?;
    let tok = model.tokenizer();
    let snippets = [
        "explain the code",
        "def load(path): return json.load(open(path))",
        "ls -la | grep foo",
        "the code in the return of the code in the return",
        "SELECT id FROM users WHERE name = ?",
    ];
    let prefixes = snippets
        .iter()
        .map(|s| tok.encode(&format!("<|im_start|>system\n{s}<|im_end|>\n")))
        .collect::<Result<Vec<_>, _>>()?;
    let suffixes = [
        tok.encode("<|im_start|>user\nin return<|im_end|>\n<|im_start|>assistant\n")?,
        tok.encode("<|im_start|>user\ndef<|im_end|>\n<|im_start|>assistant\n")?,
        tok.encode("<|im_start|>user\nthe code in the return<|im_end|>\n")?,
        tok.encode("<|im_start|>assistant\n")?,
    ];
    let adapters = [
        random_adapter(&model, 4, 3)?,
        random_adapter(&model, 2, 4)?,
        random_adapter(&model, 8, 5)?,
    ];
    let opts = |max_tokens, stop: u32, guard: bool| GenerateOptions {
        max_tokens,
        stop_ids: vec![stop],
        repetition: guard.then_some(snipdex::model::RepetitionGuard {
            max_period: 4,
            min_repeats: 2,
            min_span: 4,
        }),
        floor: None,
    };
    let settings = [
        opts(30, u32::MAX, true),
        opts(9, u32::MAX, false),
        opts(40, 2, true),
        opts(25, u32::MAX, true),
    ];
    let tasks: Vec<BatchTask<'_>> = (0..4)
        .map(|i| BatchTask {
            suffix: &suffixes[i],
            adapter: adapters.get(i),
            opts: &settings[i],
        })
        .collect();
    let caches = prefixes
        .iter()
        .map(|p| model.prefill(p))
        .collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<_> = caches
        .iter()
        .flat_map(|c| tasks.iter().map(move |&t| (c, t)))
        .collect();
    assert!(rows.len() > MAX_STEP_ROWS, "more rows than one step takes");
    let bulk = model
        .generate_rows(&rows, &mut || true)?
        .expect("not cancelled");
    let mut lengths = Vec::new();
    for (cache, got) in caches.iter().zip(bulk.chunks(tasks.len())) {
        let alone = model
            .generate_batch(cache, &tasks, &mut || true)?
            .expect("not cancelled");
        assert_eq!(got, alone.as_slice());
        lengths.extend(got.iter().map(|g| g.tokens.len()));
    }
    // Rows left the batch at different steps, each by its own rule.
    lengths.sort_unstable();
    lengths.dedup();
    assert!(lengths.len() > 2, "{lengths:?}");
    for (cache, prefix) in caches.iter().zip(&prefixes) {
        assert_eq!(cache.tokens(), prefix.as_slice());
    }
    let mut steps = 0;
    let stopped = model.generate_rows(&rows, &mut || {
        steps += 1;
        steps < 8
    })?;
    assert!(stopped.is_none());
    Ok(())
}
