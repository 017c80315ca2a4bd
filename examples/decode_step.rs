//! Times the model's forward pass piece by piece: a prefill, one decode
//! step without and with a LoRA adapter, and a task suffix.
//!
//! ```sh
//! cargo run --release --example decode_step -- MODEL.gguf adapters/smollm2-135m/description
//! ```

use std::time::Instant;

use snipdex::model::{Adapter, KvCache, Logits, LoraActivation, Model};

fn best_ms(runs: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(best)
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(model), Some(adapter)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: decode_step MODEL.gguf ADAPTER_DIR");
    };
    let model = Model::load(model.as_ref())?;
    let adapter = Adapter::load(adapter.as_ref(), model.config())?;
    let prefix: Vec<u32> = (0..350u32).map(|i| 100 + (i * 37) % 20000).collect();
    let suffix: Vec<u32> = (0..30u32).map(|i| 200 + i * 11).collect();
    let mut cache = model.prefill(&prefix)?;
    let prefill = best_ms(4, || {
        cache = model.prefill(&prefix)?;
        Ok(())
    })?;
    let lora = LoraActivation {
        adapter: &adapter,
        from_position: prefix.len(),
    };
    // Steps continue one cache, as decoding does (its buffers have room).
    let mut stepping: KvCache = cache.clone();
    model.forward(&[42], &mut stepping, None, Logits::Last)?;
    let base = best_ms(16, || {
        model.forward(&[42], &mut stepping, None, Logits::Last)?;
        Ok(())
    })?;
    let tuned = best_ms(16, || {
        model.forward(&[42], &mut stepping, Some(lora), Logits::Last)?;
        Ok(())
    })?;
    let suffix_ms = best_ms(8, || {
        let mut c = cache.clone();
        model.forward(&suffix, &mut c, Some(lora), Logits::Last)?;
        Ok(())
    })?;
    println!("prefill of {} tokens   {prefill:8.1} ms", prefix.len());
    println!("decode step, base only  {base:8.2} ms");
    println!("decode step, with LoRA  {tuned:8.2} ms");
    println!("suffix of {} with LoRA   {suffix_ms:8.1} ms", suffix.len());
    Ok(())
}
