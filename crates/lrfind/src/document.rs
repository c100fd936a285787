//! The range-test document as a type: what `lrfind analyze --format json` prints, what
//! `lr_find.json` holds (the same fields plus the recommendation and the run's settings), what the
//! Python package's `Analysis.to_json` writes, and what `analyze` and `schedule --from` read back.
//! One definition for every writer and reader; its JSON Schema is `docs/schema/range-test.json`
//! ([`RangeTestDocument::json_schema`]), fields in docs/cli.md.

use crate::analysis::{Analysis, NoRecommendation, Outcome};
use crate::noise::{BatchNoise, Reading};
use crate::stop::StopReason;
use crate::suggest::Method;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The version of [`RangeTestDocument`]'s layout, written as `"schema"`; a file without the key
/// has the layout of version 1.
pub const RANGE_TEST_SCHEMA: u32 = 1;

/// Version 1, for a file written before documents carried `"schema"` (serde's `default` of every
/// document's `schema` field).
pub fn schema_one() -> u32 {
    1
}

/// A range test's curve, its analysis and — in a finder's own file — its recommendation and the
/// run that produced it. Only `stopped` and `curve` are required: a file that records a curve and
/// how its sweep ended reads as one (the analysis fields default to empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RangeTestDocument {
    /// The layout's version ([`RANGE_TEST_SCHEMA`]).
    #[serde(default = "schema_one")]
    pub schema: u32,
    /// Points analyzed (after truncation at a non-finite loss).
    #[serde(default)]
    pub points: usize,
    /// How the range test ended.
    pub stopped: StopReason,
    /// Points the rules left out at the start.
    #[serde(default)]
    pub skip_start: usize,
    /// Points the rules left out at the end.
    #[serde(default)]
    pub skip_end: usize,
    /// Every rule's outcome, in report order, keyed by the rule's name.
    #[serde(default)]
    pub suggestions: IndexMap<Method, OutcomeDocument>,
    /// The curve the rules read.
    pub curve: CurveDocument,
    /// Length of the input before truncation at its first non-finite loss, when that happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_from: Option<usize>,
    /// The warm-up's batch noise, when a warm-up ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise: Option<NoiseDocument>,
    /// What the curve shows beyond that noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<ReadingDocument>,
    /// The rate to act on, or why there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended: Option<Recommended>,
    /// `high` without warnings, else `low`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
    /// Why the recommendation may not be worth acting on ([`crate::confidence`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<WarningDocument>>,
    /// The steps the sweep was set to run ([`crate::RangeTestConfig::num_iter`]), when known:
    /// the rules' default skip reads it ([`crate::default_skip`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_iter: Option<usize>,
    /// The settings that produced the curve, as the program that ran it records them (lrfind's
    /// CLI: the range test's and the task's). Opaque to this library: what it reads is typed
    /// above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<serde_json::Value>,
    /// What it ran on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// The rule recommended when none is asked for ([`crate::DEFAULT_METHOD`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_method: Option<Method>,
    /// How long the range test took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timing: Option<Timing>,
    /// The refinement of the recommended rate, when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refine: Option<Refinement>,
}

/// One rule's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OutcomeDocument {
    /// A single rate.
    Point {
        /// The rate.
        lr: f64,
        /// The recorded point nearest to it, in the whole curve.
        index: usize,
        /// The curve's loss at `lr`.
        loss: f64,
        /// The point the rule read.
        source_index: usize,
    },
    /// The cyclical bounds.
    Bounds {
        /// Lower bound.
        base_lr: f64,
        /// Upper bound.
        max_lr: f64,
        /// The point `base_lr` was read from.
        base_index: usize,
        /// The point `max_lr` was read from.
        max_index: usize,
    },
    /// Why the rule made no suggestion.
    Failed {
        /// The rule's error.
        error: String,
    },
}

/// The curve: rates, the losses the rules read and, in a finder's file, the losses as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CurveDocument {
    /// Learning rates, increasing.
    pub lr: Vec<f64>,
    /// Losses the rules read (smoothed when the test smoothed).
    pub loss: Vec<f64>,
    /// Losses as recorded, before smoothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_loss: Option<Vec<f64>>,
}

/// [`BatchNoise`] with its band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NoiseDocument {
    /// Mean raw loss of the warm-up.
    pub mean: f64,
    /// Sample standard deviation of its raw losses.
    pub sd: f64,
    /// Warm-up steps with a finite loss.
    pub steps: usize,
    /// Standard deviation of a recorded loss while the loss does not move.
    pub spread: f64,
    /// How far a loss must move to count ([`BatchNoise::band`]).
    pub band: f64,
}

/// [`Reading`] as a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ReadingDocument {
    /// A descent beyond the noise.
    Descent {
        /// Where it starts.
        from: usize,
        /// Its lowest point.
        lowest: usize,
    },
    /// No descent beyond the noise.
    Flat {
        /// Where the loss starts to climb, if it does.
        rise: Option<usize>,
    },
}

/// The rate to act on: `method` and its suggestion, or `method: null` and the `reason`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Recommended {
    /// The rule whose rate it is; `null` when the curve gives none.
    pub method: Option<Method>,
    /// The run the rate is for; absent: the curve's rate, for no run in particular.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunFor>,
    /// What choosing the rate cost, in optimizer steps (a finder's own file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// The rate (the refined one when `refined`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// The curve's loss at the rule's rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loss: Option<f64>,
    /// The recorded point nearest to the rule's rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// Why there is no rate ([`NoRecommendation`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The curve's rate, when `lr` is a refinement of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggested_lr: Option<f64>,
    /// `true` when `lr` came from a refinement ([`RangeTestDocument::refine`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refined: Option<bool>,
}

impl Recommended {
    /// The rate of `recommendation`, or why there is none.
    pub fn of(recommendation: &Result<(Method, crate::Suggestion), NoRecommendation>) -> Self {
        match recommendation {
            Ok((m, s)) => Recommended {
                method: Some(*m),
                lr: Some(s.lr),
                loss: Some(s.loss),
                index: Some(s.index),
                ..Default::default()
            },
            Err(why) => Recommended {
                reason: Some(why.to_string()),
                ..Default::default()
            },
        }
    }
}

/// How far to trust the recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// No warning.
    High,
    /// At least one warning.
    Low,
}

/// One [`crate::confidence::Warning`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WarningDocument {
    /// A stable code (`no_descent`, `too_few_points`, …).
    pub code: String,
    /// What was found.
    pub message: String,
    /// What to do about it, in settings.
    pub advice: String,
}

/// The run a recommended rate is for: its length and schedule, and which of the schedule's rates
/// the recommendation sets (`lrfind_train::Trainer::run_for`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunFor {
    /// Epochs.
    pub epochs: usize,
    /// Optimizer steps in all.
    pub steps: usize,
    /// The schedule's kind (`one-cycle`, `cosine`, …).
    pub schedule: String,
}

impl fmt::Display for RunFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let epochs = if self.epochs == 1 { "epoch" } else { "epochs" };
        write!(
            f,
            "{} {epochs} of {} ({} steps)",
            self.epochs, self.schedule, self.steps
        )
    }
}

/// What choosing a rate cost, in optimizer steps: the range test's, and the refinement's
/// candidates'.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cost {
    /// Steps of the range test (its warm-up included).
    pub range_test: usize,
    /// Candidate runs of the refinement (0: none ran).
    pub candidates: usize,
    /// Steps of each candidate.
    pub candidate_steps: usize,
    /// Steps in all.
    pub steps: usize,
    /// `steps` as a multiple of the run's steps, when the run is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<f64>,
}

impl Cost {
    /// The cost of a range test of `range_test` steps and `candidates` candidate runs of
    /// `candidate_steps` each, for a run of `run_steps` when known.
    pub fn new(
        range_test: usize,
        candidates: usize,
        candidate_steps: usize,
        run_steps: Option<usize>,
    ) -> Self {
        let candidate_steps = if candidates == 0 { 0 } else { candidate_steps };
        let steps = range_test + candidates * candidate_steps;
        Cost {
            range_test,
            candidates,
            candidate_steps,
            steps,
            runs: run_steps
                .filter(|&n| n > 0)
                .map(|n| steps as f64 / n as f64),
        }
    }
}

impl fmt::Display for Cost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} range-test steps", self.range_test)?;
        if self.candidates > 0 {
            write!(
                f,
                " + {} × {} candidate steps = {} steps",
                self.candidates, self.candidate_steps, self.steps
            )?;
        }
        if let Some(runs) = self.runs {
            write!(f, " ({runs:.2} × the run)")?;
        }
        Ok(())
    }
}

/// How long a range test took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timing {
    /// Points recorded.
    pub iterations: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// `iterations / seconds`.
    pub iterations_per_second: f64,
}

impl Timing {
    /// `iterations` in `seconds`.
    pub fn new(iterations: usize, seconds: f64) -> Self {
        Timing {
            iterations,
            seconds,
            iterations_per_second: iterations as f64 / seconds.max(1e-9),
        }
    }
}

/// One candidate of a refinement (`lrfind_train::refinement`): a rate and its held-out loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Candidate {
    /// Its rate.
    pub lr: f64,
    /// Its loss after the short run on the data the refinement chooses on — lrfind's CLI: a
    /// selection split carved from the training data, not the held-out data it reports (∞:
    /// diverged; `null` in JSON).
    #[serde(with = "infinite_as_null")]
    #[schemars(with = "Option<f64>")]
    pub val_loss: f64,
    /// At a constant rate, for a run longer than the candidate: its loss after a quarter of its
    /// steps too, and the loss both give at the run's length, which the refinement picks by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extrapolation: Option<Extrapolation>,
}

impl Candidate {
    /// A candidate scored at its end only.
    pub fn new(lr: f64, val_loss: f64) -> Self {
        Candidate {
            lr,
            val_loss,
            extrapolation: None,
        }
    }

    /// The loss a refinement picks by: the extrapolated one where there is one, else its own.
    pub fn chosen_loss(&self) -> f64 {
        self.extrapolation.map_or(self.val_loss, |e| e.run_loss)
    }
}

/// A candidate's loss carried from its own length to the run's (`lrfind_train::refinement::extrapolate`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Extrapolation {
    /// Optimizer steps at the early score: a quarter of the candidate's.
    pub early_steps: usize,
    /// Its loss then (∞: diverged; `null` in JSON).
    #[serde(with = "infinite_as_null")]
    #[schemars(with = "Option<f64>")]
    pub early_loss: f64,
    /// Optimizer steps of the run it stands for.
    pub run_steps: usize,
    /// The loss extrapolated to them (∞: diverged; `null` in JSON).
    #[serde(with = "infinite_as_null")]
    #[schemars(with = "Option<f64>")]
    pub run_loss: f64,
}

/// A refinement of the recommended rate (`lrfind_train::refinement`): its candidates and the
/// winner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Refinement {
    /// Epochs each candidate trained, when whole epochs (`find --refine-epochs`; a run's share is
    /// in `steps` alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    /// Optimizer steps each candidate trained.
    pub steps: usize,
    /// The candidates, in rate order.
    pub candidates: Vec<Candidate>,
    /// The winner's rate.
    pub lr: f64,
}

impl RangeTestDocument {
    /// The document of `analysis` alone (`lrfind analyze --format json`).
    pub fn of(analysis: &Analysis) -> Self {
        let suggestions = analysis
            .suggestions
            .iter()
            .map(|(m, outcome)| {
                let doc = match outcome {
                    Outcome::Point(s) => OutcomeDocument::Point {
                        lr: s.lr,
                        index: s.index,
                        loss: s.loss,
                        source_index: s.source,
                    },
                    Outcome::Bounds(b) => OutcomeDocument::Bounds {
                        base_lr: b.base_lr,
                        max_lr: b.max_lr,
                        base_index: b.base_index,
                        max_index: b.max_index,
                    },
                    Outcome::Failed(e) => OutcomeDocument::Failed {
                        error: e.to_string(),
                    },
                };
                (*m, doc)
            })
            .collect();
        RangeTestDocument {
            schema: RANGE_TEST_SCHEMA,
            points: analysis.curve.len(),
            stopped: analysis.stopped,
            skip_start: analysis.skip_start,
            skip_end: analysis.skip_end,
            suggestions,
            curve: CurveDocument {
                lr: analysis.curve.lr.clone(),
                loss: analysis.curve.loss.clone(),
                raw_loss: None,
            },
            truncated_from: analysis.truncated_from,
            noise: analysis.noise.as_ref().map(NoiseDocument::of),
            reading: analysis.reading.map(ReadingDocument::of),
            recommended: None,
            confidence: None,
            warnings: None,
            num_iter: None,
            config: None,
            device: None,
            default_method: None,
            timing: None,
            refine: None,
        }
    }

    /// [`RangeTestDocument::of`] with the recommendation of `preferred`
    /// ([`Analysis::recommend`]) and how far to trust it.
    pub fn recommending(analysis: &Analysis, preferred: Method) -> Self {
        let warnings = crate::confidence::warnings(analysis);
        RangeTestDocument {
            recommended: Some(Recommended::of(&analysis.recommend(preferred))),
            confidence: Some(if warnings.is_empty() {
                Confidence::High
            } else {
                Confidence::Low
            }),
            warnings: Some(
                warnings
                    .iter()
                    .map(|w| WarningDocument {
                        code: w.code().to_string(),
                        message: w.to_string(),
                        advice: w.advice().to_string(),
                    })
                    .collect(),
            ),
            ..Self::of(analysis)
        }
    }

    /// The document with `refinement`: `recommended.lr` becomes the refined rate and
    /// `recommended.suggested_lr` the curve's.
    pub fn refined(mut self, refinement: Refinement) -> Self {
        if let Some(rec) = &mut self.recommended {
            rec.suggested_lr = rec.lr;
            rec.lr = Some(refinement.lr);
            rec.refined = Some(true);
        }
        self.refine = Some(refinement);
        self
    }

    /// The sweep's configured steps: `num_iter`, or in a file written before that key existed
    /// (lrfind 0.x before 2026-12), the CLI's `config.num_iter` / `config.range_test.num_iter`.
    pub fn num_iter(&self) -> Option<usize> {
        self.num_iter.or_else(|| {
            let config = self.config.as_ref()?;
            config
                .get("num_iter")
                .or_else(|| config.get("range_test")?.get("num_iter"))?
                .as_u64()
                .map(|n| n as usize)
        })
    }

    /// The JSON Schema of the document (what `docs/schema/range-test.json` holds).
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(RangeTestDocument)).expect("a schema is JSON")
    }
}

impl NoiseDocument {
    fn of(noise: &BatchNoise) -> Self {
        NoiseDocument {
            mean: noise.mean,
            sd: noise.sd,
            steps: noise.steps,
            spread: noise.spread,
            band: noise.band(),
        }
    }
}

impl ReadingDocument {
    fn of(reading: Reading) -> Self {
        match reading {
            Reading::Descent { from, lowest } => ReadingDocument::Descent { from, lowest },
            Reading::Flat { rise } => ReadingDocument::Flat { rise },
        }
    }
}

/// A loss that may be ∞ (a diverged run) as JSON: `null` for any non-finite value, read back as ∞
/// (serde's `with` for such a field).
pub mod infinite_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// ∞ and NaN as `null`, a finite value as itself.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        match x.is_finite() {
            true => s.serialize_f64(*x),
            false => s.serialize_none(),
        }
    }

    /// `null` as ∞, a number as itself.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cost_counts_the_range_test_and_every_candidate_against_the_run() {
        let c = Cost::new(100, 5, 46, Some(230));
        assert_eq!((c.steps, c.runs), (330, Some(330.0 / 230.0)));
        assert_eq!(
            c.to_string(),
            "100 range-test steps + 5 × 46 candidate steps = 330 steps (1.43 × the run)"
        );
        let alone = Cost::new(80, 0, 46, None);
        assert_eq!((alone.steps, alone.candidate_steps), (80, 0));
        assert_eq!(alone.to_string(), "80 range-test steps");
    }

    #[test]
    fn a_run_reads_as_its_length_and_schedule() {
        let run = RunFor {
            epochs: 2,
            steps: 230,
            schedule: "one-cycle".into(),
        };
        assert_eq!(run.to_string(), "2 epochs of one-cycle (230 steps)");
    }
}
