//! The registry: a [`TaskSpec`] becomes a loaded dataset with its model and loss — a
//! [`Workbench`] that runs range tests, training and evaluations on it, whatever its model
//! and batch types.

use crate::data::{self, Classification};
use crate::evaluation::{evaluate_seed, EvaluationError, EvaluationPlan, SeedData};
use crate::memory;
use crate::model::{CharLm, CharLmShape, Cnn, Mlp};
use crate::spec::{default_text, Dataset, ModelKind, TaskError, TaskSpec, FASHION_MNIST_DIR};
use crate::task::{held_out_score, Classify, LossFn, NextChar, Regress, Task};
use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use lrfind::document::Refinement;
use lrfind::{HeldOutScore, RangeTestConfig, RangeTestObserver, RangeTestResult, RunError};
use lrfind_burn::optim::{BuiltOptimizer, ModuleStep, MomentumControl};
use lrfind_burn::probe::ProbeError;
use lrfind_burn::{seeded, Batches, BurnProbe};
use lrfind_data::table::{self, Split};
use lrfind_data::text::{Corpus, Windows};
use lrfind_data::{digits, idx};
use lrfind_train::regret::SeedRuns;
use lrfind_train::Trainer;
use lrfind_train::{
    Checkpoint, Halt, History, Horizon, Outcome, Refine, TrainError, TrainObserver, TrainState,
};
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// How a step on a workbench fails (its batches are in memory: only a lost model can fail).
pub type StepError = ProbeError<Infallible>;

/// Held-out examples to load: none, at most n, or all the dataset provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldOut {
    /// None (a range test on training batches).
    None,
    /// At most this many.
    AtMost(usize),
    /// All of them.
    All,
}

/// A loaded task: data, model and loss, ready to run on.
pub trait Workbench {
    /// What was loaded.
    fn spec(&self) -> &TaskSpec;
    /// Optimizer steps per pass over the training batches.
    fn steps_per_epoch(&self) -> usize;
    /// Held-out batches loaded.
    fn held_out_batches(&self) -> usize;
    /// Carves a selection split from the training data: the last [`SELECTION_FRACTION`] of the
    /// training batches (at least one; rows in the seeded order, so a random subset), which
    /// training no longer sees. What chooses — refinement candidates, the plateau watch, a plateau
    /// schedule — then scores on it, and the held-out data is only reported. Returns the batches
    /// carved; too few training batches to keep one is an error.
    fn carve_selection(&mut self) -> Result<usize, TaskError>;
    /// A range test from the model's initial weights and a fresh optimizer (`accumulate`
    /// micro-batches per step; `val_batches > 0`: each step's loss on that many held-out
    /// batches, Smith's variant). The state is restored afterwards.
    fn range_test(
        &self,
        config: RangeTestConfig,
        accumulate: usize,
        val_batches: usize,
        observer: &mut RangeTestObserver<'_>,
    ) -> Result<RangeTestResult, RunError<StepError>>;
    /// Trains the model with `trainer`, scored on the held-out batches after each epoch;
    /// [`Workbench::trained_model`] then holds the weights if it completed. With
    /// `checkpointing`, every epoch ends with a checkpoint, and a run can continue from one.
    fn train(
        &mut self,
        trainer: &Trainer,
        observer: &mut dyn TrainObserver,
        checkpointing: Option<Checkpointing<'_>>,
    ) -> Outcome<StepError>;
    /// The trained model's bytes (burn's record format), once [`Workbench::train`] completed.
    fn trained_model(&self) -> Option<Result<Vec<u8>, TaskError>>;
    /// The held-out score of a model saved from this task (same settings).
    fn score_saved(&self, path: &Path) -> Result<HeldOutScore, TaskError>;
    /// [`Trainer::refine`] of `lr` from the model's initial weights and a fresh optimizer: each
    /// rate `refine` tries trains `horizon.steps` optimizer steps as a run of `trainer`, scored
    /// on the selection split, else the held-out batches (none: [`TrainError::NoScore`]);
    /// `observer` sees every candidate's steps and can stop it.
    fn refine(
        &self,
        trainer: &Trainer,
        lr: f64,
        refine: &Refine,
        horizon: Horizon,
        observer: &mut dyn TrainObserver,
    ) -> Result<Refinement, TrainError<StepError>>;
    /// One seed of an evaluation (see [`crate::evaluation`]).
    fn evaluate(
        &self,
        plan: &EvaluationPlan,
        progress: &(dyn Fn() + Sync),
        stop: Option<&AtomicBool>,
    ) -> Result<SeedRuns, EvaluationError>;
}

/// A checkpointed run: what to continue from, and where each epoch's checkpoint goes.
pub struct Checkpointing<'a> {
    /// The checkpoint to continue from (model, optimizer and run state).
    pub resume: Option<Checkpoint>,
    /// The run's settings, stored in every checkpoint.
    pub config: serde_json::Value,
    /// Receives the checkpoint after every epoch.
    pub save: &'a mut dyn FnMut(&Checkpoint) -> Result<(), Halt>,
}

/// The share of the training batches [`Workbench::carve_selection`] moves into the selection
/// split.
pub const SELECTION_FRACTION: f64 = 0.1;

/// A dataset with a model and its loss.
struct Bench<M, T: Task<M>> {
    spec: TaskSpec,
    model: M,
    task: T,
    train: Batches<T::Batch>,
    valid: Option<Batches<T::Batch>>,
    /// The selection split, once carved.
    select: Option<Batches<T::Batch>>,
    trained: Option<M>,
}

impl<M, T> Workbench for Bench<M, T>
where
    M: Module + Clone + Send + Sync + 'static,
    T: Task<M> + Send + Sync + 'static,
    T::Batch: Send + Sync + 'static,
{
    fn spec(&self) -> &TaskSpec {
        &self.spec
    }

    fn steps_per_epoch(&self) -> usize {
        self.train.len()
    }

    fn held_out_batches(&self) -> usize {
        self.valid.as_ref().map_or(0, Batches::len)
    }

    fn carve_selection(&mut self) -> Result<usize, TaskError> {
        if let Some(select) = &self.select {
            return Ok(select.len());
        }
        let n = self.train.len();
        let k = ((n as f64 * SELECTION_FRACTION).round() as usize).max(1);
        if k >= n {
            return Err(TaskError::Invalid(format!(
                "{n} training batch(es) are too few to carve a selection split from \
                 (refinement and plateau decisions score on one); use more data or a smaller \
                 --batch-size"
            )));
        }
        let all = self.train.all();
        self.select = Some(Batches::from_batches(all[n - k..].to_vec()));
        self.train = Batches::from_batches(all[..n - k].to_vec());
        Ok(k)
    }

    fn range_test(
        &self,
        config: RangeTestConfig,
        accumulate: usize,
        val_batches: usize,
        observer: &mut RangeTestObserver<'_>,
    ) -> Result<RangeTestResult, RunError<StepError>> {
        let mut probe = crate::task::probe(
            self.model.clone(),
            self.spec.build_optimizer(),
            self.train.clone(),
            self.task.clone(),
        )
        .with_accumulation(accumulate);
        if let (Some(held_out), true) = (&self.valid, val_batches > 0) {
            probe = probe.with_validation(held_out.clone(), val_batches);
        }
        lrfind::run(&mut probe, config, observer)
    }

    fn train(
        &mut self,
        trainer: &Trainer,
        observer: &mut dyn TrainObserver,
        checkpointing: Option<Checkpointing<'_>>,
    ) -> Outcome<StepError> {
        let (optimizer, momentum) = self.spec.build_cycling_optimizer();
        let model = self.model.clone();
        let (resume, config, mut save) = match checkpointing {
            Some(c) => (c.resume, c.config, Some(c.save)),
            None => (None, serde_json::Value::Null, None),
        };
        let (model, optimizer, state) = match resume {
            Some(c) => match load_checkpoint(model, optimizer, c.model, c.optimizer) {
                Ok((model, optimizer)) => (model, optimizer, Some(c.state)),
                Err(e) => {
                    return Outcome {
                        history: History::default(),
                        result: Err(TrainError::Resume(e.to_string())),
                    }
                }
            },
            None => (model, optimizer, None),
        };
        let mut probe = self.probe_of(model, (optimizer, momentum));
        let steps = self.train.len();
        let mut checkpoint = |p: &_, s: &TrainState| -> Result<(), Halt> {
            let Some(save) = save.as_mut() else {
                return Ok(());
            };
            let fail = |e: burn::store::RecordError| Halt::Fail(Box::new(e));
            let probe: &lrfind_burn::BurnProbe<M, _, _, BuiltOptimizer> = p;
            let model = probe
                .model()
                .ok_or_else(|| Halt::Fail("the model is gone".into()))?;
            save(&Checkpoint {
                state: s.clone(),
                config: config.clone(),
                model: model_bytes(model).map_err(fail)?,
                optimizer: probe.optimizer().to_bytes().map_err(fail)?,
            })
        };
        let outcome = {
            let mut select_score = self.score_on(self.select.as_ref());
            let mut training = trainer
                .training(steps, self.score_on(self.valid.as_ref()))
                .observe(observer)
                .checkpoint(&mut checkpoint);
            if self.select.is_some() {
                training = training.select(&mut select_score);
            }
            if let Some(state) = state {
                training = training.resume(state);
            }
            training.run(&mut probe)
        };
        if outcome.result.is_ok() {
            self.trained = probe.eval_model();
        }
        outcome
    }

    fn trained_model(&self) -> Option<Result<Vec<u8>, TaskError>> {
        let model = self.trained.as_ref()?;
        Some(model_bytes(model).map_err(|e| TaskError::Model {
            path: PathBuf::new(),
            message: format!("cannot serialise the model: {e}"),
        }))
    }

    fn score_saved(&self, path: &Path) -> Result<HeldOutScore, TaskError> {
        let error = |message: String| TaskError::Model {
            path: path.to_path_buf(),
            message,
        };
        let record =
            ModuleRecord::load(path).map_err(|e| error(format!("cannot read the model: {e}")))?;
        let model = self.model.clone().try_load_record(record).map_err(|e| {
            error(format!(
                "does not fit this model (same task flags as when it was trained?): {e}"
            ))
        })?;
        let valid = self.valid.as_ref().ok_or_else(no_held_out)?;
        Ok(held_out_score(&self.task, &model, valid.all()))
    }

    fn refine(
        &self,
        trainer: &Trainer,
        lr: f64,
        refine: &Refine,
        horizon: Horizon,
        observer: &mut dyn TrainObserver,
    ) -> Result<Refinement, TrainError<StepError>> {
        let mut probe = self.probe_of(self.model.clone(), self.spec.build_cycling_optimizer());
        let mut score = self.score_on(self.chooser_batches());
        trainer.refine(&mut probe, 0, lr, refine, horizon, &mut score, observer)
    }

    fn evaluate(
        &self,
        plan: &EvaluationPlan,
        progress: &(dyn Fn() + Sync),
        stop: Option<&AtomicBool>,
    ) -> Result<SeedRuns, EvaluationError> {
        let valid = self
            .valid
            .clone()
            .unwrap_or_else(|| Batches::from_batches(Vec::new()));
        let optimizer = || self.spec.build_cycling_optimizer();
        let data = SeedData {
            train: &self.train,
            select: self.select.as_ref(),
            valid: &valid,
        };
        evaluate_seed(
            &self.model,
            &self.task,
            data,
            &optimizer,
            plan,
            progress,
            stop,
        )
    }
}

impl<M, T> Bench<M, T>
where
    M: Module + Clone,
    T: Task<M>,
{
    /// A probe training `model` on the training batches ([`crate::task::cycling_probe`]).
    fn probe_of(
        &self,
        model: M,
        optimizer: (BuiltOptimizer, Option<MomentumControl>),
    ) -> BurnProbe<M, Batches<T::Batch>, impl LossFn<M, T::Batch>, BuiltOptimizer> {
        crate::task::cycling_probe(model, optimizer, self.train.clone(), self.task.clone())
    }

    /// A probe's model (as evaluated) scored on `batches`; none: no score (the trainer then
    /// stops with [`TrainError::NoScore`]).
    fn score_on<'s, S, F>(
        &'s self,
        batches: Option<&'s Batches<T::Batch>>,
    ) -> impl FnMut(&BurnProbe<M, S, F, BuiltOptimizer>) -> Option<HeldOutScore> + 's
    where
        S: lrfind::BatchSource,
        F: FnMut(&M, &S::Batch) -> Tensor<1>,
    {
        move |p| Some(held_out_score(&self.task, &p.eval_model()?, batches?.all()))
    }

    /// What chooses: the selection split once carved, else the held-out batches.
    fn chooser_batches(&self) -> Option<&Batches<T::Batch>> {
        self.select.as_ref().or(self.valid.as_ref())
    }
}

/// `model` in burn's record format.
fn model_bytes<M: Module + Clone>(model: &M) -> Result<Vec<u8>, burn::store::RecordError> {
    Ok(model.clone().into_record().into_bytes()?.to_vec())
}

/// The error of a task with no held-out rows where they are needed.
pub fn no_held_out() -> TaskError {
    TaskError::Invalid("the dataset has no held-out rows".into())
}

fn bench<M, T: Task<M>>(
    spec: &TaskSpec,
    model: M,
    task: T,
    train: Batches<T::Batch>,
    valid: Option<Batches<T::Batch>>,
) -> Bench<M, T> {
    Bench {
        spec: spec.clone(),
        model,
        task,
        train,
        valid,
        select: None,
        trained: None,
    }
}

/// Loads the data `spec` names (with `held_out` examples), builds its model from `spec.seed`, and
/// returns them ready to run. Bad settings or data are a [`TaskError`], before any training.
pub fn load(
    spec: &TaskSpec,
    held_out: HeldOut,
    device: &Device,
) -> Result<Box<dyn Workbench>, TaskError> {
    spec.validate()?;
    let (bs, seed) = (spec.batch_size, spec.seed);
    let take = |n: usize| match held_out {
        HeldOut::None => 0,
        HeldOut::AtMost(k) => k.min(n),
        HeldOut::All => n,
    };
    match spec.dataset {
        Dataset::Text => {
            let path = spec.text.clone().unwrap_or_else(default_text);
            if spec.text.is_none() && !path.is_file() {
                return Err(TaskError::Invalid(format!(
                    "no --text FILE given, and the Shakespeare corpus is not at {} \
                     (run scripts/install-deps.sh)",
                    path.display()
                )));
            }
            let corpus = Corpus::read(&path, spec.seq_len())?;
            let (train, held) = corpus.split();
            let shape = CharLmShape {
                seq_len: spec.seq_len(),
                ..CharLmShape::reference(corpus.vocab.len())
            };
            memory::fits(memory::char_lm(&shape, bs))?;
            let model = seeded(seed, device, |d| CharLm::new(shape, d));
            // Held-out windows: at most a fifth as many as the training windows.
            let windows = take(((held.len() - 1) / spec.seq_len()).min((spec.limit() / 5).max(1)));
            let held = Windows::new(held, spec.seq_len(), windows);
            let train = data::training(
                &Windows::new(train, spec.seq_len(), spec.limit()),
                bs,
                seed,
                device,
            );
            let valid = (windows > 0).then(|| data::held_out(&held, bs, device));
            Ok(Box::new(bench(
                spec,
                model,
                NextChar::new(device),
                train,
                valid,
            )))
        }
        Dataset::Csv => {
            let path = spec.csv.as_ref().expect("validated");
            let target = spec.target.as_deref().expect("validated");
            let table = table::read_csv(path, target, spec.target_kind().into())?;
            match table.split(spec.val_fraction(), seed) {
                Split::Classes(train, valid) => {
                    let valid = valid.slice(0..take(valid.len()));
                    classes(spec, train, valid, device)
                }
                Split::Values(train, valid) => {
                    let sizes = mlp_sizes(spec, train.dim, 1);
                    memory::fits(memory::mlp(&sizes, bs))?;
                    memory::fits(memory::mlp(&sizes, bs))?;
                    let model = seeded(seed, device, |d| Mlp::new(&sizes, d));
                    let rows = take(valid.len());
                    let task = Regress {
                        target_std: train.target_scale.1 as f64,
                    };
                    let batches = data::training(&train, bs, seed, device);
                    let valid =
                        (rows > 0).then(|| data::held_out(&valid.slice(0..rows), bs, device));
                    Ok(Box::new(bench(spec, model, task, batches, valid)))
                }
            }
        }
        Dataset::Digits | Dataset::FashionMnist | Dataset::Mnist => {
            let (train, valid) = load_images(spec, &take)?;
            classes(spec, train, valid, device)
        }
    }
}

/// `[input, hidden…, output]`.
fn mlp_sizes(spec: &TaskSpec, input: usize, output: usize) -> Vec<usize> {
    let mut sizes = vec![input];
    sizes.extend(spec.hidden());
    sizes.push(output);
    sizes
}

/// A classification set with the MLP or the CNN.
fn classes(
    spec: &TaskSpec,
    train: Classification,
    valid: Classification,
    device: &Device,
) -> Result<Box<dyn Workbench>, TaskError> {
    let (bs, seed) = (spec.batch_size, spec.seed);
    let batches = data::training(&train, bs, seed, device);
    let held = (!valid.is_empty()).then(|| data::held_out(&valid, bs, device));
    let task = Classify::new(device);
    if spec.model_kind() == ModelKind::Cnn {
        if train.dim != Cnn::SIDE * Cnn::SIDE {
            return Err(TaskError::Invalid(format!(
                "the cnn model needs 28×28 images; {} has {} features per row",
                spec.dataset.name(),
                train.dim
            )));
        }
        let model = seeded(seed, device, |d| Cnn::new(train.classes, d));
        return Ok(Box::new(bench(spec, model, task, batches, held)));
    }
    let sizes = mlp_sizes(spec, train.dim, train.classes);
    memory::fits(memory::mlp(&sizes, bs))?;
    let model = seeded(seed, device, |d| Mlp::new(&sizes, d));
    Ok(Box::new(bench(spec, model, task, batches, held)))
}

/// (training rows, held-out rows) of an image dataset; a missing or broken dataset is an error.
fn load_images(
    spec: &TaskSpec,
    take: &dyn Fn(usize) -> usize,
) -> Result<(Classification, Classification), TaskError> {
    let dir = match (spec.dataset, &spec.data_dir) {
        (Dataset::Digits, _) => {
            let (train, valid) = digits::split();
            let rows = take(valid.len());
            return Ok((train, valid.slice(0..rows)));
        }
        (_, Some(dir)) => dir.clone(),
        (Dataset::FashionMnist, None) => PathBuf::from(FASHION_MNIST_DIR),
        _ => {
            return Err(TaskError::Invalid(format!(
                "--dataset {} needs --data-dir DIR (an IDX folder)",
                spec.dataset.name()
            )))
        }
    };
    if !dir.is_dir() {
        let hint = if spec.dataset == Dataset::FashionMnist {
            " (apt-get install dataset-fashion-mnist, or give --data-dir)"
        } else {
            ""
        };
        return Err(TaskError::Invalid(format!(
            "data folder {} does not exist{hint}",
            dir.display()
        )));
    }
    let train = idx::load_split(&dir, true, Some(spec.limit()))?;
    // The held-out images are read only when asked for (the test split may be absent); at most
    // a fifth as many as training images.
    let rows = take((spec.limit() / 5).max(1));
    let valid = if rows > 0 {
        idx::load_split(&dir, false, Some(rows))?
    } else {
        train.slice(0..0)
    };
    Ok((train, valid))
}

/// `model` and `optimizer` with the weights and state a checkpoint saved (burn's record bytes).
fn load_checkpoint<M: Module>(
    model: M,
    optimizer: BuiltOptimizer,
    model_bytes: Vec<u8>,
    optimizer_bytes: Vec<u8>,
) -> Result<(M, BuiltOptimizer), burn::store::RecordError> {
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(model_bytes))?;
    Ok((
        model.try_load_record(record)?,
        optimizer.load_bytes(optimizer_bytes)?,
    ))
}
