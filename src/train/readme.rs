//! `README.md` of an adapter folder: what it was trained on, how, how long
//! it took and how well it does next to the base model.

use std::fmt::Write as _;
use std::path::Path;

use super::error::TrainError;
use super::eval::EvalReport;
use super::settings::{TrainLength, TrainOutcome, TrainSettings};

/// Inputs of [`write_readme`] that the outcome does not carry.
#[derive(Debug, Clone, Copy)]
pub struct ReadmeContext<'a> {
    /// The data file as the user named it.
    pub data_file: &'a str,
    pub data_fingerprint: &'a str,
    pub model_file: &'a str,
    /// `(eval file, zero-shot, adapter)`.
    pub eval: Option<(&'a str, &'a EvalReport, &'a EvalReport)>,
}

/// Writes `out/README.md`.
pub fn write_readme(
    out: &Path,
    settings: &TrainSettings,
    outcome: &TrainOutcome,
    ctx: &ReadmeContext<'_>,
) -> Result<(), TrainError> {
    let path = out.join("README.md");
    std::fs::write(&path, render(settings, outcome, ctx)).map_err(|e| TrainError::io(&path, e))
}

pub(crate) fn render(
    settings: &TrainSettings,
    o: &TrainOutcome,
    ctx: &ReadmeContext<'_>,
) -> String {
    let s = settings;
    let mut md = String::new();
    let layout = if s.standard {
        "standard LoRA, active over the whole prompt"
    } else {
        "activated LoRA: active from the task invocation on; the snippet prefix runs on the base model"
    };
    let targets: Vec<&str> = s.targets.iter().map(|p| p.peft_name()).collect();
    let passes = o.examples_seen as f64 / o.used_rows.max(1) as f64;
    let loss = |l: Option<f32>| l.map_or("-".to_string(), |l| format!("{l:.4}"));
    // `fmt::Write` on a String cannot fail.
    let _ = writeln!(md, "# `{}` adapter\n", s.task);
    let _ = writeln!(md, "LoRA adapter for snipdex's `{}` task, trained with `snipdex train`. Files follow PEFT's layout (`adapter_config.json`, `adapter_model.safetensors`).\n", s.task);
    let _ = writeln!(md, "## Data\n");
    let _ = writeln!(
        md,
        "- file: `{}` (BLAKE3 `{}`)",
        ctx.data_file, ctx.data_fingerprint
    );
    let _ = writeln!(
        md,
        "- rows: {} in the file, {} used",
        o.total_rows, o.used_rows
    );
    let _ = writeln!(
        md,
        "- skipped: {} without a `{}` label, {} without code, {} longer than the context window\n",
        o.skipped.missing_target, s.task, o.skipped.no_code, o.skipped.too_long
    );
    let _ = writeln!(md, "## Settings\n");
    let _ = writeln!(md, "| setting | value |\n|---|---|");
    let length = match s.length {
        TrainLength::Steps(n) => format!("{n} steps"),
        TrainLength::Epochs(e) => format!("{e} epochs"),
    };
    let o_cfg = s.optimizer;
    for (k, v) in [
        (
            "base model",
            format!("{} (`{}`)", s.base_model, ctx.model_file),
        ),
        ("layout", layout.to_string()),
        ("target modules", targets.join(", ")),
        ("rank r / alpha", format!("{} / {}", s.rank, s.alpha)),
        (
            "length",
            format!(
                "{length}: {} updates, {passes:.2} passes over the data",
                o.steps
            ),
        ),
        (
            "batch",
            format!("{} examples per update (gradient accumulation)", s.batch),
        ),
        (
            "optimizer",
            format!(
                "AdamW, lr {}, betas ({}, {}), eps {}, weight decay {}",
                s.lr, o_cfg.beta1, o_cfg.beta2, o_cfg.eps, o_cfg.weight_decay
            ),
        ),
        (
            "schedule",
            format!("{} warm-up updates, then linear decay", s.warmup),
        ),
        (
            "gradient clipping",
            format!("global norm {}", s.max_grad_norm),
        ),
        ("precision", "fp32, CPU".to_string()),
        ("seed", s.seed.to_string()),
    ] {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    let _ = writeln!(md, "\n## Training\n");
    let minutes = o.elapsed_secs / 60.0;
    let _ = writeln!(
        md,
        "- time: {minutes:.1} min for {} examples ({:.1} examples/minute)",
        o.examples_seen,
        o.examples_per_minute()
    );
    if let Some(at) = o.resumed_at {
        let _ = writeln!(md, "- resumed from a checkpoint at update {at}");
    }
    let _ = writeln!(
        md,
        "- train loss (answer tokens): first update {}, final {} (mean of the last updates)",
        loss(o.first_loss()),
        loss(o.final_loss())
    );
    if let Some((file, base, tuned)) = ctx.eval {
        let _ = writeln!(md, "\n## Evaluation\n");
        let _ = writeln!(md, "On `{file}`, greedy decoding, answers cleaned as in enrichment (rejected answers count as empty):\n");
        let _ = writeln!(
            md,
            "| metric | base model (zero-shot) | with this adapter |\n|---|---|---|"
        );
        for ((name, zero), (_, with)) in base.scores.table().into_iter().zip(tuned.scores.table()) {
            let _ = writeln!(md, "| {name} | {zero} | {with} |");
        }
    }
    md
}
