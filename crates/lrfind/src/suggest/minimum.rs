//! fastai 2.8 `minimum`: a tenth of the lr at the lowest loss.

use super::{argmin, check_len, SuggestError, Suggestion};

/// fastai 2.8 `minimum`: `lr = lrs[argmin(losses)] / 10`; `source` is the argmin (first on ties).
pub fn minimum(lrs: &[f64], losses: &[f64]) -> Result<Suggestion, SuggestError> {
    check_len(lrs, losses, 1)?;
    let idx = argmin(losses.iter().copied()).ok_or(SuggestError::NoFiniteLoss)?;
    Ok(Suggestion::decade_below(lrs, losses, idx))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn matches_fastai_on_every_fixture() {
        for f in fixtures::all() {
            let s = minimum(&f.lrs, &f.losses).unwrap();
            fixtures::assert_lr(&f.name, "minimum", s.lr, f.expected["minimum"]);
        }
    }

    #[test]
    fn all_nan_is_an_error() {
        assert_eq!(
            minimum(&[1.0, 2.0], &[f64::NAN, f64::NAN]),
            Err(SuggestError::NoFiniteLoss)
        );
    }
}
