//! The engine on tiny random qwen2 models: logits against candle-transformers'
//! `quantized_qwen2`, and the same LoRA, shared-prefill and batched paths
//! that llama models take.

use candle_core::quantized::{gguf_file, QTensor};
use candle_core::Device;
use snipdex::model::testutil::TinySpec;
use snipdex::model::{
    Adapter, Architecture, BatchTask, GenerateOptions, Logits, LoraActivation, Model, ModelError,
    Projection,
};

mod model_support;

use model_support::*;

#[test]
fn qwen2_forward_matches_candle_quantized_qwen2() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spec = TinySpec::qwen2(7);
    let (_, model) = tiny_model_with(dir.path(), &spec)?;
    let cfg = model.config();
    assert_eq!(cfg.architecture, Architecture::Qwen2);
    assert_eq!((cfg.head_count, cfg.head_count_kv), (6, 2));
    assert!(!cfg.untied_output, "the default tiny qwen2 ties its output");
    matches_reference_in_every_mode(dir.path(), &spec)
}

#[test]
fn a_qwen2_file_without_its_biases_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (path, _) = tiny_qwen2_model(dir.path(), 3)?;
    let mut file = std::fs::File::open(&path)?;
    let content = gguf_file::Content::read(&mut file)?;
    let mut tensors = Vec::new();
    for name in content
        .tensor_infos
        .keys()
        .filter(|n| !n.ends_with(".bias"))
    {
        tensors.push((name.clone(), content.tensor(&mut file, name, &Device::Cpu)?));
    }
    let md: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let ts: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let no_bias = dir.path().join("no-bias.gguf");
    gguf_file::write(&mut std::fs::File::create(&no_bias)?, &md, &ts)?;
    let err = Model::load(&no_bias).unwrap_err();
    assert!(
        matches!(&err, ModelError::MissingTensor { name } if name == "blk.0.attn_q.bias"),
        "{err}"
    );
    Ok(())
}

#[test]
fn qwen2_shared_prefix_and_batch_give_the_unshared_tokens() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_qwen2_model(dir.path(), 11)?;
    let tok = model.tokenizer();
    let prefix = tok.encode("<|im_start|>system\nexplain the code<|im_end|>\n")?;
    let suffixes = [
        tok.encode("<|im_start|>user\nin return<|im_end|>\n<|im_start|>assistant\n")?,
        tok.encode("<|im_start|>user\ndef<|im_end|>\n<|im_start|>assistant\n")?,
        tok.encode("<|im_start|>assistant\n")?,
    ];
    let adapters = [random_adapter(&model, 4, 3)?, random_adapter(&model, 2, 4)?];
    let opts = GenerateOptions {
        max_tokens: 20,
        stop_ids: vec![u32::MAX],
        repetition: None,
        floor: None,
    };
    let cache = model.prefill(&prefix)?;
    for (i, suffix) in suffixes.iter().enumerate() {
        let adapter = adapters.get(i);
        let prompt: Vec<u32> = prefix.iter().chain(suffix).copied().collect();
        let shared = model.generate(&cache, suffix, adapter, &opts)?;
        let unshared = model.generate_unshared(&prompt, prefix.len(), adapter, &opts)?;
        assert_eq!(shared.tokens.len(), 20);
        assert_eq!(shared, unshared);
    }
    let base = model.generate(&cache, &suffixes[0], None, &opts)?;
    let tuned = model.generate(&cache, &suffixes[0], Some(&adapters[0]), &opts)?;
    assert_ne!(
        base.tokens, tuned.tokens,
        "a strong adapter changes the answer"
    );

    let tasks: Vec<BatchTask<'_>> = suffixes
        .iter()
        .enumerate()
        .map(|(i, suffix)| BatchTask {
            suffix,
            adapter: adapters.get(i),
            opts: &opts,
        })
        .collect();
    let batched = model
        .generate_batch(&cache, &tasks, &mut || true)?
        .expect("not cancelled");
    for (task, got) in tasks.iter().zip(&batched) {
        assert_eq!(
            got,
            &model.generate(&cache, task.suffix, task.adapter, task.opts)?
        );
    }
    assert_eq!(cache.tokens(), prefix.as_slice());
    Ok(())
}

#[test]
fn qwen2_adapter_acts_from_its_activation_and_keeps_peft_row_order() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, model) = tiny_qwen2_model(dir.path(), 6)?;
    let adapter = random_adapter(&model, 4, 1)?;
    let tokens = [1u32, 60, 61, 62, 63, 64, 65, 66, 2];
    let from = 5;
    assert_adapter_acts_from(&model, &adapter, &tokens, from)?;
    let lora = LoraActivation {
        adapter: &adapter,
        from_position: from,
    };
    let tuned = model.forward(&tokens, &mut model.new_cache(), Some(lora), Logits::All)?;

    // qwen2 GGUFs keep Hugging Face row order, so q/k factors are stored
    // as the engine holds them (a llama adapter's are permuted on save).
    let saved = dir.path().join("adapter");
    adapter.save(&saved)?;
    let bytes = std::fs::read(saved.join("adapter_model.safetensors"))?;
    let st = safetensors::SafeTensors::deserialize(&bytes)?;
    let key = "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight";
    let on_disk: Vec<f32> = st
        .tensor(key)?
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let (_, b) = adapter.pair(1, Projection::Q).expect("q adapted");
    assert_eq!(on_disk, b.flatten_all()?.to_vec1::<f32>()?);
    let loaded = Adapter::load(&saved, model.config())?;
    let again = model.forward(
        &tokens,
        &mut model.new_cache(),
        Some(LoraActivation {
            adapter: &loaded,
            from_position: from,
        }),
        Logits::All,
    )?;
    assert_eq!(max_abs_diff(&again, &tuned), 0.0);
    Ok(())
}

#[test]
fn adapters_do_not_cross_architectures() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_, qwen) = tiny_qwen2_model(dir.path(), 2)?;
    let (_, llama) = tiny_model(dir.path(), 2)?;
    let for_llama = random_adapter(&llama, 2, 1)?;
    let saved = dir.path().join("llama-adapter");
    for_llama.save(&saved)?;
    let err = Adapter::load(&saved, qwen.config()).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::AdapterShape { .. } | ModelError::AdapterTensor { .. }
        ),
        "{err}"
    );
    let lora = LoraActivation {
        adapter: &for_llama,
        from_position: 0,
    };
    let err = qwen
        .forward(&[1, 2], &mut qwen.new_cache(), Some(lora), Logits::Last)
        .unwrap_err();
    assert!(err.to_string().contains("adapter was built for"), "{err}");
    Ok(())
}
