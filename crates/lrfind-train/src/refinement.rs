//! The refinement of a found rate — lrfind's one: `train --refine` (before training, and at
//! re-finds with [`Refine::refinds`]), `find --refine` and `evaluate`'s `consensus+refine` row all
//! run [`Trainer::refine`].
//!
//! From the probe's current state (the initial weights and a fresh optimizer before training),
//! each candidate rate `lr` × [`factors`] — a factor 2 apart around the suggestion — trains a share
//! of the run as a run of the same trainer at that rate (its schedule compressed into the
//! candidate's steps, momentum cycled as the trainer cycles it, no range test), is scored on the
//! selection split, and the state is restored. Then, knowing the run:
//!
//! - **The span follows the winner downward** ([`Refine::extend`]): while the best candidate is
//!   the lowest rate tried (and did not diverge), one more candidate a factor 2 below it runs, up
//!   to `extend` more. Never upward: a candidate is a short run, and the best rate falls as a run
//!   grows (Bjorck et al. 2025), so a rate above 4× that wins a fifth of the run is the one most
//!   likely too large for all of it — growing upward took rates that wrecked whole SGD runs under
//!   every schedule (docs/evaluation.md, "A selection that knows the run").
//! - **At a constant rate, the run's length is read** ([`Refine::extrapolate`]): a candidate's
//!   first quarter is a shorter run at the same rate, so it is scored there too, and its loss is
//!   carried to the run's length as a power law in steps through the two ([`extrapolate`]): a
//!   rate that is ahead after a fifth of the run but has stopped improving loses to one that
//!   still improves.
//!
//! The lowest loss — the extrapolated one where there is one — wins ([`pick`]). A candidate that
//! diverges scores ∞. Candidates run one after another on the one probe.
//!
//! Not to be confused with a re-find ([`crate::RefindPolicy`]: the range test run again).
//!
//! Measured in docs/evaluation.md ("A selection that knows the run"): the cost is at most
//! (candidates + extend) × share of the run — 1.4 runs by default, 8.2% of a 17-point grid.

use crate::{Event, LrChoice, RefindPolicy, TrainError, TrainObserver, Trainer};
use lrfind::document::{Candidate, Extrapolation, Refinement};
use lrfind::metric::HeldOutScore;
use lrfind::schedule::ScheduleConfig;
use lrfind::Probe;
use serde::{Deserialize, Serialize};

/// Candidates a refinement tries by default: ¼, ½, 1, 2 and 4 × the suggestion.
pub const DEFAULT_CANDIDATES: usize = 5;

/// The share of the run each candidate trains by default: 5 × ⅕ is one run's steps.
pub const DEFAULT_SHARE: f64 = 0.2;

/// Candidates a refinement may add beyond its span by default, while the winner is at its edge.
pub const DEFAULT_EXTEND: usize = 2;

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
    /// Candidates added at most, one at a time a factor 2 below the lowest rate tried, while the
    /// best is that lowest (0: the span is fixed).
    #[serde(default = "default_extend")]
    pub extend: usize,
    /// Under a constant schedule, pick by each candidate's loss extrapolated to the run's length
    /// ([`extrapolate`]) rather than its loss at its own.
    #[serde(default = "default_extrapolate")]
    pub extrapolate: bool,
}

fn default_extend() -> usize {
    DEFAULT_EXTEND
}

fn default_extrapolate() -> bool {
    true
}

impl Default for Refine {
    fn default() -> Self {
        Refine {
            candidates: DEFAULT_CANDIDATES,
            share: DEFAULT_SHARE,
            refinds: false,
            extend: DEFAULT_EXTEND,
            extrapolate: true,
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

    /// The candidates' horizon for a run of `steps` optimizer steps: the share of it each, read
    /// at its length.
    pub fn horizon(&self, steps: usize) -> Horizon {
        Horizon {
            steps: self.steps(steps),
            run: Some(steps),
        }
    }

    /// The most candidates a refinement trains: its span and every extension.
    pub fn max_candidates(&self) -> usize {
        self.candidates + self.extend
    }
}

/// What each candidate trains, and the run it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    /// Optimizer steps each candidate trains.
    pub steps: usize,
    /// Optimizer steps of the run the rate is for (none: no run — `find` without `--epochs`
    /// — and each candidate's own loss is read).
    pub run: Option<usize>,
}

/// The multiples of the suggestion `k` candidates try: `2^(i − (k−1)/2)`, i = 0…k−1 — a factor
/// 2 apart, centred on 1 (k = 5: ¼, ½, 1, 2, 4).
pub fn factors(k: usize) -> Vec<f64> {
    let centre = (k as f64 - 1.0) / 2.0;
    (0..k).map(|i| f64::powf(2.0, i as f64 - centre)).collect()
}

/// A loss `early` after `t₁` steps and `late` after `t₂ > t₁`, carried to `t` ≥ `t₂` steps as a
/// power law in steps through the two: `L(t) = late · (late / early)^(ln(t/t₂) / ln(t₂/t₁))`,
/// the ratio capped at 1 (a loss that rose is not carried further up, nor down). ∞ when either is
/// not finite; `late` when `t ≤ t₂` or either is not positive (no power law through them).
pub fn extrapolate(early: f64, t1: usize, late: f64, t2: usize, t: usize) -> f64 {
    if !early.is_finite() || !late.is_finite() {
        return f64::INFINITY;
    }
    if t <= t2 || t2 <= t1 || early <= 0.0 || late <= 0.0 {
        return late;
    }
    let ratio = (late / early).min(1.0);
    late * ratio.powf((t as f64 / t2 as f64).ln() / (t2 as f64 / t1 as f64).ln())
}

/// The index of the candidate with the lowest [`Candidate::chosen_loss`] (a diverged one's is ∞,
/// NaN counts as ∞; the first on ties); `None` when there are none.
fn best(candidates: &[Candidate]) -> Option<usize> {
    let loss = |c: &Candidate| {
        let l = c.chosen_loss();
        if l.is_nan() {
            f64::INFINITY
        } else {
            l
        }
    };
    (0..candidates.len()).min_by(|&a, &b| loss(&candidates[a]).total_cmp(&loss(&candidates[b])))
}

/// The rate of the candidate with the lowest [`Candidate::chosen_loss`] (a diverged one's is ∞,
/// NaN counts as ∞; the first on ties); `None` when there are none.
pub fn pick(candidates: &[Candidate]) -> Option<f64> {
    best(candidates).map(|i| candidates[i].lr)
}

/// Whether the span grows below `candidates` (in rate order, at least two): their best is the
/// lowest rate, and it did not diverge.
fn grows_below(candidates: &[Candidate]) -> bool {
    candidates.len() >= 2 && best(candidates) == Some(0) && candidates[0].chosen_loss().is_finite()
}

impl Trainer {
    /// Refines `lr` as the [module](crate::refinement) says: [`Refine::candidates`] rates (≥ 1),
    /// and up to [`Refine::extend`] more, each train `horizon.steps` optimizer steps from the
    /// probe's current state, scored by `score` (under a constant schedule with
    /// [`Refine::extrapolate`], after a quarter of them too), the state restored after each.
    /// `epoch` is the epoch it runs before (0 outside a run), for its events
    /// ([`Event::CandidateStep`]; the observer can stop it) and errors.
    #[allow(clippy::too_many_arguments)]
    pub fn refine<P: Probe>(
        &self,
        probe: &mut P,
        epoch: usize,
        lr: f64,
        refine: &Refine,
        horizon: Horizon,
        score: &mut dyn FnMut(&P) -> Option<HeldOutScore>,
        observer: &mut dyn TrainObserver,
    ) -> Result<Refinement, TrainError<P::Error>> {
        if refine.candidates == 0 {
            return Err(TrainError::NoCandidates);
        }
        let steps = horizon.steps;
        // A constant rate's prefix is a shorter run at that rate: score it there too.
        let constant = matches!(self.schedule, ScheduleConfig::Constant(_));
        let early = match horizon.run {
            Some(run) if constant && refine.extrapolate && run > steps => {
                Some(((steps / 4).max(1), run)).filter(|&(e, _)| e < steps)
            }
            _ => None,
        };
        // A candidate trains in one run, or in two with a score between.
        let parts = match early {
            Some((e, _)) => vec![e, steps - e],
            None => vec![steps],
        };
        let of = refine.candidates;
        let mut scored: Vec<Candidate> = Vec::with_capacity(refine.max_candidates());
        let mut run_one =
            |candidate: usize, rate: f64| -> Result<Candidate, TrainError<P::Error>> {
                let start = probe
                    .snapshot()
                    .map_err(|source| TrainError::Refine { epoch, source })?;
                let short = Trainer {
                    epochs: 1,
                    lr: LrChoice::Fixed(rate),
                    refind: RefindPolicy::Never,
                    refine: None,
                    ..self.clone()
                };
                let mut losses = Vec::with_capacity(parts.len());
                let mut done = 0;
                for &part in &parts {
                    let mut forward = |e: Event<'_>| match e {
                        Event::Step { step, .. } => observer.on_event(Event::CandidateStep {
                            epoch,
                            candidate,
                            of,
                            step: done + step,
                            steps,
                        }),
                        _ => Ok(()),
                    };
                    let run = short
                        .training(part, &mut *score)
                        .observe(&mut forward)
                        .run(probe);
                    done += part;
                    match run.result {
                        Ok(()) => losses.push(
                            run.history
                                .epochs
                                .last()
                                .map_or(f64::INFINITY, |r| r.val_loss),
                        ),
                        Err(TrainError::Diverged { .. }) => {
                            losses.push(f64::INFINITY);
                            break;
                        }
                        Err(e) => {
                            // Leave the probe as the refinement found it before passing the error on.
                            let _ = probe.restore(start);
                            return Err(e);
                        }
                    }
                }
                probe
                    .restore(start)
                    .map_err(|source| TrainError::Refine { epoch, source })?;
                let val_loss = match losses.last() {
                    Some(&l) if losses.len() == parts.len() => l,
                    _ => f64::INFINITY,
                };
                let extrapolation = early.map(|(e, run)| Extrapolation {
                    early_steps: e,
                    early_loss: losses[0],
                    run_steps: run,
                    run_loss: extrapolate(losses[0], e, val_loss, steps, run),
                });
                Ok(Candidate {
                    lr: rate,
                    val_loss,
                    extrapolation,
                })
            };
        for (candidate, factor) in factors(of).into_iter().enumerate() {
            scored.push(run_one(candidate, lr * factor)?);
        }
        for candidate in of..refine.max_candidates() {
            if !grows_below(&scored) {
                break;
            }
            let rate = scored[0].lr / 2.0;
            scored.insert(0, run_one(candidate, rate)?);
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
        let c = Candidate::new;
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
    fn a_power_law_is_carried_exactly_and_a_rising_loss_is_not() {
        // L(t) = 2 t^-0.5 through t = 10 and 40 gives L(160) = 2 · 160^-0.5.
        let l = |t: f64| 2.0 * t.powf(-0.5);
        let carried = extrapolate(l(10.0), 10, l(40.0), 40, 160);
        assert!((carried - l(160.0)).abs() < 1e-12, "{carried}");
        // A loss that rose between the two stays where it ended.
        assert_eq!(extrapolate(0.5, 10, 0.7, 40, 160), 0.7);
        // No longer run, or no earlier score: the candidate's own loss.
        assert_eq!(extrapolate(0.9, 10, 0.5, 40, 40), 0.5);
        assert_eq!(extrapolate(0.9, 40, 0.5, 40, 160), 0.5);
        // A diverged score carries nothing.
        assert_eq!(extrapolate(f64::INFINITY, 10, 0.5, 40, 160), f64::INFINITY);
        assert_eq!(extrapolate(0.9, 10, f64::NAN, 40, 160), f64::INFINITY);
        // A loss of 0 has nowhere to go.
        assert_eq!(extrapolate(0.9, 10, 0.0, 40, 160), 0.0);
    }

    #[test]
    fn the_pick_reads_the_loss_at_the_runs_length_where_there_is_one() {
        let carried = |lr, val_loss, run_loss| Candidate {
            lr,
            val_loss,
            extrapolation: Some(Extrapolation {
                early_steps: 5,
                early_loss: 1.0,
                run_steps: 100,
                run_loss,
            }),
        };
        // Ahead at its own length, behind at the run's.
        let c = [carried(1e-3, 0.4, 0.1), carried(2e-3, 0.3, 0.2)];
        assert_eq!(pick(&c), Some(1e-3));
        assert!(grows_below(&c));
        assert!(
            !grows_below(&c[..1]),
            "one candidate has no edge to grow from"
        );
        let diverged = [
            carried(1e-3, 0.4, f64::INFINITY),
            Candidate::new(2e-3, f64::INFINITY),
        ];
        assert!(
            !grows_below(&diverged),
            "the span does not grow past a diverged best"
        );
        let rising = [Candidate::new(1e-3, 0.4), Candidate::new(2e-3, 0.3)];
        assert!(!grows_below(&rising), "never upward");
    }

    #[test]
    fn a_diverged_candidate_round_trips_through_json_as_null() {
        let c = [Candidate::new(0.1, f64::INFINITY), Candidate::new(0.2, 0.5)];
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
