//! lrfind's `descent`: pytorch-lr-finder's steepest point, read on the descent only.
//!
//! `gradient` (the steepest point of `np.gradient(losses)`) picked the best one-cycle peak within
//! 10% on five tasks (docs/evaluation.md, "The max_lr of a one-cycle run"), but it looks at the whole window,
//! and where the loss falls again after a spike past its minimum it took that fall (0.74 on
//! Fashion-MNIST, where the loss had already blown up). Descent is what the rule means to read, so
//! `descent` reads it up to the lowest point and no further.

use super::gradient::np_gradient;
use super::{argmin, check_len, SuggestError, Suggestion};

/// `lrs[argmin(np.gradient(losses)[..=m])]` with `m` the lowest loss (first on ties): the steepest
/// point from the start of the window to its minimum.
pub fn descent(lrs: &[f64], losses: &[f64]) -> Result<Suggestion, SuggestError> {
    check_len(lrs, losses, 2)?;
    let lowest = argmin(losses.iter().copied()).ok_or(SuggestError::NoFiniteLoss)?;
    if lowest == 0 {
        return Err(SuggestError::NoDescent);
    }
    let slopes = np_gradient(losses);
    let idx = argmin(slopes[..=lowest].iter().copied()).ok_or(SuggestError::NoFiniteLoss)?;
    Ok(Suggestion::at(lrs, losses, idx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::{fixtures, gradient};

    #[test]
    fn a_fall_after_the_minimum_is_not_read() {
        // Descends 1 → 0.2 (steepest 0.3 per point), spikes to 5, falls 5 → 1 past the minimum.
        let losses = [1.0, 0.9, 0.6, 0.3, 0.2, 5.0, 1.0, 3.0];
        let lrs: Vec<f64> = (0..losses.len())
            .map(|i| 10f64.powi(i as i32 - 7))
            .collect();
        assert_eq!(gradient(&lrs, &losses).unwrap().index, 6);
        let s = descent(&lrs, &losses).unwrap();
        // np.gradient up to the minimum: [-.1, -.2, -.3, -.2, 2.35]; the steepest is point 2.
        assert_eq!((s.index, s.lr), (2, 1e-5));
    }

    #[test]
    fn equals_gradient_where_the_steepest_point_precedes_the_minimum() {
        for f in fixtures::all() {
            let lowest = argmin(f.losses.iter().copied()).unwrap();
            let g = gradient(&f.lrs, &f.losses).unwrap();
            let Ok(d) = descent(&f.lrs, &f.losses) else {
                assert_eq!(lowest, 0, "{}", f.name);
                continue;
            };
            if g.index <= lowest {
                assert_eq!(d, g, "{}", f.name);
            } else {
                assert!(d.index <= lowest, "{}", f.name);
            }
        }
    }

    #[test]
    fn a_curve_lowest_at_its_start_has_no_descent() {
        assert_eq!(
            descent(&[1e-3, 1e-2, 1e-1], &[1.0, 2.0, 3.0]),
            Err(SuggestError::NoDescent)
        );
    }
}
