//! Pictures, one file per figure: a range test ([`plot_analysis`]: loss against lr on a log axis,
//! suggestions marked, the smoothed rate of change below — the plots fastai and keras_lr_finder
//! users know), a schedule ([`plot_schedule`]), a training run ([`plot_training`]) and an
//! evaluation against a grid search ([`plot_evaluation`]). Each is written atomically as PNG or
//! SVG.
//!
//! ```
//! let lr: Vec<f64> = (0..100).map(|i| 1e-6 * 10f64.powf(i as f64 * 6.0 / 99.0)).collect();
//! let loss = lr.iter().map(|l| (l.log10() + 3.0).powi(2) * 0.05 + 0.3).collect();
//! let curve = lrfind::Curve { lr, loss, raw_loss: None };
//! let analysis = lrfind::analyze(&curve, &Default::default()).unwrap();
//! let path = std::env::temp_dir().join("lrfind_plot_doctest.svg");
//! lrfind_plot::plot_analysis(&analysis, 5, "a range test", &path).unwrap();
//! assert!(std::fs::read_to_string(&path).unwrap().starts_with("<svg"));
//! # std::fs::remove_file(&path).ok();
//! ```

#![warn(missing_docs)]

mod analysis;
mod evaluation;
mod schedule;
mod training;

pub use analysis::{draw, plot_analysis, plot_recommending};
pub use evaluation::plot_evaluation;
pub use schedule::plot_schedule;
pub use training::{plot_training, TrainingPlot};

use lrfind::suggest::sma_derivative;
use lrfind::{Analysis, Outcome};
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
    let tmp = lrfind::atomic::temp_path(path);
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

/// (min, max) of the finite values, padded by 5% so the line does not touch the frame.
/// A log axis plotters can draw: its key points count the decades from `ln(x1 / x0)`, which must
/// stay finite (an lr range of 1e-300 … 1e300 would never end), so the low end is raised to at
/// most 300 decades below the high one, and the high end (padded past a rate near `f64::MAX`) to
/// the largest finite number.
pub(crate) fn log_axis(x0: f64, x1: f64) -> std::ops::Range<f64> {
    let x1 = x1.min(f64::MAX);
    x0.max(x1 * 1e-300)..x1
}

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
    let mut chart = builder.build_cartesian_2d(log_axis(x0, x1).log_scale(), y0..y1)?;
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

/// Renames the finished temporary file into place, or removes it and reports why not.
/// Draws a chart's legend ([`ChartContext::configure_series_labels`]) as every figure shows it:
/// on a translucent white box with a black border.
fn draw_series_labels<'a, 'b, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    mut labels: plotters::chart::SeriesLabelStyle<'a, 'b, DB, CT>,
) -> Result<(), String> {
    labels
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())
}

fn finish(result: Result<(), String>, tmp: &Path, path: &Path) -> Result<(), PlotError> {
    lrfind::atomic::commit(result, tmp, path).map_err(|f| match f {
        lrfind::atomic::Failed::Write(message) => PlotError::Draw {
            path: path.to_path_buf(),
            message,
        },
        lrfind::atomic::Failed::Rename(error) => PlotError::Io {
            path: path.to_path_buf(),
            error,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::analysis::{marks, Shape};
    use super::*;
    use lrfind::{analyze, Curve};

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
        let marks = marks(&a, lrfind::DEFAULT_METHOD);
        let min = a.suggestion(lrfind::Method::Minimum).unwrap();
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
