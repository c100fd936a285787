//! Bounds `(base_lr, max_lr)` for cyclical and one-cycle schedules, after Smith (2015) §3.3.

use super::{argmin, check_len, SuggestError};
use serde::Serialize;

/// The lr range a cyclical schedule should sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bounds {
    /// Lower bound.
    pub base_lr: f64,
    /// Upper bound.
    pub max_lr: f64,
    /// Index of the point `base_lr` was read from, in the slice given.
    pub base_index: usize,
    /// Index of the point `max_lr` was read from, in the slice given.
    pub max_index: usize,
}

impl Bounds {
    /// The same bounds with indices moved by `offset` (from a window back to the full curve).
    pub fn shifted(self, offset: usize) -> Self {
        Bounds {
            base_index: self.base_index + offset,
            max_index: self.max_index + offset,
            ..self
        }
    }
}

/// Share of the total fall used to place each bound: 10% in from each end (a 10–90% rise time).
const EDGE: f64 = 0.1;

/// Smith §3.3 says base_lr is where the loss starts to fall and max_lr where it stops falling or
/// turns ragged. Measured on the fall itself: with `top` the highest loss before the lowest one
/// (`low`) and `drop = top − low`, base_lr is the first lr after `top` where the loss is below
/// `top − 10% drop` and max_lr the first after that where it is below `low + 10% drop` — the
/// 10–90% span of the fall, so neither the flat start nor noise at the bottom moves the bounds.
/// `base_index < max_index` always; a curve whose loss never falls has no bounds.
pub fn bounds(lrs: &[f64], losses: &[f64]) -> Result<Bounds, SuggestError> {
    check_len(lrs, losses, 2)?;
    let low_idx = argmin(losses.iter().copied()).ok_or(SuggestError::NoFiniteLoss)?;
    let low = losses[low_idx];
    // Highest loss at or before the minimum (first of equals).
    let (top_idx, top) = losses[..=low_idx]
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, l)| l.is_finite())
        .fold(
            (low_idx, low),
            |best, (i, l)| if l > best.1 { (i, l) } else { best },
        );
    let drop = top - low;
    if !drop.is_finite() || drop <= 0.0 {
        return Err(SuggestError::NoDescent);
    }
    let first_below = |from: usize, level: f64| {
        (from..=low_idx)
            .find(|&i| losses[i] <= level)
            .unwrap_or(low_idx)
    };
    let max_index = first_below(top_idx + 1, low + EDGE * drop);
    let base_index = first_below(top_idx + 1, top - EDGE * drop).min(max_index - 1);
    Ok(Bounds {
        base_lr: lrs[base_index],
        max_lr: lrs[max_index],
        base_index,
        max_index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn brackets_the_fall_of_a_u_shaped_curve() {
        // Flat at 2 until index 10, falls linearly to 0 at index 20, rises after.
        let lrs: Vec<f64> = (0..30).map(|i| 1e-6 * 1.5f64.powi(i)).collect();
        let losses: Vec<f64> = (0..30)
            .map(|i| match i {
                0..=10 => 2.0,
                11..=20 => 2.0 - 0.2 * (i - 10) as f64,
                _ => 0.3 * (i - 20) as f64,
            })
            .collect();
        let b = bounds(&lrs, &losses).unwrap();
        assert_eq!((b.base_index, b.max_index), (11, 19));
        assert!(b.base_lr < b.max_lr);
    }

    #[test]
    fn a_one_step_cliff_still_gives_an_ordered_pair() {
        let b = bounds(&[1.0, 2.0, 3.0], &[5.0, 1.0, 4.0]).unwrap();
        assert_eq!((b.base_index, b.max_index), (0, 1));
    }

    #[test]
    fn rising_or_flat_curves_have_no_bounds() {
        assert_eq!(
            bounds(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]),
            Err(SuggestError::NoDescent)
        );
        assert_eq!(
            bounds(&[1.0, 2.0], &[1.0, 1.0]),
            Err(SuggestError::NoDescent)
        );
    }

    #[test]
    fn on_recorded_curves_the_bounds_lie_inside_the_descent() {
        for f in fixtures::all()
            .into_iter()
            .filter(|f| f.name.starts_with("digits"))
        {
            let b = bounds(&f.lrs, &f.losses).unwrap();
            let low = argmin(f.losses.iter().copied()).unwrap();
            assert!(
                b.base_index < b.max_index && b.max_index <= low,
                "{}: {b:?}",
                f.name
            );
            assert!(f.losses[b.base_index] > f.losses[b.max_index], "{}", f.name);
        }
    }
}
