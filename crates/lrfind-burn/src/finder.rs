//! The range test on burn-train's own types: a model that implements [`TrainStep`] (its output
//! adapting to [`LossInput`], as burn's `ClassificationOutput`, `RegressionOutput` and
//! `SequenceOutput` do), a [`ModuleOptimizer`] (or any [`ModuleStep`]) and a [`DataLoader`] from `DataLoaderBuilder` —
//! no loss closure, no batch source to write.
//!
//! ```text
//! let found = LrFinder::default().run(&model, &optimizer, &train_loader)?;
//! let one_cycle = OneCycle::new(found.lr()?, steps, OneCycleOptions::default())?;
//! let learner = Learner::new(model, optimizer, BurnScheduler::new(one_cycle));
//! ```
//!
//! The finder works on clones of the model and optimizer: what the caller holds is never touched,
//! so it is exactly as it was afterwards — after a completed test, a diverged one, a failing step
//! or an interruption.

use crate::batches::Batches;
use crate::optim::ModuleStep;
use burn::data::dataloader::{DataLoader, Progress as LoaderProgress};
use burn::data::dataset::DatasetError;
use burn::module::Module;
use burn::optim::GradientsAccumulator;
#[cfg(doc)]
use burn::optim::ModuleOptimizer;
use burn_train::metric::{Adaptor, LossInput, LossMetric, Metric, MetricMetadata, Numeric};
use burn_train::{InferenceStep, TrainStep};
use lrfind::suggest::{Bounds, Suggestion};
use lrfind::BatchSource;
use lrfind::{
    Analysis, AnalyzeError, AnalyzeOptions, Method, NoRecommendation, Observer, Progress,
    RangeTestConfig, RangeTestResult, RunError,
};
use std::sync::Arc;

/// A shared burn data loader of batches `B`, as `DataLoaderBuilder::build` returns it.
pub type Loader<B> = Arc<dyn DataLoader<B>>;

/// Why the range test could not run.
#[derive(Debug, thiserror::Error)]
pub enum FinderError {
    /// The data loader failed.
    #[error("the data loader failed: {0}")]
    Data(#[from] DatasetError),
    /// The data loader gave no batch in a whole pass.
    #[error("the {0} data loader gives no batches")]
    EmptyLoader(&'static str),
    /// The loss could not be read off the model's output.
    #[error("cannot read the loss: {0}")]
    Loss(String),
    /// The range test's configuration cannot work.
    #[error(transparent)]
    Config(#[from] lrfind::ConfigError),
    /// The recorded curve could not be analyzed.
    #[error(transparent)]
    Analyze(#[from] AnalyzeError),
}

/// A range test for burn-train models: Smith's sweep with fastai's defaults ([`RangeTestConfig`]:
/// 1e-7 → 10 over 100 steps, exponential, debiased EMA 0.98, stop at 4 × the best loss), every
/// suggestion rule, and the recommended one ([`lrfind::DEFAULT_METHOD`]).
#[derive(Debug, Clone)]
pub struct LrFinder {
    config: RangeTestConfig,
    options: AnalyzeOptions,
    method: Method,
    accumulate: usize,
}

impl Default for LrFinder {
    fn default() -> Self {
        LrFinder::new(RangeTestConfig::default())
    }
}

impl LrFinder {
    /// A finder with this sweep (ramp, smoothing, divergence stop).
    pub fn new(config: RangeTestConfig) -> LrFinder {
        LrFinder {
            config,
            options: AnalyzeOptions::default(),
            method: lrfind::DEFAULT_METHOD,
            accumulate: 1,
        }
    }

    /// How the curve is analyzed (rules, skipping, their parameters).
    pub fn with_analysis(mut self, options: AnalyzeOptions) -> LrFinder {
        self.options = options;
        self
    }

    /// The rule whose suggestion is recommended (default: [`lrfind::DEFAULT_METHOD`]).
    pub fn with_method(mut self, method: Method) -> LrFinder {
        self.method = method;
        self
    }

    /// Accumulates the gradients of `k` batches per optimizer step (k ≥ 1), summed as burn-train's
    /// `grads_accumulation` does; the loss recorded is their mean.
    pub fn with_accumulation(mut self, k: usize) -> LrFinder {
        self.accumulate = k.max(1);
        self
    }

    /// Runs the range test from `model` and `optimizer` (clones of them: the caller's are left
    /// as they are) on batches of `train`.
    pub fn run<M, Opt: ModuleStep>(
        &self,
        model: &M,
        optimizer: &Opt,
        train: &Loader<<M as TrainStep>::Input>,
    ) -> Result<LrFound, FinderError>
    where
        M: TrainStep + Module + Clone,
        <M as TrainStep>::Input: Clone,
        <M as TrainStep>::Output: Adaptor<LossInput>,
    {
        let probe = self.probe(model, optimizer, train)?;
        self.finish(probe, &mut ())
    }

    /// [`LrFinder::run`] with Smith's variant — each step records the mean loss over `batches`
    /// batches of `valid` (through [`InferenceStep`], the same batches every step) instead of
    /// the training loss — and an `observer` that sees every step and may interrupt the test.
    pub fn run_with<M, O, Opt: ModuleStep>(
        &self,
        model: &M,
        optimizer: &Opt,
        train: &Loader<<M as TrainStep>::Input>,
        valid: Option<(&Loader<<M as InferenceStep>::Input>, usize)>,
        observer: &mut O,
    ) -> Result<LrFound, FinderError>
    where
        M: TrainStep + InferenceStep + Module + Clone + 'static,
        <M as TrainStep>::Input: Clone,
        <M as TrainStep>::Output: Adaptor<LossInput>,
        <M as InferenceStep>::Input: Clone + 'static,
        <M as InferenceStep>::Output: Adaptor<LossInput>,
        O: for<'a> Observer<&'a Progress>,
    {
        let mut probe = self.probe(model, optimizer, train)?;
        if let Some((loader, count)) = valid {
            let batches = collect(loader, count.max(1), "validation")?;
            probe.validation = Some(Box::new(move |m: &M| {
                let mut total = 0.0;
                for batch in &batches {
                    total += loss_of(&InferenceStep::step(m, batch.clone()))?;
                }
                Ok(total / batches.len() as f64)
            }));
        }
        self.finish(probe, observer)
    }

    fn probe<M, Opt: ModuleStep>(
        &self,
        model: &M,
        optimizer: &Opt,
        train: &Loader<<M as TrainStep>::Input>,
    ) -> Result<TrainStepProbe<M, Opt>, FinderError>
    where
        M: TrainStep + Module + Clone,
        <M as TrainStep>::Input: Clone,
    {
        self.config.validate()?;
        let needed = self.config.num_iter * self.accumulate;
        Ok(TrainStepProbe {
            model: Some(model.clone()),
            optimizer: optimizer.clone(),
            data: Batches::from_batches(collect(train, needed, "training")?),
            accumulate: self.accumulate,
            validation: None,
        })
    }

    fn finish<M, O, Opt>(
        &self,
        mut probe: TrainStepProbe<M, Opt>,
        observer: &mut O,
    ) -> Result<LrFound, FinderError>
    where
        M: TrainStep + Module + Clone,
        <M as TrainStep>::Input: Clone,
        <M as TrainStep>::Output: Adaptor<LossInput>,
        O: for<'a> Observer<&'a Progress>,
        Opt: ModuleStep,
    {
        let result = match lrfind::run(&mut probe, self.config, observer) {
            Ok(result) => result,
            // A step that failed part-way keeps the points recorded before it.
            Err(RunError::Step { partial, .. }) if !partial.curve.is_empty() => *partial,
            Err(RunError::Config(e)) => return Err(e.into()),
            Err(e) => return Err(FinderError::Loss(e.to_string())),
        };
        LrFound::new(result, &self.options, self.method)
    }
}

/// What a range test found: the curve, every rule's suggestion, and the recommended rate.
#[derive(Debug, Clone)]
pub struct LrFound {
    /// The recorded sweep and why it ended.
    pub result: RangeTestResult,
    /// Every rule's suggestion on the curve.
    pub analysis: Analysis,
    /// The recommended rule and its suggestion, or why the curve gives none.
    pub recommended: Result<(Method, Suggestion), NoRecommendation>,
    /// The rule asked for (the recommendation reads it first): the text plot and the PNG ring it.
    method: Method,
    #[cfg_attr(not(feature = "plot"), allow(dead_code))]
    sma_window: usize,
}

impl LrFound {
    /// Analyzes `result` with `options` and recommends `method`'s suggestion.
    pub fn new(
        result: RangeTestResult,
        options: &AnalyzeOptions,
        method: Method,
    ) -> Result<LrFound, FinderError> {
        let analysis = lrfind::analyze_result(&result, options)?;
        let recommended = analysis.recommend(method);
        Ok(LrFound {
            result,
            analysis,
            recommended,
            method,
            sma_window: options.sma_window,
        })
    }

    /// The recommended learning rate, or why there is none (an interrupted sweep, no descent).
    pub fn lr(&self) -> Result<f64, NoRecommendation> {
        self.recommended.clone().map(|(_, s)| s.lr)
    }

    /// The (base_lr, max_lr) bounds for a cyclical schedule, when found.
    pub fn bounds(&self) -> Option<Bounds> {
        self.analysis.bounds()
    }

    /// The curve in text, the recommended rate marked (for terminals).
    pub fn text_plot(&self) -> String {
        lrfind::text_plot::render_analysis(&self.analysis, self.method, 64, 12)
    }

    /// Writes the curve with every suggestion marked to `path` (.png or .svg).
    #[cfg(feature = "plot")]
    pub fn plot(&self, title: &str, path: &std::path::Path) -> Result<(), lrfind_plot::PlotError> {
        lrfind_plot::plot_recommending(&self.analysis, self.method, self.sma_window, title, path)
    }
}

/// The first `needed` batches of `loader`, starting a new pass (epoch) whenever one ends.
fn collect<B>(
    loader: &Loader<B>,
    needed: usize,
    what: &'static str,
) -> Result<Vec<B>, FinderError> {
    let mut batches = Vec::with_capacity(needed);
    while batches.len() < needed {
        let before = batches.len();
        for batch in loader.iter().take(needed - before) {
            batches.push(batch?);
        }
        if batches.len() == before {
            return Err(FinderError::EmptyLoader(what));
        }
    }
    Ok(batches)
}

/// The mean loss burn's own [`LossMetric`] reads off a step's output.
fn loss_of<O: Adaptor<LossInput>>(output: &O) -> Result<f64, String> {
    let mut metric = LossMetric::new();
    let metadata = MetricMetadata {
        progress: LoaderProgress {
            items_processed: 1,
            items_total: 1,
            unit: None,
        },
        iteration: None,
        lr: None,
    };
    metric
        .update(&output.adapt(), &metadata)
        .map_err(|e| e.to_string())?;
    Ok(metric.value().map_or(f64::NAN, |v| v.current()))
}

type Validation<M> = Box<dyn FnMut(&M) -> Result<f64, String>>;

/// [`lrfind::Probe`] over a [`TrainStep`] model: each step runs the model's own training step
/// (forward and backward) and the optimizer at the lr asked for.
struct TrainStepProbe<M: TrainStep, Opt> {
    model: Option<M>,
    optimizer: Opt,
    data: Batches<<M as TrainStep>::Input>,
    accumulate: usize,
    validation: Option<Validation<M>>,
}

/// A step the [`TrainStepProbe`] could not take.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("the training state is gone (a previous step panicked)")]
    NoModel,
    #[error("cannot read the loss: {0}")]
    Loss(String),
}

impl<M, Opt> lrfind::Probe for TrainStepProbe<M, Opt>
where
    M: TrainStep + Module + Clone,
    <M as TrainStep>::Input: Clone,
    <M as TrainStep>::Output: Adaptor<LossInput>,
    Opt: ModuleStep,
{
    type State = (M, Opt, Batches<<M as TrainStep>::Input>);
    type Error = StepError;

    fn snapshot(&mut self) -> Result<Self::State, StepError> {
        let model = self.model.clone().ok_or(StepError::NoModel)?;
        Ok((model, self.optimizer.clone(), self.data.clone()))
    }

    fn restore(&mut self, (model, optimizer, data): Self::State) -> Result<(), StepError> {
        self.model = Some(model);
        self.optimizer = optimizer;
        self.data = data;
        Ok(())
    }

    fn step(&mut self, lr: f64) -> Result<f64, StepError> {
        let model = self.model.take().ok_or(StepError::NoModel)?;
        let mut accumulator = GradientsAccumulator::<M>::new();
        let mut total = 0.0;
        for _ in 0..self.accumulate {
            let Ok(batch) = self.data.next_batch();
            let output = TrainStep::step(&model, batch);
            match loss_of(&output.item) {
                Ok(loss) => total += loss,
                Err(e) => {
                    self.model = Some(model);
                    return Err(StepError::Loss(e));
                }
            }
            accumulator.accumulate(&model, output.grads);
        }
        let model = self.optimizer.step(lr, model, accumulator.grads());
        let validation = self.validation.as_mut().map(|v| v(&model));
        self.model = Some(model);
        match validation {
            Some(loss) => loss.map_err(StepError::Loss),
            None => Ok(total / self.accumulate as f64),
        }
    }
}
