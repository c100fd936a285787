//! `lrfind._core`: the Rust core of the Python package. The numerics stay here; Python drives the
//! range test one loss at a time (`RangeTest.record`) and never hands a tensor to Rust.
//!
//! Errors are Python exceptions under [`LrfindError`] (a `ValueError`), worded in the core's
//! settings (`start_lr`, `num_iter`, …), never in the command line's flags.

mod analysis;
mod range_test;
mod schedule;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    lrfind,
    LrfindError,
    PyValueError,
    "A setting, curve or schedule lrfind cannot work with; the message names it."
);
create_exception!(
    lrfind,
    NoRecommendation,
    LrfindError,
    "The curve gives no rate to act on (an interrupted sweep, no descent, the rule failed); the \
     message says why and what to change."
);

/// An [`LrfindError`] with `error`'s message.
pub(crate) fn error(error: impl std::fmt::Display) -> PyErr {
    LrfindError::new_err(error.to_string())
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("LrfindError", m.py().get_type::<LrfindError>())?;
    m.add("NoRecommendation", m.py().get_type::<NoRecommendation>())?;
    m.add("DEFAULT_METHOD", lrfind::DEFAULT_METHOD.name())?;
    m.add(
        "METHODS",
        lrfind::Method::ALL
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>(),
    )?;
    m.add_class::<range_test::RangeTest>()?;
    m.add_class::<analysis::Analysis>()?;
    m.add_function(wrap_pyfunction!(analysis::analyze, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::read_curve, m)?)?;
    m.add_function(wrap_pyfunction!(schedule::schedule, m)?)?;
    m.add(
        "SCHEDULES",
        lrfind::schedule::ScheduleKind::ALL
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}
