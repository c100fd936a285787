//! A compact plot of a curve in plain text, for terminals without images (SSH sessions).

/// Renders loss against log(lr) in a `width × height` grid of characters: `·` for the curve, `●`
/// at the marked `(lr, loss)` with `▼` above it, the loss range on the left and the lr range below.
/// Non-finite points are skipped; a mark outside the curve's range sits at its edge; an empty or
/// flat curve still renders.
pub fn render(
    lrs: &[f64],
    losses: &[f64],
    mark: Option<(f64, f64)>,
    width: usize,
    height: usize,
) -> String {
    let (width, height) = (width.max(10), height.max(3));
    let points: Vec<(f64, f64)> = lrs
        .iter()
        .zip(losses)
        .filter(|(l, y)| **l > 0.0 && l.is_finite() && y.is_finite())
        .map(|(l, y)| (l.log10(), *y))
        .collect();
    if points.is_empty() {
        return String::from("(no finite points to plot)\n");
    }
    let (x0, x1) = bounds(points.iter().map(|p| p.0));
    let (y0, y1) = bounds(points.iter().map(|p| p.1));
    let col = |x: f64| (((x - x0) / (x1 - x0)) * (width - 1) as f64).round() as usize;
    let row = |y: f64| (((y1 - y) / (y1 - y0)) * (height - 1) as f64).round() as usize;
    let mut grid = vec![vec![' '; width]; height];
    for &(x, y) in &points {
        grid[row(y).min(height - 1)][col(x).min(width - 1)] = '·';
    }
    if let Some((lr, loss)) =
        mark.filter(|&(lr, loss)| lr > 0.0 && lr.is_finite() && loss.is_finite())
    {
        let (c, r) = (
            col(lr.log10().clamp(x0, x1)).min(width - 1),
            row(loss.clamp(y0, y1)).min(height - 1),
        );
        grid[r][c] = '●';
        if r > 0 {
            grid[r - 1][c] = '▼';
        }
    }
    let label = |y: f64| format!("{y:>9.4}");
    let mut out = String::new();
    for (r, line) in grid.iter().enumerate() {
        let axis = match r {
            0 => label(y1),
            r if r == height - 1 => label(y0),
            _ => " ".repeat(9),
        };
        out += &format!("{axis} │{}\n", line.iter().collect::<String>());
    }
    out += &format!("{} └{}\n", " ".repeat(9), "─".repeat(width));
    let (left, right) = (
        format!("{:.0e}", 10f64.powf(x0)),
        format!("{:.0e}", 10f64.powf(x1)),
    );
    let gap = width.saturating_sub(left.len() + right.len() + 6);
    out += &format!(
        "{}  {left}{}lr{}{right}\n",
        " ".repeat(9),
        " ".repeat(gap / 2),
        " ".repeat(gap - gap / 2 + 2)
    );
    out
}

/// [`render`] of an analysis: the analyzed window of its curve, the rate it recommends
/// ([`crate::Analysis::recommend`] of `preferred`) marked, `width × height` characters.
pub fn render_analysis(
    analysis: &crate::Analysis,
    preferred: crate::Method,
    width: usize,
    height: usize,
) -> String {
    let (curve, window) = (&analysis.curve, analysis.window());
    let mark = analysis
        .recommend(preferred)
        .ok()
        .map(|(_, s)| (s.lr, s.loss));
    render(
        &curve.lr[window.clone()],
        &curve.loss[window],
        mark,
        width,
        height,
    )
}

/// (min, max) of the values, widened when they are all equal.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_the_curve_and_the_mark() {
        let lrs: Vec<f64> = (0..50)
            .map(|i| 1e-6 * 10f64.powf(i as f64 / 10.0))
            .collect();
        let losses: Vec<f64> = (0..50)
            .map(|i| ((i as f64 - 35.0) / 10.0).powi(2))
            .collect();
        let text = render(&lrs, &losses, Some((lrs[30], losses[30])), 60, 12);
        assert_eq!(text.lines().count(), 14);
        assert_eq!(text.matches('●').count(), 1);
        assert!(text.contains('▼') && text.contains("1e-6") && text.contains("lr"));
        // The lowest point is on the bottom row of the grid.
        assert!(text.lines().nth(11).unwrap().contains('·'));
    }

    #[test]
    fn the_mark_sits_at_its_own_lr_not_at_a_curve_point() {
        let lrs: Vec<f64> = (0..41)
            .map(|i| 10f64.powf(-6.0 + i as f64 / 10.0))
            .collect();
        let losses = vec![1.0; 41];
        // lr 1e-4 is halfway along the log axis 1e-6 … 1e-2.
        let text = render(&lrs, &losses, Some((1e-4, 1.0)), 61, 5);
        let row = text.lines().find(|l| l.contains('●')).unwrap();
        let col = row
            .split('│')
            .nth(1)
            .unwrap()
            .chars()
            .position(|c| c == '●');
        assert_eq!(col, Some(30));
    }

    #[test]
    fn degenerate_curves_do_not_panic() {
        assert!(render(&[], &[], None, 40, 8).contains("no finite"));
        assert!(render(&[1.0], &[f64::NAN], Some((1.0, 1.0)), 40, 8).contains("no finite"));
        let flat = render(&[1e-3, 1e-2], &[1.0, 1.0], Some((1e-9, 5.0)), 0, 0);
        assert!(flat.contains('●'));
        assert!(flat.contains('·'));
    }
}
