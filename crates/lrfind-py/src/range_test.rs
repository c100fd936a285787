//! The ask/tell range test: `next_lr()`, train one step at it, `record(loss)`, until `next_lr()`
//! is `None`.

use crate::analysis::{options, Analysis};
use crate::error;
use lrfind::{Ramp, RangeTestConfig, Smoothing};
use pyo3::prelude::*;

/// A range test in progress (lrfind's `RangeTest`): an exponential (or linear) ramp from
/// `start_lr` to `end_lr` over `num_iter` steps, losses smoothed by fastai's debiased EMA
/// (`beta`; `None` records them raw), stopped once the smoothed loss exceeds `stop_div` × the best
/// (`None`: never) or a loss is not finite.
#[pyclass(module = "lrfind._core")]
pub struct RangeTest {
    test: lrfind::RangeTest,
}

/// `"exp"` or `"linear"`.
fn ramp(name: &str) -> PyResult<Ramp> {
    match name {
        "exp" => Ok(Ramp::Exp),
        "linear" => Ok(Ramp::Linear),
        other => Err(error(format!(
            "ramp must be \"exp\" or \"linear\", got {other:?}"
        ))),
    }
}

#[pymethods]
impl RangeTest {
    #[new]
    #[pyo3(signature = (*, start_lr=1e-7, end_lr=10.0, num_iter=100, ramp="exp", beta=Some(0.98), stop_div=Some(4.0), warmup=0))]
    fn new(
        start_lr: f64,
        end_lr: f64,
        num_iter: usize,
        ramp: &str,
        beta: Option<f64>,
        stop_div: Option<f64>,
        warmup: usize,
    ) -> PyResult<Self> {
        let config = RangeTestConfig {
            start_lr,
            end_lr,
            num_iter,
            ramp: self::ramp(ramp)?,
            smoothing: beta.map_or(Smoothing::None, |beta| Smoothing::Ema { beta }),
            stop_div,
            warmup,
        };
        let test = lrfind::RangeTest::new(config).map_err(error)?;
        Ok(RangeTest { test })
    }

    /// The lr to train the next step with, or `None` once the test has stopped.
    fn next_lr(&self) -> Option<f64> {
        self.test.next_lr()
    }

    /// Reports the loss of the step trained at `next_lr()`; returns the stop reason
    /// (`"completed"`, `"diverged"`, `"non_finite"`) when this ends the test, else `None`.
    fn record(&mut self, loss: f64) -> Option<&'static str> {
        self.test.record(loss).map(|s| s.name())
    }

    /// Starts the smoothing at the mean of the warm-up's losses (steps at `start_lr`, not
    /// recorded) and keeps their batch noise for the analysis; call before the first `record`.
    fn settle(&mut self, losses: Vec<f64>) {
        self.test.settle(&losses);
    }

    /// Stops the test at the caller's request (Ctrl-C); the points recorded are kept.
    fn interrupt(&mut self) {
        self.test.interrupt();
    }

    /// Why it ended (`None` while it runs).
    #[getter]
    fn stopped(&self) -> Option<&'static str> {
        self.test.stopped().map(|s| s.name())
    }

    /// Points recorded so far.
    #[getter]
    fn iteration(&self) -> usize {
        self.test.iteration()
    }

    /// The settings (`start_lr`, `end_lr`, `num_iter`, `ramp`, `smoothing`, `stop_div`,
    /// `warmup`) as JSON: the `config` of the document `Analysis.to_json` writes.
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string(self.test.config()).map_err(error)
    }

    /// The lrs recorded so far.
    #[getter]
    fn lrs(&self) -> Vec<f64> {
        self.test.snapshot().curve.lr
    }

    /// Analyzes what was recorded so far (a test still running counts as interrupted), with its
    /// warm-up's noise and fastai's skipping of a tenth of `num_iter`.
    #[pyo3(signature = (*, method=None, methods=None, skip_start=None, skip_end=None, sma_window=5))]
    fn analyze(
        &self,
        method: Option<&str>,
        methods: Option<Vec<String>>,
        skip_start: Option<usize>,
        skip_end: Option<usize>,
        sma_window: usize,
    ) -> PyResult<Analysis> {
        let result = self.test.snapshot();
        let options = options(methods, skip_start, skip_end, None, sma_window)?;
        let analysis = lrfind::analyze_result(&result, &options).map_err(error)?;
        Analysis::new(analysis, method, sma_window, Some(*self.test.config()))
    }
}
