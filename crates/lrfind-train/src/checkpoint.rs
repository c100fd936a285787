//! A training run's checkpoint as one file: the [`TrainState`], the settings of the run (to refuse
//! resuming with others), and the framework's model and optimizer bytes. Written atomically, so a
//! crash leaves the previous checkpoint or the new one, never half of either; read back only when
//! its checksum and its fields agree, so a damaged file is refused, never resumed.
//!
//! Format: the line `lrfind-checkpoint 2 <checksum>`, one line of JSON (`state`, `config`,
//! `model_bytes`, `optimizer_bytes`), then the model's bytes and the optimizer's bytes. The
//! checksum is FNV-1a (64-bit, 16 hex digits) of everything after the first line.

use super::TrainState;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

const MAGIC: &str = "lrfind-checkpoint";
const VERSION: &str = "2";

/// FNV-1a, 64-bit (Fowler, Noll, Vo; `h = (h ^ byte) * 0x100000001b3` from `0xcbf29ce484222325`).
/// Every step is a bijection of the state, so any change of one byte changes the hash.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

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

/// The checkpoint's JSON line: borrowed when written, owned when read.
#[derive(Serialize, Deserialize)]
struct Header<S, C> {
    state: S,
    config: C,
    model_bytes: usize,
    optimizer_bytes: usize,
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
        let header = Header {
            state: &self.state,
            config: &self.config,
            model_bytes: self.model.len(),
            optimizer_bytes: self.optimizer.len(),
        };
        let mut body = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
        body.push(b'\n');
        body.extend_from_slice(&self.model);
        body.extend_from_slice(&self.optimizer);
        lrfind::atomic::write(path, |w| {
            writeln!(w, "{MAGIC} {VERSION} {:016x}", fnv1a(&body))?;
            w.write_all(&body)
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
        let (first, body) = match bytes.iter().position(|&b| b == b'\n') {
            Some(at) => (&bytes[..at], &bytes[at + 1..]),
            None => (&bytes[..], &[][..]),
        };
        let first = String::from_utf8_lossy(first);
        let mut words = first.split(' ');
        if words.next() != Some(MAGIC) {
            return Err(bad("no lrfind-checkpoint header"));
        }
        match (words.next(), words.next(), words.next()) {
            (Some(VERSION), Some(sum), None) => {
                let stored =
                    u64::from_str_radix(sum, 16).map_err(|_| bad("unreadable checksum"))?;
                let computed = fnv1a(body);
                if stored != computed {
                    return Err(bad(&format!(
                        "damaged: checksum {computed:016x}, the header says {stored:016x}"
                    )));
                }
            }
            (Some(version), ..) if version != VERSION => {
                return Err(bad(&format!(
                    "format {version}, written by another lrfind version; this one reads format \
                     {VERSION}: start the run again"
                )))
            }
            _ => return Err(bad("unreadable header line")),
        }
        let mut lines = body.splitn(2, |&b| b == b'\n');
        let line = lines.next().unwrap_or_default();
        let header: Header<TrainState, Value> = serde_json::from_slice(line)
            .map_err(|e| bad(&format!("unreadable settings line: {e}")))?;
        let rest = lines.next().unwrap_or_default();
        let (m, o) = (header.model_bytes, header.optimizer_bytes);
        if Some(rest.len()) != m.checked_add(o) {
            return Err(bad("truncated"));
        }
        let (state, config) = (header.state, header.config);
        inconsistency(&state, &config).map_or(Ok(()), |why| Err(bad(&why)))?;
        Ok(Checkpoint {
            state,
            config,
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

/// What makes a checkpoint's fields disagree with each other, if anything: the epochs recorded are
/// the ones before the next, the steps' series are as long as each other and within the running
/// schedule, and the next epoch lies within the run's `epochs` setting.
fn inconsistency(state: &TrainState, config: &Value) -> Option<String> {
    let h = &state.history;
    if h.epochs.len() != state.epoch {
        return Some(format!(
            "it continues from epoch {} but records {} epochs",
            state.epoch,
            h.epochs.len()
        ));
    }
    if let Some((i, row)) = h.epochs.iter().enumerate().find(|(i, r)| r.epoch != *i) {
        return Some(format!("its epoch row {i} says epoch {}", row.epoch));
    }
    if let Some(epochs) = config["epochs"].as_u64() {
        if state.epoch as u64 > epochs {
            return Some(format!(
                "it continues from epoch {} of a {epochs}-epoch run",
                state.epoch
            ));
        }
    }
    let steps = h.step_lr.len();
    if h.step_loss.len() != steps || !(h.step_momentum.is_empty() || h.step_momentum.len() == steps)
    {
        return Some(format!(
            "its step series differ in length ({steps} rates, {} losses, {} momenta)",
            h.step_loss.len(),
            h.step_momentum.len()
        ));
    }
    let schedule = &state.schedule;
    if schedule.start > steps {
        return Some(format!(
            "its schedule starts at step {}, after the {steps} steps taken",
            schedule.start
        ));
    }
    if let Some(r) = h.refinds.iter().find(|r| r.epoch > state.epoch) {
        return Some(format!(
            "it records a range test before epoch {}, after epoch {}",
            r.epoch, state.epoch
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{History, PlateauWatch, RunningSchedule};
    use lrfind::schedule::{ConstantConfig, ScheduleConfig};
    use serde_json::json;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            state: TrainState {
                epoch: 0,
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
        let reason = |bytes: &[u8]| {
            std::fs::write(&path, bytes).unwrap();
            Checkpoint::read(&path).unwrap_err().to_string()
        };
        assert!(reason(&bytes[..bytes.len() - 1]).contains("damaged"));
        assert!(reason(b"hello").contains("no lrfind-checkpoint header"));
        assert!(reason(b"lrfind-checkpoint 1\n{}").contains("format 1"));
        assert!(Checkpoint::read(&dir.path().join("none")).is_err());
        // One byte changed anywhere — header line, settings, model, optimizer — is refused.
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            let why = reason(&flipped);
            assert!(why.contains("not an lrfind checkpoint"), "byte {at}: {why}");
        }
    }

    #[test]
    fn refuses_fields_that_disagree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let reason = |c: &Checkpoint| {
            c.write(&path).unwrap();
            Checkpoint::read(&path).unwrap_err().to_string()
        };
        let mut c = checkpoint();
        c.state.epoch = 1;
        assert!(reason(&c).contains("continues from epoch 1 but records 0 epochs"));
        let mut c = checkpoint();
        c.state.history.step_lr = vec![0.1; 3];
        assert!(reason(&c).contains("step series differ"));
        let mut c = checkpoint();
        c.state.schedule.start = 4;
        assert!(reason(&c).contains("schedule starts at step 4"));
        let mut c = checkpoint();
        c.state.history.refinds = vec![crate::RefindRecord {
            epoch: 3,
            method: lrfind::Method::Consensus,
            lr: 0.1,
            step: 0,
            candidates: Vec::new(),
        }];
        assert!(reason(&c).contains("range test before epoch 3"));
    }

    #[test]
    fn names_the_first_setting_that_differs() {
        let c = checkpoint();
        assert_eq!(c.differs(&json!({"seed": 0, "epochs": 5})), None);
        let (key, then, now) = c.differs(&json!({"seed": 1, "epochs": 5})).unwrap();
        assert_eq!((key.as_str(), then, now), ("seed", json!(0), json!(1)));
    }
}
