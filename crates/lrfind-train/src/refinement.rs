//! The refinement of a found rate — lrfind's one: `train --refine` (before training, and at
//! re-finds with [`Refine::refinds`]), `find --refine` and `evaluate`'s `consensus+refine` row all
//! run [`Trainer::refine`].
//!
//! From the probe's current state (the initial weights and a fresh optimizer before training),
//! each candidate rate `lr` × [`factors`] — a factor 2 apart around the suggestion — trains a share
//! of the run as a run of the same trainer at that rate (its schedule compressed into the
//! candidate's steps, momentum cycled as the trainer cycles it, no range test), is scored on the
//! held-out data, and the state is restored; the lowest held-out loss wins ([`pick`]). A
//! candidate that diverges scores ∞. Candidates run one after another on the one probe.
//!
//! Not to be confused with a re-find ([`crate::RefindPolicy`]: the range test run again).
//!
//! Measured (docs/evaluation.md, "The wider table"): with K = 5 (¼…4×) and a fifth of the run each, the
//! refined `consensus` rate is within 10% of a 17-point grid's best on 11 of 17 tasks (`consensus`
//! alone: 7), held-out mean regret +23% (against +71%), at one run's steps — 5.9% of that grid.

use crate::{Event, LrChoice, RefindPolicy, TrainError, TrainObserver, Trainer};
use lrfind::document::{Candidate, Refinement};
use lrfind::metric::HeldOutScore;
use lrfind::Probe;
use serde::{Deserialize, Serialize};

/// Candidates a refinement tries by default: ¼, ½, 1, 2 and 4 × the suggestion.
pub const DEFAULT_CANDIDATES: usize = 5;

/// The share of the run each candidate trains by default: 5 × ⅕ is one run's steps.
pub const DEFAULT_SHARE: f64 = 0.2;

/// How a rate is refined ([`Trainer::refine`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Refine {
    /// Candidate rates (≥ 1), [`factors`] × the suggestion.
    pub candidates: usize,
    /// The share of the run each candidate trains, in (0, 1].
    pub share: f64,
    /// Refine every re-find's rate too, not only the range test before training (where it was
    /// measured).
    pub refinds: bool,
}

impl Default for Refine {
    fn default() -> Self {
        Refine {
            candidates: DEFAULT_CANDIDATES,
            share: DEFAULT_SHARE,
            refinds: false,
        }
    }
}

impl Refine {
    /// Checks the settings: at least one candidate, a share in (0, 1].
    pub fn validate<E: std::error::Error + 'static>(&self) -> Result<(), TrainError<E>> {
        if self.candidates == 0 {
            return Err(TrainError::NoCandidates);
        }
        if !(self.share > 0.0 && self.share <= 1.0) {
            return Err(TrainError::RefineShare { share: self.share });
        }
        Ok(())
    }

    /// The optimizer steps each candidate trains when the run has `steps`: the share, rounded
    /// up, at least 1.
    pub fn steps(&self, steps: usize) -> usize {
        ((steps as f64 * self.share).ceil() as usize).max(1)
    }
}

/// The multiples of the suggestion `k` candidates try: `2^(i − (k−1)/2)`, i = 0…k−1 — a factor
/// 2 apart, centred on 1 (k = 5: ¼, ½, 1, 2, 4).
pub fn factors(k: usize) -> Vec<f64> {
    let centre = (k as f64 - 1.0) / 2.0;
    (0..k).map(|i| f64::powf(2.0, i as f64 - centre)).collect()
}

/// The candidate with the lowest held-out loss (a diverged one's is ∞, NaN counts as ∞; the
/// first on ties); `None` when there are none.
pub fn pick(candidates: &[Candidate]) -> Option<f64> {
    let loss = |c: &Candidate| {
        if c.val_loss.is_nan() {
            f64::INFINITY
        } else {
            c.val_loss
        }
    };
    candidates
        .iter()
        .min_by(|a, b| loss(a).total_cmp(&loss(b)))
        .map(|c| c.lr)
}

impl Trainer {
    /// Refines `lr` as the [module](crate::refinement) says: `candidates` rates (≥ 1) each train
    /// `steps` optimizer steps from the probe's current state, scored by `score`, the state
    /// restored after each. `epoch` is the epoch it runs before (0 outside a run), for its events
    /// ([`Event::CandidateStep`]; the observer can stop it) and errors.
    #[allow(clippy::too_many_arguments)]
    pub fn refine<P: Probe>(
        &self,
        probe: &mut P,
        epoch: usize,
        lr: f64,
        candidates: usize,
        steps: usize,
        score: &mut dyn FnMut(&P) -> Option<HeldOutScore>,
        observer: &mut dyn TrainObserver,
    ) -> Result<Refinement, TrainError<P::Error>> {
        let factors = factors(candidates);
        let of = factors.len();
        let mut scored = Vec::with_capacity(of);
        for (candidate, factor) in factors.into_iter().enumerate() {
            let rate = lr * factor;
            let short = Trainer {
                epochs: 1,
                lr: LrChoice::Fixed(rate),
                refind: RefindPolicy::Never,
                refine: None,
                ..self.clone()
            };
            let start = probe
                .snapshot()
                .map_err(|source| TrainError::Refine { epoch, source })?;
            let mut forward = |e: Event<'_>| match e {
                Event::Step { step, .. } => observer.on_event(Event::CandidateStep {
                    epoch,
                    candidate,
                    of,
                    step,
                    steps,
                }),
                _ => Ok(()),
            };
            let run = short
                .training(steps, &mut *score)
                .observe(&mut forward)
                .run(probe);
            probe
                .restore(start)
                .map_err(|source| TrainError::Refine { epoch, source })?;
            let val_loss = match run.result {
                Ok(()) => run
                    .history
                    .epochs
                    .last()
                    .map_or(f64::INFINITY, |r| r.val_loss),
                Err(TrainError::Diverged { .. }) => f64::INFINITY,
                Err(e) => return Err(e),
            };
            scored.push(Candidate { lr: rate, val_loss });
        }
        let lr = pick(&scored).ok_or(TrainError::NoCandidates)?;
        Ok(Refinement {
            epochs: None,
            steps,
            candidates: scored,
            lr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_candidates_span_a_quarter_to_four_times() {
        assert_eq!(factors(5), vec![0.25, 0.5, 1.0, 2.0, 4.0]);
        assert_eq!(factors(1), vec![1.0]);
        assert_eq!(factors(3), vec![0.5, 1.0, 2.0]);
        let four = factors(4);
        assert!(
            (four[0] - 2f64.powf(-1.5)).abs() < 1e-15 && (four[3] - 2f64.powf(1.5)).abs() < 1e-15
        );
    }

    #[test]
    fn the_lowest_held_out_loss_wins_and_diverged_runs_never_do() {
        let c = |lr, val_loss| Candidate { lr, val_loss };
        let candidates = [
            c(1e-3, 0.5),
            c(2e-3, 0.3),
            c(4e-3, f64::INFINITY),
            c(8e-3, 0.3),
            c(1.6e-2, f64::NAN),
        ];
        assert_eq!(pick(&candidates), Some(2e-3));
        assert_eq!(pick(&[c(1.0, f64::INFINITY), c(2.0, 9.0)]), Some(2.0));
        assert_eq!(pick(&[c(1.0, f64::NAN), c(2.0, f64::INFINITY)]), Some(1.0));
        assert_eq!(pick(&[]), None);
    }

    #[test]
    fn a_diverged_candidate_round_trips_through_json_as_null() {
        let c = [
            Candidate {
                lr: 0.1,
                val_loss: f64::INFINITY,
            },
            Candidate {
                lr: 0.2,
                val_loss: 0.5,
            },
        ];
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(
            text,
            r#"[{"lr":0.1,"val_loss":null},{"lr":0.2,"val_loss":0.5}]"#
        );
        assert_eq!(serde_json::from_str::<Vec<Candidate>>(&text).unwrap(), c);
    }

    #[test]
    fn each_candidate_trains_its_share_rounded_up() {
        let r = Refine::default();
        assert_eq!(r.steps(115), 23);
        assert_eq!(r.steps(116), 24);
        assert_eq!(r.steps(0), 1);
    }
}
