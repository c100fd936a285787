//! When to run the range test again during training: every N epochs, or when the held-out loss
//! stops improving (the best rate falls as the weights improve; Smith 2015 §3.3).

/// The re-find policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefindPolicy {
    /// Only the range test before training (if any).
    #[default]
    Never,
    /// Before epochs N, 2N, … (N ≥ 1).
    Every(usize),
    /// When the held-out loss has not improved for `patience` epochs.
    OnPlateau {
        /// Epochs without improvement that trigger a re-find.
        patience: usize,
    },
}

/// The held-out loss's best value so far and the epochs since it improved. An improvement is
/// a loss below `best·(1 − 1e-4)` (PyTorch `ReduceLROnPlateau`'s relative threshold).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlateauWatch {
    /// The lowest held-out loss seen.
    pub best: f64,
    /// Epochs since it was seen.
    pub since_best: usize,
}

impl Default for PlateauWatch {
    fn default() -> Self {
        PlateauWatch {
            best: f64::INFINITY,
            since_best: 0,
        }
    }
}

impl PlateauWatch {
    /// The relative improvement a loss must make to count.
    pub const THRESHOLD: f64 = 1e-4;

    /// Takes one epoch's held-out loss.
    pub fn observe(&mut self, loss: f64) {
        if loss < self.best * (1.0 - Self::THRESHOLD) {
            (self.best, self.since_best) = (loss, 0);
        } else {
            self.since_best += 1;
        }
    }
}

impl RefindPolicy {
    /// Whether a range test is due before `epoch` (the test before epoch 0 is the caller's).
    pub fn due(&self, epoch: usize, watch: &PlateauWatch) -> bool {
        match *self {
            RefindPolicy::Never => false,
            RefindPolicy::Every(n) => epoch > 0 && n > 0 && epoch.is_multiple_of(n),
            RefindPolicy::OnPlateau { patience } => epoch > 0 && watch.since_best >= patience,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_n_epochs() {
        let w = PlateauWatch::default();
        let due: Vec<usize> = (0..10)
            .filter(|&e| RefindPolicy::Every(3).due(e, &w))
            .collect();
        assert_eq!(due, [3, 6, 9]);
        assert!(!(0..10).any(|e| RefindPolicy::Never.due(e, &w)));
    }

    #[test]
    fn on_plateau_after_patience_epochs_without_improvement() {
        let policy = RefindPolicy::OnPlateau { patience: 2 };
        let mut w = PlateauWatch::default();
        let mut due = Vec::new();
        for (epoch, loss) in [1.0, 0.9, 0.95, 0.9, 0.89, 0.8].into_iter().enumerate() {
            if policy.due(epoch, &w) {
                due.push(epoch);
                w.since_best = 0;
            }
            w.observe(loss);
        }
        // 0.95 and 0.9 do not beat 0.9: due before epoch 4; 0.89 beats 0.9·(1−1e-4).
        assert_eq!(due, [4]);
        assert_eq!(w.best, 0.8);
        let mut tiny = PlateauWatch::default();
        tiny.observe(1.0);
        tiny.observe(1.0 - 5e-5);
        assert_eq!(
            tiny.since_best, 1,
            "an improvement below the threshold does not count"
        );
    }
}
