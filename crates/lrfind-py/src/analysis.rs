//! Suggestions read off a curve: every rule, the recommended rate, the bounds, confidence and
//! warnings, the plot, and the JSON document `lrfind analyze` reads back.

use crate::{error, NoRecommendation};
use lrfind::{
    confidence, AnalyzeOptions, Curve, Method, Outcome, RangeTestConfig, RangeTestDocument,
    StopReason,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// The rule named `name` (`valley`, `consensus`, …).
fn method(name: &str) -> PyResult<Method> {
    name.parse()
        .map_err(|e: String| error(format!("method: {e}")))
}

/// [`AnalyzeOptions`] from the Python keywords; every rule when `methods` is `None`.
pub(crate) fn options(
    methods: Option<Vec<String>>,
    skip_start: Option<usize>,
    skip_end: Option<usize>,
    num_iter: Option<usize>,
    sma_window: usize,
) -> PyResult<AnalyzeOptions> {
    let methods = match methods {
        None => Method::ALL.to_vec(),
        Some(names) if names.is_empty() => {
            return Err(error("methods must name at least one rule"))
        }
        Some(names) => names.iter().map(|n| method(n)).collect::<PyResult<_>>()?,
    };
    if num_iter == Some(0) {
        return Err(error("num_iter must be at least 1, got 0"));
    }
    Ok(AnalyzeOptions {
        methods,
        skip_start,
        skip_end,
        num_iter,
        sma_window,
        ..AnalyzeOptions::default()
    })
}

/// A curve and every suggestion made on it (lrfind's `Analysis`), with the rule whose rate is
/// recommended.
#[pyclass(module = "lrfind._core")]
pub struct Analysis {
    analysis: lrfind::Analysis,
    preferred: Method,
    sma_window: usize,
    /// The range test's settings, recorded as the document's `config`, when it ran here.
    config: Option<serde_json::Value>,
    /// The sweep's configured steps, the document's `num_iter`, when known.
    num_iter: Option<usize>,
}

impl Analysis {
    pub(crate) fn new(
        analysis: lrfind::Analysis,
        preferred: Option<&str>,
        sma_window: usize,
        config: Option<RangeTestConfig>,
    ) -> PyResult<Self> {
        let preferred = preferred.map_or(Ok(lrfind::DEFAULT_METHOD), method)?;
        let num_iter = config.map(|c| c.num_iter);
        let config = config
            .map(|c| serde_json::to_value(c).map_err(error))
            .transpose()?;
        Ok(Analysis {
            analysis,
            preferred,
            sma_window,
            config,
            num_iter,
        })
    }
}

#[pymethods]
impl Analysis {
    /// The recommended rate; raises `NoRecommendation` saying why when the curve gives none.
    #[getter]
    fn lr(&self) -> PyResult<f64> {
        self.analysis
            .recommend(self.preferred)
            .map(|(_, s)| s.lr)
            .map_err(|why| NoRecommendation::new_err(why.to_string()))
    }

    /// The rule the recommended rate comes from (`None` when there is none).
    #[getter]
    fn method(&self) -> Option<&'static str> {
        self.analysis
            .recommend(self.preferred)
            .ok()
            .map(|(m, _)| m.name())
    }

    /// Why there is no recommended rate (`None` when there is one).
    #[getter]
    fn reason(&self) -> Option<String> {
        self.analysis
            .recommend(self.preferred)
            .err()
            .map(|why| why.to_string())
    }

    /// Every single-rate rule's suggested lr, by rule name (rules that made none are in
    /// `failures`).
    #[getter]
    fn suggestions(&self) -> Vec<(&'static str, f64)> {
        let point = |o: &Outcome| match o {
            Outcome::Point(s) => Some(s.lr),
            _ => None,
        };
        self.analysis
            .suggestions
            .iter()
            .filter_map(|(m, o)| point(o).map(|lr| (m.name(), lr)))
            .collect()
    }

    /// Why each rule that made no suggestion made none, by rule name.
    #[getter]
    fn failures(&self) -> Vec<(&'static str, String)> {
        self.analysis
            .suggestions
            .iter()
            .filter_map(|(m, o)| match o {
                Outcome::Failed(e) => Some((m.name(), e.to_string())),
                _ => None,
            })
            .collect()
    }

    /// `(base_lr, max_lr)` for a cyclical schedule, if the `bounds` rule found them.
    #[getter]
    fn bounds(&self) -> Option<(f64, f64)> {
        self.analysis.bounds().map(|b| (b.base_lr, b.max_lr))
    }

    /// The curve the rules read: `lr`, `loss` (smoothed when recorded live) and `raw_loss`
    /// (`None` when not known).
    #[getter]
    fn curve<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = &self.analysis.curve;
        let d = PyDict::new(py);
        d.set_item("lr", c.lr.clone())?;
        d.set_item("loss", c.loss.clone())?;
        d.set_item("raw_loss", c.raw_loss.clone())?;
        Ok(d)
    }

    /// How far to trust the curve: `{"code", "message", "advice"}` for each reason not to.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        confidence::warnings(&self.analysis)
            .iter()
            .map(|w| {
                let d = PyDict::new(py);
                d.set_item("code", w.code())?;
                d.set_item("message", w.to_string())?;
                d.set_item("advice", w.advice())?;
                Ok(d)
            })
            .collect()
    }

    /// `"high"` without warnings, else `"low"`.
    #[getter]
    fn confidence(&self) -> &'static str {
        if confidence::warnings(&self.analysis).is_empty() {
            "high"
        } else {
            "low"
        }
    }

    /// How the range test ended: `completed`, `diverged`, `non_finite` or `interrupted`.
    #[getter]
    fn stopped(&self) -> &'static str {
        self.analysis.stopped.name()
    }

    /// `(skip_start, skip_end)`: the points the rules left out at each end.
    #[getter]
    fn skipped(&self) -> (usize, usize) {
        (self.analysis.skip_start, self.analysis.skip_end)
    }

    /// The JSON document of `lrfind analyze --format json` with the recommendation, confidence,
    /// warnings, the raw losses and the settings (`config`): `lrfind analyze FILE` reads it back
    /// to the same suggestions and stop reason.
    fn to_json(&self) -> PyResult<String> {
        let mut doc = RangeTestDocument::recommending(&self.analysis, self.preferred);
        doc.config = self.config.clone();
        doc.num_iter = self.num_iter;
        doc.curve.raw_loss = self.analysis.curve.raw_loss.clone();
        serde_json::to_string_pretty(&doc).map_err(error)
    }

    /// Draws the curve with every suggestion (the recommended one ringed) and its rate of change
    /// to `path` (.png or .svg), without a display.
    #[pyo3(signature = (path, title=None))]
    fn plot(&self, path: PathBuf, title: Option<String>) -> PyResult<()> {
        let title = title.unwrap_or_else(|| "LR range test".to_string());
        lrfind_plot::plot_recommending(
            &self.analysis,
            self.preferred,
            self.sma_window,
            &title,
            &path,
        )
        .map_err(error)
    }

    fn __repr__(&self) -> String {
        match self.analysis.recommend(self.preferred) {
            Ok((m, s)) => format!(
                "<lrfind.Analysis: {} points, {}, {} lr {:.3e}, confidence {}>",
                self.analysis.curve.len(),
                self.analysis.stopped.name(),
                m.name(),
                s.lr,
                self.confidence()
            ),
            Err(why) => format!(
                "<lrfind.Analysis: {} points, {}, no recommendation: {why}>",
                self.analysis.curve.len(),
                self.analysis.stopped.name()
            ),
        }
    }
}

/// Analyzes a recorded curve as `lrfind analyze` does: `lrs` increasing, `losses` as recorded
/// (smoothed or raw), fastai's skipping (a tenth of `num_iter`, default the curve's length, and
/// the last 5 points); `stopped` says how the sweep ended when known.
#[pyfunction]
#[pyo3(signature = (lrs, losses, *, raw_losses=None, method=None, methods=None, skip_start=None, skip_end=None, num_iter=None, sma_window=5, stopped=None))]
#[allow(clippy::too_many_arguments)]
pub fn analyze(
    lrs: Vec<f64>,
    losses: Vec<f64>,
    raw_losses: Option<Vec<f64>>,
    method: Option<&str>,
    methods: Option<Vec<String>>,
    skip_start: Option<usize>,
    skip_end: Option<usize>,
    num_iter: Option<usize>,
    sma_window: usize,
    stopped: Option<&str>,
) -> PyResult<Analysis> {
    let curve = Curve {
        lr: lrs,
        loss: losses,
        raw_loss: raw_losses,
    }
    .checked()
    .map_err(error)?;
    let options = options(methods, skip_start, skip_end, num_iter, sma_window)?;
    let mut analysis = lrfind::analyze(&curve, &options).map_err(error)?;
    if analysis.curve.len() < 2 {
        return Err(error(
            "only the first point has a finite loss; a curve needs at least 2",
        ));
    }
    if let Some(stopped) = stopped {
        let reason: StopReason = stopped.parse().map_err(|_| {
            error(format!(
                "stopped must be completed, diverged, non_finite or interrupted, got {stopped:?}"
            ))
        })?;
        // As recorded: a cut at a non-finite loss is how the curve ended.
        if analysis.truncated_from.is_none() {
            analysis.stopped = reason;
        }
    }
    let mut result = Analysis::new(analysis, method, sma_window, None)?;
    result.num_iter = num_iter;
    Ok(result)
}

/// Reads a curve file (CSV with `lr` and `loss` columns, or JSON, lrfind's own documents
/// included) as `lrfind analyze` does: `{"lr", "loss", "raw_loss"}`.
#[pyfunction]
pub fn read_curve(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let c = Curve::read_path(&path).map_err(error)?;
    let d = PyDict::new(py);
    d.set_item("lr", c.lr)?;
    d.set_item("loss", c.loss)?;
    d.set_item("raw_loss", c.raw_loss)?;
    Ok(d)
}
