//! Where two kernel choices part ways on an evaluation: for each row whose
//! answer differs, the first differing token and both candidates' logits
//! under each choice (`snipdex eval --precision A --explain-against B`).
//!
//! A greedy answer flips when the two best logits of a step are closer than
//! what the arithmetic changes; this says which step, by how much each
//! choice separated the two tokens, and so whether a score difference
//! between two builds is rounding or something larger.

use serde::Serialize;

use super::data::{Dataset, Row};
use super::encode::Encoder;
use super::error::TrainError;
use super::eval::{
    generate_options, generate_row, prediction, score, whole_prompt, EvalOptions, EvalReport,
    Prediction, Scores,
};
use crate::enrich::Prompts;
use crate::model::{Adapter, ForwardMode, Logits, LoraActivation, Model};

/// One row whose answers differ under two modes.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    /// The row's index in the data file (among the evaluated rows).
    pub row: usize,
    /// Answer tokens the two share before they differ.
    pub position: usize,
    /// The shared start of the answer, decoded.
    pub common: String,
    /// The token each mode picks next: `[first mode's, second mode's]`.
    pub picks: [String; 2],
    /// Logits of `picks` under the first mode.
    pub logits_first: [f32; 2],
    /// Logits of `picks` under the second mode.
    pub logits_second: [f32; 2],
    /// The two whole answers.
    pub answers: [String; 2],
}

impl Divergence {
    /// How far the first mode preferred its pick over the other one.
    pub fn gap_first(&self) -> f32 {
        self.logits_first[0] - self.logits_first[1]
    }

    /// How far the second mode preferred its pick over the first mode's.
    pub fn gap_second(&self) -> f32 {
        self.logits_second[1] - self.logits_second[0]
    }
}

/// The second mode's answers and where they part from the first's.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The second mode's scores on the same rows.
    pub scores: Scores,
    pub predictions: Vec<Prediction>,
    pub divergences: Vec<Divergence>,
}

/// Regenerates every row of `report` (made under the model's mode) under
/// `against`, scores those answers, and explains each row whose answer
/// changes. `model` is left in its mode.
pub fn explain(
    model: &mut Model,
    prompts: &Prompts,
    data: &Dataset,
    adapter: Option<&Adapter>,
    opts: &EvalOptions,
    report: &EvalReport,
    against: ForwardMode,
) -> Result<Explanation, TrainError> {
    let modes = [model.mode(), against];
    let task = data.task;
    let gen_opts = generate_options(model, task, opts);
    let mut out = Vec::new();
    let mut predictions = Vec::with_capacity(report.predictions.len());
    // The encoder keeps its own tokenizer: the model's mode changes below.
    let tokenizer = model.tokenizer().clone();
    let encoder = Encoder::new(&tokenizer, prompts, task)?;
    let rows = &data.rows[..report.predictions.len().min(data.rows.len())];
    for (i, (row, first)) in rows.iter().zip(&report.predictions).enumerate() {
        model.set_mode(modes[1]);
        let second = generate_row(model, &encoder, row, adapter, &gen_opts)?;
        predictions.push(prediction(task, row, second.text.clone()));
        if second.text != first.raw {
            model.set_mode(modes[0]);
            let first = generate_row(model, &encoder, row, adapter, &gen_opts)?;
            let at = first
                .tokens
                .iter()
                .zip(&second.tokens)
                .take_while(|(a, b)| a == b)
                .count();
            let stop = tokenizer.stop_ids().first().copied().unwrap_or(0);
            let pick = |tokens: &[u32]| tokens.get(at).copied().unwrap_or(stop);
            let picks = [pick(&first.tokens), pick(&second.tokens)];
            let common = &first.tokens[..at];
            let logits_first = next_logits(model, &encoder, row, adapter, common)?;
            model.set_mode(modes[1]);
            let logits_second = next_logits(model, &encoder, row, adapter, common)?;
            let of = |l: &[f32]| picks.map(|t| l.get(t as usize).copied().unwrap_or(f32::NAN));
            let text = |ids: &[u32]| tokenizer.decode(ids, false);
            out.push(Divergence {
                row: i,
                position: at,
                common: text(common)?,
                picks: [text(&picks[..1])?, text(&picks[1..])?],
                logits_first: of(&logits_first),
                logits_second: of(&logits_second),
                answers: [first.text, second.text],
            });
        }
    }
    model.set_mode(modes[0]);
    let rows: Vec<&Row> = rows.iter().collect();
    Ok(Explanation {
        scores: score(task, &rows, &predictions),
        predictions,
        divergences: out,
    })
}

/// The logits after `answer`, teacher-forced through the chunks generation
/// runs: the prefix in one prefill, the invocation in one chunk, then one
/// token at a time (a chunk's length can choose the kernel).
fn next_logits(
    model: &Model,
    encoder: &Encoder<'_>,
    row: &Row,
    adapter: Option<&Adapter>,
    answer: &[u32],
) -> Result<Vec<f32>, TrainError> {
    let prefix = encoder.prefix(row)?;
    let (mut cache, first, from) = if whole_prompt(adapter) {
        let mut prompt = prefix;
        prompt.extend_from_slice(encoder.invocation());
        (model.new_cache(), prompt, 0)
    } else {
        let from = prefix.len();
        (model.prefill(&prefix)?, encoder.invocation().to_vec(), from)
    };
    let lora = adapter.map(|adapter| LoraActivation {
        adapter,
        from_position: from,
    });
    let mut logits = model.forward(&first, &mut cache, lora, Logits::Last)?;
    for &t in answer {
        logits = model.forward(&[t], &mut cache, lora, Logits::Last)?;
    }
    Ok(logits.flatten_all()?.to_vec1::<f32>()?)
}
