//! pytorch-lr-finder 0.2.2's rule: the steepest point of `np.gradient(losses)`.

use super::{argmin, check_len, SuggestError, Suggestion};

/// `numpy.gradient` with unit spacing: central differences `(f[i+1] − f[i−1]) / 2` inside,
/// one-sided `f[1] − f[0]` and `f[n−1] − f[n−2]` at the ends. Needs at least 2 values.
pub fn np_gradient(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n < 2 {
        return vec![f64::NAN; n];
    }
    let mut out = Vec::with_capacity(n);
    out.push(values[1] - values[0]);
    out.extend(values.windows(3).map(|w| (w[2] - w[0]) / 2.0));
    out.push(values[n - 1] - values[n - 2]);
    out
}

/// pytorch-lr-finder 0.2.2 `suggestion`: `lrs[argmin(np.gradient(losses))]`, in float64.
pub fn gradient(lrs: &[f64], losses: &[f64]) -> Result<Suggestion, SuggestError> {
    check_len(lrs, losses, 2)?;
    let idx = argmin(np_gradient(losses)).ok_or(SuggestError::NoFiniteLoss)?;
    Ok(Suggestion::at(lrs, losses, idx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn matches_torch_lr_finder_on_every_fixture() {
        for f in fixtures::all() {
            let s = gradient(&f.lrs, &f.losses).unwrap();
            fixtures::assert_lr(&f.name, "gradient", s.lr, f.expected["gradient"]);
        }
    }

    #[test]
    fn numpy_gradient_edges_and_inside() {
        assert_eq!(
            np_gradient(&[1.0, 4.0, 9.0, 16.0]),
            vec![3.0, 4.0, 6.0, 7.0]
        );
    }
}
