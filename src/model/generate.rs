//! Greedy decoding with stop tokens, a token budget and a loop guard.

use candle_core::Tensor;

use super::adapter::Adapter;
use super::error::{ModelError, Result};
use super::llama::{KvCache, Logits, LoraActivation, Model};

/// Stops generation once the output ends in a short pattern repeated many
/// times, the typical failure of small models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepetitionGuard {
    /// Longest repeating unit (in tokens) that is looked for.
    pub max_period: usize,
    /// A unit must repeat at least this many times...
    pub min_repeats: usize,
    /// ...and the repeats must cover at least this many tokens, so that
    /// legitimate short runs (`====`, indentation) are not cut.
    pub min_span: usize,
}

impl Default for RepetitionGuard {
    fn default() -> Self {
        Self {
            max_period: 16,
            min_repeats: 3,
            min_span: 16,
        }
    }
}

impl RepetitionGuard {
    /// If `tokens` ends in a loop, how many trailing tokens are the extra
    /// copies (everything but the first occurrence of the unit).
    pub fn excess(&self, tokens: &[u32]) -> Option<usize> {
        (1..=self.max_period).find_map(|p| {
            let repeats = self.min_repeats.max(self.min_span.div_ceil(p)).max(2);
            let span = p * repeats;
            if span > tokens.len() {
                return None;
            }
            let tail = &tokens[tokens.len() - span..];
            tail.iter()
                .zip(&tail[p..])
                .all(|(a, b)| a == b)
                .then_some(span - p)
        })
    }
}

/// A soft minimum length: while the answer is shorter than `min_tokens`,
/// the logits of `end_ids` (tokens that would end it or its sentence) are
/// lowered by `penalty`. Greedy decoding of a small model tends to end
/// sooner than the texts it was trained on; this counters that without
/// forbidding a short answer the model is sure of.
#[derive(Debug, Clone, PartialEq)]
pub struct LengthFloor {
    pub min_tokens: usize,
    pub end_ids: Vec<u32>,
    /// Subtracted from those logits; `f32::INFINITY` forbids them.
    pub penalty: f32,
}

/// Settings of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Token budget for the answer.
    pub max_tokens: usize,
    /// Tokens that end the answer (not included in it). Empty means the
    /// tokenizer's end-of-turn tokens ([`super::TextTokenizer::stop_ids`]).
    pub stop_ids: Vec<u32>,
    pub repetition: Option<RepetitionGuard>,
    pub floor: Option<LengthFloor>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_tokens: 128,
            stop_ids: Vec::new(),
            repetition: Some(RepetitionGuard::default()),
            floor: None,
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// A stop token was produced.
    Stop,
    /// The token budget was used up.
    Length,
    /// The output started looping; the repeated copies were dropped.
    Repetition,
    /// The context window is full.
    ContextFull,
}

/// The result of [`Model::generate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    /// Answer tokens, without the stop token.
    pub tokens: Vec<u32>,
    /// The answer decoded, special tokens skipped.
    pub text: String,
    pub finish: FinishReason,
}

/// Highest logit; ties go to the lowest id. NaNs are skipped so one bad
/// value cannot hijack the choice.
fn argmax(logits: &Tensor) -> Result<u32> {
    argmax_values(&logits.flatten_all()?.to_vec1::<f32>()?)
}

fn argmax_values(values: &[f32]) -> Result<u32> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .fold(None, |best: Option<(usize, f32)>, (i, &v)| match best {
            Some((_, b)) if b >= v => best,
            _ => Some((i, v)),
        })
        .map(|(i, _)| i as u32)
        .ok_or_else(|| ModelError::InvalidArgument("model produced only NaN logits".into()))
}

impl Model {
    /// Continues a prefilled base-model prefix with `suffix` and decodes
    /// greedily. The adapter, if any, acts on the suffix and the answer only,
    /// so `prefix` can be shared by every task. `prefix` is not modified.
    pub fn generate(
        &self,
        prefix: &KvCache,
        suffix: &[u32],
        adapter: Option<&Adapter>,
        opts: &GenerateOptions,
    ) -> Result<Generation> {
        let mut cache = prefix.clone();
        let lora = adapter.map(|adapter| LoraActivation {
            adapter,
            from_position: prefix.len(),
        });
        let logits = self.forward(suffix, &mut cache, lora, Logits::Last)?;
        self.decode(cache, logits, lora, opts)
    }

    /// The same computation without a shared cache: the whole `prompt` runs
    /// in one pass, with the adapter active from `activate_at` on. Slower when
    /// several tasks share a prefix; useful as a reference.
    pub fn generate_unshared(
        &self,
        prompt: &[u32],
        activate_at: usize,
        adapter: Option<&Adapter>,
        opts: &GenerateOptions,
    ) -> Result<Generation> {
        let mut cache = self.new_cache();
        let lora = adapter.map(|adapter| LoraActivation {
            adapter,
            from_position: activate_at,
        });
        let logits = self.forward(prompt, &mut cache, lora, Logits::Last)?;
        self.decode(cache, logits, lora, opts)
    }

    fn decode(
        &self,
        mut cache: KvCache,
        mut logits: Tensor,
        lora: Option<LoraActivation<'_>>,
        opts: &GenerateOptions,
    ) -> Result<Generation> {
        let mut decoder = Decoder::new(self, opts);
        while let Some(next) = decoder.step(&logits, cache.len(), self.config().context_length)? {
            logits = self.forward(&[next], &mut cache, lora, Logits::Last)?;
        }
        decoder.finish(self)
    }
}

/// Greedy choices for one sequence, a step at a time. The one-sequence and
/// the batched decode both go through it, so they stop for the same reasons.
pub(super) struct Decoder<'o> {
    opts: &'o GenerateOptions,
    stop_ids: Vec<u32>,
    tokens: Vec<u32>,
    finish: Option<FinishReason>,
}

impl<'o> Decoder<'o> {
    pub(super) fn new(model: &Model, opts: &'o GenerateOptions) -> Self {
        let stop_ids = if opts.stop_ids.is_empty() {
            model.tokenizer().stop_ids()
        } else {
            opts.stop_ids.clone()
        };
        Self {
            opts,
            stop_ids,
            tokens: Vec::new(),
            finish: None,
        }
    }

    /// Chooses the next token from `logits` (the sequence's cache holding
    /// `cached` tokens). Returns the token to feed back, or `None` once
    /// the answer is finished.
    pub(super) fn step(
        &mut self,
        logits: &Tensor,
        cached: usize,
        context: usize,
    ) -> Result<Option<u32>> {
        let (opts, tokens) = (self.opts, &mut self.tokens);
        if self.finish.is_some() {
            return Ok(None);
        }
        if tokens.len() >= opts.max_tokens {
            self.finish = Some(FinishReason::Length);
            return Ok(None);
        }
        let next = match &opts.floor {
            Some(floor) if tokens.len() < floor.min_tokens => {
                let mut values = logits.flatten_all()?.to_vec1::<f32>()?;
                for &id in floor.end_ids.iter().chain(&self.stop_ids) {
                    if let Some(v) = values.get_mut(id as usize) {
                        *v -= floor.penalty;
                    }
                }
                argmax_values(&values)?
            }
            _ => argmax(logits)?,
        };
        if self.stop_ids.contains(&next) {
            self.finish = Some(FinishReason::Stop);
            return Ok(None);
        }
        tokens.push(next);
        if let Some(excess) = opts.repetition.and_then(|g| g.excess(tokens)) {
            tokens.truncate(tokens.len() - excess);
            self.finish = Some(FinishReason::Repetition);
            return Ok(None);
        }
        if tokens.len() >= opts.max_tokens {
            self.finish = Some(FinishReason::Length);
            return Ok(None);
        }
        if cached >= context {
            self.finish = Some(FinishReason::ContextFull);
            return Ok(None);
        }
        Ok(Some(next))
    }

    /// The answer; a decoder stopped early (cancelled) reports `Length`.
    pub(super) fn finish(self, model: &Model) -> Result<Generation> {
        let text = model.tokenizer().decode(&self.tokens, true)?;
        Ok(Generation {
            tokens: self.tokens,
            text,
            finish: self.finish.unwrap_or(FinishReason::Length),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_guard_finds_loops_and_keeps_one_copy() {
        let g = RepetitionGuard {
            max_period: 4,
            min_repeats: 3,
            min_span: 6,
        };
        // "1 2 3" three times: two copies are excess.
        assert_eq!(g.excess(&[9, 1, 2, 3, 1, 2, 3, 1, 2, 3]), Some(6));
        // A run of one token needs min_span copies.
        assert_eq!(g.excess(&[5, 5, 5, 5, 5]), None);
        assert_eq!(g.excess(&[5, 5, 5, 5, 5, 5]), Some(5));
        // Varied text is left alone.
        assert_eq!(g.excess(&[1, 2, 3, 4, 5, 6, 7, 8, 9]), None);
        assert_eq!(g.excess(&[]), None);
    }

    #[test]
    fn argmax_ignores_infinitely_penalised_values() -> Result<()> {
        // A floor with an infinite penalty turns a logit into -inf, which
        // must lose to any finite value.
        assert_eq!(argmax_values(&[f32::NEG_INFINITY, -50.0, f32::NAN])?, 1);
        Ok(())
    }

    #[test]
    fn argmax_prefers_first_maximum_and_skips_nan() -> Result<()> {
        let t = Tensor::new(
            &[0.5f32, f32::NAN, 2.0, 2.0, -1.0],
            &candle_core::Device::Cpu,
        )?;
        assert_eq!(argmax(&t)?, 2);
        let all_nan = Tensor::new(&[f32::NAN, f32::NAN], &candle_core::Device::Cpu)?;
        assert!(argmax(&all_nan).is_err());
        Ok(())
    }
}
