//! Why a range test ended.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The reason a range test stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every step of the ramp ran.
    Completed,
    /// The smoothed loss exceeded `stop_div ×` the best smoothed loss; that point is recorded.
    Diverged,
    /// A raw loss was NaN or infinite; that point is not recorded.
    NonFinite,
    /// The caller asked to stop (Ctrl-C, an observer).
    Interrupted,
}

impl StopReason {
    /// `completed`, `diverged`, `non_finite` or `interrupted`.
    pub fn name(self) -> &'static str {
        match self {
            StopReason::Completed => "completed",
            StopReason::Diverged => "diverged",
            StopReason::NonFinite => "non_finite",
            StopReason::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name [`StopReason::name`] does not give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a stop reason is completed, diverged, non_finite or interrupted, not {0:?}")]
pub struct UnknownStopReason(pub String);

impl std::str::FromStr for StopReason {
    type Err = UnknownStopReason;

    /// The reason [`StopReason::name`] names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            StopReason::Completed,
            StopReason::Diverged,
            StopReason::NonFinite,
            StopReason::Interrupted,
        ]
        .into_iter()
        .find(|r| r.name() == s)
        .ok_or_else(|| UnknownStopReason(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_parses_from_its_name_and_its_json() {
        for r in [
            StopReason::Completed,
            StopReason::Diverged,
            StopReason::NonFinite,
            StopReason::Interrupted,
        ] {
            assert_eq!(r.name().parse::<StopReason>(), Ok(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.name());
        }
        assert!("nonfinite".parse::<StopReason>().is_err());
    }
}
