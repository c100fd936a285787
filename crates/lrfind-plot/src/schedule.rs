//! A schedule's lr (and momentum) against the step.

use super::*;

struct ScheduleFigure<'a> {
    title: &'a str,
    lrs: &'a [f64],
    momentum: Option<&'a [f64]>,
}

impl Figure for ScheduleFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_schedule(root, self.title, self.lrs, self.momentum)
    }
}

/// Writes a schedule's lr (and momentum, when it cycles) against the step to `path` (.png or
/// .svg), atomically.
pub fn plot_schedule(
    title: &str,
    lrs: &[f64],
    momentum: Option<&[f64]>,
    path: &Path,
) -> Result<(), PlotError> {
    let size = (900, if momentum.is_some() { 600 } else { 400 });
    save(
        &ScheduleFigure {
            title,
            lrs,
            momentum,
        },
        size,
        path,
    )
}

fn draw_schedule<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    lrs: &[f64],
    momentum: Option<&[f64]>,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let areas = match momentum {
        Some(_) => {
            let (a, b) = root.split_vertically(root.dim_in_pixel().1 * 6 / 10);
            vec![a, b]
        }
        None => vec![root.clone()],
    };
    let series: Vec<(&str, &[f64], RGBColor)> = std::iter::once(("learning rate", lrs, LINE))
        .chain(momentum.map(|m| ("momentum", m, COLORS[3])))
        .collect();
    for (i, (area, (name, values, color))) in areas.iter().zip(series).enumerate() {
        let (y0, y1) = padded_range(values.iter().copied());
        let x1 = values.len().max(2) as f64 - 1.0;
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(72);
        if i == 0 {
            builder.caption(title, ("sans-serif", 20));
        }
        let mut chart = builder
            .build_cartesian_2d(0.0..x1, y0..y1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc(name)
            .y_label_formatter(&|y| format!("{y:.2e}"))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| e.to_string())?;
        let points = values.iter().enumerate().map(|(t, &v)| (t as f64, v));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
