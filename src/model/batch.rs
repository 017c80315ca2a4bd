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
use super::ops::{causal_mask, heads, rms_norm, rope};
use super::{GenerateOptions, Generation};

/// One answer of a batch: its prompt suffix (after the shared prefix), the
/// adapter acting from that suffix on, and its decoding settings.
#[derive(Debug, Clone, Copy)]
pub struct BatchTask<'a> {
    pub suffix: &'a [u32],
    pub adapter: Option<&'a Adapter>,
    pub opts: &'a GenerateOptions,
}

/// One sequence's part of a batched forward: its next tokens (a task's
/// suffix, or the one token of a decode step) and its cache.
struct Row<'c, 'a> {
    tokens: Vec<u32>,
    cache: &'c mut KvCache,
    lora: Option<LoraActivation<'a>>,
}

/// Rows fed to one batched decode step at most; more live rows take
/// several steps. (A row's arithmetic does not depend on how many rows
/// share its step: the kernels are chosen as for its sequence alone.)
pub const MAX_STEP_ROWS: usize = 16;

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
        if tasks.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let context = self.config().context_length;
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
        for (prefix, _) in tasks {
            caches.push((*prefix).clone());
        }
        // The suffixes run as one chunk: the weights are read once for all
        // of them, each attends over its own prefix.
        let mut logits = Vec::with_capacity(tasks.len());
        if self.mode() == ForwardMode::Differentiable {
            for ((cache, (_, task)), &lora) in caches.iter_mut().zip(tasks).zip(&loras) {
                if !go_on() {
                    return Ok(None);
                }
                logits.push(self.forward(task.suffix, cache, lora, Logits::Last)?);
            }
        } else {
            if !go_on() {
                return Ok(None);
            }
            let mut rows: Vec<Row<'_, '_>> = caches
                .iter_mut()
                .zip(tasks)
                .zip(&loras)
                .map(|((cache, (_, task)), &lora)| Row {
                    tokens: task.suffix.to_vec(),
                    cache,
                    lora,
                })
                .collect();
            let chunk = self.forward_rows(&mut rows)?;
            for j in 0..tasks.len() {
                logits.push(chunk.narrow(0, j, 1)?);
            }
        }
        for ((cache, (_, task)), row_logits) in caches.iter().zip(tasks).zip(&logits) {
            let mut decoder = Decoder::new(self, task.opts);
            next.push(decoder.step(row_logits, cache.len(), context)?);
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
                .filter_map(|((cache, token), &lora)| {
                    token.map(|token| Row {
                        tokens: vec![token],
                        cache,
                        lora,
                    })
                })
                .collect();
            let mut logits = Vec::with_capacity(rows.len());
            if self.mode() == ForwardMode::Differentiable {
                // Training's mode has no batched step; rows go one by one.
                for row in &mut rows {
                    logits.push(self.forward(&row.tokens, row.cache, row.lora, Logits::Last)?);
                }
            } else {
                for chunk in rows.chunks_mut(MAX_STEP_ROWS) {
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

    /// One forward over several sequences' next tokens (one chunk each):
    /// logits `[rows, vocab]`, one row per sequence, for its last token. The
    /// projections run once over every row, each sequence's adapter acts on
    /// its own rows, and each attends over its own cache, which gains its
    /// tokens; on failure every cache is left as it was. A row's arithmetic
    /// is the one of its sequence fed alone to [`Model::forward`].
    fn forward_rows(&self, rows: &mut [Row<'_, '_>]) -> Result<Tensor> {
        for row in rows.iter() {
            self.check_inputs(&row.tokens, row.cache, row.lora)?;
        }
        let cfg = self.config();
        let mode = self.mode();
        let eps = cfg.rms_eps as f32;
        let (n_h, n_kv, hd) = (cfg.head_count, cfg.head_count_kv, cfg.head_dim);
        let style = cfg.architecture.rope_style();
        let starts: Vec<usize> = rows.iter().map(|r| r.cache.len()).collect();
        let lens: Vec<usize> = rows.iter().map(|r| r.tokens.len()).collect();
        let offsets: Vec<usize> = lens
            .iter()
            .scan(0, |at, &t| {
                let o = *at;
                *at += t;
                Some(o)
            })
            .collect();
        let longest = lens.iter().copied().max().unwrap_or(1);
        // Each row's adapter and the rows (of the whole chunk) it acts on.
        let adapters: Vec<Option<(&Adapter, std::ops::Range<usize>)>> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                r.lora.and_then(|l| {
                    let first = l.from_position.saturating_sub(starts[i]);
                    (first < lens[i]).then(|| (l.adapter, offsets[i] + first..offsets[i] + lens[i]))
                })
            })
            .collect();
        let ropes = starts
            .iter()
            .zip(&lens)
            .map(|(&s, &t)| Ok((self.cos.narrow(0, s, t)?, self.sin.narrow(0, s, t)?)))
            .collect::<Result<Vec<_>>>()?;
        let masks = starts
            .iter()
            .zip(&lens)
            .map(|(&s, &t)| (t > 1).then(|| causal_mask(t, s)).transpose())
            .collect::<Result<Vec<_>>>()?;
        let exclusive: Vec<bool> = rows.iter().map(|r| r.cache.is_exclusive()).collect();
        let mut kv: Vec<Vec<Option<LayerKv>>> =
            rows.iter().map(|r| r.cache.layers.clone()).collect();

        let tokens: Vec<u32> = rows.iter().flat_map(|r| r.tokens.iter().copied()).collect();
        let mut h = self
            .embed
            .embedding(&Tensor::new(tokens.as_slice(), &Device::Cpu)?)?;
        for (li, layer) in self.layers.iter().enumerate() {
            let proj = |p: Projection, x: &Tensor| -> Result<Tensor> {
                let mut y = layer.proj[p.index()].forward_as(x, mode, longest)?;
                for (adapter, range) in adapters.iter().flatten() {
                    if let Some(ab) = adapter.pair(li, p) {
                        y = add_delta(y, x, ab, adapter.scale(), range.clone())?;
                    }
                }
                Ok(y)
            };
            let x = rms_norm(&h, &layer.attn_norm, eps, mode)?;
            let q = proj(Projection::Q, &x)?;
            let k = proj(Projection::K, &x)?;
            let v = proj(Projection::V, &x)?;
            let mut ys = Vec::with_capacity(rows.len());
            for i in 0..rows.len() {
                let (o, t) = (offsets[i], lens[i]);
                let (cos, sin) = &ropes[i];
                // This sequence's rows of a projection, as heads.
                let rows_of = |x: &Tensor, n| heads(&x.narrow(0, o, t)?, t, n, hd);
                let qi = rope(&rows_of(&q, n_h)?, cos, sin, mode, style)?;
                let ki = rope(&rows_of(&k, n_kv)?, cos, sin, mode, style)?;
                let vi = rows_of(&v, n_kv)?;
                let (ki, vi) = LayerKv::append(&mut kv[i][li], ki, vi, starts[i], exclusive[i])?;
                ys.push(self.attend(&qi, &ki, &vi, masks[i].as_ref(), t)?);
            }
            let y = Tensor::cat(&ys, 0)?;
            h = (h + proj(Projection::O, &y)?)?;

            let x = rms_norm(&h, &layer.ffn_norm, eps, mode)?;
            let gate = candle_nn::ops::silu(&proj(Projection::Gate, &x)?)?;
            let up = proj(Projection::Up, &x)?;
            h = (h + proj(Projection::Down, &(gate * up)?)?)?;
        }
        let last: Vec<u32> = offsets
            .iter()
            .zip(&lens)
            .map(|(&o, &t)| (o + t - 1) as u32)
            .collect();
        let h = h.index_select(&Tensor::new(last.as_slice(), &Device::Cpu)?, 0)?;
        let h = rms_norm(&h, &self.final_norm, eps, mode)?;
        let logits = self.output.forward_as(&h, mode, 1)?;
        for ((row, layers), exclusive) in rows.iter_mut().zip(kv).zip(exclusive) {
            row.cache.commit(layers, &row.tokens, exclusive);
        }
        Ok(logits)
    }
}
