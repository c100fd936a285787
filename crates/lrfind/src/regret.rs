//! Regret statistics of `lrfind evaluate`: how far a rule's rate lands from a grid search's best.
//!
//! regret = (L(rule) − L*) / L*, where L is the final held-out loss averaged over seeds and L*
//! the lowest such mean over the grid (the oracle). A rule's lr is the geometric mean over seeds,
//! its spread the standard deviation of log10(lr) in decades.

/// `n ≥ 2` rates from `start` to `end`, evenly spaced in log: `start·(end/start)^(i/(n−1))`.
pub fn log_grid(start: f64, end: f64, n: usize) -> Vec<f64> {
    let ratio = (end / start).ln();
    (0..n)
        .map(|i| start * (ratio * i as f64 / (n - 1).max(1) as f64).exp())
        .collect()
}

/// Mean and (population) standard deviation; `(NaN, NaN)`-free: an empty slice gives (0, 0).
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// The grid's mean loss per rate over seeds: `losses[seed][point]` → `mean[point]`.
pub fn grid_means(losses: &[Vec<f64>]) -> Vec<f64> {
    let points = losses.first().map_or(0, Vec::len);
    (0..points)
        .map(|i| mean_std(&losses.iter().map(|s| s[i]).collect::<Vec<_>>()).0)
        .collect()
}

/// The grid point with the lowest mean loss: `(index, loss)` (the first of equals; NaN last).
pub fn best_point(means: &[f64]) -> Option<(usize, f64)> {
    means
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// One rule's result over the seeds where it made a suggestion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RuleSummary {
    /// Geometric mean of the suggested rates.
    pub lr: f64,
    /// Standard deviation of log10(lr) over seeds, in decades.
    pub decades: f64,
    /// Mean final held-out loss (∞ when any run diverged).
    pub loss: f64,
    /// `(loss − best) / best`.
    pub regret: f64,
    /// Seeds it suggested on.
    pub seeds: usize,
}

/// Summarises `(lr, final loss)` per seed against the grid's `best` loss; `None` when the rule
/// never suggested.
pub fn summarize(runs: &[(f64, f64)], best: f64) -> Option<RuleSummary> {
    if runs.is_empty() {
        return None;
    }
    let logs: Vec<f64> = runs.iter().map(|r| r.0.log10()).collect();
    let (log_mean, decades) = mean_std(&logs);
    let (loss, _) = mean_std(&runs.iter().map(|r| r.1).collect::<Vec<_>>());
    Some(RuleSummary {
        lr: 10f64.powf(log_mean),
        decades,
        loss,
        regret: (loss - best) / best,
        seeds: runs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_best_and_regret() {
        let grid = log_grid(1e-4, 1.0, 5);
        assert_eq!(grid.len(), 5);
        assert!((grid[2] - 1e-2).abs() < 1e-15 && grid[0] == 1e-4);
        let means = grid_means(&[vec![3.0, 1.0, 2.0], vec![1.0, 1.0, 4.0]]);
        assert_eq!(means, [2.0, 1.0, 3.0]);
        assert_eq!(best_point(&means), Some((1, 1.0)));
        assert_eq!(best_point(&[f64::NAN, 2.0]), Some((1, 2.0)));
        let s = summarize(&[(1e-3, 1.1), (1e-1, 1.3)], 1.0).unwrap();
        assert!((s.lr - 1e-2).abs() < 1e-15);
        assert!((s.decades - 1.0).abs() < 1e-12);
        assert!((s.regret - 0.2).abs() < 1e-12);
        assert_eq!(s.seeds, 2);
        assert_eq!(summarize(&[], 1.0), None);
        assert_eq!(
            summarize(&[(1e-3, f64::INFINITY)], 1.0).unwrap().regret,
            f64::INFINITY
        );
    }
}
