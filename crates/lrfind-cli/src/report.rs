//! What the commands show and write around a range test: progress bars, Ctrl-C, and the
//! `lr_find` files (JSON, CSV, PNG).

use crate::output::{write_atomic, write_json};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use lrfind::document::{Cost, Refinement, RunFor, Timing};
use lrfind::{Analysis, Halt, Progress, RangeTestDocument, RangeTestResult, RunError};
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A progress bar of `len` steps (hidden when stderr is not a terminal).
pub fn progress_bar(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} it  {msg}  [{elapsed_precise}, {per_sec}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// A flag Ctrl-C sets (a second Ctrl-C, while results are written, falls through to the default).
pub fn ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    stop
}

/// Shows one range-test step on `bar`; stops the test once `stop` is set.
pub fn show_step(bar: &ProgressBar, p: &Progress, stop: &AtomicBool) -> Result<(), Halt> {
    bar.set_position(p.iteration as u64 + 1);
    bar.set_message(format!(
        "lr {:.2e}  loss {}",
        p.lr,
        p.loss.map_or("—".into(), |l| format!("{l:.4}"))
    ));
    match stop.load(Ordering::SeqCst) {
        true => Err(Halt::Interrupt),
        false => Ok(()),
    }
}

/// The message of a range-test step that failed, whose earlier points are kept.
pub fn kept_partial(iteration: usize, error: &dyn std::fmt::Display, kept: usize) -> String {
    format!("lrfind: training step {iteration} failed: {error}; keeping the {kept} points recorded")
}

/// A range test that failed part-way still gives its points: reports why and keeps them.
pub fn keep_partial<E: std::error::Error + Send + Sync + 'static>(
    result: Result<RangeTestResult, RunError<E>>,
) -> Result<RangeTestResult> {
    match result {
        Ok(r) => Ok(r),
        Err(RunError::Step {
            partial,
            source,
            iteration,
        }) => {
            eprintln!("{}", kept_partial(iteration, &source, partial.curve.len()));
            Ok(*partial)
        }
        Err(e) => Err(e.into()),
    }
}

/// A range test to write: its curve, its analysis and what produced it.
pub struct RangeTestRecord<'a> {
    /// The curve.
    pub result: &'a RangeTestResult,
    /// Its suggestions.
    pub analysis: &'a Analysis,
    /// The `sma` rule's window (drawn below the curve).
    pub sma_window: usize,
    /// The settings that produced it.
    pub config: Value,
    /// Wall-clock seconds it took.
    pub seconds: f64,
    /// What it ran on ([`lrfind_zoo::Backend::describe`]).
    pub device: &'static str,
    /// The rule whose rate the run takes: `recommended`, the table and the plot's ring all read it.
    pub method: lrfind::Method,
    /// A refinement of the recommended rate (`find --refine`), written as `refine`;
    /// `recommended.lr` becomes its `lr` (`suggested_lr` the curve's).
    pub refined: Option<Refinement>,
    /// The run the rate is for (`find --epochs`), written as `recommended.run`.
    pub run: Option<RunFor>,
    /// What choosing the rate cost, written as `recommended.cost`.
    pub cost: Option<Cost>,
}

impl RangeTestRecord<'_> {
    /// The [`RangeTestDocument`] with `recommended` (its refinement, run and cost), `config`,
    /// `device`, `default_method`, `timing`.
    pub fn document(&self) -> RangeTestDocument {
        let mut doc = RangeTestDocument::recommending(self.analysis, self.method);
        doc.num_iter = Some(self.result.num_iter);
        doc.config = Some(self.config.clone());
        doc.device = Some(self.device.to_string());
        doc.default_method = Some(lrfind::DEFAULT_METHOD);
        doc.timing = Some(Timing::new(self.result.curve.len(), self.seconds));
        doc.curve.raw_loss = self.result.curve.raw_loss.clone();
        if let Some(refinement) = &self.refined {
            doc = doc.refined(refinement.clone());
        }
        if let Some(rec) = &mut doc.recommended {
            rec.run = self.run.clone();
            rec.cost = self.cost;
        }
        doc
    }
}

/// Writes `<stem>.json` ([`RangeTestRecord::document`]), `<stem>.csv` and `<stem>.png` titled
/// `title` into `out`, each atomically, and returns the document.
pub fn write_range_test(
    out: &Path,
    stem: &str,
    title: &str,
    record: RangeTestRecord,
) -> Result<RangeTestDocument> {
    let doc = record.document();
    write_json(&out.join(format!("{stem}.json")), &doc)?;
    write_atomic(&out.join(format!("{stem}.csv")), |w| {
        record.result.curve.write_csv(w)
    })?;
    lrfind_plot::plot_recommending(
        record.analysis,
        record.method,
        record.sma_window,
        title,
        &out.join(format!("{stem}.png")),
    )?;
    Ok(doc)
}
