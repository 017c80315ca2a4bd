//! `snipdex train` and `snipdex eval`.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::enrich::{installed_model, load_prompts, AdapterSource, Prompts};
use crate::exit::{CliError, CmdResult, Exit};
use crate::model::{Adapter, Model, ModelError, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE};
use crate::paths::Paths;
use crate::train::cli::{EvalArgs, Precision, TrainArgs, TrainModelArgs};
use crate::train::rules::{data_split, fingerprint_files, score_key, DataSplit, Results};
use crate::train::{
    evaluate, explain, load_rows, train as run_training, write_readme, EvalOptions, EvalReport,
    ReadmeContext, TrainError, TrainLength, TrainSettings,
};

fn train_error(e: TrainError) -> CliError {
    let exit = match &e {
        TrainError::Io { .. }
        | TrainError::BadRow { .. }
        | TrainError::NoRows { .. }
        | TrainError::Settings(_)
        | TrainError::Checkpoint { .. }
        | TrainError::Prompt(_) => Exit::BadInput,
        TrainError::Model(m) => model_exit(m),
        _ => Exit::Failure,
    };
    CliError::new(exit, e)
}

fn model_exit(e: &ModelError) -> Exit {
    match e {
        ModelError::Io { .. }
        | ModelError::InvalidModel { .. }
        | ModelError::AdapterConfig { .. }
        | ModelError::AdapterShape { .. }
        | ModelError::AdapterTensor { .. } => Exit::BadInput,
        _ => Exit::Failure,
    }
}

fn load_model(paths: &Paths, args: &TrainModelArgs) -> Result<(Model, Prompts), CliError> {
    let path = model_path(paths, args)?;
    let model = Model::load(&path).map_err(|e| CliError::new(model_exit(&e), e))?;
    let prompts = load_prompts(args.prompts.as_deref()).map_err(|e| train_error(e.into()))?;
    Ok((model, prompts))
}

/// `--model`, else the installed model; a file that exists.
fn model_path(paths: &Paths, args: &TrainModelArgs) -> Result<PathBuf, CliError> {
    let path = match &args.model {
        Some(p) => p.clone(),
        // No model installed is "unavailable" (5), as for `enrich`.
        None => installed_model(&paths.models_dir()).map_err(CliError::from)?,
    };
    if !path.is_file() {
        return Err(CliError::bad_input(format!(
            "no model at {}: install one or pass --model FILE",
            path.display()
        )));
    }
    Ok(path)
}

fn bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn run_eval(
    model: &Model,
    prompts: &Prompts,
    data: &crate::train::Dataset,
    adapter: Option<&Adapter>,
    opts: &EvalOptions,
    label: &str,
) -> Result<EvalReport, CliError> {
    let rows = opts
        .limit
        .map_or(data.rows.len(), |n| n.min(data.rows.len()));
    let pb = bar(
        rows as u64,
        &format!("{label} [{{bar:30}}] {{pos}}/{{len}} ETA {{eta}}"),
    );
    let report = evaluate(model, prompts, data, adapter, opts, &mut |done, _| {
        pb.set_position(done as u64)
    })
    .map_err(train_error)?;
    pb.finish_and_clear();
    Ok(report)
}

pub fn train(paths: Paths, a: TrainArgs) -> CmdResult {
    let (mut model, prompts) = load_model(&paths, &a.model)?;
    let data = load_rows(&a.data, a.task).map_err(train_error)?;
    if let Some(out) = &a.export_tokens {
        return export_tokens(&model, &prompts, &data, a.task, out);
    }
    let eval_data = match &a.eval {
        Some(p) => {
            let d = load_rows(p, a.task).map_err(train_error)?;
            if data_split(&d.path, &d.rows).map_err(train_error)? == DataSplit::Test {
                return Err(CliError::new(
                    Exit::Usage,
                    anyhow::anyhow!(
                        "{} holds test rows: candidates are chosen on the dev split, and the \
                         test rows are scored once, with `snipdex eval --record` \
                         (docs/evaluation.md)",
                        p.display()
                    ),
                ));
            }
            Some(d)
        }
        None => None,
    };
    let mut settings = TrainSettings::new(a.task);
    settings.length = match (a.steps, a.epochs) {
        (Some(n), _) => TrainLength::Steps(n),
        (None, Some(e)) => TrainLength::Epochs(e),
        (None, None) => settings.length,
    };
    settings.rank = a.rank;
    settings.alpha = a.alpha;
    settings.lr = a.lr;
    settings.batch = a.batch;
    settings.warmup = a.warmup;
    settings.seed = a.seed;
    settings.standard = a.standard;
    settings.checkpoint_every = a.checkpoint_every;
    // The base the adapter is for, as PEFT names it: the known model's Hub
    // id, else the model file's name.
    settings.base_model = match crate::model::identify(model.config()) {
        Some(known) => known.base_model.to_string(),
        None => model
            .path()
            .file_name()
            .map_or_else(|| "unknown".into(), |n| n.to_string_lossy().into_owned()),
    };

    let pb = bar(
        0,
        "train [{bar:30}] {pos}/{len} loss {msg} {elapsed_precise} ETA {eta}",
    );
    let (adapter, outcome) = run_training(
        &mut model,
        &prompts,
        &data,
        &settings,
        &a.out,
        a.resume,
        &mut |r| {
            pb.set_length(r.total_steps as u64);
            pb.set_position(r.step as u64);
            pb.set_message(format!("{:.4}", r.loss));
            // Without a terminal (a background run with a log) the bar is
            // hidden; a line per update keeps the log useful.
            if pb.is_hidden() {
                eprintln!(
                    "update {}/{} loss {:.4} lr {:.2e} grad-norm {:.3} epoch {}",
                    r.step, r.total_steps, r.loss, r.lr, r.grad_norm, r.epoch
                );
            }
            std::ops::ControlFlow::Continue(())
        },
    )
    .map_err(train_error)?;
    pb.finish_and_clear();

    let eval_opts = EvalOptions {
        limit: a.eval_limit,
        ..EvalOptions::default()
    };
    let eval = match &eval_data {
        Some(d) => Some((
            run_eval(&model, &prompts, d, None, &eval_opts, "zero-shot")?,
            run_eval(&model, &prompts, d, Some(&adapter), &eval_opts, "adapter  ")?,
        )),
        None => None,
    };
    let data_file = a.data.display().to_string();
    let eval_file = a.eval.as_ref().map(|p| p.display().to_string());
    let model_file = model
        .path()
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let ctx = ReadmeContext {
        data_file: &data_file,
        data_fingerprint: &data.fingerprint,
        model_file: &model_file,
        eval: match (&eval_file, &eval) {
            (Some(f), Some((zero, tuned))) => Some((f.as_str(), zero, tuned)),
            _ => None,
        },
    };
    write_readme(&a.out, &settings, &outcome, &ctx).map_err(train_error)?;
    eprintln!(
        "wrote {} adapter to {}: {} updates, {} examples in {:.1} min ({:.1}/min), final loss {}",
        a.task,
        a.out.display(),
        outcome.steps,
        outcome.examples_seen,
        outcome.elapsed_secs / 60.0,
        outcome.examples_per_minute(),
        outcome
            .final_loss()
            .map_or_else(|| "-".into(), |l| format!("{l:.4}")),
    );
    if let Some((zero, tuned)) = &eval {
        print_comparison(zero, Some(tuned));
    }
    Ok(Exit::Ok)
}

/// The adapter folder to evaluate: `--adapters DIR` when DIR holds an
/// adapter, else DIR's sub-folder for the task; without the flag, the
/// adapter enrichment would use (the user's, else the shipped one).
fn adapter_dir(paths: &Paths, a: &EvalArgs) -> Result<Option<PathBuf>, CliError> {
    if a.no_adapters {
        return Ok(None);
    }
    let model = crate::model::model_name(&model_path(paths, &a.model)?);
    let bad = |e| CliError::new(Exit::BadInput, e);
    let found = match &a.adapters {
        Some(dir) if dir.join(ADAPTER_CONFIG_FILE).is_file() => Some(dir.clone()),
        Some(dir) => AdapterSource::Dir(dir.clone())
            .locate(a.task, &model)
            .map_err(bad)?,
        None => AdapterSource::standard(paths)
            .locate(a.task, &model)
            .map_err(bad)?,
    };
    match found {
        Some(dir) => Ok(Some(dir)),
        None => Err(CliError::bad_input(format!(
            "no {} adapter found{}: pass --adapters DIR, or --no-adapters for the base model",
            a.task,
            a.adapters
                .as_ref()
                .map(|d| format!(" in {}", d.display()))
                .unwrap_or_default()
        ))),
    }
}

pub fn eval(paths: Paths, a: EvalArgs) -> CmdResult {
    if let Some(p) = a.end_penalty.filter(|p| p.is_nan() || *p < 0.0) {
        return Err(CliError::new(
            Exit::Usage,
            anyhow::anyhow!("--end-penalty must be 0 or more (or inf), not {p}"),
        ));
    }
    let diagnostic = a.precision != Precision::Kernel || a.explain_against.is_some();
    let dir = adapter_dir(&paths, &a)?;
    let (mut model, prompts) = load_model(&paths, &a.model)?;
    model.set_mode(a.precision.mode());
    let data = load_rows(&a.data, a.task).map_err(train_error)?;
    let adapter = match &dir {
        Some(d) => Some(load_adapter(d, &model)?),
        None => None,
    };
    let label = if adapter.is_some() {
        "adapter"
    } else {
        "zero-shot"
    };
    let floor = a
        .min_tokens
        .map(|tokens| (tokens, a.end_penalty.unwrap_or(f32::INFINITY)));
    let opts = EvalOptions {
        limit: a.limit,
        length_floor: floor,
        ..EvalOptions::default()
    };
    let split = data_split(&data.path, &data.rows).map_err(train_error)?;
    let record = match (&a.record, split) {
        (None, DataSplit::Test) => {
            return Err(CliError::new(
                Exit::Usage,
                anyhow::anyhow!(
                    "{} holds test rows: they are scored once per adapter release and every \
                     score is kept, so pass --record RESULTS_DIR (docs/evaluation.md)",
                    a.data.display()
                ),
            ))
        }
        (_, DataSplit::Test) if diagnostic => {
            return Err(CliError::new(
                Exit::Usage,
                anyhow::anyhow!(
                    "--precision and --explain-against are diagnostics for the dev split, \
                     not for test rows"
                ),
            ))
        }
        (Some(_), _) if diagnostic => {
            return Err(CliError::new(
                Exit::Usage,
                anyhow::anyhow!(
                    "--precision and --explain-against are diagnostics: their scores are \
                     not recorded"
                ),
            ))
        }
        (Some(_), DataSplit::Test) if a.limit.is_some() || a.min_tokens.is_some() => {
            return Err(CliError::new(
                Exit::Usage,
                anyhow::anyhow!(
                    "--limit and --min-tokens are for the dev split: the test rows are scored \
                     whole, with the settings chosen on dev"
                ),
            ))
        }
        (Some(results_dir), _) => {
            let key = score_key(
                &a.task.to_string(),
                subject(&model, dir.as_deref())?,
                &data.fingerprint,
                &prompts_fingerprint(&prompts, a.task),
                format!("{:?} {:?} {:?}", a.limit, a.min_tokens, a.end_penalty),
            );
            let results = Results::new(results_dir);
            if split == DataSplit::Test {
                results.check_new(&key).map_err(train_error)?;
            }
            Some((results, key))
        }
        (None, _) => None,
    };
    let report = run_eval(&model, &prompts, &data, adapter.as_ref(), &opts, label)?;
    if let Some((results, key)) = record {
        let path = results
            .record(split, key, dir.as_deref(), &report)
            .map_err(train_error)?;
        eprintln!(
            "recorded the {} score in {}",
            split.as_str(),
            path.display()
        );
    }
    let divergences = match a.explain_against {
        Some(other) => {
            eprintln!("explaining against {other:?}: every row again…");
            let out = explain(
                &mut model,
                &prompts,
                &data,
                adapter.as_ref(),
                &opts,
                &report,
                other.mode(),
            )
            .map_err(train_error)?;
            Some(out)
        }
        None => None,
    };
    if a.json {
        match &divergences {
            Some(d) => println!(
                "{}",
                serde_json::to_string_pretty(
                    &serde_json::json!({ "report": report, "against": d })
                )?
            ),
            None => println!("{}", serde_json::to_string_pretty(&report)?),
        }
    } else {
        print_comparison(&report, None);
        if let Some(e) = &divergences {
            println!(
                "against {:?}: BLEU {:?}, ROUGE-L {:?}, rejected {}; {} answers differ",
                a.explain_against.unwrap_or(a.precision),
                e.scores.bleu,
                e.scores.rouge_l,
                e.scores.rejected,
                e.divergences.len()
            );
        }
        for d in divergences.iter().flat_map(|e| &e.divergences) {
            println!(
                "row {:>3} token {:>2}: {:?} vs {:?}, gap {:+.3} ({:?}) and {:+.3} ({:?}) after {:?}",
                d.row,
                d.position,
                d.picks[0],
                d.picks[1],
                d.gap_first(),
                a.precision,
                d.gap_second(),
                a.explain_against.unwrap_or(a.precision),
                d.common,
            );
        }
    }
    Ok(Exit::Ok)
}

/// What a score is of: the adapter's files, or the base model's file.
fn subject(model: &Model, adapter_dir: Option<&Path>) -> Result<String, CliError> {
    Ok(match adapter_dir {
        Some(d) => format!(
            "adapter:{}",
            fingerprint_files(&[d.join(ADAPTER_CONFIG_FILE), d.join(ADAPTER_WEIGHTS_FILE)])
                .map_err(train_error)?
        ),
        None => format!(
            "base:{}",
            fingerprint_files(&[model.path().to_path_buf()]).map_err(train_error)?
        ),
    })
}

/// The prompt text a task's scores depend on.
fn prompts_fingerprint(prompts: &Prompts, task: crate::enrich::Task) -> String {
    let mut h = blake3::Hasher::new();
    for part in [prompts.system(), prompts.instruction(task)] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

fn load_adapter(dir: &Path, model: &Model) -> Result<Adapter, CliError> {
    Adapter::load(dir, model.config()).map_err(|e| CliError::new(model_exit(&e), e))
}

fn print_comparison(first: &EvalReport, second: Option<&EvalReport>) {
    println!("{}", first.task);
    let header = |r: &EvalReport| if r.adapter { "adapter" } else { "zero-shot" };
    match second {
        Some(s) => println!("  {:<26} {:>12} {:>12}", "metric", header(first), header(s)),
        None => println!("  {:<26} {:>12}", "metric", header(first)),
    }
    let other = second.map(|s| s.scores.table());
    for (i, (name, value)) in first.scores.table().into_iter().enumerate() {
        match other.as_ref().and_then(|o| o.get(i)) {
            Some((_, v2)) => println!("  {name:<26} {value:>12} {v2:>12}"),
            None => println!("  {name:<26} {value:>12}"),
        }
    }
}

/// `--export-tokens`: the examples as token ids, one JSON object a line.
fn export_tokens(
    model: &Model,
    prompts: &Prompts,
    data: &crate::train::Dataset,
    task: crate::enrich::Task,
    out: &std::path::Path,
) -> CmdResult {
    use std::io::Write;
    let file = std::fs::File::create(out)
        .map_err(|e| CliError::bad_input(format!("cannot write {}: {e}", out.display())))?;
    let mut w = std::io::BufWriter::new(file);
    let mut n = 0usize;
    for row in &data.rows {
        let Some(ex) = crate::train::encode_example(model.tokenizer(), prompts, task, row)
            .map_err(train_error)?
        else {
            continue;
        };
        let line = serde_json::json!({
            "prefix": ex.prefix,
            "invocation": ex.invocation,
            "answer": ex.answer,
        });
        writeln!(w, "{line}")?;
        n += 1;
    }
    w.flush()?;
    eprintln!("wrote {n} {task} examples to {}", out.display());
    Ok(Exit::Ok)
}
