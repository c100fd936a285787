//! PyTorch's reference sequences (`tests/data/schedules.json`: what `torch.optim.lr_scheduler`
//! put on the optimizer at every step, see that folder's README) and the schedule each was recorded
//! with, built here: test support for this crate and the crates that drive its schedules
//! (feature `fixtures`). The functions panic on a missing or malformed file, as a test should.

use crate::{
    Constant, CosineAnnealing, Cyclic, CyclicMode, OneCycle, Plateau, PlateauOptions, Schedule,
    StepDecay,
};
use serde::Deserialize;

/// One recorded sequence.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Its name (`one_cycle`, `cyclic_triangular`, `plateau`, …).
    pub name: String,
    /// The base rate it was recorded with.
    pub lr: f64,
    /// Steps recorded.
    pub steps: usize,
    /// The lr on the optimizer after t calls of `scheduler.step()`.
    pub expected_lr: Vec<f64>,
    /// The momentum (β₁) on the optimizer, where the scheduler cycles it.
    #[serde(default)]
    pub expected_momentum: Option<Vec<f64>>,
    /// The metric each step took (reduce-on-plateau).
    #[serde(default)]
    pub metrics: Option<Vec<f64>>,
}

/// Every recorded case.
pub fn all() -> Vec<Case> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schedules.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The case `name`.
pub fn case(name: &str) -> Case {
    let all = all();
    all.into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no recorded case {name}"))
}

/// The schedule `case` was recorded with, built by hand (the CLI's test builds it from its flags).
pub fn schedule(case: &Case) -> Box<dyn Schedule> {
    let lr = case.lr;
    match case.name.as_str() {
        "constant" => Box::new(Constant::new(lr).unwrap()),
        "step" => Box::new(StepDecay::new(lr, 7, 0.5).unwrap()),
        "cosine" => Box::new(CosineAnnealing::new(lr, 50, 0.001).unwrap()),
        "cyclic_triangular" => Box::new(
            Cyclic::new(
                0.001,
                0.1,
                10,
                None,
                CyclicMode::Triangular,
                Some((0.8, 0.9)),
            )
            .unwrap(),
        ),
        "one_cycle" => Box::new(OneCycle::new(0.1, 100, Default::default()).unwrap()),
        "plateau" => {
            let o = PlateauOptions {
                factor: 0.5,
                patience: 2,
                threshold: 0.01,
                cooldown: 1,
                min_lr: 0.01,
                ..Default::default()
            };
            Box::new(Plateau::new(lr, o).unwrap())
        }
        other => panic!("new fixture case {other}: add it here"),
    }
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
