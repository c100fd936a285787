//! A training run's checkpoint as one file: the [`TrainState`], the settings of the run (to refuse
//! resuming with others), and the framework's model and optimizer bytes. Written atomically, so a
//! crash leaves the previous checkpoint or the new one, never half of either.
//!
//! Format: the line `lrfind-checkpoint 1`, one line of JSON (`state`, `config`, `model_bytes`,
//! `optimizer_bytes`), then the model's bytes and the optimizer's bytes.

use super::TrainState;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const MAGIC: &str = "lrfind-checkpoint 1";

/// Everything needed to continue a run exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// Where the run stands.
    pub state: TrainState,
    /// The settings it runs with.
    pub config: Value,
    /// The model, in the framework's own format.
    pub model: Vec<u8>,
    /// The optimizer's state, in the framework's own format.
    pub optimizer: Vec<u8>,
}

/// A checkpoint file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a checkpoint, or is damaged.
    #[error("{path}: not an lrfind checkpoint ({reason})")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Checkpoint {
    /// Writes the checkpoint to `path`, whole or not at all.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let header = json!({
            "state": self.state, "config": self.config,
            "model_bytes": self.model.len(), "optimizer_bytes": self.optimizer.len(),
        });
        crate::atomic::write(path, |w| {
            writeln!(w, "{MAGIC}")?;
            serde_json::to_writer(&mut *w, &header).map_err(std::io::Error::other)?;
            writeln!(w)?;
            w.write_all(&self.model)?;
            w.write_all(&self.optimizer)
        })
    }

    /// Reads a checkpoint written by [`Checkpoint::write`].
    pub fn read(path: &Path) -> Result<Checkpoint, CheckpointError> {
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: &str| CheckpointError::Format {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let mut lines = bytes.splitn(3, |&b| b == b'\n');
        if lines.next() != Some(MAGIC.as_bytes()) {
            return Err(bad("no lrfind-checkpoint header"));
        }
        let header: Value = lines
            .next()
            .and_then(|l| serde_json::from_slice(l).ok())
            .ok_or_else(|| bad("unreadable settings line"))?;
        let rest = lines.next().unwrap_or_default();
        let size = |key: &str| header[key].as_u64().map(|n| n as usize);
        let (Some(m), Some(o)) = (size("model_bytes"), size("optimizer_bytes")) else {
            return Err(bad("no byte counts"));
        };
        if rest.len() != m + o {
            return Err(bad("truncated"));
        }
        let state: TrainState =
            serde_json::from_value(header["state"].clone()).map_err(|e| bad(&e.to_string()))?;
        Ok(Checkpoint {
            state,
            config: header["config"].clone(),
            model: rest[..m].to_vec(),
            optimizer: rest[m..].to_vec(),
        })
    }

    /// The first setting in which `config` differs from the checkpoint's: `(key, then, now)`.
    pub fn differs(&self, config: &Value) -> Option<(String, Value, Value)> {
        let (then, now) = (self.config.as_object()?, config.as_object()?);
        then.keys()
            .chain(now.keys())
            .find(|k| then.get(*k) != now.get(*k))
            .map(|k| {
                let get =
                    |o: &serde_json::Map<String, Value>| o.get(k).cloned().unwrap_or(Value::Null);
                (k.clone(), get(then), get(now))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{ConstantConfig, ScheduleConfig};
    use crate::training::{History, PlateauWatch, RunningSchedule};

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            state: TrainState {
                epoch: 2,
                schedule: RunningSchedule {
                    config: ScheduleConfig::Constant(ConstantConfig {}),
                    lr: Some(0.1),
                    steps: 10,
                    start: 0,
                },
                watch: PlateauWatch {
                    best: 0.5,
                    since_best: 1,
                },
                history: History::default(),
            },
            config: json!({"seed": 0, "epochs": 5}),
            model: vec![1, 2, 10, 3],
            optimizer: vec![b'\n', 0, 255],
        }
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let c = checkpoint();
        c.write(&path).unwrap();
        assert_eq!(Checkpoint::read(&path).unwrap(), c);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(Checkpoint::read(&path)
            .unwrap_err()
            .to_string()
            .contains("truncated"));
        std::fs::write(&path, b"hello").unwrap();
        assert!(Checkpoint::read(&path).is_err());
        assert!(Checkpoint::read(&dir.path().join("none")).is_err());
    }

    #[test]
    fn names_the_first_setting_that_differs() {
        let c = checkpoint();
        assert_eq!(c.differs(&json!({"seed": 0, "epochs": 5})), None);
        let (key, then, now) = c.differs(&json!({"seed": 1, "epochs": 5})).unwrap();
        assert_eq!((key.as_str(), then, now), ("seed", json!(0), json!(1)));
    }
}
