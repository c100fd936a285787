//! What a model is trained on and scored by: a loss for training steps and held-out metrics.

use crate::data::{ClassBatch, RegBatch, TextBatch};
use crate::model::{CharLm, Classifier, Mlp};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig, MseLoss, Reduction};
use burn::prelude::*;
use lrfind::{BatchSource, HeldOutScore, Metric};
use lrfind_burn::optim::{BuiltOptimizer, ModuleStep, MomentumControl};
use lrfind_burn::BurnProbe;

/// Sums over held-out batches; [`Score::mean_loss`] and [`Task::metric`] turn them into means.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    /// Sum of per-example losses.
    pub loss: f64,
    /// Examples scored (rows, or predicted characters).
    pub count: usize,
    /// Correct predictions (classification) or sum of squared errors (regression).
    pub hits: f64,
}

/// Scores of two sets of batches, summed.
impl std::ops::Add for Score {
    type Output = Score;
    fn add(self, other: Score) -> Score {
        Score {
            loss: self.loss + other.loss,
            count: self.count + other.count,
            hits: self.hits + other.hits,
        }
    }
}

impl Score {
    /// Mean loss per example.
    pub fn mean_loss(&self) -> f64 {
        self.loss / self.count.max(1) as f64
    }
}

/// A loss to train on and a score to evaluate with, for one kind of batch.
pub trait Task<M>: Clone {
    /// The batches it reads.
    type Batch: Clone;
    /// Mean loss of `batch` (a one-element tensor that can be back-propagated).
    fn loss(&self, model: &M, batch: &Self::Batch) -> Tensor<1>;
    /// Loss and metric sums of `model` on `batch` (no gradients needed).
    fn score(&self, model: &M, batch: &Self::Batch) -> Score;
    /// The metric from summed scores.
    fn metric(&self, score: &Score) -> Metric;
}

/// Cross-entropy on class logits; accuracy.
#[derive(Debug, Clone)]
pub struct Classify {
    loss: CrossEntropyLoss,
}

impl Classify {
    /// Cross-entropy on `device`.
    pub fn new(device: &Device) -> Classify {
        Classify {
            loss: CrossEntropyLossConfig::new().init(device),
        }
    }
}

/// Loss sum and correct count of `logits` `[n, classes]` against `targets` `[n]`.
fn class_score(ce: &CrossEntropyLoss, logits: Tensor<2>, targets: Tensor<1, Int>) -> Score {
    let n = targets.dims()[0];
    let correct = logits
        .clone()
        .argmax(1)
        .flatten::<1>(0, 1)
        .equal(targets.clone())
        .int()
        .sum()
        .into_scalar::<i64>();
    let loss = ce.forward(logits, targets).into_scalar::<f32>() as f64;
    Score {
        loss: loss * n as f64,
        count: n,
        hits: correct as f64,
    }
}

impl<M: Classifier> Task<M> for Classify {
    type Batch = ClassBatch;
    fn loss(&self, model: &M, batch: &ClassBatch) -> Tensor<1> {
        self.loss
            .forward(model.logits(batch.inputs.clone()), batch.targets.clone())
    }
    fn score(&self, model: &M, batch: &ClassBatch) -> Score {
        class_score(
            &self.loss,
            model.logits(batch.inputs.clone()),
            batch.targets.clone(),
        )
    }
    fn metric(&self, score: &Score) -> Metric {
        Metric::Accuracy(score.hits / score.count.max(1) as f64)
    }
}

/// Mean squared error on standardised targets; RMSE in the target's units.
#[derive(Debug, Clone)]
pub struct Regress {
    /// Standard deviation the targets were divided by.
    pub target_std: f64,
}

impl Task<Mlp> for Regress {
    type Batch = RegBatch;
    fn loss(&self, model: &Mlp, batch: &RegBatch) -> Tensor<1> {
        MseLoss::new().forward(
            model.forward(batch.inputs.clone()),
            batch.targets.clone(),
            Reduction::Mean,
        )
    }
    fn score(&self, model: &Mlp, batch: &RegBatch) -> Score {
        let n = batch.targets.dims()[0];
        let loss = self.loss(model, batch).into_scalar::<f32>() as f64 * n as f64;
        Score {
            loss,
            count: n,
            hits: loss,
        }
    }
    fn metric(&self, score: &Score) -> Metric {
        Metric::Rmse((score.hits / score.count.max(1) as f64).sqrt() * self.target_std)
    }
}

/// Next-character cross-entropy; per-character accuracy.
#[derive(Debug, Clone)]
pub struct NextChar {
    loss: CrossEntropyLoss,
}

impl NextChar {
    /// Cross-entropy on `device`.
    pub fn new(device: &Device) -> NextChar {
        NextChar {
            loss: CrossEntropyLossConfig::new().init(device),
        }
    }

    fn flat(model: &CharLm, batch: &TextBatch) -> (Tensor<2>, Tensor<1, Int>) {
        let logits = model.forward(batch.inputs.clone());
        let [b, t, v] = logits.dims();
        (
            logits.reshape([b * t, v]),
            batch.targets.clone().reshape([b * t]),
        )
    }
}

impl Task<CharLm> for NextChar {
    type Batch = TextBatch;
    fn loss(&self, model: &CharLm, batch: &TextBatch) -> Tensor<1> {
        let (logits, targets) = Self::flat(model, batch);
        self.loss.forward(logits, targets)
    }
    fn score(&self, model: &CharLm, batch: &TextBatch) -> Score {
        let (logits, targets) = Self::flat(model, batch);
        class_score(&self.loss, logits, targets)
    }
    fn metric(&self, score: &Score) -> Metric {
        Metric::Accuracy(score.hits / score.count.max(1) as f64)
    }
}

/// A range-test probe that trains `model` with `optimizer` on `data`, minimising `task`'s loss.
pub fn probe<M, T, S, O>(
    model: M,
    optimizer: O,
    data: S,
    task: T,
) -> BurnProbe<M, S, impl FnMut(&M, &T::Batch) -> Tensor<1>, O>
where
    M: Module + Clone,
    T: Task<M>,
    S: BatchSource<Batch = T::Batch>,
    O: ModuleStep,
{
    BurnProbe::new(model, optimizer, data, move |m: &M, b: &T::Batch| {
        task.loss(m, b)
    })
}

/// A task's loss as a probe calls it (a name for the closure type [`cycling_probe`] returns).
pub trait LossFn<M, B>: FnMut(&M, &B) -> Tensor<1> {}

impl<M, B, F: FnMut(&M, &B) -> Tensor<1>> LossFn<M, B> for F {}

/// [`probe`] with a built optimizer whose momentum the schedule cycles through `momentum`, when
/// given ([`lrfind_burn::optim::OptimizerKind::build_cycling`]).
pub fn cycling_probe<M, T, S>(
    model: M,
    (optimizer, momentum): (BuiltOptimizer, Option<MomentumControl>),
    data: S,
    task: T,
) -> BurnProbe<M, S, impl LossFn<M, T::Batch>, BuiltOptimizer>
where
    M: Module + Clone,
    T: Task<M>,
    S: BatchSource<Batch = T::Batch>,
{
    let probe = self::probe(model, optimizer, data, task);
    match momentum {
        Some(control) => probe.with_momentum_control(control),
        None => probe,
    }
}

/// Scores `model` on every batch of `batches`, summed.
pub fn evaluate<M, T: Task<M>>(task: &T, model: &M, batches: &[T::Batch]) -> Score {
    batches
        .iter()
        .fold(Score::default(), |acc, b| acc + task.score(model, b))
}

/// `model`'s mean held-out loss and metric on `batches`.
pub fn held_out_score<M, T: Task<M>>(task: &T, model: &M, batches: &[T::Batch]) -> HeldOutScore {
    let score = evaluate(task, model, batches);
    HeldOutScore {
        loss: score.mean_loss(),
        metric: task.metric(&score),
    }
}
