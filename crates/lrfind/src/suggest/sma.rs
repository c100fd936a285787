//! The rate-of-change rule: the loss's per-iteration slope smoothed by a simple moving average.

use super::{argmin, check_len, SuggestError, Suggestion};

/// keras_lr_finder `get_derivatives(sma)`: `d_i = (L_i − L_{i−w}) / w` for `i ≥ w`, `0` before.
pub fn sma_derivative(losses: &[f64], window: usize) -> Vec<f64> {
    let w = window.max(1);
    (0..losses.len())
        .map(|i| {
            if i < w {
                0.0
            } else {
                (losses[i] - losses[i - w]) / w as f64
            }
        })
        .collect()
}

/// keras_lr_finder `get_best_lr(sma, 0, 0)`: the lr where the smoothed rate of change is lowest.
pub fn sma(lrs: &[f64], losses: &[f64], window: usize) -> Result<Suggestion, SuggestError> {
    if window == 0 {
        return Err(SuggestError::InvalidParameter(
            "the sma window must be at least 1".into(),
        ));
    }
    check_len(lrs, losses, 1)?;
    let idx = argmin(sma_derivative(losses, window)).ok_or(SuggestError::NoFiniteLoss)?;
    Ok(Suggestion::at(lrs, losses, idx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn matches_keras_lr_finder_on_every_fixture() {
        for f in fixtures::all() {
            for (key, w) in [("sma1", 1), ("sma5", 5)] {
                let s = sma(&f.lrs, &f.losses, w).unwrap();
                fixtures::assert_lr(&f.name, key, s.lr, f.expected[key]);
            }
        }
    }

    #[test]
    fn derivative_is_zero_before_the_window() {
        assert_eq!(
            sma_derivative(&[5.0, 4.0, 2.0, 1.0], 2),
            vec![0.0, 0.0, -1.5, -1.5]
        );
    }

    #[test]
    fn zero_window_is_rejected() {
        assert!(matches!(
            sma(&[1.0], &[1.0], 0),
            Err(SuggestError::InvalidParameter(_))
        ));
    }
}
