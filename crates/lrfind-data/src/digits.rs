//! The UCI optical digits (1,797 8×8 images, as bundled with scikit-learn; BSD-3 / CC BY 4.0),
//! embedded in the binary so a range test runs with no setup.

use crate::Classification;
use flate2::read::GzDecoder;
use std::io::Read;

const DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// Rows held out for validation: the first 297, as in `docs/reference.md`'s digits-MLP task.
pub const VALIDATION_ROWS: usize = 297;

/// All 1,797 digits, pixels scaled to [0, 1] (÷ 16), labels 0–9.
pub fn load() -> Classification {
    let mut text = String::new();
    // The embedded file is known-good; a failure here is a build defect, caught by the tests.
    GzDecoder::new(DIGITS_CSV_GZ)
        .read_to_string(&mut text)
        .expect("embedded digits.csv.gz is valid");
    let mut features = Vec::with_capacity(1797 * 64);
    let mut labels = Vec::with_capacity(1797);
    for line in text.lines().filter(|l| !l.is_empty()) {
        let cells: Vec<f32> = line
            .split(',')
            .map(|c| c.trim().parse().expect("embedded digits are numbers"))
            .collect();
        features.extend(cells[..64].iter().map(|p| p / 16.0));
        labels.push(cells[64] as i64);
    }
    Classification {
        features,
        labels,
        dim: 64,
        classes: 10,
    }
}

/// (train, validation): rows 297.. and the first 297.
pub fn split() -> (Classification, Classification) {
    let all = load();
    (
        all.slice(VALIDATION_ROWS..all.len()),
        all.slice(0..VALIDATION_ROWS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_all_digits() {
        let d = load();
        assert_eq!((d.len(), d.dim, d.features.len()), (1797, 64, 1797 * 64));
        assert!(d.features.iter().all(|&p| (0.0..=1.0).contains(&p)));
        assert!((0..10).all(|c| d.labels.iter().filter(|&&l| l == c).count() > 150));
        let (train, val) = split();
        assert_eq!((train.len(), val.len()), (1500, 297));
    }
}
