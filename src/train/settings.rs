//! What shapes a training run, and what it reports.

use std::collections::BTreeMap;

use super::data::{Dataset, SkipCounts};
use super::error::TrainError;
use super::optim::AdamWConfig;
use crate::enrich::Task;
use crate::model::{Model, Projection};

/// All seven projections, as in the pilot that worked.
pub const DEFAULT_TARGETS: [Projection; 7] = Projection::ALL;

/// Hugging Face id of the base model, recorded in `adapter_config.json` so
/// that Python's peft finds the weights the adapter belongs to.
pub const DEFAULT_BASE_MODEL: &str = "HuggingFaceTB/SmolLM2-135M-Instruct";

/// Losses averaged for the reported final loss.
const FINAL_LOSS_WINDOW: usize = 10;

/// How long to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrainLength {
    /// Optimiser updates.
    Steps(usize),
    /// Passes over the data, rounded up to whole updates.
    Epochs(f64),
}

/// Everything that shapes the trained adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSettings {
    pub task: Task,
    pub length: TrainLength,
    pub rank: usize,
    pub alpha: f64,
    pub lr: f64,
    /// Examples per optimiser update.
    pub batch: usize,
    pub warmup: usize,
    pub seed: u64,
    /// Classic LoRA over the whole prompt instead of the activated layout.
    pub standard: bool,
    pub targets: Vec<Projection>,
    pub max_grad_norm: f64,
    pub optimizer: AdamWConfig,
    /// Updates between checkpoints; 0 for none.
    pub checkpoint_every: usize,
    pub base_model: String,
}

impl TrainSettings {
    /// The defaults of `snipdex train` for `task`.
    pub fn new(task: Task) -> Self {
        Self {
            task,
            length: TrainLength::Epochs(2.0),
            rank: 16,
            alpha: 32.0,
            lr: 2e-4,
            batch: 8,
            warmup: 20,
            seed: 42,
            standard: false,
            targets: DEFAULT_TARGETS.to_vec(),
            max_grad_norm: 1.0,
            optimizer: AdamWConfig::default(),
            checkpoint_every: 50,
            base_model: DEFAULT_BASE_MODEL.into(),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: &str| Err(TrainError::Settings(m.into()));
        let positive = |x: f64| x.is_finite() && x > 0.0;
        match self.length {
            TrainLength::Steps(0) => return bad("the number of steps must be positive"),
            TrainLength::Epochs(e) if !positive(e) => return bad("epochs must be positive"),
            _ => {}
        }
        if self.rank == 0 || self.batch == 0 || self.targets.is_empty() {
            return bad("rank, batch and the target projections must not be zero or empty");
        }
        if !positive(self.lr) || !positive(self.max_grad_norm) || !self.alpha.is_finite() {
            return bad("lr and max_grad_norm must be positive, alpha finite");
        }
        Ok(())
    }

    /// The values a resumed run must share with the run it continues.
    pub(crate) fn fingerprint(
        &self,
        data: &Dataset,
        model: &Model,
        prompt_ids: &[u32],
    ) -> BTreeMap<String, String> {
        let targets: Vec<&str> = self.targets.iter().map(|p| p.peft_name()).collect();
        let o = self.optimizer;
        [
            ("task", self.task.to_string()),
            ("length", format!("{:?}", self.length)),
            ("rank", self.rank.to_string()),
            ("alpha", self.alpha.to_string()),
            ("lr", self.lr.to_string()),
            ("batch", self.batch.to_string()),
            ("warmup", self.warmup.to_string()),
            ("seed", self.seed.to_string()),
            ("standard", self.standard.to_string()),
            ("targets", targets.join(",")),
            ("max_grad_norm", self.max_grad_norm.to_string()),
            (
                "adamw",
                format!("{} {} {} {}", o.beta1, o.beta2, o.eps, o.weight_decay),
            ),
            ("base_model", self.base_model.clone()),
            ("data", data.fingerprint.clone()),
            ("model", format!("{:?}", model.config())),
            ("invocation", format!("{prompt_ids:?}")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// Progress after one optimiser update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// Updates done, 1-based.
    pub step: usize,
    pub total_steps: usize,
    /// Mean answer-token cross-entropy of the update's examples.
    pub loss: f32,
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    pub epoch: usize,
}

/// What a finished run did.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOutcome {
    pub total_rows: usize,
    pub used_rows: usize,
    pub skipped: SkipCounts,
    pub steps: usize,
    pub examples_seen: usize,
    /// Step at which this session resumed, if it did.
    pub resumed_at: Option<usize>,
    pub losses: Vec<f32>,
    /// Training time over all sessions (encoding and evaluation excluded).
    pub elapsed_secs: f64,
}

impl TrainOutcome {
    pub fn first_loss(&self) -> Option<f32> {
        self.losses.first().copied()
    }

    /// Mean loss of the last few updates, less noisy than the last one.
    pub fn final_loss(&self) -> Option<f32> {
        let tail = &self.losses[self.losses.len().saturating_sub(FINAL_LOSS_WINDOW)..];
        (!tail.is_empty()).then(|| tail.iter().sum::<f32>() / tail.len() as f32)
    }

    pub fn examples_per_minute(&self) -> f64 {
        if self.elapsed_secs > 0.0 {
            self.examples_seen as f64 * 60.0 / self.elapsed_secs
        } else {
            0.0
        }
    }
}
