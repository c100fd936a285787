//! What the module-level optimizers ([`super::Prodigy`], [`super::ScheduleFreeAdamW`]) share:
//! parameters as flat vectors, their states as numbers in a checkpoint, and the parameter a step
//! writes back.

use burn::module::ParamId;
use burn::store::RecordError;
use burn::tensor::{Device, Tensor, TensorData};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;

/// `t` as a vector.
pub(super) fn flat<const D: usize>(t: Tensor<D>) -> Tensor<1> {
    let n = t.shape().num_elements();
    t.reshape([n])
}

/// A state vector's numbers, for a checkpoint (`what` names it in an error).
pub(super) fn numbers(
    t: &Tensor<1>,
    what: &dyn std::fmt::Display,
) -> Result<Vec<f32>, RecordError> {
    t.clone()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| RecordError::Io(format!("{what}: {e:?}")))
}

/// A checkpoint's numbers as a state vector on `device`.
pub(super) fn vector(v: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = v.len();
    Tensor::<1>::from_data(TensorData::new(v, [n]), device)
}

/// `value` as the parameter `like` was: tracked for gradients, checkpointed alike.
pub(super) fn as_param<const D: usize>(like: &Tensor<D>, value: Tensor<D>) -> Tensor<D> {
    let mut t = Tensor::from_inner(value);
    if let Some(strategy) = like.gradient_checkpointing_strategy() {
        t = t.with_gradient_checkpointing_strategy(strategy);
    }
    if like.is_require_grad() {
        t = t.require_grad();
    }
    t
}

/// Every parameter's state for a checkpoint, in id order: those `loaded` and not stepped since as
/// read, the `live` ones as `save` writes them (`what` names them in an error).
pub(super) fn saved_states<P, S: Clone>(
    live: &HashMap<ParamId, P>,
    loaded: &HashMap<ParamId, S>,
    what: &str,
    save: impl Fn(&dyn Fn(&Tensor<1>) -> Result<Vec<f32>, RecordError>, &P) -> Result<S, RecordError>,
) -> Result<Vec<(u64, S)>, RecordError> {
    let mut states: Vec<(u64, S)> = loaded.iter().map(|(id, s)| (id.val(), s.clone())).collect();
    for (id, state) in live {
        let label = format!("{what} state of {id}");
        let v = |t: &Tensor<1>| numbers(t, &label);
        states.push((id.val(), save(&v, state)?));
    }
    states.sort_by_key(|(id, _)| *id);
    Ok(states)
}

/// A checkpoint's states by parameter, made tensors when each is first used.
pub(super) fn loaded_states<S>(saved: Vec<(u64, S)>) -> HashMap<ParamId, S> {
    saved
        .into_iter()
        .map(|(id, s)| (ParamId::from(id), s))
        .collect()
}

/// `saved` as a checkpoint's bytes (`what`: the optimizer's name).
pub(super) fn encode<T: Serialize>(saved: &T, what: &str) -> Result<Vec<u8>, RecordError> {
    rmp_serde::to_vec(saved).map_err(|e| RecordError::Io(format!("{what} state: {e}")))
}

/// A checkpoint's bytes as the state of `what`, refused when `config` (the one it was saved
/// with) is not `mine`.
pub(super) fn decode<T: DeserializeOwned, C: PartialEq + std::fmt::Debug>(
    bytes: &[u8],
    what: &str,
    config: impl Fn(&T) -> &C,
    mine: &C,
) -> Result<T, RecordError> {
    let saved: T = rmp_serde::from_slice(bytes)
        .map_err(|e| RecordError::Io(format!("not a {what} state: {e}")))?;
    if config(&saved) != mine {
        return Err(RecordError::Validation(format!(
            "the {what} state was saved with other settings ({:?}, not {mine:?})",
            config(&saved)
        )));
    }
    Ok(saved)
}
