//! Decoding several answers over one prefix at once: the four tasks of a
//! snippet after its shared prefill.
//!
//! Each step feeds every unfinished answer's last token as one row of a
//! batch. The projections read the base weights once for all rows (on a CPU
//! a matrix-vector product is bound by reading the weights, so four rows
//! cost little more than one), each row adds its own adapter's delta, and
//! attends over its own cache: the shared prefix, copied once per row when
//! the row's suffix is first written (copy on write), plus its own tokens.
//! A finished row leaves the batch; the steps taken are the longest
//! answer's, not the sum of all answers.
//!
//! The arithmetic of every row is the one-row forward's, operation for
//! operation (candle's quantized matmul computes each row of a batch as it
//! computes a single row), so the answers are the sequential path's token
//! for token; a test holds it to that.

use candle_core::{Device, Tensor};

use super::adapter::Adapter;
use super::error::Result;
use super::generate::Decoder;
use super::gguf::Projection;
use super::llama::{ForwardMode, KvCache, LayerKv, Logits, LoraActivation, Model};
use super::lora::add_delta;
use super::ops::{heads, rms_norm, rope};
use super::{GenerateOptions, Generation};

/// One answer of a batch: its prompt suffix (after the shared prefix), the
/// adapter acting from that suffix on, and its decoding settings.
#[derive(Debug, Clone, Copy)]
pub struct BatchTask<'a> {
    pub suffix: &'a [u32],
    pub adapter: Option<&'a Adapter>,
    pub opts: &'a GenerateOptions,
}

/// One row of a batched step: a sequence's next token and its cache.
struct Row<'c, 'a> {
    token: u32,
    cache: &'c mut KvCache,
    lora: Option<LoraActivation<'a>>,
}

/// Rows fed to one batched step at most: within this many rows the LoRA
/// delta takes its in-place path and the projections their quantized
/// kernels (as for one row), so a row's arithmetic does not depend on how
/// many rows share its step. More live rows take several steps.
pub const MAX_STEP_ROWS: usize = super::lora::SMALL_ROWS;

impl Model {
    /// Generates every task's answer after `prefix` (left untouched), the
    /// answers decoded side by side. Gives the same answers as calling
    /// [`Model::generate`] for each task in turn. `go_on` is asked before
    /// every step; once it says no, `Ok(None)` comes back.
    pub fn generate_batch(
        &self,
        prefix: &KvCache,
        tasks: &[BatchTask<'_>],
        go_on: &mut dyn FnMut() -> bool,
    ) -> Result<Option<Vec<Generation>>> {
        let rows: Vec<_> = tasks.iter().map(|&task| (prefix, task)).collect();
        self.generate_rows(&rows, go_on)
    }

    /// Like [`Model::generate_batch`], each task after its own prefix: the
    /// tasks of several snippets decoded together (bulk enrichment). Each
    /// answer is the one [`Model::generate_batch`] gives for its snippet
    /// alone, token for token; stops, budgets and the repetition guard act
    /// per row.
    pub fn generate_rows(
        &self,
        tasks: &[(&KvCache, BatchTask<'_>)],
        go_on: &mut dyn FnMut() -> bool,
    ) -> Result<Option<Vec<Generation>>> {
        let context = self.config().context_length;
        let step_rows = match self.mode() {
            ForwardMode::Auto { min_rows } => MAX_STEP_ROWS.min(min_rows.saturating_sub(1)),
            _ => MAX_STEP_ROWS,
        }
        .max(1);
        let mut caches = Vec::with_capacity(tasks.len());
        let mut decoders = Vec::with_capacity(tasks.len());
        let mut next = Vec::with_capacity(tasks.len());
        let loras: Vec<_> = tasks
            .iter()
            .map(|(prefix, t)| {
                t.adapter.map(|adapter| LoraActivation {
                    adapter,
                    from_position: prefix.len(),
                })
            })
            .collect();
        for ((prefix, task), &lora) in tasks.iter().zip(&loras) {
            if !go_on() {
                return Ok(None);
            }
            // Suffixes differ in length: each runs as its own chunk.
            let mut cache = (*prefix).clone();
            let logits = self.forward(task.suffix, &mut cache, lora, Logits::Last)?;
            let mut decoder = Decoder::new(self, task.opts);
            next.push(decoder.step(&logits, cache.len(), context)?);
            caches.push(cache);
            decoders.push(decoder);
        }
        loop {
            let live: Vec<usize> = (0..tasks.len()).filter(|&i| next[i].is_some()).collect();
            if live.is_empty() {
                break;
            }
            if !go_on() {
                return Ok(None);
            }
            let mut rows: Vec<Row<'_, '_>> = caches
                .iter_mut()
                .zip(&next)
                .zip(&loras)
                .filter_map(|((cache, token), &lora)| token.map(|token| Row { token, cache, lora }))
                .collect();
            let mut logits = Vec::with_capacity(rows.len());
            if self.mode() == ForwardMode::Differentiable {
                // Training's mode has no batched step; rows go one by one.
                for row in &mut rows {
                    logits.push(self.forward(&[row.token], row.cache, row.lora, Logits::Last)?);
                }
            } else {
                for chunk in rows.chunks_mut(step_rows) {
                    let step = self.forward_rows(chunk)?;
                    for j in 0..chunk.len() {
                        logits.push(step.narrow(0, j, 1)?);
                    }
                }
            }
            drop(rows);
            for (row_logits, &i) in logits.iter().zip(&live) {
                next[i] = decoders[i].step(row_logits, caches[i].len(), context)?;
            }
        }
        decoders
            .into_iter()
            .map(|d| d.finish(self))
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// One decode step for several sequences: logits `[rows, vocab]`. Each
    /// cache gains its row's token; on failure every cache is left as it was.
    fn forward_rows(&self, rows: &mut [Row<'_, '_>]) -> Result<Tensor> {
        for row in rows.iter() {
            self.check_inputs(&[row.token], row.cache, row.lora)?;
        }
        let cfg = self.config();
        let mode = self.mode();
        let eps = cfg.rms_eps as f32;
        let (n_h, n_kv, hd) = (cfg.head_count, cfg.head_count_kv, cfg.head_dim);
        let style = cfg.architecture.rope_style();
        let n = rows.len();
        let starts: Vec<usize> = rows.iter().map(|r| r.cache.len()).collect();
        // The adapter acting on each row, if its position is past activation.
        let adapters: Vec<Option<&Adapter>> = rows
            .iter()
            .zip(&starts)
            .map(|(r, &start)| {
                r.lora
                    .filter(|l| l.from_position <= start)
                    .map(|l| l.adapter)
            })
            .collect();
        let ropes = starts
            .iter()
            .map(|&s| Ok((self.cos.narrow(0, s, 1)?, self.sin.narrow(0, s, 1)?)))
            .collect::<Result<Vec<_>>>()?;
        let exclusive: Vec<bool> = rows.iter().map(|r| r.cache.is_exclusive()).collect();
        let mut kv: Vec<Vec<Option<LayerKv>>> =
            rows.iter().map(|r| r.cache.layers.clone()).collect();

        let tokens: Vec<u32> = rows.iter().map(|r| r.token).collect();
        let mut h = self
            .embed
            .embedding(&Tensor::new(tokens.as_slice(), &Device::Cpu)?)?;
        for (li, layer) in self.layers.iter().enumerate() {
            let proj = |p: Projection, x: &Tensor| -> Result<Tensor> {
                let mut y = layer.proj[p.index()].forward(x, mode)?;
                for (i, adapter) in adapters.iter().enumerate() {
                    if let Some((adapter, ab)) =
                        adapter.and_then(|a| a.pair(li, p).map(|ab| (a, ab)))
                    {
                        y = add_delta(y, x, ab, adapter.scale(), i..i + 1)?;
                    }
                }
                Ok(y)
            };
            let x = rms_norm(&h, &layer.attn_norm, eps, mode)?;
            let q = proj(Projection::Q, &x)?;
            let k = proj(Projection::K, &x)?;
            let v = proj(Projection::V, &x)?;
            let mut ys = Vec::with_capacity(n);
            for i in 0..n {
                let (cos, sin) = &ropes[i];
                let qi = rope(
                    &heads(&q.narrow(0, i, 1)?, 1, n_h, hd)?,
                    cos,
                    sin,
                    mode,
                    style,
                )?;
                let ki = rope(
                    &heads(&k.narrow(0, i, 1)?, 1, n_kv, hd)?,
                    cos,
                    sin,
                    mode,
                    style,
                )?;
                let vi = heads(&v.narrow(0, i, 1)?, 1, n_kv, hd)?;
                let (ki, vi) = LayerKv::append(&mut kv[i][li], ki, vi, starts[i], exclusive[i])?;
                ys.push(self.attend(&qi, &ki, &vi, None, 1)?);
            }
            let y = Tensor::cat(&ys, 0)?;
            h = (h + proj(Projection::O, &y)?)?;

            let x = rms_norm(&h, &layer.ffn_norm, eps, mode)?;
            let gate = candle_nn::ops::silu(&proj(Projection::Gate, &x)?)?;
            let up = proj(Projection::Up, &x)?;
            h = (h + proj(Projection::Down, &(gate * up)?)?)?;
        }
        let h = rms_norm(&h, &self.final_norm, eps, mode)?;
        let logits = self.output.forward(&h, mode)?;
        for ((row, layers), exclusive) in rows.iter_mut().zip(kv).zip(exclusive) {
            row.cache.commit(layers, &[row.token], exclusive);
        }
        Ok(logits)
    }
}
