//! The range-test figure: the loss with every suggestion marked, and its smoothed rate of change.

use super::*;
use lrfind::Method;

struct AnalysisFigure<'a> {
    analysis: &'a Analysis,
    preferred: Method,
    sma_window: usize,
    title: &'a str,
}

impl Figure for AnalysisFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw(
            root,
            self.analysis,
            self.preferred,
            self.sma_window,
            self.title,
        )
    }
}

/// Writes the plot of `analysis` to `path` (.png or .svg), atomically, with the recommendation
/// of [`lrfind::DEFAULT_METHOD`] ringed.
pub fn plot_analysis(
    analysis: &Analysis,
    sma_window: usize,
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    plot_recommending(analysis, lrfind::DEFAULT_METHOD, sma_window, title, path)
}

/// [`plot_analysis`] with the recommendation of `preferred` ([`Analysis::recommend`]) ringed:
/// the rate the run takes, as its JSON and table say.
pub fn plot_recommending(
    analysis: &Analysis,
    preferred: Method,
    sma_window: usize,
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    save(
        &AnalysisFigure {
            analysis,
            preferred,
            sma_window,
            title,
        },
        SIZE,
        path,
    )
}

/// Draws both panels on any plotters backend: the loss with every suggestion marked at its own
/// lr (the recommended one, [`Analysis::recommend`] of `preferred`, ringed), a
/// legend beside the plot rather than over the curve, and the smoothed rate of change below.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    analysis: &Analysis,
    preferred: Method,
    sma_window: usize,
    title: &str,
) -> Result<(), String> {
    register_fonts();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (w, h) = root.dim_in_pixel();
    let (top, bottom) = root.split_vertically(h * 64 / 100);
    let (plot, legend) = top.split_horizontally(w * 70 / 100);
    let (bottom, _) = bottom.split_horizontally(w * 70 / 100);
    let marks = marks(analysis, preferred);
    draw_loss(&plot, analysis, &marks, title).map_err(|e| e.to_string())?;
    draw_legend(&legend, &marks).map_err(|e| e.to_string())?;
    draw_derivative(&bottom, analysis, sma_window).map_err(|e| e.to_string())?;
    Ok(())
}

/// How one suggestion is drawn.
pub(super) struct Mark {
    pub(super) label: String,
    color: RGBColor,
    pub(super) shape: Shape,
    pub(super) recommended: bool,
}

#[derive(Clone, Copy)]
pub(super) enum Shape {
    /// A marker of the given kind at `(lr, loss)`.
    Point { lr: f64, loss: f64, kind: usize },
    /// A shaded band between two rates.
    Band { from: f64, to: f64 },
}

/// Every suggestion of `a` as a mark: its own lr, the loss there, a shape of its own.
pub(super) fn marks(a: &Analysis, preferred: Method) -> Vec<Mark> {
    let recommended = a.recommend(preferred).ok().map(|(m, _)| m);
    a.suggestions
        .iter()
        .enumerate()
        .filter_map(|(i, (method, outcome))| {
            let color = COLORS[i % COLORS.len()];
            let (label, shape) = match outcome {
                Outcome::Point(s) => (
                    format!("{method}: {:.2e}", s.lr),
                    Shape::Point {
                        lr: s.lr,
                        loss: s.loss,
                        kind: i,
                    },
                ),
                Outcome::Bounds(b) => (
                    format!("bounds: {:.2e} – {:.2e}", b.base_lr, b.max_lr),
                    Shape::Band {
                        from: b.base_lr,
                        to: b.max_lr,
                    },
                ),
                Outcome::Failed(_) => return None,
            };
            let recommended = Some(*method) == recommended;
            let label = if recommended {
                format!("{label} (recommended)")
            } else {
                label
            };
            Some(Mark {
                label,
                color,
                shape,
                recommended,
            })
        })
        .collect()
}

/// A marker of one of seven shapes, so that marks at the same place stay apart (with the colours,
/// every rule's mark differs).
fn marker<DB: DrawingBackend>(
    (x, y): (i32, i32),
    kind: usize,
    color: RGBColor,
) -> DynElement<'static, DB, (i32, i32)> {
    let style = color.filled();
    let polygon = |points: &[(i32, i32)]| {
        Polygon::new(
            points
                .iter()
                .map(|(dx, dy)| (x + dx, y + dy))
                .collect::<Vec<_>>(),
            style,
        )
    };
    match kind % 7 {
        0 => Circle::new((x, y), 7, style).into_dyn(),
        1 => TriangleMarker::new((x, y), 9, style).into_dyn(),
        2 => Rectangle::new([(x - 6, y - 6), (x + 6, y + 6)], style).into_dyn(),
        3 => Cross::new((x, y), 8, color.stroke_width(3)).into_dyn(),
        4 => polygon(&[(0, -9), (8, 0), (0, 9), (-8, 0)]).into_dyn(),
        5 => polygon(&[(-8, -7), (8, -7), (0, 8)]).into_dyn(),
        _ => polygon(&[
            (0, -10),
            (3, -3),
            (10, -3),
            (4, 2),
            (6, 9),
            (0, 5),
            (-6, 9),
            (-4, 2),
            (-10, -3),
            (-3, -3),
        ])
        .into_dyn(),
    }
}

fn draw_loss<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: &Analysis,
    marks: &[Mark],
    title: &str,
) -> DrawResult<DB> {
    let curve = &a.curve;
    let (y0, y1) = padded_range(curve.loss[a.window()].iter().copied());
    let (x0, x1) = lr_range(a);
    let mut chart = lr_chart(area, Some(title), (x0, x1), (y0, y1), "loss")?;
    let clamp = |y: f64| y.clamp(y0, y1);
    for mark in marks {
        if let Shape::Band { from, to } = mark.shape {
            let band = Rectangle::new([(from, y0), (to, y1)], mark.color.mix(0.12).filled());
            chart.draw_series(std::iter::once(band))?;
        }
    }
    chart.draw_series(LineSeries::new(
        curve
            .lr
            .iter()
            .zip(&curve.loss)
            .filter(|(_, y)| y.is_finite())
            .map(|(&x, &y)| (x, clamp(y))),
        LINE.stroke_width(2),
    ))?;
    // The recommended mark first, ringed, so that a rule landing on the same rate (consensus is
    // often slide's or minimum's rate) stays visible on top of it.
    let ordered = marks
        .iter()
        .filter(|m| m.recommended)
        .chain(marks.iter().filter(|m| !m.recommended));
    for mark in ordered {
        if let Shape::Point { lr, loss, kind } = mark.shape {
            let at = (lr, clamp(loss));
            if mark.recommended {
                let ring = EmptyElement::at(at) + Circle::new((0, 0), 15, BLACK.stroke_width(3));
                chart.draw_series(std::iter::once(ring))?;
            }
            let element = EmptyElement::at(at) + marker::<DB>((0, 0), kind, mark.color);
            chart.draw_series(std::iter::once(element))?;
        }
    }
    Ok(())
}

/// The key to the marks, in a panel of its own beside the plot.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    marks: &[Mark],
) -> DrawResult<DB> {
    let font = ("sans-serif", 14).into_font();
    let mut y = 60;
    let line = |y: i32| PathElement::new(vec![(8, y), (30, y)], LINE.stroke_width(2));
    area.draw(&line(y))?;
    area.draw(&Text::new("loss", (38, y - 8), font.clone()))?;
    for mark in marks {
        y += 28;
        match mark.shape {
            Shape::Point { kind, .. } => {
                if mark.recommended {
                    area.draw(&Circle::new((19, y), 11, BLACK.stroke_width(2)))?;
                }
                area.draw(&marker::<DB>((19, y), kind, mark.color))?;
            }
            Shape::Band { .. } => {
                area.draw(&Rectangle::new(
                    [(8, y - 6), (30, y + 6)],
                    mark.color.mix(0.3).filled(),
                ))?;
            }
        }
        area.draw(&Text::new(mark.label.clone(), (38, y - 8), font.clone()))?;
    }
    Ok(())
}

fn draw_derivative<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: &Analysis,
    w: usize,
) -> DrawResult<DB> {
    let curve = &a.curve;
    let d = sma_derivative(&curve.loss, w);
    // The first `w` points have no derivative; a short curve or a wide window may leave none.
    let start = a.skip_start.max(w.min(curve.len()));
    let window = start..(curve.len() - a.skip_end).max(start);
    let (y0, y1) = padded_range(d[window.clone()].iter().copied());
    let (x0, x1) = lr_range(a);
    let y_desc = format!("Δloss / iteration (sma {w})");
    let mut chart = lr_chart(area, None, (x0, x1), (y0, y1), &y_desc)?;
    if window.is_empty() {
        let note = format!("too few points for a moving average over {w}");
        let at = ((x0 * x1).sqrt(), (y0 + y1) / 2.0);
        chart.draw_series(std::iter::once(Text::new(note, at, ("sans-serif", 16))))?;
        return Ok(());
    }
    let points = window.map(|i| (curve.lr[i], d[i].clamp(y0, y1)));
    chart.draw_series(LineSeries::new(
        points,
        RGBColor(255, 127, 14).stroke_width(2),
    ))?;
    if y0 < 0.0 && y1 > 0.0 {
        chart.draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], BLACK.mix(0.4)))?;
    }
    Ok(())
}
