//! A recorded range-test curve and its CSV / JSON forms.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Points of a range test: lr, the loss judged (smoothed when recorded live) and, when known, the
/// raw per-step loss.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Curve {
    /// Learning rates, increasing.
    pub lr: Vec<f64>,
    /// Losses (smoothed when recorded live).
    pub loss: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The raw losses, when recorded live.
    pub raw_loss: Option<Vec<f64>>,
}

/// Where in an input a bad value sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// 1-based line of a CSV file.
    Line(usize),
    /// 0-based position in a JSON array.
    Entry(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Entry(i) => write!(f, "entry {i}"),
        }
    }
}

/// A curve file that cannot be read as a range test.
#[derive(Debug, thiserror::Error)]
pub enum CurveError {
    #[error("cannot read {path}: {source}")]
    /// The file cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    #[error("the input is empty")]
    /// No data.
    Empty,
    #[error("no '{wanted}' column in the header ({header})")]
    /// A needed column is not in the header.
    MissingColumn {
        /// The column.
        wanted: &'static str,
        /// The header.
        header: String,
    },
    #[error("{at}: column '{column}' is not a number: '{value}'")]
    /// A cell that is not a number.
    BadNumber {
        /// Where.
        at: Location,
        /// Its column.
        column: String,
        /// The value.
        value: String,
    },
    #[error("{at}: has {got} cells, the header has {want}")]
    /// A row with too few cells.
    MissingCell {
        /// Where.
        at: Location,
        /// Cells found.
        got: usize,
        /// Cells needed.
        want: usize,
    },
    #[error("invalid JSON: {0}")]
    /// JSON that is not a curve.
    Json(String),
    #[error("'lr' has {lr} values but '{column}' has {loss}")]
    /// Columns of different lengths.
    LengthMismatch {
        /// The loss column's name.
        column: &'static str,
        /// Rates.
        lr: usize,
        /// Losses.
        loss: usize,
    },
    #[error("a curve needs at least 2 points, this one has {0}")]
    /// Fewer than two points.
    TooFewPoints(usize),
    #[error("{at}: lr must be a finite number > 0, got {value}")]
    /// An lr that is not a finite number > 0.
    BadLr {
        /// Where.
        at: Location,
        /// The value.
        value: f64,
    },
    #[error("{at}: lr {value} is not greater than the lr before it ({prev}); lrs must increase")]
    /// Rates that do not increase.
    NotIncreasing {
        /// Where.
        at: Location,
        /// The rate before.
        prev: f64,
        /// This rate.
        value: f64,
    },
}

impl CurveError {
    /// Names `path` in an I/O error (readers do not know their file's name).
    fn with_io_path(self, path: &Path) -> CurveError {
        match self {
            CurveError::Io { source, .. } => CurveError::Io {
                path: path.to_path_buf(),
                source,
            },
            e => e,
        }
    }
}

/// Column names accepted for the judged loss, first found wins.
const LOSS_COLUMNS: [&str; 3] = ["loss", "smoothed", "raw_loss"];

impl Curve {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.lr.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.lr.is_empty()
    }

    /// Number of leading points whose loss is finite (fastai stops reading a curve at the first NaN).
    pub fn finite_prefix(&self) -> usize {
        self.loss
            .iter()
            .position(|l| !l.is_finite())
            .unwrap_or(self.loss.len())
    }

    /// The first `n` points.
    pub fn truncated(&self, n: usize) -> Curve {
        Curve {
            lr: self.lr[..n].to_vec(),
            loss: self.loss[..n].to_vec(),
            raw_loss: self.raw_loss.as_ref().map(|r| r[..n].to_vec()),
        }
    }

    /// Reads a CSV or JSON curve from a file, or from stdin when `path` is `-`. CSV is read line
    /// by line (memory proportional to the points, not to the text: a 10-million-point curve
    /// reads in a few hundred MB less); JSON is read whole.
    pub fn read_path(path: &Path) -> Result<Curve, CurveError> {
        let io_err = |source| CurveError::Io {
            path: path.to_path_buf(),
            source,
        };
        if path == Path::new("-") {
            Curve::read(io::stdin().lock()).map_err(|e| e.with_io_path(path))
        } else {
            let file = std::fs::File::open(path).map_err(io_err)?;
            Curve::read(io::BufReader::with_capacity(1 << 16, file))
                .map_err(|e| e.with_io_path(path))
        }
    }

    /// Reads a CSV or JSON curve from `reader` (as [`Curve::parse`]), streaming CSV line by line.
    pub fn read<R: io::BufRead>(mut reader: R) -> Result<Curve, CurveError> {
        let io_err = |source| CurveError::Io {
            path: PathBuf::from("-"),
            source,
        };
        // JSON or CSV: the first character that is not a BOM or white space tells.
        let is_json = loop {
            let buf = reader.fill_buf().map_err(io_err)?;
            if buf.is_empty() {
                break false;
            }
            let skip = buf
                .iter()
                .take_while(|&&b| b.is_ascii_whitespace() || matches!(b, 0xef | 0xbb | 0xbf))
                .count();
            if skip < buf.len() {
                break buf[skip] == b'{';
            }
            // Only white space so far: look at the next chunk.
            let n = buf.len();
            reader.consume(n);
        };
        if is_json {
            let mut text = String::new();
            reader.read_to_string(&mut text).map_err(io_err)?;
            return Curve::parse(&text);
        }
        let mut csv = CsvReader::default();
        let mut line = String::new();
        let mut number = 0;
        loop {
            line.clear();
            if reader.read_line(&mut line).map_err(io_err)? == 0 {
                break;
            }
            number += 1;
            let text = line.trim_end_matches(['\n', '\r']);
            let text = if number == 1 {
                text.strip_prefix('\u{feff}').unwrap_or(text)
            } else {
                text
            };
            csv.line(number, text)?;
        }
        csv.finish()
    }

    /// Parses CSV (a header naming `lr` and `loss`) or JSON (`{"lr": [...], "loss": [...]}`, or
    /// lrfind's own documents, `lr_find.json` and `analyze --format json`, with those under `"curve"`),
    /// telling them apart by the first character, and checks the result.
    pub fn parse(text: &str) -> Result<Curve, CurveError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let curve = if text.trim_start().starts_with('{') {
            parse_json(text)?
        } else {
            parse_csv(text)?
        };
        Ok(curve)
    }

    /// The curve if a range test can have recorded it, checked as a file's is: columns of one
    /// length, at least two points, lrs finite, > 0 and increasing (points named by position).
    pub fn checked(self) -> Result<Curve, CurveError> {
        self.checked_as("loss")
    }

    /// [`Curve::checked`], naming the loss column `column` in a length mismatch.
    fn checked_as(self, column: &'static str) -> Result<Curve, CurveError> {
        if self.loss.len() != self.lr.len() {
            return Err(CurveError::LengthMismatch {
                column,
                lr: self.lr.len(),
                loss: self.loss.len(),
            });
        }
        if let Some(raw) = &self.raw_loss {
            if raw.len() != self.lr.len() {
                return Err(CurveError::LengthMismatch {
                    column: "raw_loss",
                    lr: self.lr.len(),
                    loss: raw.len(),
                });
            }
        }
        check(&self, &Location::Entry)?;
        Ok(self)
    }

    /// CSV with header `lr,raw_loss,loss` (or `lr,loss` when no raw losses are known), every value
    /// written so that it reads back bit-exactly.
    pub fn write_csv<W: Write>(&self, mut out: W) -> io::Result<()> {
        match &self.raw_loss {
            Some(raw) => {
                writeln!(out, "lr,raw_loss,loss")?;
                for ((lr, raw), loss) in self.lr.iter().zip(raw).zip(&self.loss) {
                    writeln!(out, "{lr:e},{raw:e},{loss:e}")?;
                }
            }
            None => {
                writeln!(out, "lr,loss")?;
                for (lr, loss) in self.lr.iter().zip(&self.loss) {
                    writeln!(out, "{lr:e},{loss:e}")?;
                }
            }
        }
        out.flush()
    }
}

fn parse_csv(text: &str) -> Result<Curve, CurveError> {
    let mut csv = CsvReader::default();
    for (i, line) in text.lines().enumerate() {
        csv.line(i + 1, line)?;
    }
    csv.finish()
}

/// A CSV curve read one line at a time (blank lines skipped; `number` counts from 1).
#[derive(Default)]
struct CsvReader {
    names: Vec<String>,
    columns: Option<(usize, usize, Option<usize>)>,
    curve: Curve,
    line_of: Vec<usize>,
}

impl CsvReader {
    fn line(&mut self, number: usize, line: &str) -> Result<(), CurveError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let Some((lr_col, loss_col, raw_col)) = self.columns else {
            return self.read_header(line);
        };
        let at = Location::Line(number);
        self.line_of.push(number);
        let width = self.names.len();
        let mut cells = [""; 3];
        let mut got = 0;
        for (c, cell) in split_row(line).enumerate() {
            got = c + 1;
            for (slot, col) in [Some(lr_col), Some(loss_col), raw_col]
                .into_iter()
                .enumerate()
            {
                if col == Some(c) {
                    cells[slot] = cell;
                }
            }
        }
        if got < width {
            return Err(CurveError::MissingCell {
                at,
                got,
                want: width,
            });
        }
        let num = |slot: usize, col: usize| parse_number(cells[slot], &self.names[col], at);
        let (lr, loss) = (num(0, lr_col)?, num(1, loss_col)?);
        let raw = raw_col.map(|c| num(2, c)).transpose()?;
        self.curve.lr.push(lr);
        self.curve.loss.push(loss);
        if let (Some(raw), Some(raws)) = (raw, self.curve.raw_loss.as_mut()) {
            raws.push(raw);
        }
        Ok(())
    }

    fn read_header(&mut self, header: &str) -> Result<(), CurveError> {
        self.names = split_row(header).map(|c| c.to_ascii_lowercase()).collect();
        let find = |name: &str| self.names.iter().position(|n| n == name);
        let lr_col = find("lr").ok_or_else(|| CurveError::MissingColumn {
            wanted: "lr",
            header: header.into(),
        })?;
        let loss_col =
            LOSS_COLUMNS
                .iter()
                .find_map(|n| find(n))
                .ok_or_else(|| CurveError::MissingColumn {
                    wanted: "loss",
                    header: header.into(),
                })?;
        let raw_col = find("raw_loss").filter(|&c| c != loss_col);
        self.curve.raw_loss = raw_col.map(|_| Vec::new());
        self.columns = Some((lr_col, loss_col, raw_col));
        Ok(())
    }

    fn finish(self) -> Result<Curve, CurveError> {
        if self.columns.is_none() {
            return Err(CurveError::Empty);
        }
        let line_of = self.line_of;
        check(&self.curve, &|i| Location::Line(line_of[i]))?;
        Ok(self.curve)
    }
}

fn split_row(line: &str) -> impl Iterator<Item = &str> {
    line.split(',').map(|c| c.trim().trim_matches('"').trim())
}

fn parse_number(cell: &str, column: &str, at: Location) -> Result<f64, CurveError> {
    cell.parse::<f64>().map_err(|_| CurveError::BadNumber {
        at,
        column: column.to_string(),
        value: cell.to_string(),
    })
}

#[derive(Deserialize)]
struct JsonCurve {
    #[serde(default)]
    lr: Option<Vec<Option<f64>>>,
    #[serde(default)]
    loss: Option<Vec<Option<f64>>>,
    #[serde(default)]
    smoothed: Option<Vec<Option<f64>>>,
    #[serde(default)]
    raw_loss: Option<Vec<Option<f64>>>,
    /// lrfind's own documents (`find`'s `lr_find.json`, `analyze --format json`) keep the curve
    /// under this key.
    #[serde(default)]
    curve: Option<Box<JsonCurve>>,
}

fn parse_json(text: &str) -> Result<Curve, CurveError> {
    let top: JsonCurve = serde_json::from_str(text).map_err(|e| CurveError::Json(e.to_string()))?;
    let j = match top {
        JsonCurve {
            lr: None,
            curve: Some(inner),
            ..
        } => *inner,
        j => j,
    };
    let Some(lrs) = j.lr else {
        return Err(CurveError::MissingColumn {
            wanted: "lr",
            header: "the JSON's top-level keys or its \"curve\" object".into(),
        });
    };
    // JSON has no NaN: a `null` loss stands for a non-finite one (Python's json writes NaN, which
    // no JSON parser reads; tools that convert write null).
    let nan = |v: Vec<Option<f64>>| {
        v.into_iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect::<Vec<_>>()
    };
    let (column, loss) = match (j.loss, j.smoothed, j.raw_loss.clone()) {
        (Some(l), _, _) => ("loss", l),
        (None, Some(s), _) => ("smoothed", s),
        (None, None, Some(r)) => ("raw_loss", r),
        _ => {
            return Err(CurveError::MissingColumn {
                wanted: "loss",
                header: "JSON keys".into(),
            })
        }
    };
    let mut lr = Vec::with_capacity(lrs.len());
    for (i, v) in lrs.into_iter().enumerate() {
        lr.push(v.ok_or(CurveError::BadLr {
            at: Location::Entry(i),
            value: f64::NAN,
        })?);
    }
    let curve = Curve {
        lr,
        loss: nan(loss),
        raw_loss: j.raw_loss.filter(|_| column != "raw_loss").map(nan),
    };
    curve.checked_as(column)
}

/// At least two points, lrs finite, > 0 and strictly increasing. `at(i)` names point `i`.
fn check(curve: &Curve, at: &dyn Fn(usize) -> Location) -> Result<(), CurveError> {
    if curve.len() < 2 {
        return Err(CurveError::TooFewPoints(curve.len()));
    }
    let mut prev = 0.0;
    for (i, &lr) in curve.lr.iter().enumerate() {
        if !(lr > 0.0 && lr.is_finite()) {
            return Err(CurveError::BadLr {
                at: at(i),
                value: lr,
            });
        }
        if i > 0 && lr <= prev {
            return Err(CurveError::NotIncreasing {
                at: at(i),
                prev,
                value: lr,
            });
        }
        prev = lr;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_extra_columns_bom_crlf_and_blank_lines() {
        let text = "\u{feff}step,lr,loss,acc\r\n0,1e-3,2.5,0.1\r\n\r\n1,1E-2,2.0,0.2\r\n";
        let c = Curve::parse(text).unwrap();
        assert_eq!(c.lr, vec![1e-3, 1e-2]);
        assert_eq!(c.loss, vec![2.5, 2.0]);
        assert_eq!(c.raw_loss, None);
    }

    #[test]
    fn lrfind_csv_round_trips_bit_exactly() {
        let c = Curve {
            lr: vec![1e-7, 0.1 + 0.2],
            loss: vec![1.0 / 3.0, 2.0],
            raw_loss: Some(vec![0.7, 1e-300]),
        };
        let mut buf = Vec::new();
        c.write_csv(&mut buf).unwrap();
        assert_eq!(Curve::parse(std::str::from_utf8(&buf).unwrap()).unwrap(), c);
    }

    #[test]
    fn json_with_null_loss_reads_as_nan() {
        let c = Curve::parse(r#"{"lr": [0.1, 0.2, 0.3], "loss": [1.0, null, 2.0]}"#).unwrap();
        assert!(c.loss[1].is_nan());
        assert_eq!(c.finite_prefix(), 1);
    }

    #[test]
    fn errors_name_the_line_and_value() {
        let e = Curve::parse("lr,loss\n0.1,1\n0.2,abc\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "line 3: column 'loss' is not a number: 'abc'");
        let e = Curve::parse("lr,loss\n0.1,1\n0.1,2\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 3: lr 0.1 is not greater"), "{e}");
        let e = Curve::parse("lr,loss\n-1,1\n0.1,2\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 2: lr must be"), "{e}");
        let e = Curve::parse("learning_rate,loss\n1,1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no 'lr' column"), "{e}");
        assert!(matches!(
            Curve::parse("lr,loss\n0.1,1\n"),
            Err(CurveError::TooFewPoints(1))
        ));
        assert!(matches!(Curve::parse(""), Err(CurveError::Empty)));
        assert!(matches!(
            Curve::parse("lr,loss\n0.1\n"),
            Err(CurveError::MissingCell { .. })
        ));
    }

    #[test]
    fn nan_and_inf_cells_parse_as_losses() {
        let c = Curve::parse("lr,loss\n0.1,1\n0.2,nan\n0.3,inf\n").unwrap();
        assert_eq!(c.finite_prefix(), 1);
    }
}
