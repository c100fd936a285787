//! fastai 2.8 `valley`: a point about 2/3 down the longest strictly decreasing run of losses.

use super::{check_len, SuggestError, Suggestion};

/// fastai 2.8 `valley` (ESRI's rule): with `len` the length of the longest strictly decreasing
/// subsequence of the losses and `end` the first index where that length is reached,
/// `start = end − len` and `idx = start + ⌊len/3⌋ + ⌊len/3/2⌋`.
///
/// fastai finds the subsequence with an O(n²) double loop; here patience sorting gives the same
/// `len` and `end` in O(n log n). fastai's `start` can be −1 (a curve that falls at every step), so
/// its `idx` can be −1, which Python reads as the last element: that is reproduced, so the answer is
/// the same on every input. NaN losses compare false both ways, as in fastai.
pub fn valley(lrs: &[f64], losses: &[f64]) -> Result<Suggestion, SuggestError> {
    check_len(lrs, losses, 1)?;
    let (len, end) = longest_decreasing(losses);
    // fastai sets `start = end − len` only when a run longer than 1 is found; else both stay 0.
    let start = if len > 1 { end as i64 - len as i64 } else { 0 };
    let sections = len / 3;
    let idx = start + sections as i64 + (sections_half(len)) as i64;
    let idx = if idx < 0 {
        (losses.len() as i64 + idx) as usize
    } else {
        idx as usize
    };
    Ok(Suggestion::at(lrs, losses, idx))
}

/// `⌊len/3/2⌋` as fastai computes it (float division, then truncation), which equals `⌊len/6⌋`.
fn sections_half(len: usize) -> usize {
    len / 6
}

/// Length of the longest strictly decreasing subsequence and the first index at which a
/// subsequence of that length ends; `(1, 0)` when nothing decreases.
///
/// `tails[k]` holds the largest possible last value of a decreasing subsequence of length `k + 1`
/// seen so far; it is itself decreasing, so each new value finds its place by binary search.
fn longest_decreasing(values: &[f64]) -> (usize, usize) {
    let mut tails: Vec<f64> = Vec::with_capacity(values.len().min(1024));
    let (mut best_len, mut best_end) = (1usize, 0usize);
    for (i, &v) in values.iter().enumerate() {
        // A NaN extends nothing and starts a run of length 1 (as fastai, whose comparisons are false).
        if v.is_nan() {
            continue;
        }
        // Number of tails strictly greater than v: v can extend the longest of those.
        let k = tails.partition_point(|&t| t > v);
        if k == tails.len() {
            tails.push(v);
        } else {
            tails[k] = v;
        }
        if k + 1 > best_len {
            best_len = k + 1;
            best_end = i;
        }
    }
    (best_len, best_end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures::{self, Fixture};

    /// fastai's own double loop, kept only to check the fast version against it.
    fn valley_quadratic(losses: &[f64]) -> i64 {
        let n = losses.len();
        let (mut max_start, mut max_end) = (0i64, 0usize);
        let mut lds = vec![1usize; n];
        for i in 1..n {
            for j in 0..i {
                if losses[i] < losses[j] && lds[i] < lds[j] + 1 {
                    lds[i] = lds[j] + 1;
                }
                if lds[max_end] < lds[i] {
                    max_end = i;
                    max_start = max_end as i64 - lds[max_end] as i64;
                }
            }
        }
        let sections = (max_end as i64 - max_start) as f64 / 3.0;
        max_start + sections as i64 + (sections / 2.0) as i64
    }

    #[test]
    fn matches_fastai_on_every_fixture() {
        for Fixture {
            name,
            lrs,
            losses,
            expected,
        } in fixtures::all()
        {
            let s = valley(&lrs, &losses).unwrap();
            fixtures::assert_lr(&name, "valley", s.lr, expected["valley"]);
        }
    }

    #[test]
    fn strictly_falling_curve_wraps_like_python() {
        // start = −1; idx = −1 + 0 + 0 → the last element.
        let lrs = [1e-3, 1e-2];
        let s = valley(&lrs, &[2.0, 1.0]).unwrap();
        assert_eq!(s.index, 1);
        assert_eq!(valley_quadratic(&[2.0, 1.0]), -1);
    }

    #[test]
    fn agrees_with_quadratic_reference_on_pseudo_random_curves() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for n in 1..200usize {
            let losses: Vec<f64> = (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    (state % 7) as f64 // many ties, to exercise strictness
                })
                .collect();
            let lrs: Vec<f64> = (1..=n).map(|i| i as f64).collect();
            let want = valley_quadratic(&losses);
            let want = if want < 0 {
                (n as i64 + want) as usize
            } else {
                want as usize
            };
            assert_eq!(
                valley(&lrs, &losses).unwrap().index,
                want,
                "n={n} losses={losses:?}"
            );
        }
    }
}
