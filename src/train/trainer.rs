//! The LoRA training loop (CPU, fp32).
//!
//! Each optimiser update accumulates the gradients of `batch` examples, one
//! example at a time (examples differ in length; one at a time needs no
//! padding and keeps memory flat), averages them, clips their global norm
//! and takes an AdamW step. Only the LoRA factors are candle `Var`s; the
//! base weights are plain tensors, so nothing accumulates for them.

use std::ops::ControlFlow;
use std::path::Path;
use std::time::Instant;

use candle_core::{Device, Tensor, Var};

use super::checkpoint::{self, Checkpoint, RunState};
use super::data::{Dataset, SkipCounts};
use super::encode::{EncodedExample, Encoder};
use super::error::TrainError;
use super::optim::{clip_global_norm, lr_at, AdamW, SeededRng};
use super::settings::{StepReport, TrainLength, TrainOutcome, TrainSettings};
use crate::enrich::Prompts;
use crate::model::{
    Adapter, AdapterConfig, ForwardMode, Logits, LoraActivation, LoraWeights, Model,
};

/// Kernels for the prefix, which needs no gradient: f32 matmuls on the
/// dequantized weights the differentiable suffix has cached anyway.
const PREFIX_MODE: ForwardMode = ForwardMode::Auto { min_rows: 1 };

/// Trains an adapter for `settings.task` on `data` and writes it to `out`
/// (PEFT files; checkpoints in `out/checkpoint/` while running, removed at
/// the end). With `resume`, continues from the checkpoint in `out`, which
/// must come from a run with the same settings, data and model; without it,
/// an existing checkpoint is an error rather than silently overwritten.
///
/// `on_step` sees every update; when it breaks, a checkpoint is written and
/// the run ends with [`TrainError::Stopped`], to be continued with `resume`.
///
/// The model's forward mode is switched during training and restored after.
pub fn train(
    model: &mut Model,
    prompts: &Prompts,
    data: &Dataset,
    settings: &TrainSettings,
    out: &Path,
    resume: bool,
    on_step: &mut dyn FnMut(&StepReport) -> ControlFlow<()>,
) -> Result<(Adapter, TrainOutcome), TrainError> {
    settings.validate()?;
    let encoder = Encoder::new(model.tokenizer(), prompts, settings.task)?;
    let (examples, skipped) = encode_all(&encoder, data, model.config().context_length)?;
    let invocation = encoder.invocation().to_vec();
    let fingerprint = settings.fingerprint(data, model, &invocation);
    let total_steps = match settings.length {
        TrainLength::Steps(n) => n,
        TrainLength::Epochs(e) => {
            ((e * examples.len() as f64 / settings.batch as f64).ceil() as usize).max(1)
        }
    };

    let (adapter, moments, mut state, resumed_at) = if resume {
        let Checkpoint {
            adapter,
            first,
            second,
            state,
        } = checkpoint::load(out, model.config())?;
        let diff = checkpoint::differences(&state.fingerprint, &fingerprint);
        if !diff.is_empty() {
            return Err(TrainError::checkpoint(
                checkpoint::dir(out),
                format!(
                    "was made with other settings or inputs: {}",
                    diff.join("; ")
                ),
            ));
        }
        let at = state.step;
        (adapter, Some((first, second, at)), state, Some(at))
    } else {
        if checkpoint::exists(out) {
            return Err(TrainError::checkpoint(
                checkpoint::dir(out),
                "exists from an unfinished run: pass --resume to continue it, or delete it",
            ));
        }
        // The adapter records its base; one that names a known model this
        // is not would be refused by every loader, after the whole run.
        let named = crate::model::MODELS
            .iter()
            .find(|m| m.base_model == settings.base_model);
        if named.is_some_and(|m| !m.fits(model.config())) {
            return Err(TrainError::Settings(format!(
                "base_model {} is not the model being trained; name that model",
                settings.base_model
            )));
        }
        let mut config = AdapterConfig::new(
            settings.rank,
            settings.alpha,
            &settings.targets,
            &settings.base_model,
        );
        // Recorded the way PEFT's activated LoRA expects it, so that peft
        // applies the adapter from the same tokens on as snipdex does.
        config.alora_invocation_tokens = (!settings.standard).then(|| invocation.clone());
        let adapter =
            Adapter::initialized(config, model.config(), &settings.targets, settings.seed)?;
        let mut rng = SeededRng(settings.seed ^ 0xDA7A_0DE5_5EED_0001);
        let mut order: Vec<u32> = (0..examples.len() as u32).collect();
        rng.shuffle(&mut order);
        let state = RunState {
            version: 1,
            step: 0,
            total_steps,
            epoch: 1,
            cursor: 0,
            order,
            rng: rng.0,
            losses: Vec::new(),
            examples_seen: 0,
            elapsed_secs: 0.0,
            fingerprint,
        };
        (adapter, None, state, None)
    };
    if state.order.len() != examples.len() {
        return Err(TrainError::checkpoint(
            checkpoint::dir(out),
            "data order does not match the data",
        ));
    }

    let (vars, adapter) = to_vars(&adapter, model)?;
    let mut opt = AdamW::new(vars.clone(), settings.optimizer)?;
    if let Some((first, second, steps)) = moments {
        opt.restore(first, second, steps)?;
    }

    let saved_mode = model.mode();
    let result = run_steps(
        model, &examples, settings, out, &adapter, &vars, &mut opt, &mut state, on_step,
    );
    model.set_mode(saved_mode);
    result?;

    let trained = detached(&adapter, model)?;
    trained.save(out)?;
    checkpoint::remove(out)?;
    Ok((
        trained,
        TrainOutcome {
            total_rows: data.total,
            used_rows: examples.len(),
            skipped,
            steps: state.step,
            examples_seen: state.examples_seen,
            resumed_at,
            losses: state.losses,
            elapsed_secs: state.elapsed_secs,
        },
    ))
}

fn encode_all(
    encoder: &Encoder<'_>,
    data: &Dataset,
    context: usize,
) -> Result<(Vec<EncodedExample>, SkipCounts), TrainError> {
    let mut skipped = data.skipped;
    let mut examples = Vec::with_capacity(data.rows.len());
    for row in &data.rows {
        match encoder.example(row)? {
            None => skipped.missing_target += 1,
            Some(ex) if ex.fed_len() > context => skipped.too_long += 1,
            Some(ex) => examples.push(ex),
        }
    }
    if examples.is_empty() {
        return Err(TrainError::NoRows {
            path: data.path.clone(),
            task: data.task,
            reason: if skipped.too_long > 0 {
                format!(
                    "{} rows are longer than the context window and {} have no target \
                     left after the task's clean-up",
                    skipped.too_long, skipped.missing_target
                )
            } else {
                format!(
                    "no labelled row has a target left after the task's clean-up \
                     ({} without one)",
                    skipped.missing_target
                )
            },
        });
    }
    Ok((examples, skipped))
}

/// The adapter's factors as variables, and an adapter reading them.
fn to_vars(adapter: &Adapter, model: &Model) -> Result<(Vec<Var>, Adapter), TrainError> {
    let mut vars = Vec::new();
    let mut weights = Vec::new();
    for w in adapter.weights() {
        let a = Var::from_tensor(&w.a.detach())?;
        let b = Var::from_tensor(&w.b.detach())?;
        weights.push(LoraWeights {
            layer: w.layer,
            projection: w.projection,
            a: a.as_tensor().clone(),
            b: b.as_tensor().clone(),
        });
        vars.push(a);
        vars.push(b);
    }
    let adapter = Adapter::from_weights(adapter.config().clone(), model.config(), weights)?;
    Ok((vars, adapter))
}

/// A copy of the adapter's current values that later updates do not touch.
fn detached(adapter: &Adapter, model: &Model) -> Result<Adapter, TrainError> {
    let weights = adapter
        .weights()
        .into_iter()
        .map(|w| {
            Ok(LoraWeights {
                a: w.a.detach().copy()?,
                b: w.b.detach().copy()?,
                ..w
            })
        })
        .collect::<Result<Vec<_>, candle_core::Error>>()?;
    Ok(Adapter::from_weights(
        adapter.config().clone(),
        model.config(),
        weights,
    )?)
}

#[allow(clippy::too_many_arguments)]
fn run_steps(
    model: &mut Model,
    examples: &[EncodedExample],
    settings: &TrainSettings,
    out: &Path,
    adapter: &Adapter,
    vars: &[Var],
    opt: &mut AdamW,
    state: &mut RunState,
    on_step: &mut dyn FnMut(&StepReport) -> ControlFlow<()>,
) -> Result<(), TrainError> {
    while state.step < state.total_steps {
        let started = Instant::now();
        let mut sums: Vec<Option<Tensor>> = vec![None; vars.len()];
        let mut loss_sum = 0.0f32;
        for _ in 0..settings.batch {
            let ex = &examples[next_example(state) as usize];
            let loss = example_loss(model, adapter, ex, settings.standard)?;
            loss_sum += loss.to_scalar::<f32>()?;
            let grads = loss.backward()?;
            for (sum, var) in sums.iter_mut().zip(vars) {
                if let Some(g) = grads.get(var.as_tensor()) {
                    *sum = Some(match sum.take() {
                        Some(s) => (s + g)?,
                        None => g.clone(),
                    });
                }
            }
            state.examples_seen += 1;
        }
        let loss = loss_sum / settings.batch as f32;
        if !loss.is_finite() {
            return Err(TrainError::Diverged {
                step: state.step + 1,
                loss,
            });
        }
        let mut grads = sums
            .into_iter()
            .zip(vars)
            .map(|(g, v)| match g {
                Some(g) => g.affine(1.0 / settings.batch as f64, 0.0),
                None => v.zeros_like(),
            })
            .collect::<Result<Vec<_>, candle_core::Error>>()?;
        let grad_norm = clip_global_norm(&mut grads, settings.max_grad_norm)?;
        let lr = lr_at(state.step, state.total_steps, settings.warmup, settings.lr);
        opt.step(&grads, lr)?;
        state.step += 1;
        state.losses.push(loss);
        state.elapsed_secs += started.elapsed().as_secs_f64();
        let flow = on_step(&StepReport {
            step: state.step,
            total_steps: state.total_steps,
            loss,
            lr,
            grad_norm,
            epoch: state.epoch,
        });
        let every = settings.checkpoint_every;
        let due = every > 0 && state.step.is_multiple_of(every);
        let stop = flow.is_break();
        if state.step < state.total_steps && (due || stop) {
            checkpoint::save(out, adapter, opt.moments(), state)?;
            if stop {
                return Err(TrainError::Stopped { step: state.step });
            }
        }
    }
    Ok(())
}

/// The next example index, reshuffling at the end of each pass.
fn next_example(state: &mut RunState) -> u32 {
    if state.cursor >= state.order.len() {
        let mut rng = SeededRng(state.rng);
        state.order.sort_unstable();
        rng.shuffle(&mut state.order);
        state.rng = rng.0;
        state.cursor = 0;
        state.epoch += 1;
    }
    state.cursor += 1;
    state.order[state.cursor - 1]
}

/// Mean cross-entropy of the answer tokens (the closing `<|im_end|>`
/// included) given the prompt, differentiable with respect to the adapter.
pub(crate) fn example_loss(
    model: &mut Model,
    adapter: &Adapter,
    ex: &EncodedExample,
    standard: bool,
) -> Result<Tensor, TrainError> {
    let answer = ex.answer.len();
    let targets = Tensor::new(ex.answer.as_slice(), &Device::Cpu)?;
    let (logits, fed) = if standard {
        model.set_mode(ForwardMode::Differentiable);
        let mut tokens = ex.prefix.clone();
        tokens.extend(ex.suffix_input());
        let lora = LoraActivation {
            adapter,
            from_position: 0,
        };
        let logits = model.forward(&tokens, &mut model.new_cache(), Some(lora), Logits::All)?;
        (logits, tokens.len())
    } else {
        // The prefix runs without the adapter, so its keys and values carry
        // no gradient and nothing is back-propagated through it.
        model.set_mode(PREFIX_MODE);
        let mut cache = model.prefill(&ex.prefix)?;
        model.set_mode(ForwardMode::Differentiable);
        let input = ex.suffix_input();
        let lora = LoraActivation {
            adapter,
            from_position: ex.prefix.len(),
        };
        let logits = model.forward(&input, &mut cache, Some(lora), Logits::All)?;
        (logits, input.len())
    };
    // Row i predicts token i + 1: the last `answer` rows predict the answer.
    let logits = logits.narrow(0, fed - answer, answer)?;
    Ok(candle_nn::loss::cross_entropy(&logits, &targets)?)
}
