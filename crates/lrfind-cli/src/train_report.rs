//! What `lrfind train` shows and writes while the trainer runs: progress bars, the epoch table,
//! each range test's files, and the command's error when the trainer stops.

use crate::exit::{bad_input, Interrupted};
use crate::flags::Format;
use crate::output::write_json;
use crate::report::{self, RangeTestRecord};
use crate::settings::{self, RangeSettings, RefindConfig};
use crate::train::Args;
use indicatif::ProgressBar;
use lrfind::document::{Candidate, Cost, Refinement, RunFor};
use lrfind::noise::Reading;
use lrfind::{Analysis, RangeTestResult};
use lrfind_train::{range_test_stem, Event, Halt, History, TrainError, Trainer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What the command shows and writes while the trainer runs.
pub struct Show<'a> {
    pub args: &'a Args,
    /// The run's trainer (the settings each range test ran with).
    pub trainer: &'a Trainer,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
    pub stop: &'a AtomicBool,
    pub bar: ProgressBar,
    pub started: Instant,
    /// Whether the epoch table's header is printed (before the first row this run prints, also
    /// when it resumes mid-run).
    pub header_shown: bool,
    /// The last range test written, kept to write again once the run has taken its rate.
    pub written: Option<WrittenRangeTest>,
}

/// A range test `lr_find_<epoch>.json` holds: written when it ends, and again with its refinement,
/// the run and the cost once the run has taken its rate — then `recommended.lr` is the rate the
/// run took, as `find --epochs` writes it.
pub struct WrittenRangeTest {
    epoch: usize,
    result: RangeTestResult,
    analysis: Analysis,
    config: serde_json::Value,
    seconds: f64,
    /// The refinement's candidates and winner, once scored.
    scored: Option<(Vec<Candidate>, f64)>,
}

impl Show<'_> {
    /// After Ctrl-C: the bar cleared, and the trainer asked to stop.
    fn check_stop(&self) -> Result<(), Halt> {
        if self.stop.load(Ordering::SeqCst) {
            self.bar.finish_and_clear();
            return Err(Halt::Interrupt);
        }
        Ok(())
    }

    /// The record of `t`, with its refinement of `candidate_steps` each when one was scored, the
    /// run the rate is for and what choosing it cost.
    fn record<'t>(
        &self,
        t: &'t WrittenRangeTest,
        candidate_steps: usize,
        run: Option<RunFor>,
        cost: Option<Cost>,
    ) -> RangeTestRecord<'t> {
        let args = self.args;
        let refined = t.scored.as_ref().map(|(candidates, lr)| Refinement {
            epochs: None,
            steps: candidate_steps,
            candidates: candidates.clone(),
            lr: *lr,
        });
        RangeTestRecord {
            result: &t.result,
            analysis: &t.analysis,
            sma_window: args.suggest.sma_window,
            config: t.config.clone(),
            seconds: t.seconds,
            device: args.task.backend.describe(),
            method: args.method.unwrap_or(lrfind::DEFAULT_METHOD),
            refined,
            run,
            cost,
        }
    }

    /// Shows (or writes) one event; Ctrl-C interrupts.
    pub fn on(&mut self, event: Event<'_>) -> Result<(), Halt> {
        let args = self.args;
        let table = args.format == Format::Table;
        match event {
            Event::RangeTestStep(p) => {
                if p.iteration == 0 {
                    self.bar = report::progress_bar(p.total as u64);
                    self.started = Instant::now();
                }
                report::show_step(&self.bar, p, self.stop)?;
            }
            Event::RangeTestStepFailed {
                iteration,
                error,
                kept,
            } => eprintln!("{}", report::kept_partial(iteration, &error, kept)),
            Event::RangeTest {
                epoch,
                result,
                analysis,
            } => {
                self.bar.finish_and_clear();
                if let (true, Some(Reading::Flat { rise: Some(i) }), Some(noise)) =
                    (table, analysis.reading, analysis.noise)
                {
                    eprintln!(
                        "epoch {epoch}: no descent beyond the batch noise (band {:.3}); the loss \
                         rises at lr {:.3e}, every rule takes a decade below",
                        noise.band(),
                        analysis.curve.lr[i]
                    );
                }
                let config = settings::to_value(RefindConfig {
                    task: args.task.settings(),
                    range_test: RangeSettings::of(&args.range)
                        .with_warmup(self.trainer.range_test_before(epoch).warmup),
                    epoch,
                });
                // Written now, so that the curve is kept if the refinement is stopped.
                let written = WrittenRangeTest {
                    epoch,
                    result: result.clone(),
                    analysis: analysis.clone(),
                    config,
                    seconds: self.started.elapsed().as_secs_f64(),
                    scored: None,
                };
                let title = format!("LR range test at epoch {epoch}: {}", args.task);
                let record = self.record(&written, 0, None, None);
                report::write_range_test(&args.out, &range_test_stem(epoch), &title, record)
                    .map_err(|e| Halt::Fail(e.into()))?;
                self.written = Some(written);
            }
            Event::RateTaken {
                epoch,
                used,
                cost,
                by_candidates,
            } => {
                let run = (epoch == 0).then(|| self.trainer.run_for(self.steps_per_epoch));
                // Only the document changes: the curve's CSV and picture stand as written.
                if let Some(t) = self.written.take().filter(|t| t.epoch == epoch) {
                    let record = self.record(&t, cost.candidate_steps, run.clone(), Some(cost));
                    let path = args.out.join(format!("{}.json", range_test_stem(epoch)));
                    write_json(&path, &record.document()).map_err(|e| Halt::Fail(e.into()))?;
                }
                if table {
                    let refined = if by_candidates { ", refined" } else { "" };
                    let run = run.map_or(String::new(), |r| format!(", for {r}"));
                    eprintln!("epoch {epoch}: range test → {used}{refined}{run}; chosen in {cost}")
                }
            }
            Event::ScheduleKept { epoch, missing } => {
                eprintln!("epoch {epoch}: range test gave {missing}: keeping the current schedule")
            }
            Event::EpochStart { epoch, steps } => {
                self.bar = report::progress_bar(steps as u64);
                self.bar
                    .set_prefix(format!("epoch {}/{}", epoch + 1, args.epochs));
            }
            Event::Step { step, lr, loss, .. } => {
                self.bar.set_position(step as u64 + 1);
                self.bar.set_message(format!("lr {lr:.2e}  loss {loss:.4}"));
                self.check_stop()?;
            }
            Event::Epoch(row) => {
                self.bar.finish_and_clear();
                if table {
                    if !self.header_shown {
                        eprintln!("{}", History::table_header(&row.metric));
                        self.header_shown = true;
                    }
                    eprintln!("{}", History::table_row(row));
                }
            }
            Event::CandidateStep {
                epoch,
                candidate,
                of,
                step,
                steps,
            } => {
                if step == 0 {
                    self.bar = report::progress_bar(steps as u64);
                    self.bar.set_prefix(format!(
                        "epoch {epoch}: refining, candidate {}/{of}",
                        candidate + 1
                    ));
                }
                self.bar.set_position(step as u64 + 1);
                self.check_stop()?;
            }
            Event::CandidatesScored {
                epoch,
                candidates,
                lr,
            } => {
                self.bar.finish_and_clear();
                if let Some(t) = self.written.as_mut().filter(|t| t.epoch == epoch) {
                    t.scored = Some((candidates.to_vec(), lr));
                }
                if table {
                    let tried: Vec<String> = candidates
                        .iter()
                        .map(|c| match c.extrapolation {
                            Some(e) => format!(
                                "{:.2e} → {:.4} ({:.4} at {} steps)",
                                c.lr, c.val_loss, e.run_loss, e.run_steps
                            ),
                            None => format!("{:.2e} → {:.4}", c.lr, c.val_loss),
                        })
                        .collect();
                    eprintln!(
                        "epoch {epoch}: refined over {} candidates (lr → selection loss: {}) → {lr:.3e}",
                        candidates.len(),
                        tried.join(", ")
                    );
                }
            }
        }
        Ok(())
    }
}

/// The command's error for a run the trainer stopped.
pub fn failure(args: &Args, e: TrainError<lrfind_zoo::workbench::StepError>) -> anyhow::Error {
    match e {
        TrainError::Interrupted => anyhow::Error::new(Interrupted),
        TrainError::Diverged { .. } => {
            anyhow::anyhow!("{e} (try a lower --lr or another --method)")
        }
        TrainError::NoRate { epoch, .. } => anyhow::anyhow!(
            "{e} (see {}/{}.png)",
            args.out.display(),
            range_test_stem(epoch)
        ),
        TrainError::Schedule(e) => bad_input(e),
        TrainError::Resume(_) => bad_input(e),
        other => anyhow::anyhow!(other),
    }
}
