//! Test helper: PyTorch's reference sequences in `tests/data/schedules.json` (see its README).

use serde::Deserialize;

#[derive(Deserialize)]
pub struct Case {
    pub name: String,
    pub lr: f64,
    pub steps: usize,
    pub expected_lr: Vec<f64>,
    #[serde(default)]
    pub expected_momentum: Option<Vec<f64>>,
    #[serde(default)]
    pub metrics: Option<Vec<f64>>,
}

pub fn all() -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schedules.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Relative agreement within 1e-12 (absolute near 0).
pub fn assert_close(case: &str, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{case}: {what} length");
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * w.abs().max(1e-300),
            "{case}: {what}[{t}] = {g:e}, PyTorch {w:e}"
        );
    }
}
