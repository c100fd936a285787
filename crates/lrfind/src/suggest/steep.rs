//! fastai 2.8 `steep`: the left point of the steepest segment against ln(lr).

use super::{argmin, check_len, SuggestError, Suggestion};

/// fastai 2.8 `steep`: `g_i = (L_{i+1} − L_i) / (ln lr_{i+1} − ln lr_i)`, index `argmin g`.
///
/// fastai computes on float32 tensors, where equal slopes come out an ulp apart in either
/// direction depending on the log kernel. Slopes within float32 precision (relative 1e-6) of the
/// steepest count as equal here and the first of them wins, which is what exact arithmetic gives.
pub fn steep(lrs: &[f64], losses: &[f64]) -> Result<Suggestion, SuggestError> {
    check_len(lrs, losses, 2)?;
    let slopes: Vec<f64> = lrs
        .windows(2)
        .zip(losses.windows(2))
        .map(|(lr, l)| (l[1] - l[0]) / (lr[1].ln() - lr[0].ln()))
        .collect();
    let best = argmin(slopes.iter().copied()).ok_or(SuggestError::NoFiniteLoss)?;
    let tol = F32_TIE * slopes[best].abs();
    let idx = slopes
        .iter()
        .position(|&g| g <= slopes[best] + tol)
        .unwrap_or(best);
    Ok(Suggestion::at(lrs, losses, idx))
}

/// Relative difference under which two float32 results are the same number.
const F32_TIE: f64 = 1e-6;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn matches_fastai_on_every_fixture() {
        for f in fixtures::all() {
            let s = steep(&f.lrs, &f.losses).unwrap();
            fixtures::assert_lr(&f.name, "steep", s.lr, f.expected["steep"]);
        }
    }

    #[test]
    fn one_point_is_too_short() {
        assert_eq!(
            steep(&[1.0], &[1.0]),
            Err(SuggestError::TooShort { needed: 2, got: 1 })
        );
    }
}
