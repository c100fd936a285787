//! lrfind's `consensus`: the middle of fastai's three rules (valley, slide, minimum), in lr.
//!
//! Each fastai rule fails somewhere (`docs/reference.md`: valley +328% regret on SGD, slide
//! +135% on a CNN, minimum +63% on an MLP), but they rarely fail in the same direction at once:
//! valley errs low, minimum and slide err high on different curves. The median of the three is
//! within a decade of the best rate on every task we measured (`lrfind evaluate`, docs/evaluation.md).

use super::{minimum, slide, valley, SlideParams, SuggestError, Suggestion};

/// The suggestion with the median lr among valley, slide and minimum (of two that succeed, the
/// lower; of one, that one). Fails only when all three fail, with valley's error.
pub fn consensus(
    lrs: &[f64],
    losses: &[f64],
    params: SlideParams,
) -> Result<Suggestion, SuggestError> {
    let all = [
        valley(lrs, losses),
        slide(lrs, losses, params),
        minimum(lrs, losses),
    ];
    let mut found: Vec<Suggestion> = all.iter().filter_map(|r| r.clone().ok()).collect();
    if found.is_empty() {
        let [first, ..] = all;
        return first;
    }
    found.sort_by(|a, b| a.lr.total_cmp(&b.lr));
    Ok(found[(found.len() - 1) / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn takes_the_middle_of_the_three_fastai_rules_on_every_fixture() {
        for f in fixtures::all() {
            let c = consensus(&f.lrs, &f.losses, SlideParams::default()).unwrap();
            let mut found: Vec<f64> = ["valley", "slide", "minimum"]
                .iter()
                .filter_map(|m| f.expected[*m])
                .collect();
            found.sort_by(f64::total_cmp);
            let middle = found[(found.len() - 1) / 2];
            fixtures::assert_lr(&f.name, "consensus", c.lr, Some(middle));
        }
    }

    #[test]
    fn no_points_is_an_error() {
        assert!(consensus(&[], &[], SlideParams::default()).is_err());
    }
}
