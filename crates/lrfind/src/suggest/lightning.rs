//! PyTorch Lightning 2.6's `LRFinder.suggestion`: the steepest point of the loss against the lr
//! itself (not against the step, as pytorch-lr-finder's `gradient`), after Lightning's own skips.

use super::{argmin, check_len, SuggestError, Suggestion};

/// Points Lightning's `suggestion(skip_begin, skip_end)` leaves out; its defaults are 10 and 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LightningSkip {
    /// Points left out at the start (`skip_begin`).
    pub begin: usize,
    /// Points left out at the end (`skip_end`); as Python's `[begin:-end]`, 0 leaves nothing.
    pub end: usize,
}

impl Default for LightningSkip {
    fn default() -> Self {
        LightningSkip { begin: 10, end: 1 }
    }
}

/// `torch.gradient(f, spacing=[x])` in float32 (second-order inside, first-order at the ends), as
/// ATen computes it with `dx₁ = x[i]−x[i−1]`, `dx₂ = x[i+1]−x[i]`:
/// `g[i] = a·f[i−1] + b·f[i] + c·f[i+1]` with `a = −dx₂/(dx₁(dx₁+dx₂))`, `b = (dx₂−dx₁)/(dx₁dx₂)`,
/// `c = dx₁/(dx₂(dx₁+dx₂))`; `g[0] = (f[1]−f[0])/dx`, `g[n−1] = (f[n−1]−f[n−2])/dx`. Needs 2 points.
pub fn gradient_against(x: &[f32], f: &[f32]) -> Vec<f32> {
    let n = f.len();
    if n < 2 {
        return vec![f32::NAN; n];
    }
    let mut g = Vec::with_capacity(n);
    g.push((f[1] - f[0]) / (x[1] - x[0]));
    for i in 1..n - 1 {
        let (dx1, dx2) = (x[i] - x[i - 1], x[i + 1] - x[i]);
        let a = -dx2 / (dx1 * (dx1 + dx2));
        let b = (dx2 - dx1) / (dx1 * dx2);
        let c = dx1 / (dx2 * (dx1 + dx2));
        g.push(a * f[i - 1] + b * f[i] + c * f[i + 1]);
    }
    g.push((f[n - 1] - f[n - 2]) / (x[n - 1] - x[n - 2]));
    g
}

/// Lightning 2.6 `suggestion(skip_begin, skip_end)`: keep points `begin..n−end`, drop those with a
/// non-finite loss, and take the lr at the argmin of [`gradient_against`] the lr (float32, as
/// Lightning's tensors are). Needs 2 points left (Lightning returns `None` otherwise).
pub fn lightning(
    lrs: &[f64],
    losses: &[f64],
    skip: LightningSkip,
) -> Result<Suggestion, SuggestError> {
    check_len(lrs, losses, 0)?;
    // Python's `[begin:-end]`: `-0` is 0, so `end = 0` keeps nothing; an empty range keeps nothing.
    let end = match skip.end {
        0 => 0,
        e => losses.len().saturating_sub(e),
    };
    let kept: Vec<usize> = (skip.begin..end)
        .filter(|&i| losses[i].is_finite())
        .collect();
    if kept.len() < 2 {
        return Err(SuggestError::TooShort {
            needed: 2,
            got: kept.len(),
        });
    }
    let x: Vec<f32> = kept.iter().map(|&i| lrs[i] as f32).collect();
    let f: Vec<f32> = kept.iter().map(|&i| losses[i] as f32).collect();
    let best = argmin(gradient_against(&x, &f).into_iter().map(f64::from))
        .ok_or(SuggestError::NoFiniteLoss)?;
    Ok(Suggestion::at(lrs, losses, kept[best]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;

    #[test]
    fn matches_lightning_on_every_fixture_and_skip() {
        for f in fixtures::all() {
            let path = fixtures::dir()
                .join("suggest")
                .join(&f.name)
                .join("lightning.json");
            let text = std::fs::read_to_string(path).unwrap();
            let expected: std::collections::HashMap<String, Option<f64>> =
                serde_json::from_str(&text).unwrap();
            for (key, want) in expected {
                let (begin, end) = key.split_once(',').unwrap();
                let skip = LightningSkip {
                    begin: begin.parse().unwrap(),
                    end: end.parse().unwrap(),
                };
                match (lightning(&f.lrs, &f.losses, skip), want) {
                    (Ok(s), Some(want)) => {
                        // Lightning returns the lr as recorded (float64 in its results list).
                        fixtures::assert_lr(&f.name, &format!("lightning {key}"), s.lr, Some(want))
                    }
                    (Err(_), None) => {}
                    (got, want) => panic!("{}/{key}: got {got:?}, Lightning {want:?}", f.name),
                }
            }
        }
    }

    #[test]
    fn torch_gradient_on_uneven_coordinates() {
        // f = x² has derivative 2x; the second-order formula is exact for a parabola.
        let x = [1.0f32, 2.0, 4.0, 7.0];
        let f: Vec<f32> = x.iter().map(|v| v * v).collect();
        let g = gradient_against(&x, &f);
        assert_eq!(&g[1..3], &[4.0, 8.0]);
        assert_eq!((g[0], g[3]), (3.0, 11.0));
    }

    #[test]
    fn skip_end_zero_leaves_nothing_as_in_python() {
        let lrs = [1.0, 2.0, 3.0, 4.0];
        let losses = [4.0, 3.0, 1.0, 0.5];
        let none = LightningSkip { begin: 0, end: 0 };
        assert!(lightning(&lrs, &losses, none).is_err());
        // x = 1, 2, 3 and f = 4, 3, 1: gradients −1, −1.5, −2; the steepest is the last kept.
        let s = lightning(&lrs, &losses, LightningSkip { begin: 0, end: 1 }).unwrap();
        assert_eq!(s.lr, 3.0);
    }
}
