//! Test helper: the recorded curves in `tests/data/suggest/` (see its README) and their reference answers.

use std::collections::HashMap;
use std::path::PathBuf;

pub struct Fixture {
    pub name: String,
    pub lrs: Vec<f64>,
    pub losses: Vec<f64>,
    /// method → lr the reference tool suggests (`None` where the reference raises).
    pub expected: HashMap<String, Option<f64>>,
}

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn all() -> Vec<Fixture> {
    let root = dir().join("suggest");
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("fixtures missing at {}: {e}", root.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(
        names.len() >= 7,
        "expected the 7 reference curves, found {names:?}"
    );
    names
        .into_iter()
        .map(|name| {
            let curve =
                crate::curve::Curve::read_path(&root.join(&name).join("curve.csv")).unwrap();
            let text = std::fs::read_to_string(root.join(&name).join("expected.json")).unwrap();
            let expected = serde_json::from_str(&text).unwrap();
            Fixture {
                name,
                lrs: curve.lr,
                losses: curve.loss,
                expected,
            }
        })
        .collect()
}

/// Asserts `got` equals the reference lr to the float32 precision the references were computed in.
pub fn assert_lr(case: &str, method: &str, got: f64, want: Option<f64>) {
    let want = want.unwrap_or_else(|| panic!("{case}/{method}: reference raised, got {got}"));
    assert!(
        ((got - want) / want).abs() < 1e-6,
        "{case}/{method}: got {got:e}, fastai/reference {want:e}"
    );
}
