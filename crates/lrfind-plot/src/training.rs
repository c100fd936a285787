//! A training run: losses per step and per epoch, the lr, and the re-finds.

use super::*;

/// What a training run recorded, for [`plot_training`].
#[derive(Debug, Clone, Copy)]
pub struct TrainingPlot<'a> {
    /// Training loss of every optimizer step.
    pub loss: &'a [f64],
    /// Learning rate of every optimizer step.
    pub lr: &'a [f64],
    /// (step, held-out loss) at the end of each epoch.
    pub val_loss: &'a [(usize, f64)],
    /// Steps at which a range test was run again.
    pub refinds: &'a [usize],
}

struct TrainingFigure<'a> {
    title: &'a str,
    run: TrainingPlot<'a>,
}

impl Figure for TrainingFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_training(root, self.title, &self.run)
    }
}

/// Writes losses against the step (training per step, held-out per epoch), the lr on a second,
/// logarithmic axis, and each re-find as a dashed vertical line, to `path` (.png or .svg),
/// atomically.
pub fn plot_training(title: &str, run: TrainingPlot, path: &Path) -> Result<(), PlotError> {
    save(&TrainingFigure { title, run }, (1000, 600), path)
}

fn draw_training<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    run: &TrainingPlot,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let steps = run.loss.len().max(2) as f64;
    let losses = run
        .loss
        .iter()
        .copied()
        .chain(run.val_loss.iter().map(|&(_, l)| l));
    let (y0, y1) = padded_range(losses);
    let positive = run.lr.iter().copied().filter(|l| *l > 0.0 && l.is_finite());
    let (lr0, lr1) = positive.fold((f64::INFINITY, 0f64), |(a, b), l| (a.min(l), b.max(l)));
    let (lr0, lr1) = if lr0 <= lr1 {
        (lr0 / 1.5, lr1 * 1.5)
    } else {
        (1e-4, 1e-1)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .right_y_label_area_size(72)
        .build_cartesian_2d(0.0..steps, y0..y1)
        .map_err(e)?
        .set_secondary_coord(0.0..steps, super::log_axis(lr0, lr1).log_scale());
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    chart
        .configure_secondary_axes()
        .y_desc("learning rate")
        .y_label_formatter(&|y| format!("{y:.1e}"))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    let finite = |v: f64| v.is_finite();
    let train = run.loss.iter().enumerate().filter(|(_, l)| finite(**l));
    chart
        .draw_series(LineSeries::new(
            train.map(|(t, &l)| (t as f64, l)),
            LINE.mix(0.6).stroke_width(1),
        ))
        .map_err(e)?
        .label("training loss")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], LINE.stroke_width(2)));
    let val = run.val_loss.iter().filter(|(_, l)| finite(*l));
    chart
        .draw_series(LineSeries::new(
            val.clone().map(|&(t, l)| (t as f64, l)),
            COLORS[1].stroke_width(2),
        ))
        .map_err(e)?
        .label("held-out loss")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], COLORS[1].stroke_width(2)));
    chart
        .draw_series(val.map(|&(t, l)| Circle::new((t as f64, l), 4, COLORS[1].filled())))
        .map_err(e)?;
    let lr = run.lr.iter().enumerate().filter(|(_, l)| **l > 0.0);
    chart
        .draw_secondary_series(LineSeries::new(
            lr.map(|(t, &l)| (t as f64, l)),
            COLORS[3].stroke_width(2),
        ))
        .map_err(e)?
        .label("learning rate (right axis)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], COLORS[3].stroke_width(2)));
    for (i, &step) in run.refinds.iter().enumerate() {
        let x = step as f64;
        let series = chart
            .draw_series(DashedLineSeries::new(
                [(x, y0), (x, y1)],
                6,
                4,
                COLORS[0].stroke_width(2),
            ))
            .map_err(e)?;
        if i == 0 {
            series.label("re-find").legend(|(x, y)| {
                PathElement::new([(x, y), (x + 20, y)], COLORS[0].stroke_width(2))
            });
        }
    }
    draw_series_labels(chart.configure_series_labels())
}
