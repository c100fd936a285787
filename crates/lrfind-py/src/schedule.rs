//! The schedules as arrays: the lr (and momentum) PyTorch's scheduler sets at each step.

use crate::error;
use lrfind::schedule::{sequence, ScheduleConfig, ScheduleKind};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::{Map, Value};

/// `one-cycle`, `exp_range` → `OneCycle`, `ExpRange`: a variant's name as serde writes it.
fn pascal(name: &str) -> String {
    name.split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

/// The variant of [`ScheduleConfig`] that holds `kind`'s settings (`one-cycle` → `OneCycle`).
fn variant(kind: ScheduleKind) -> String {
    pascal(kind.name())
}

/// `kind`'s config with `settings` (JSON object) over its defaults; a setting the kind does not
/// have, or one that is missing or of the wrong type, is an error naming it.
fn config(kind: ScheduleKind, settings: &str) -> PyResult<ScheduleConfig> {
    let given: Map<String, Value> = serde_json::from_str(settings).map_err(error)?;
    let mut fields = match ScheduleConfig::default_of(kind) {
        Some(default) => match serde_json::to_value(default).map_err(error)? {
            Value::Object(mut o) => match o.remove(&variant(kind)) {
                Some(Value::Object(fields)) => fields,
                _ => Map::new(),
            },
            _ => Map::new(),
        },
        None => Map::new(),
    };
    // Choices are PyTorch's lower-case names (`"exp_range"`, `"cos"`, `"min"`).
    fields.extend(given.iter().map(|(k, v)| match v {
        Value::String(s) => (k.clone(), Value::String(pascal(s))),
        v => (k.clone(), v.clone()),
    }));
    let doc = Value::Object(Map::from_iter([(variant(kind), Value::Object(fields))]));
    let config: ScheduleConfig =
        serde_json::from_value(doc).map_err(|e| error(format!("the {kind} schedule: {e}")))?;
    // serde ignores keys a config does not have: name them.
    let known = serde_json::to_value(&config).map_err(error)?;
    let known = &known[variant(kind)];
    if let Some(unknown) = given.keys().find(|k| known.get(k.as_str()).is_none()) {
        let names: Vec<&String> = known
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        return Err(error(format!(
            "the {kind} schedule has no setting {unknown:?} (its settings: {})",
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    config.validate().map_err(error)?;
    Ok(config)
}

/// `{"lr": [...], "momentum": [...] | None}`: the rate (and cycled momentum) of a `steps`-step
/// run under schedule `kind` from base rate `lr`, the first value before any step, as PyTorch's
/// scheduler of that kind sets them. `settings_json` holds the kind's settings (PyTorch's names
/// and defaults); `metrics[t]` is what step `t + 1` of `plateau` monitors.
#[pyfunction]
#[pyo3(signature = (kind, steps, lr=None, settings_json="{}", metrics=None))]
pub fn schedule<'py>(
    py: Python<'py>,
    kind: &str,
    steps: usize,
    lr: Option<f64>,
    settings_json: &str,
    metrics: Option<Vec<f64>>,
) -> PyResult<Bound<'py, PyDict>> {
    let kind = ScheduleKind::ALL
        .into_iter()
        .find(|k| k.name() == kind)
        .ok_or_else(|| {
            let names: Vec<_> = ScheduleKind::ALL.iter().map(|k| k.name()).collect();
            error(format!(
                "kind must be one of {}, got {kind:?}",
                names.join(", ")
            ))
        })?;
    if steps == 0 {
        return Err(error("steps must be at least 1, got 0"));
    }
    let config = config(kind, settings_json)?;
    let mut schedule = config.build(lr, steps).map_err(error)?;
    let (lrs, momenta) = sequence(schedule.as_mut(), steps, metrics.as_deref()).map_err(error)?;
    let d = PyDict::new(py);
    d.set_item("lr", lrs)?;
    d.set_item("momentum", momenta)?;
    Ok(d)
}
