//! An evaluation: the grid's final loss against lr, each rule's rate marked, the runs off the
//! lr axis as levels.

use super::*;

struct EvaluationFigure<'a> {
    title: &'a str,
    grid: &'a [f64],
    loss: &'a [f64],
    marks: &'a [(&'a str, f64, f64)],
    levels: &'a [(&'a str, f64)],
}

impl Figure for EvaluationFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(e)?;
        let lrs = self.grid.iter().chain(self.marks.iter().map(|m| &m.1));
        let lrs = lrs.copied().filter(|l| *l > 0.0 && l.is_finite());
        let (x0, x1) = lrs.fold((f64::INFINITY, 0f64), |(a, b), l| (a.min(l), b.max(l)));
        let (x0, x1) = if x0 < x1 {
            (x0 / 2.0, x1 * 2.0)
        } else {
            (1e-6, 1.0)
        };
        let losses = self.loss.iter().chain(self.marks.iter().map(|m| &m.2));
        let losses = losses.chain(self.levels.iter().map(|l| &l.1));
        let (y0, y1) = padded_range(losses.copied());
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(super::log_axis(x0, x1).log_scale(), y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("learning rate (log scale)")
            .y_desc("final held-out loss")
            .x_label_formatter(&|x| format!("{x:.0e}"))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(e)?;
        let points: Vec<(f64, f64)> = self
            .grid
            .iter()
            .zip(self.loss)
            .filter(|(_, l)| l.is_finite())
            .map(|(&x, &l)| (x, l))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), LINE.stroke_width(2)))
            .map_err(e)?
            .label("grid (oracle)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], LINE.stroke_width(2)));
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, LINE.filled())))
            .map_err(e)?;
        // Nine colours, then the next marker shape: no two rules look alike.
        for (i, &(name, lr, loss)) in self.marks.iter().enumerate() {
            if !(loss.is_finite() && lr > 0.0) {
                continue;
            }
            let color = COLORS[i % COLORS.len()];
            let label = format!("{name}: {lr:.2e}");
            if i < COLORS.len() {
                chart
                    .draw_series([TriangleMarker::new((lr, loss), 8, color.filled())])
                    .map_err(e)?
                    .label(label)
                    .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, color.filled()));
            } else {
                chart
                    .draw_series([Cross::new((lr, loss), 6, color.stroke_width(2))])
                    .map_err(e)?
                    .label(label)
                    .legend(move |(x, y)| Cross::new((x + 10, y), 5, color.stroke_width(2)));
            }
        }
        // Runs whose rate is not a rate of this axis (another schedule, a learning-rate-free
        // optimizer): their loss as a dashed level.
        let (x0, x1) = (chart.x_range().start, chart.x_range().end);
        for (i, &(name, loss)) in self.levels.iter().enumerate() {
            if !loss.is_finite() {
                continue;
            }
            let color = COLORS[(self.marks.len() + i) % COLORS.len()];
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, loss), (x1, loss)],
                    6,
                    4,
                    color.stroke_width(2),
                ))
                .map_err(e)?
                .label(format!("{name}: loss {loss:.4}"))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        draw_series_labels(chart.configure_series_labels())
    }
}

/// Writes a grid search's final loss against lr (log axis), with each method's suggestion
/// `(name, lr, loss)` marked and each run off that axis `(name, loss)` as a dashed level, to
/// `path` (.png or .svg), atomically. Non-finite losses (diverged runs) are left out.
pub fn plot_evaluation(
    title: &str,
    grid: &[f64],
    loss: &[f64],
    marks: &[(&str, f64, f64)],
    levels: &[(&str, f64)],
    path: &Path,
) -> Result<(), PlotError> {
    save(
        &EvaluationFigure {
            title,
            grid,
            loss,
            marks,
            levels,
        },
        (1000, 650),
        path,
    )
}
