//! What a training run recorded: one row per epoch, every optimizer step's lr and loss, each
//! range test's choice, and how the run ended — as JSON and CSV.

use lrfind::document::Candidate;
use lrfind::metric::{Metric, MetricDocument};
use lrfind::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;

/// One epoch.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochRow {
    /// From 0.
    pub epoch: usize,
    /// The lr of its first step.
    pub lr_start: f64,
    /// The lr of its last step.
    pub lr_end: f64,
    /// Mean training loss over its steps.
    pub train_loss: f64,
    /// Held-out loss after it.
    pub val_loss: f64,
    /// Held-out metric after it.
    pub metric: Metric,
    /// The selection split's loss after it, when the run chooses on one ([`crate::Training::select`]):
    /// what the plateau watch and a plateau schedule read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_loss: Option<f64>,
}

impl EpochRow {
    /// The loss the run chose on after this epoch: the selection split's, else the held-out.
    pub fn chosen_loss(&self) -> f64 {
        self.select_loss.unwrap_or(self.val_loss)
    }
}

/// One range test during training and the rate it gave.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RefindRecord {
    /// The epoch it ran before.
    pub epoch: usize,
    /// The rule whose rate was taken.
    pub method: Method,
    /// The rate taken: max_lr for cyclic and one-cycle, the lr otherwise.
    pub lr: f64,
    /// Optimizer steps trained before it.
    pub step: usize,
    /// The refinement's candidates (`Trainer::refine`), when it ran: `lr` is the winner's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Ended {
    /// Every epoch ran.
    #[default]
    Completed,
    /// Stopped by the user (Ctrl-C).
    Interrupted,
    /// A training loss was not finite.
    Diverged,
    /// A training step or range test failed.
    Failed,
}

impl Ended {
    /// `completed`, `interrupted`, `diverged` or `failed`.
    pub fn name(self) -> &'static str {
        match self {
            Ended::Completed => "completed",
            Ended::Interrupted => "interrupted",
            Ended::Diverged => "diverged",
            Ended::Failed => "failed",
        }
    }
}

/// Everything a run recorded.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct History {
    /// One row per finished epoch.
    pub epochs: Vec<EpochRow>,
    /// Each range test that chose a rate.
    pub refinds: Vec<RefindRecord>,
    /// The lr of every optimizer step.
    pub step_lr: Vec<f64>,
    /// The loss of every optimizer step.
    pub step_loss: Vec<f64>,
    /// The momentum (β1) of every optimizer step, when the schedule cycled it.
    pub step_momentum: Vec<f64>,
    /// How it ended.
    pub ended: Ended,
}

/// The version of [`HistoryDocument`]'s layout, written as `"schema"`; a file without the key has
/// the layout of version 1.
pub const HISTORY_SCHEMA: u32 = 1;

/// `history.json`: what a training run recorded (schema: `docs/schema/history.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryDocument {
    /// The layout's version ([`HISTORY_SCHEMA`]).
    #[serde(default = "lrfind::document::schema_one")]
    pub schema: u32,
    /// One row per finished epoch.
    pub epochs: Vec<EpochDocument>,
    /// Each range test that chose a rate.
    pub refinds: Vec<RefindDocument>,
    /// The schedule's name.
    pub schedule: String,
    /// How the run ended.
    #[serde(with = "ended_name")]
    #[schemars(with = "String")]
    pub stopped: Ended,
    /// The settings of the run.
    pub config: Value,
    /// Every optimizer step.
    pub steps: StepsDocument,
}

/// One epoch of [`HistoryDocument`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EpochDocument {
    /// From 0.
    pub epoch: usize,
    /// The lr of its first step.
    pub lr_start: f64,
    /// The lr of its last step.
    pub lr_end: f64,
    /// Mean training loss over its steps.
    pub train_loss: f64,
    /// Held-out loss after it.
    pub val_loss: f64,
    /// Held-out metric after it, under its own key.
    #[serde(flatten)]
    pub metric: MetricDocument,
    /// The selection split's loss after it, when the run chose on one (refinement, plateau).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_loss: Option<f64>,
}

/// One range test of [`HistoryDocument`] and the rate it gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RefindDocument {
    /// The epoch it ran before.
    pub epoch: usize,
    /// The rate taken.
    pub suggestion: f64,
    /// The rule whose rate was taken.
    pub method: Method,
    /// Optimizer steps trained before it.
    pub step: usize,
    /// Its range-test file.
    pub lr_find: String,
    /// The refinement's candidates, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refine: Option<Vec<Candidate>>,
}

/// Every optimizer step's lr, loss and (when the schedule cycled it) momentum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepsDocument {
    /// The lr of every step.
    pub lr: Vec<f64>,
    /// The loss of every step.
    pub loss: Vec<f64>,
    /// The momentum of every step, when cycled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub momentum: Option<Vec<f64>>,
}

/// [`Ended`] by its name in documents.
mod ended_name {
    use super::Ended;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(e: &Ended, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(e.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Ended, D::Error> {
        let name = String::deserialize(d)?;
        [
            Ended::Completed,
            Ended::Interrupted,
            Ended::Diverged,
            Ended::Failed,
        ]
        .into_iter()
        .find(|e| e.name() == name)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown end of a run: {name:?}")))
    }
}

/// The file stem of the range test before `epoch` (`lr_find_<epoch>`).
pub fn range_test_stem(epoch: usize) -> String {
    format!("lr_find_{epoch}")
}

impl History {
    /// The document (`history.json`): epochs, re-finds, the schedule's name, how it ended, the
    /// caller's `config`, and every step's lr and loss.
    pub fn document(&self, schedule: &str, config: Value) -> HistoryDocument {
        HistoryDocument {
            schema: HISTORY_SCHEMA,
            epochs: self
                .epochs
                .iter()
                .map(|r| EpochDocument {
                    epoch: r.epoch,
                    lr_start: r.lr_start,
                    lr_end: r.lr_end,
                    train_loss: r.train_loss,
                    val_loss: r.val_loss,
                    metric: MetricDocument::of(r.metric),
                    select_loss: r.select_loss,
                })
                .collect(),
            refinds: self
                .refinds
                .iter()
                .map(|r| RefindDocument {
                    epoch: r.epoch,
                    suggestion: r.lr,
                    method: r.method,
                    step: r.step,
                    lr_find: format!("{}.json", range_test_stem(r.epoch)),
                    refine: (!r.candidates.is_empty()).then(|| r.candidates.clone()),
                })
                .collect(),
            schedule: schedule.to_string(),
            stopped: self.ended,
            config,
            steps: StepsDocument {
                lr: self.step_lr.clone(),
                loss: self.step_loss.clone(),
                momentum: (!self.step_momentum.is_empty()).then(|| self.step_momentum.clone()),
            },
        }
    }

    /// [`History::document`] as JSON.
    pub fn to_json(&self, schedule: &str, config: Value) -> Value {
        serde_json::to_value(self.document(schedule, config)).expect("a document is JSON")
    }

    /// The epochs as CSV (`history.csv`): `epoch,lr_start,lr_end,train_loss,val_loss,<metric>`.
    pub fn write_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let metric = self
            .epochs
            .first()
            .map_or("val_accuracy", |r| r.metric.key());
        writeln!(w, "epoch,lr_start,lr_end,train_loss,val_loss,{metric}")?;
        for r in &self.epochs {
            writeln!(
                w,
                "{},{},{},{},{},{}",
                r.epoch,
                r.lr_start,
                r.lr_end,
                r.train_loss,
                r.val_loss,
                r.metric.value()
            )?;
        }
        Ok(())
    }

    /// `(step, held-out loss)` after each epoch, steps counted from the start.
    pub fn val_points(&self) -> Vec<(usize, f64)> {
        let per_epoch = self.step_lr.len() / self.epochs.len().max(1);
        self.epochs
            .iter()
            .map(|r| ((r.epoch + 1) * per_epoch, r.val_loss))
            .collect()
    }

    /// The steps at which a re-find restarted the schedule (the one before training left out).
    pub fn refind_steps(&self) -> Vec<usize> {
        self.refinds
            .iter()
            .map(|r| r.step)
            .filter(|&s| s > 0)
            .collect()
    }

    /// The epoch table's heading (`metric` names the last column).
    pub fn table_header(metric: &Metric) -> String {
        format!(
            "{:>5}  {:>21}  {:>10}  {:>10}  {:>9}",
            "epoch",
            "lr (start → end)",
            "train loss",
            "val loss",
            metric.label()
        )
    }

    /// One row of the epoch table.
    pub fn table_row(r: &EpochRow) -> String {
        format!(
            "{:>5}  {:>9.3e} → {:>9.3e}  {:>10.4}  {:>10.4}  {:>9}",
            r.epoch,
            r.lr_start,
            r.lr_end,
            r.train_loss,
            r.val_loss,
            r.metric.to_string()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_and_csv_name_the_metric() {
        let h = History {
            epochs: vec![EpochRow {
                epoch: 0,
                lr_start: 0.1,
                lr_end: 0.05,
                train_loss: 1.5,
                val_loss: 1.25,
                metric: Metric::Rmse(0.5),
                select_loss: None,
            }],
            refinds: vec![RefindRecord {
                epoch: 0,
                method: Method::Valley,
                lr: 0.1,
                step: 0,
                candidates: Vec::new(),
            }],
            step_lr: vec![0.1, 0.05],
            step_loss: vec![2.0, 1.0],
            step_momentum: Vec::new(),
            ended: Ended::Completed,
        };
        let v = h.to_json("cosine", json!({"seed": 0}));
        assert_eq!(v["epochs"][0]["val_rmse"], 0.5);
        assert_eq!(v["refinds"][0]["lr_find"], "lr_find_0.json");
        assert_eq!(v["stopped"], "completed");
        let mut csv = Vec::new();
        h.write_csv(&mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "epoch,lr_start,lr_end,train_loss,val_loss,val_rmse\n0,0.1,0.05,1.5,1.25,0.5\n"
        );
        assert_eq!(h.val_points(), [(2, 1.25)]);
        assert!(h.refind_steps().is_empty());
        assert!(History::table_row(&h.epochs[0]).ends_with("   0.5000"));
    }
}
