//! Pictures of a range test: loss against lr on a log axis, suggestions marked, and the smoothed
//! rate of change below it — the two plots fastai and keras_lr_finder users know.

use crate::analysis::{Analysis, Outcome};
use crate::suggest::sma_derivative;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// A plot could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("cannot tell the image format of {0}: use a .png or .svg file name")]
    /// The file name ends in neither .png nor .svg.
    UnknownFormat(PathBuf),
    #[error("cannot draw {path}: {message}")]
    /// The plot could not be drawn.
    Draw {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    #[error("cannot write {path}: {error}")]
    /// The file could not be written.
    Io {
        /// The file.
        path: PathBuf,
        /// Not a `#[source]`: the message already says it, once.
        error: std::io::Error,
    },
}

/// Image formats a plot can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A bitmap.
    Png,
    /// A vector drawing.
    Svg,
}

impl Format {
    /// The format named by a file's extension.
    pub fn of(path: &Path) -> Result<Format, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(PlotError::UnknownFormat(path.to_path_buf())),
        }
    }
}

const SIZE: (u32, u32) = (1000, 750);
const COLORS: [RGBColor; 9] = [
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(127, 127, 127),
];
const LINE: RGBColor = RGBColor(31, 119, 180);

/// Makes the fonts available to the bitmap backend (DejaVu Sans, embedded).
fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is valid TrueType; a failure here would only lose the labels.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

/// Something that draws itself on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws `figure` into `path` (.png or .svg, `size` in pixels). The file appears whole or not at
/// all: it is drawn under a temporary name beside `path` and renamed into place.
fn save(figure: &impl Figure, size: (u32, u32), path: &Path) -> Result<(), PlotError> {
    let format = Format::of(path)?;
    register_fonts();
    let tmp = crate::atomic::temp_path(path);
    // Find out now, with the operating system's own words, whether the file can be written at
    // all: the backends would report it later as an opaque drawing error.
    std::fs::File::create(&tmp).map_err(|error| PlotError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let result = match format {
        Format::Png => {
            let root = BitMapBackend::new(&tmp, size).into_drawing_area();
            figure
                .draw(&root)
                .and_then(|_| root.present().map_err(|e| e.to_string()))
        }
        Format::Svg => {
            let root = SVGBackend::new(&tmp, size).into_drawing_area();
            figure
                .draw(&root)
                .and_then(|_| root.present().map_err(|e| e.to_string()))
        }
    };
    finish(result, &tmp, path)
}

struct AnalysisFigure<'a> {
    analysis: &'a Analysis,
    sma_window: usize,
    title: &'a str,
}

impl Figure for AnalysisFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw(root, self.analysis, self.sma_window, self.title)
    }
}

/// Writes the plot of `analysis` to `path` (.png or .svg), atomically.
pub fn plot_analysis(
    analysis: &Analysis,
    sma_window: usize,
    title: &str,
    path: &Path,
) -> Result<(), PlotError> {
    save(
        &AnalysisFigure {
            analysis,
            sma_window,
            title,
        },
        SIZE,
        path,
    )
}

/// Draws both panels on any plotters backend: the loss with every suggestion marked at its own
/// lr (the recommended one, [`Analysis::recommend`] of [`crate::DEFAULT_METHOD`], ringed), a
/// legend beside the plot rather than over the curve, and the smoothed rate of change below.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    analysis: &Analysis,
    sma_window: usize,
    title: &str,
) -> Result<(), String> {
    register_fonts();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (w, h) = root.dim_in_pixel();
    let (top, bottom) = root.split_vertically(h * 64 / 100);
    let (plot, legend) = top.split_horizontally(w * 70 / 100);
    let (bottom, _) = bottom.split_horizontally(w * 70 / 100);
    let marks = marks(analysis);
    draw_loss(&plot, analysis, &marks, title).map_err(|e| e.to_string())?;
    draw_legend(&legend, &marks).map_err(|e| e.to_string())?;
    draw_derivative(&bottom, analysis, sma_window).map_err(|e| e.to_string())?;
    Ok(())
}

/// How one suggestion is drawn.
struct Mark {
    label: String,
    color: RGBColor,
    shape: Shape,
    recommended: bool,
}

#[derive(Clone, Copy)]
enum Shape {
    /// A marker of the given kind at `(lr, loss)`.
    Point { lr: f64, loss: f64, kind: usize },
    /// A shaded band between two rates.
    Band { from: f64, to: f64 },
}

/// Every suggestion of `a` as a mark: its own lr, the loss there, a shape of its own.
fn marks(a: &Analysis) -> Vec<Mark> {
    let recommended = a.recommend(crate::DEFAULT_METHOD).ok().map(|(m, _)| m);
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

/// (min, max) of the finite values, padded by 5% so the line does not touch the frame.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs().max(1e-12) * 1e-3);
    (lo - pad, hi + pad)
}

/// The lr axis: the curve's range, widened to every suggested rate (a `minimum` below the first
/// point is still drawn), with a little room on a log scale.
fn lr_range(analysis: &Analysis) -> (f64, f64) {
    let suggested = analysis.suggestions.iter().flat_map(|(_, o)| match o {
        Outcome::Point(s) => vec![s.lr],
        Outcome::Bounds(b) => vec![b.base_lr, b.max_lr],
        Outcome::Failed(_) => vec![],
    });
    let (lo, hi) = analysis
        .curve
        .lr
        .iter()
        .copied()
        .chain(suggested)
        .filter(|l| *l > 0.0 && l.is_finite())
        .fold((f64::INFINITY, 0f64), |(a, b), l| (a.min(l), b.max(l)));
    if lo.is_finite() && hi > lo {
        (lo / 1.2, hi * 1.2)
    } else if lo.is_finite() {
        (lo / 2.0, lo * 2.0)
    } else {
        (1e-7, 10.0)
    }
}

type LrChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<LogCoord<f64>, RangedCoordf64>>;

/// A panel with a log-scale lr axis and its mesh drawn, ready for series.
fn lr_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: Option<&str>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    y_desc: &str,
) -> Result<LrChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64);
    if let Some(title) = caption {
        builder.caption(title, ("sans-serif", 22));
    }
    let mut chart = builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("learning rate (log scale)")
        .y_desc(y_desc)
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .label_style(("sans-serif", 14))
        .draw()?;
    Ok(chart)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

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
        .set_secondary_coord(0.0..steps, (lr0..lr1).log_scale());
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
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    Ok(())
}

struct EvaluationFigure<'a> {
    title: &'a str,
    grid: &'a [f64],
    loss: &'a [f64],
    marks: &'a [(&'a str, f64, f64)],
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
        let (y0, y1) = padded_range(losses.copied());
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d((x0..x1).log_scale(), y0..y1)
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
        for (i, &(name, lr, loss)) in self.marks.iter().enumerate() {
            if !(loss.is_finite() && lr > 0.0) {
                continue;
            }
            let color = COLORS[i % COLORS.len()];
            chart
                .draw_series([TriangleMarker::new((lr, loss), 8, color.filled())])
                .map_err(e)?
                .label(format!("{name}: {lr:.2e}"))
                .legend(move |(x, y)| TriangleMarker::new((x + 10, y), 6, color.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(e)?;
        Ok(())
    }
}

/// Writes a grid search's final loss against lr (log axis), with each method's suggestion
/// `(name, lr, loss)` marked, to `path` (.png or .svg), atomically. Non-finite losses
/// (diverged runs) are left out.
pub fn plot_evaluation(
    title: &str,
    grid: &[f64],
    loss: &[f64],
    marks: &[(&str, f64, f64)],
    path: &Path,
) -> Result<(), PlotError> {
    save(
        &EvaluationFigure {
            title,
            grid,
            loss,
            marks,
        },
        (1000, 650),
        path,
    )
}

/// Renames the finished temporary file into place, or removes it and reports why not.
fn finish(result: Result<(), String>, tmp: &Path, path: &Path) -> Result<(), PlotError> {
    crate::atomic::commit(result, tmp, path).map_err(|f| match f {
        crate::atomic::Failed::Write(message) => PlotError::Draw {
            path: path.to_path_buf(),
            message,
        },
        crate::atomic::Failed::Rename(error) => PlotError::Io {
            path: path.to_path_buf(),
            error,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Curve};

    fn analysis() -> Analysis {
        let lr: Vec<f64> = (0..100)
            .map(|i| 1e-7 * 10f64.powf(i as f64 * 8.0 / 99.0))
            .collect();
        let loss = lr
            .iter()
            .map(|l: &f64| (l.log10() + 3.0).powi(2) * 0.05 + 0.3)
            .collect();
        analyze(
            &Curve {
                lr,
                loss,
                raw_loss: None,
            },
            &Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn writes_png_and_svg_atomically() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["c.png", "c.svg"] {
            let path = dir.path().join(name);
            plot_analysis(&analysis(), 5, "test", &path).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.len() > 1000, "{name} is {} bytes", bytes.len());
        }
        assert!(std::fs::read(dir.path().join("c.png"))
            .unwrap()
            .starts_with(b"\x89PNG"));
        let svg = std::fs::read_to_string(dir.path().join("c.svg")).unwrap();
        assert!(svg.contains("valley") && svg.contains("<svg"));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "no partial files left: {names:?}");
    }

    #[test]
    fn training_plot_with_refinds() {
        let dir = tempfile::tempdir().unwrap();
        let loss: Vec<f64> = (0..60).map(|t| 2.0 / (1.0 + t as f64 * 0.1)).collect();
        let lr: Vec<f64> = (0..60).map(|t| 1e-3 * (1.0 + (t % 20) as f64)).collect();
        let run = TrainingPlot {
            loss: &loss,
            lr: &lr,
            val_loss: &[(20, 1.1), (40, 0.8), (60, 0.6)],
            refinds: &[20, 40],
        };
        let path = dir.path().join("t.svg");
        plot_training("training", run, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("re-find") && svg.contains("learning rate"));
    }

    #[test]
    fn a_path_that_cannot_be_written_says_why_in_plain_words() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let err = plot_analysis(&analysis(), 5, "t", &file.join("c.png")).unwrap_err();
        assert!(matches!(err, PlotError::Io { .. }), "{err}");
        assert!(err.to_string().contains("Not a directory"), "{err}");
    }

    #[test]
    fn short_curves_and_wide_windows_draw_without_panicking() {
        for n in 2..14 {
            let c = Curve {
                lr: (0..n).map(|i| 1e-5 * 3f64.powi(i)).collect(),
                loss: (0..n)
                    .map(|i| 2.0 - 0.1 * i as f64 + 0.02 * (i * i) as f64)
                    .collect(),
                raw_loss: None,
            };
            let a = analyze(&c, &Default::default()).unwrap();
            let dir = tempfile::tempdir().unwrap();
            for w in [1, 5, 50] {
                plot_analysis(&a, w, "short", &dir.path().join("s.svg")).unwrap();
            }
        }
    }

    #[test]
    fn marks_sit_at_their_own_lr_and_the_recommended_one_is_ringed() {
        let a = analysis();
        let marks = marks(&a);
        let min = a.suggestion(crate::Method::Minimum).unwrap();
        let at = marks
            .iter()
            .find(|m| m.label.starts_with("minimum"))
            .unwrap();
        match at.shape {
            Shape::Point { lr, loss, .. } => assert_eq!((lr, loss), (min.lr, min.loss)),
            Shape::Band { .. } => panic!("minimum is a point"),
        }
        let ringed: Vec<_> = marks.iter().filter(|m| m.recommended).collect();
        assert_eq!(ringed.len(), 1);
        assert!(
            ringed[0].label.starts_with("consensus") && ringed[0].label.ends_with("(recommended)")
        );
    }

    #[test]
    fn unknown_extension_is_refused() {
        let err = plot_analysis(&analysis(), 5, "t", Path::new("x.gif")).unwrap_err();
        assert!(matches!(err, PlotError::UnknownFormat(_)));
    }
}
