//! fastai 2.8 `slide`: Andrew Chang's interval slide rule.

use super::{check_len, SuggestError, Suggestion};

/// Parameters of [`slide`], fastai's defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlideParams {
    /// Distance in points between the two ends of the sliding interval (fastai `lr_diff`, 15).
    pub lr_diff: usize,
    /// The interval stops sliding once the gradients at its ends differ by at most this (0.005).
    pub thresh: f64,
    /// Factor applied to the lr found (fastai `adjust_value`, 1).
    pub adjust_value: f64,
}

impl Default for SlideParams {
    fn default() -> Self {
        SlideParams {
            lr_diff: 15,
            thresh: 0.005,
            adjust_value: 1.0,
        }
    }
}

/// fastai 2.8 `slide`: with `g = np.gradient(losses)` (float32), an interval `[r − lr_diff, r]`
/// slides left from the end while `|g[r] − g[l]| > thresh`; the suggestion is
/// `adjust_value × lrs[l]` at the last `l` that still slid (the first `l` if none did).
///
/// Needs more than `lr_diff` points (fastai raises an IndexError otherwise).
pub fn slide(lrs: &[f64], losses: &[f64], params: SlideParams) -> Result<Suggestion, SuggestError> {
    if params.thresh.is_nan()
        || params.thresh < 0.0
        || !params.adjust_value.is_finite()
        || params.adjust_value <= 0.0
    {
        return Err(SuggestError::InvalidParameter(format!(
            "slide needs thresh ≥ 0 and a finite adjust_value > 0 (got {} and {})",
            params.thresh, params.adjust_value
        )));
    }
    let n = losses.len();
    // np.gradient needs 2 points; the interval needs lr_diff + 1.
    check_len(lrs, losses, params.lr_diff.saturating_add(1).max(2))?;
    let grad = gradient_f32(losses);
    let thresh = params.thresh as f32;
    let (mut r, mut l) = (n - 1, n - 1 - params.lr_diff);
    let mut local = l;
    loop {
        let diff = (grad[r] - grad[l]).abs();
        // NaN compares false, so a NaN gradient stops the slide as in NumPy.
        if diff.is_nan() || diff <= thresh {
            break;
        }
        local = l;
        if l == 0 {
            break;
        }
        r -= 1;
        l -= 1;
    }
    Ok(Suggestion::read_from(
        lrs,
        losses,
        lrs[local] * params.adjust_value,
        local,
    ))
}

/// `np.gradient` on a float32 array: the same formula as [`super::np_gradient`], rounded as NumPy does.
fn gradient_f32(values: &[f64]) -> Vec<f32> {
    let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
    let n = v.len();
    let mut out = Vec::with_capacity(n);
    out.push(v[1] - v[0]);
    out.extend(v.windows(3).map(|w| (w[2] - w[0]) / 2.0));
    out.push(v[n - 1] - v[n - 2]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn matches_fastai_on_every_fixture() {
        for f in fixtures::all() {
            let got = slide(&f.lrs, &f.losses, SlideParams::default());
            match f.expected["slide"] {
                None => assert!(
                    matches!(got, Err(SuggestError::TooShort { needed: 16, .. })),
                    "{}: fastai raises, got {got:?}",
                    f.name
                ),
                want => fixtures::assert_lr(&f.name, "slide", got.unwrap().lr, want),
            }
        }
    }

    #[test]
    fn sixteen_points_is_enough() {
        let lrs: Vec<f64> = (0..16).map(|i| 10f64.powi(i - 8)).collect();
        let losses: Vec<f64> = (0..16).map(|i| (i as f64 * 0.3).cos()).collect();
        assert!(slide(&lrs, &losses, SlideParams::default()).is_ok());
    }
}
