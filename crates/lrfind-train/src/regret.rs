//! Regret statistics of `lrfind evaluate`: how far a rule's rate lands from a grid search's best.
//!
//! regret = (L(rule) − L*) / L*, where L is the final held-out loss averaged over seeds and L*
//! the lowest such mean over the grid (the oracle). A rule's lr is the geometric mean over seeds,
//! its spread the standard deviation of log10(lr) in decades. [`Evaluation`] gathers a whole
//! evaluation from each seed's runs ([`SeedRuns`]) and writes it as JSON or a table.

use indexmap::IndexMap;
use lrfind::metric::MetricDocument;
use lrfind::{Method, Metric};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `n ≥ 2` rates from `start` to `end`, evenly spaced in log: `start·(end/start)^(i/(n−1))`.
pub fn log_grid(start: f64, end: f64, n: usize) -> Vec<f64> {
    let d = (n - 1).max(1) as f64;
    let ratio = (end / start).ln();
    if !ratio.is_finite() {
        // end/start overflows (1e-300 … 1e300): in log space, where nothing does.
        let (a, b) = (start.ln(), end.ln());
        return (0..n).map(|i| (a + (b - a) * i as f64 / d).exp()).collect();
    }
    (0..n)
        .map(|i| start * (ratio * i as f64 / d).exp())
        .collect()
}

/// Mean and (population) standard deviation; `(NaN, NaN)`-free: an empty slice gives (0, 0).
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The grid's mean loss per rate over seeds: `losses[seed][point]` → `mean[point]`.
pub fn grid_means(losses: &[Vec<f64>]) -> Vec<f64> {
    let points = losses.first().map_or(0, Vec::len);
    (0..points)
        .map(|i| mean_std(&losses.iter().map(|s| s[i]).collect::<Vec<_>>()).0)
        .collect()
}

/// The grid point with the lowest mean loss: `(index, loss)` (the first of equals; NaN last).
pub fn best_point(means: &[f64]) -> Option<(usize, f64)> {
    means
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// One rule's result over the seeds where it made a suggestion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSummary {
    /// Geometric mean of the suggested rates.
    pub lr: f64,
    /// Standard deviation of log10(lr) over seeds, in decades.
    pub decades: f64,
    /// Mean final held-out loss (∞ when any run diverged).
    pub loss: f64,
    /// `(loss − best) / best`.
    pub regret: f64,
    /// Seeds it suggested on.
    pub seeds: usize,
}

/// Summarises `(lr, final loss)` per seed against the grid's `best` loss; `None` when the rule
/// never suggested.
pub fn summarize(runs: &[(f64, f64)], best: f64) -> Option<RuleSummary> {
    if runs.is_empty() {
        return None;
    }
    let logs: Vec<f64> = runs.iter().map(|r| r.0.log10()).collect();
    let (log_mean, decades) = mean_std(&logs);
    let (loss, _) = mean_std(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
    Some(RuleSummary {
        lr: 10f64.powf(log_mean),
        decades,
        loss,
        regret: (loss - best) / best,
        seeds: runs.len(),
    })
}

/// The final held-out loss and metric of one training run (loss ∞, no metric: it diverged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Final held-out loss.
    pub val_loss: f64,
    /// Final held-out metric.
    pub metric: Option<Metric>,
}

impl Outcome {
    /// A run that diverged.
    pub const DIVERGED: Outcome = Outcome {
        val_loss: f64::INFINITY,
        metric: None,
    };
}

/// One seed's runs: the grid's, and each rule's at its own rate.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedRuns {
    /// One per grid rate.
    pub grid: Vec<Outcome>,
    /// `(rule, lr, outcome)` for every rule that suggested.
    pub rules: Vec<(String, f64, Outcome)>,
    /// Steps the range test took.
    pub finder_steps: usize,
    /// Steps the refinement's candidates took, all of them (0: none ran).
    pub refine_steps: usize,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
}

/// One rule over all seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRow {
    /// The rule's name.
    pub name: String,
    /// Its statistics.
    pub summary: RuleSummary,
    /// Its mean metric over the runs that did not diverge.
    pub metric: Option<Metric>,
}

/// A whole evaluation: the grid's mean losses, the best, every rule's row and the finder's cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The grid's rates.
    pub grid: Vec<f64>,
    /// Mean final loss per rate.
    pub grid_loss: Vec<f64>,
    /// Mean metric per rate.
    pub grid_metric: Vec<Option<Metric>>,
    /// `(index, loss)` of the best rate.
    pub best: (usize, f64),
    /// The rules, in `names` order (those that never suggested left out).
    pub rows: Vec<RuleRow>,
    /// Mean range-test steps per seed.
    pub finder_steps: f64,
    /// Mean steps of the refinement's candidates per seed.
    pub refine_steps: f64,
    /// Optimizer steps of one seed's grid.
    pub grid_steps: f64,
}

/// The version of [`EvaluationDocument`]'s layout, written as `"schema"`; a file without the key
/// has the layout of version 1.
pub const EVALUATION_SCHEMA: u32 = 1;

/// `evaluate.json`: the grid, its best, every rule's row and the finder's cost (schema:
/// `docs/schema/evaluation.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EvaluationDocument {
    /// The layout's version ([`EVALUATION_SCHEMA`]).
    #[serde(default = "lrfind::document::schema_one")]
    pub schema: u32,
    /// One point per grid rate.
    pub grid: Vec<GridPointDocument>,
    /// The grid's best rate.
    pub best: BestDocument,
    /// Each rule's row, keyed by its name.
    pub methods: IndexMap<String, RuleDocument>,
    /// The range test's steps over the grid's.
    pub finder_cost_ratio: f64,
    /// Mean range-test steps per seed.
    pub finder_steps: f64,
    /// The refinement's candidate steps over the grid's (absent in files written before it was
    /// recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refine_cost_ratio: Option<f64>,
    /// Mean steps of the refinement's candidates per seed (absent likewise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refine_steps: Option<f64>,
    /// Optimizer steps of one seed's grid.
    pub grid_steps: f64,
    /// The rule `lrfind` recommends by default.
    pub default_method: Method,
    /// The run's settings, as the caller describes them.
    pub config: Value,
}

/// One grid rate of [`EvaluationDocument`]: its mean loss over seeds (`null`: diverged).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GridPointDocument {
    /// The rate.
    pub lr: f64,
    /// Mean final held-out loss.
    #[serde(with = "lrfind::document::infinite_as_null")]
    #[schemars(with = "Option<f64>")]
    pub val_loss: f64,
    /// Mean held-out metric over the runs that did not diverge.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricDocument>,
}

/// The grid's best rate and its mean loss.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BestDocument {
    /// The rate.
    pub lr: f64,
    /// Its mean final held-out loss.
    pub val_loss: f64,
}

/// One rule of [`EvaluationDocument`] ([`RuleSummary`] and its metric).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RuleDocument {
    /// Geometric mean of its rate over seeds.
    pub lr: f64,
    /// Standard deviation of log10(lr) over seeds.
    pub lr_spread_decades: f64,
    /// Mean final held-out loss (`null`: a seed diverged).
    #[serde(with = "lrfind::document::infinite_as_null")]
    #[schemars(with = "Option<f64>")]
    pub val_loss: f64,
    /// (loss − best) / best (`null`: a seed diverged).
    #[serde(with = "lrfind::document::infinite_as_null")]
    #[schemars(with = "Option<f64>")]
    pub regret: f64,
    /// Seeds it suggested on.
    pub seeds: usize,
    /// Mean held-out metric over the runs that did not diverge.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricDocument>,
}

/// Seeds' runs that make no evaluation.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SummaryError {
    /// No seed, or no grid rate.
    #[error("an evaluation needs at least one seed and one grid rate")]
    Empty,
    /// Every grid rate diverged: there is no best to measure the rules against.
    #[error(
        "every grid rate diverged (held-out loss ∞ at all {rates} rates from {from:.3e} to \
         {to:.3e}): there is no best rate to measure the rules against"
    )]
    GridDiverged {
        /// Rates on the grid.
        rates: usize,
        /// The grid's first rate.
        from: f64,
        /// Its last.
        to: f64,
    },
}

impl Evaluation {
    /// Summarises `seeds` (at least one) run on `grid` for `epochs` epochs; rules reported in
    /// `names` order. An error without seeds or grid, or when every grid rate diverged (a regret
    /// against an infinite best is no number).
    pub fn new(
        grid: Vec<f64>,
        seeds: &[SeedRuns],
        epochs: usize,
        names: &[String],
    ) -> Result<Evaluation, SummaryError> {
        let per_seed: Vec<Vec<f64>> = seeds
            .iter()
            .map(|s| s.grid.iter().map(|o| o.val_loss).collect())
            .collect();
        let grid_loss = grid_means(&per_seed);
        let best = best_point(&grid_loss).ok_or(SummaryError::Empty)?;
        if !best.1.is_finite() {
            return Err(SummaryError::GridDiverged {
                rates: grid.len(),
                from: grid[0],
                to: grid[grid.len() - 1],
            });
        }
        let grid_metric = (0..grid.len())
            .map(|i| Metric::mean(seeds.iter().filter_map(|s| s.grid[i].metric)))
            .collect();
        let rows = names
            .iter()
            .filter_map(|name| {
                let runs: Vec<&(String, f64, Outcome)> = seeds
                    .iter()
                    .filter_map(|s| s.rules.iter().find(|r| &r.0 == name))
                    .collect();
                let found: Vec<(f64, f64)> = runs.iter().map(|r| (r.1, r.2.val_loss)).collect();
                Some(RuleRow {
                    name: name.clone(),
                    summary: summarize(&found, best.1)?,
                    metric: Metric::mean(runs.iter().filter_map(|r| r.2.metric)),
                })
            })
            .collect();
        let steps: Vec<f64> = seeds.iter().map(|s| s.finder_steps as f64).collect();
        let refine: Vec<f64> = seeds.iter().map(|s| s.refine_steps as f64).collect();
        let first = seeds.first().ok_or(SummaryError::Empty)?;
        let grid_steps = (grid.len() * epochs * first.steps_per_epoch) as f64;
        Ok(Evaluation {
            grid,
            grid_loss,
            grid_metric,
            best,
            rows,
            finder_steps: mean_std(&steps).0,
            refine_steps: mean_std(&refine).0,
            grid_steps,
        })
    }

    /// The range test's cost as a share of the grid search's.
    pub fn cost_ratio(&self) -> f64 {
        self.finder_steps / self.grid_steps
    }

    /// The document (`evaluate.json`), with the caller's `config`.
    pub fn document(&self, default: Method, config: Value) -> EvaluationDocument {
        EvaluationDocument {
            schema: EVALUATION_SCHEMA,
            grid: (self.grid.iter().zip(&self.grid_loss).zip(&self.grid_metric))
                .map(|((&lr, &val_loss), m)| GridPointDocument {
                    lr,
                    val_loss,
                    metric: m.map(MetricDocument::of),
                })
                .collect(),
            best: BestDocument {
                lr: self.grid[self.best.0],
                val_loss: self.best.1,
            },
            methods: (self.rows.iter())
                .map(|r| {
                    let s = &r.summary;
                    let row = RuleDocument {
                        lr: s.lr,
                        lr_spread_decades: s.decades,
                        val_loss: s.loss,
                        regret: s.regret,
                        seeds: s.seeds,
                        metric: r.metric.map(MetricDocument::of),
                    };
                    (r.name.clone(), row)
                })
                .collect(),
            finder_cost_ratio: self.cost_ratio(),
            finder_steps: self.finder_steps,
            refine_cost_ratio: Some(self.refine_steps / self.grid_steps),
            refine_steps: Some(self.refine_steps),
            grid_steps: self.grid_steps,
            default_method: default,
            config,
        }
    }

    /// [`Evaluation::document`] as JSON.
    pub fn to_json(&self, default: Method, config: Value) -> Value {
        serde_json::to_value(self.document(default, config)).expect("a document is JSON")
    }

    /// The rules' table, `default` starred, then the finder's cost.
    pub fn table(&self, default: Method) -> String {
        let label = self
            .rows
            .iter()
            .find_map(|r| r.metric)
            .map_or("val acc", |m| m.label());
        let w = self.rows.iter().map(|r| r.name.len()).fold(18, usize::max);
        let mut text = format!(
            "  {:<w$} {:>10} {:>7} {:>10} {:>9} {:>9}\n",
            "method", "lr", "± dec", "val loss", label, "regret"
        );
        for r in &self.rows {
            let star = if r.name == default.name() { "*" } else { " " };
            let metric = r.metric.map_or("diverged".into(), |m| m.to_string());
            let s = &r.summary;
            // A diverged rule's loss and regret are ∞: the table says so in words.
            let (loss, regret) = match s.loss.is_finite() && s.regret.is_finite() {
                true => (
                    format!("{:.4}", s.loss),
                    format!("{:.1}%", s.regret * 100.0),
                ),
                false => ("diverged".to_string(), "diverged".to_string()),
            };
            text += &format!(
                "{star} {:<w$} {:>10.3e} {:>7.2} {:>10} {:>9} {:>9}\n",
                r.name, s.lr, s.decades, loss, metric, regret
            );
        }
        text + &format!(
            "finder cost: {:.0} steps per seed = {:.2}% of the grid search's {:.0}; the \
             refinement's candidates {:.0} more = {:.2}%\n",
            self.finder_steps,
            self.cost_ratio() * 100.0,
            self.grid_steps,
            self.refine_steps,
            self.refine_steps / self.grid_steps * 100.0
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_grid_that_diverged_everywhere_is_no_evaluation() {
        let grid = vec![1e-3, 1e-2];
        let seed = SeedRuns {
            grid: vec![Outcome::DIVERGED, Outcome::DIVERGED],
            rules: vec![("valley".into(), 1e-3, Outcome::DIVERGED)],
            finder_steps: 10,
            refine_steps: 0,
            steps_per_epoch: 5,
        };
        let e = Evaluation::new(grid, &[seed], 1, &["valley".to_string()]).unwrap_err();
        assert_eq!(
            e,
            SummaryError::GridDiverged {
                rates: 2,
                from: 1e-3,
                to: 1e-2
            }
        );
        assert!(e.to_string().contains("every grid rate diverged"));
    }

    #[test]
    fn grid_best_and_regret() {
        let grid = log_grid(1e-4, 1.0, 5);
        assert_eq!(grid.len(), 5);
        assert!((grid[2] - 1e-2).abs() < 1e-15 && grid[0] == 1e-4);
        let means = grid_means(&[vec![3.0, 1.0, 2.0], vec![1.0, 1.0, 4.0]]);
        assert_eq!(means, [2.0, 1.0, 3.0]);
        assert_eq!(best_point(&means), Some((1, 1.0)));
        assert_eq!(best_point(&[f64::NAN, 2.0]), Some((1, 2.0)));
        let s = summarize(&[(1e-3, 1.1), (1e-1, 1.3)], 1.0).unwrap();
        assert!((s.lr - 1e-2).abs() < 1e-15);
        assert!((s.decades - 1.0).abs() < 1e-12);
        assert!((s.regret - 0.2).abs() < 1e-12);
        assert_eq!(s.seeds, 2);
        assert_eq!(summarize(&[], 1.0), None);
        assert_eq!(
            summarize(&[(1e-3, f64::INFINITY)], 1.0).unwrap().regret,
            f64::INFINITY
        );
    }

    #[test]
    fn an_evaluation_reports_rules_against_the_grid() {
        let ok = |val_loss: f64| Outcome {
            val_loss,
            metric: Some(Metric::Accuracy(0.9)),
        };
        let seed = |a: f64| SeedRuns {
            grid: vec![ok(2.0), ok(1.0), Outcome::DIVERGED],
            rules: vec![
                ("valley".into(), 1e-3, ok(a)),
                ("steep".into(), 1e-1, Outcome::DIVERGED),
            ],
            finder_steps: 10,
            refine_steps: 0,
            steps_per_epoch: 5,
        };
        let names = ["valley".to_string(), "steep".into(), "minimum".into()];
        let e =
            Evaluation::new(vec![1e-4, 1e-3, 1e-2], &[seed(1.1), seed(1.3)], 2, &names).unwrap();
        assert_eq!(e.best, (1, 1.0));
        assert_eq!(e.rows.len(), 2, "minimum never suggested");
        assert!((e.rows[0].summary.regret - 0.2).abs() < 1e-12);
        assert!((e.cost_ratio() - 10.0 / 30.0).abs() < 1e-12);
        let v = e.to_json(Method::Valley, json!({}));
        assert!(v["grid"][2]["val_loss"].is_null() && v["methods"]["steep"]["regret"].is_null());
        assert_eq!(v["methods"]["valley"]["val_accuracy"], 0.9);
        let table = e.table(Method::Valley);
        assert!(
            table.contains("* valley") && table.contains("diverged"),
            "{table}"
        );
        // The diverged rule's loss and regret are words, not `inf` or `inf%`.
        let steep = table.lines().find(|l| l.contains("steep")).unwrap();
        assert_eq!(steep.matches("diverged").count(), 3, "{steep}");
        assert!(!table.contains("inf") && !table.contains("NaN"), "{table}");
    }
}
