//! Tabular data from a CSV file: numeric feature columns and one target column, for
//! classification (integer or string labels) or regression.

use crate::{gather, shuffle, Classification};
use std::path::{Path, PathBuf};

/// What the target column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// Classes when any value is not a number, or when all are integers with at most
    /// [`AUTO_MAX_CLASSES`] distinct values; numbers otherwise.
    Auto,
    /// Classification.
    Classes,
    /// Regression.
    Values,
}

/// Most distinct integer targets [`TargetKind::Auto`] still reads as class labels.
pub const AUTO_MAX_CLASSES: usize = 20;

/// A CSV file that cannot be used as a dataset.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{path}: {source}")]
    /// The file cannot be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    /// A line that is not CSV.
    Csv {
        /// The file.
        path: PathBuf,
        /// Its line (from 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
    #[error("{path}: no column named {column:?} (columns: {available})")]
    /// No column of the target's name.
    NoTarget {
        /// The file.
        path: PathBuf,
        /// The target column asked for.
        column: String,
        /// The columns there are.
        available: String,
    },
    #[error("{path}: line {line}, column {column:?}: {value:?} is not a number")]
    /// A feature (or numeric target) that is not a number.
    NotNumber {
        /// The file.
        path: PathBuf,
        /// Its line (from 1).
        line: u64,
        /// Its column.
        column: String,
        /// The value.
        value: String,
    },
    #[error("{path}: {message}")]
    /// A table of the wrong shape (too few rows, one class, …).
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl TableError {
    fn shape(path: &Path, message: impl Into<String>) -> TableError {
        TableError::Shape {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// The target column, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Class index per row and the class names, in order of first appearance (numeric labels
    /// sorted by value).
    Classes {
        /// Class index per row.
        labels: Vec<i64>,
        /// The class names, by index.
        names: Vec<String>,
    },
    /// Regression targets, one per row.
    Values(Vec<f32>),
}

/// A CSV file read as `rows × dim` features and a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The feature columns' names.
    pub feature_names: Vec<String>,
    /// Row-major `[rows, dim]` features.
    pub features: Vec<f32>,
    /// Features per row.
    pub dim: usize,
    /// The target column.
    pub target: Target,
}

/// Reads `path` (a header line, then one row per line; blank lines skipped) with `target` as the
/// target column; every other column is a feature: numeric, or one-hot encoded when none of its
/// values is a number.
pub fn read_csv(path: &Path, target: &str, kind: TargetKind) -> Result<Table, TableError> {
    let bytes = std::fs::read(path).map_err(|source| TableError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // Line numbers from byte offsets: the csv crate's own count skips blank lines.
    let line_at = |byte: u64| {
        let mut end = (byte as usize).min(bytes.len());
        // A record's position can be that of the blank lines before it.
        while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
            end += 1;
        }
        bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64 + 1
    };
    let csv_error = |e: csv::Error| TableError::Csv {
        path: path.to_path_buf(),
        line: e.position().map_or(0, |p| line_at(p.byte())),
        message: match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("{len} fields, the header has {expected_len}"),
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
            _ => e.to_string(),
        },
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let Some(t) = header.iter().position(|h| h == target) else {
        return Err(TableError::NoTarget {
            path: path.to_path_buf(),
            column: target.into(),
            available: header.join(", "),
        });
    };
    if header.len() < 2 {
        return Err(TableError::shape(path, "needs at least one feature column"));
    }
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); header.len()];
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        lines.push(record.position().map_or(0, |p| line_at(p.byte())));
        for (column, field) in cells.iter_mut().zip(record.iter()) {
            column.push(field.to_string());
        }
    }
    let raw_targets = std::mem::take(&mut cells[t]);
    // Each feature column becomes one numeric column, or one-hot columns when no value in it is
    // a number (a categorical column); a column mixing both is an error at its first non-number.
    let mut columns: Vec<(String, Vec<f32>)> = Vec::new();
    for (i, values) in cells.iter().enumerate().filter(|&(i, _)| i != t) {
        let numbers: Vec<Option<f32>> = values
            .iter()
            .map(|v| v.parse::<f32>().ok().filter(|x| x.is_finite()))
            .collect();
        if numbers.iter().all(Option::is_some) {
            columns.push((header[i].clone(), numbers.into_iter().flatten().collect()));
        } else if numbers.iter().all(Option::is_none) {
            let mut categories: Vec<&String> = Vec::new();
            for v in values {
                if !categories.contains(&v) {
                    categories.push(v);
                }
            }
            for c in categories {
                let hot = values.iter().map(|v| f32::from(u8::from(v == c))).collect();
                columns.push((format!("{}={c}", header[i]), hot));
            }
        } else {
            let row = numbers
                .iter()
                .position(Option::is_none)
                .expect("a non-number");
            return Err(TableError::NotNumber {
                path: path.to_path_buf(),
                line: lines[row],
                column: header[i].clone(),
                value: values[row].clone(),
            });
        }
    }
    let dim = columns.len();
    let rows = raw_targets.len();
    let mut features = Vec::with_capacity(rows * dim);
    for r in 0..rows {
        features.extend(columns.iter().map(|(_, values)| values[r]));
    }
    let feature_names = columns.into_iter().map(|(name, _)| name).collect();
    if raw_targets.len() < 2 {
        return Err(TableError::shape(path, "needs at least two data rows"));
    }
    let target = read_target(path, &header[t], raw_targets, &lines, kind)?;
    Ok(Table {
        feature_names,
        features,
        dim,
        target,
    })
}

fn read_target(
    path: &Path,
    column: &str,
    raw: Vec<String>,
    lines: &[u64],
    kind: TargetKind,
) -> Result<Target, TableError> {
    let numbers: Option<Vec<f64>> = raw
        .iter()
        .map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let classes = match (kind, &numbers) {
        (TargetKind::Classes, _) | (TargetKind::Auto, None) => true,
        (TargetKind::Values, None) => {
            let (row, value) = raw
                .iter()
                .enumerate()
                .find(|(_, v)| v.parse::<f64>().map_or(true, |x| !x.is_finite()))
                .expect("some target is not a number");
            return Err(TableError::NotNumber {
                path: path.to_path_buf(),
                line: lines[row],
                column: column.into(),
                value: value.clone(),
            });
        }
        (TargetKind::Values, Some(_)) => false,
        (TargetKind::Auto, Some(xs)) => {
            let mut distinct: Vec<f64> = xs.clone();
            distinct.sort_by(f64::total_cmp);
            distinct.dedup();
            xs.iter().all(|x| x.fract() == 0.0) && distinct.len() <= AUTO_MAX_CLASSES
        }
    };
    if !classes {
        let values = numbers.expect("numeric targets").into_iter();
        return Ok(Target::Values(values.map(|x| x as f32).collect()));
    }
    let mut names: Vec<String> = Vec::new();
    match &numbers {
        // Numeric labels in order of value, so label 3 stays after label 2.
        Some(xs) => {
            let mut sorted: Vec<(f64, &String)> = xs.iter().copied().zip(&raw).collect();
            sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
            sorted.dedup_by(|a, b| a.0 == b.0);
            names.extend(sorted.into_iter().map(|(_, s)| s.clone()));
        }
        None => {
            for v in &raw {
                if !names.contains(v) {
                    names.push(v.clone());
                }
            }
        }
    }
    if names.len() < 2 {
        return Err(TableError::shape(
            path,
            format!("target column {column:?} has a single class"),
        ));
    }
    let index_of = |v: &String| match &numbers {
        Some(_) => {
            let x: f64 = v.parse().unwrap_or(f64::NAN);
            names.iter().position(|n| n.parse::<f64>().ok() == Some(x))
        }
        None => names.iter().position(|n| n == v),
    };
    let labels = raw
        .iter()
        .map(|v| index_of(v).expect("every label is named") as i64)
        .collect();
    Ok(Target::Classes { labels, names })
}

/// A regression set: `n` rows of `dim` standardised features and a standardised target.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// Row-major `[rows, dim]` features (standardised).
    pub features: Vec<f32>,
    /// Targets, standardised.
    pub targets: Vec<f32>,
    /// Features per row.
    pub dim: usize,
    /// Mean and standard deviation the targets were standardised with (RMSE × std is the RMSE in
    /// the target's own units).
    pub target_scale: (f32, f32),
}

impl Regression {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Rows `range` as a new set.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Regression {
        Regression {
            features: self.features[range.start * self.dim..range.end * self.dim].to_vec(),
            targets: self.targets[range].to_vec(),
            dim: self.dim,
            target_scale: self.target_scale,
        }
    }
}

/// A table split into training and held-out rows, ready for a model.
#[derive(Debug, Clone, PartialEq)]
pub enum Split {
    /// Classification: (training, held-out).
    Classes(Classification, Classification),
    /// Regression: (training, held-out).
    Values(Regression, Regression),
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.target {
            Target::Classes { labels, .. } => labels.len(),
            Target::Values(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Holds out `round(val_fraction × rows)` rows (at least one, chosen with `seed`), and
    /// standardises features (and regression targets) with the training rows' mean and
    /// standard deviation — PyTorch users' `StandardScaler` fitted on the training split.
    pub fn split(&self, val_fraction: f64, seed: u64) -> Split {
        let n = self.len();
        let mut order: Vec<usize> = (0..n).collect();
        shuffle(&mut order, seed);
        let held = ((n as f64 * val_fraction).round() as usize).clamp(1, n - 1);
        let (valid_rows, train_rows) = order.split_at(held);
        let scale = Standardize::fit(&self.features, self.dim, train_rows);
        let features = |rows: &[usize]| scale.apply(gather(&self.features, self.dim, rows));
        match &self.target {
            Target::Classes { labels, names } => {
                let set = |rows: &[usize]| Classification {
                    features: features(rows),
                    labels: gather(labels, 1, rows),
                    dim: self.dim,
                    classes: names.len(),
                };
                Split::Classes(set(train_rows), set(valid_rows))
            }
            Target::Values(values) => {
                let target = Standardize::fit(values, 1, train_rows);
                let target_scale = (target.mean[0], target.std[0]);
                let set = |rows: &[usize]| Regression {
                    features: features(rows),
                    targets: target.apply(gather(values, 1, rows)),
                    dim: self.dim,
                    target_scale,
                };
                Split::Values(set(train_rows), set(valid_rows))
            }
        }
    }
}

/// Per-column mean and standard deviation (a constant column keeps std 1).
struct Standardize {
    mean: Vec<f32>,
    std: Vec<f32>,
}

impl Standardize {
    fn fit(values: &[f32], dim: usize, rows: &[usize]) -> Standardize {
        let n = rows.len().max(1) as f64;
        let mut mean = vec![0f64; dim];
        let mut square = vec![0f64; dim];
        for &r in rows {
            for (j, &x) in values[r * dim..(r + 1) * dim].iter().enumerate() {
                mean[j] += x as f64 / n;
                square[j] += (x as f64) * (x as f64) / n;
            }
        }
        let std = mean
            .iter()
            .zip(&square)
            .map(|(m, s)| {
                let sd = (s - m * m).max(0.0).sqrt();
                if sd > 1e-12 {
                    sd as f32
                } else {
                    1.0
                }
            })
            .collect();
        Standardize {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }

    fn apply(&self, mut values: Vec<f32>) -> Vec<f32> {
        let dim = self.mean.len();
        for (i, x) in values.iter_mut().enumerate() {
            *x = (*x - self.mean[i % dim]) / self.std[i % dim];
        }
        values
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn csv(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn string_labels_are_classes_in_order_of_appearance() {
        let f = csv("a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n");
        let t = read_csv(f.path(), "species", TargetKind::Auto).unwrap();
        assert_eq!(t.dim, 2);
        assert_eq!(t.features, vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!(
            t.target,
            Target::Classes {
                labels: vec![0, 1, 0],
                names: vec!["setosa".into(), "virginica".into()]
            }
        );
    }

    #[test]
    fn integer_labels_sorted_by_value_and_real_targets_are_regression() {
        let f = csv("y,x\n3,1\n1,2\n2,3\n");
        let t = read_csv(f.path(), "y", TargetKind::Auto).unwrap();
        assert_eq!(
            t.target,
            Target::Classes {
                labels: vec![2, 0, 1],
                names: vec!["1".into(), "2".into(), "3".into()]
            }
        );
        let f = csv("y,x\n0.5,1\n1.5,2\n2.25,3\n");
        let t = read_csv(f.path(), "y", TargetKind::Auto).unwrap();
        assert_eq!(t.target, Target::Values(vec![0.5, 1.5, 2.25]));
        let f = csv("y,x\n3,1\n1,2\n2,3\n");
        let t = read_csv(f.path(), "y", TargetKind::Values).unwrap();
        assert_eq!(t.target, Target::Values(vec![3., 1., 2.]));
    }

    #[test]
    fn errors_name_file_line_column_and_value() {
        // A blank line still counts in the line number.
        for (text, line) in [("x,y\n1,2\n1,oops\n", 3), ("x,y\n1,2\n\n1,oops\n", 4)] {
            let e = read_csv(csv(text).path(), "x", TargetKind::Auto).unwrap_err();
            let expected = format!("line {line}, column \"y\": \"oops\" is not a number");
            assert!(e.to_string().ends_with(&expected), "{e}");
        }
        let f = csv("x,y\n1,2\n1,oops\n");
        let e = read_csv(f.path(), "z", TargetKind::Auto).unwrap_err();
        assert!(
            e.to_string()
                .contains("no column named \"z\" (columns: x, y)"),
            "{e}"
        );
        let f = csv("x,y\n1,2\n1,2,3\n");
        let e = read_csv(f.path(), "x", TargetKind::Auto).unwrap_err();
        assert!(
            e.to_string().contains("line 3: 3 fields, the header has 2"),
            "{e}"
        );
        let f = csv("x,y\n1,a\n2,b\n");
        let e = read_csv(f.path(), "y", TargetKind::Values).unwrap_err();
        assert!(e.to_string().contains("line 2, column \"y\": \"a\""), "{e}");
        let f = csv("x,y\n1,a\n2,a\n");
        let e = read_csv(f.path(), "y", TargetKind::Auto).unwrap_err();
        assert!(e.to_string().contains("single class"), "{e}");
        let e = read_csv(Path::new("/nonexistent.csv"), "y", TargetKind::Auto).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent.csv: "), "{e}");
    }

    #[test]
    fn text_columns_are_one_hot() {
        let f = csv("colour,x,y\nred,1,0.5\nblue,2,1.5\nred,3,2.5\n");
        let t = read_csv(f.path(), "y", TargetKind::Auto).unwrap();
        assert_eq!(t.feature_names, vec!["colour=red", "colour=blue", "x"]);
        assert_eq!(t.features, vec![1., 0., 1., 0., 1., 2., 1., 0., 3.]);
    }

    #[test]
    fn split_standardises_with_training_statistics() {
        let mut text = String::from("x,y\n");
        for i in 0..10 {
            text += &format!("{},{}\n", i, 2 * i);
        }
        let f = csv(&text);
        let t = read_csv(f.path(), "y", TargetKind::Values).unwrap();
        let Split::Values(train, valid) = t.split(0.2, 1) else {
            panic!("regression")
        };
        assert_eq!((train.len(), valid.len()), (8, 2));
        let mean: f32 = train.features.iter().sum::<f32>() / 8.0;
        assert!(mean.abs() < 1e-5);
        // y = 2x survives standardisation: the standardised target equals the standardised x.
        for (x, y) in train.features.iter().zip(&train.targets) {
            assert!((x - y).abs() < 1e-5);
        }
        assert!(train.target_scale.1 > 1.0);
    }
}
