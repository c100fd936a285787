//! A held-out score: the mean loss and the task's own metric.

use std::fmt;

/// The task's own held-out metric.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Metric {
    /// Share of correct predictions, in [0, 1].
    Accuracy(f64),
    /// Root mean squared error in the target's units.
    Rmse(f64),
}

impl Metric {
    /// Its key in result files: `val_accuracy` or `val_rmse`.
    pub fn key(&self) -> &'static str {
        match self {
            Metric::Accuracy(_) => "val_accuracy",
            Metric::Rmse(_) => "val_rmse",
        }
    }

    /// Its column heading in tables: `val acc` or `val rmse`.
    pub fn label(&self) -> &'static str {
        match self {
            Metric::Accuracy(_) => "val acc",
            Metric::Rmse(_) => "val rmse",
        }
    }

    /// The number itself.
    pub fn value(&self) -> f64 {
        match *self {
            Metric::Accuracy(x) | Metric::Rmse(x) => x,
        }
    }

    /// The same kind of metric holding `value` (for means over runs).
    pub fn with_value(&self, value: f64) -> Metric {
        match self {
            Metric::Accuracy(_) => Metric::Accuracy(value),
            Metric::Rmse(_) => Metric::Rmse(value),
        }
    }

    /// The mean of `metrics` (all of one kind; `None` when there are none).
    pub fn mean(metrics: impl IntoIterator<Item = Metric>) -> Option<Metric> {
        let all: Vec<Metric> = metrics.into_iter().collect();
        let first = all.first()?;
        Some(first.with_value(all.iter().map(Metric::value).sum::<f64>() / all.len() as f64))
    }
}

/// For tables: accuracy as a percentage with 2 decimals, RMSE with 4.
impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Accuracy(a) => write!(f, "{:.2}%", a * 100.0),
            Metric::Rmse(x) => write!(f, "{x:.4}"),
        }
    }
}

/// A model's score on held-out data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeldOutScore {
    /// Mean loss per example.
    pub loss: f64,
    /// The task's metric.
    pub metric: Metric,
}

/// A held-out metric under its key ([`Metric::key`]).
#[derive(
    Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub enum MetricDocument {
    /// Classification accuracy.
    #[serde(rename = "val_accuracy")]
    Accuracy(f64),
    /// Root-mean-square error.
    #[serde(rename = "val_rmse")]
    Rmse(f64),
}

impl MetricDocument {
    /// `metric` under its key.
    pub fn of(metric: Metric) -> Self {
        match metric {
            Metric::Accuracy(x) => MetricDocument::Accuracy(x),
            Metric::Rmse(x) => MetricDocument::Rmse(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_means() {
        let m = Metric::mean([Metric::Accuracy(0.5), Metric::Accuracy(1.0)]).unwrap();
        assert_eq!(
            (m.key(), m.label(), m.to_string()),
            ("val_accuracy", "val acc", "75.00%".into())
        );
        assert_eq!(Metric::Rmse(0.123456).to_string(), "0.1235");
        assert_eq!(Metric::mean([]), None);
    }
}
