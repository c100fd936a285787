//! Why a range test ended.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The reason a range test stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
