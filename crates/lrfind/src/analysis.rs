//! From a recorded curve to suggestions: replay, truncation, skipping, every rule.

use crate::curve::Curve;
use crate::document::RangeTestDocument;
use crate::noise::{self, BatchNoise, Reading};
use crate::range_test::{validate_smoothing, validate_stop_div, ConfigError, RangeTestResult};
use crate::smooth::Smoothing;
use crate::stop::StopReason;
use crate::suggest::{self, Bounds, LightningSkip, Method, SlideParams, SuggestError, Suggestion};
use crate::tracker::{LossTracker, Observation};
use serde_json::Value;

/// How to analyze a curve. Defaults: every method, fastai's skipping, no replay.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// Rules to apply.
    pub methods: Vec<Method>,
    /// Points left out at the start; `None`: fastai's `⌊num_iter/10⌋`.
    pub skip_start: Option<usize>,
    /// Points left out at the end; `None`: fastai's 5.
    pub skip_end: Option<usize>,
    /// `Ema` replays the raw losses through the live smoothing; `None` takes the file as recorded.
    pub smoothing: Smoothing,
    /// Replays the divergence rule with this factor.
    pub stop_div: Option<f64>,
    /// The sweep's configured length. fastai's `lr_find` skips `num_it // 10` points at the
    /// start whatever length the curve reached (a sweep that diverged at point 84 of 100 still
    /// skips 10); `None`: the curve's length, which is the same for a sweep that ran to its end.
    /// [`analyze_result`] takes it from the range test.
    pub num_iter: Option<usize>,
    /// Window of the `sma` rule.
    pub sma_window: usize,
    /// Parameters of fastai's `slide`.
    pub slide: SlideParams,
    /// The `lightning` rule's own skipping (Lightning's defaults 10 and 1), applied to the whole
    /// curve instead of the skipping above, as Lightning does.
    pub lightning: LightningSkip,
    /// The batch noise a warm-up measured ([`RangeTestResult::noise`]; [`analyze_result`] passes
    /// it on). With it the rules read only what the curve shows beyond the noise
    /// ([`noise::read`]): a descent from where it starts (the flat start is skipped, for
    /// `lightning` too), or — with no descent — a decade below where the loss rises, for every
    /// rule that suggests a single rate. It describes a curve as recorded: not used on a replay.
    pub noise: Option<BatchNoise>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            methods: Method::ALL.to_vec(),
            skip_start: None,
            skip_end: None,
            smoothing: Smoothing::None,
            stop_div: None,
            num_iter: None,
            sma_window: 5,
            slide: SlideParams::default(),
            lightning: LightningSkip::default(),
            noise: None,
        }
    }
}

impl AnalyzeOptions {
    /// Checks the rules' settings (`slide`, `sma_window`) and a replay's smoothing and stop rule;
    /// [`analyze`] refuses options that fail it.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let s = self.slide;
        if !(s.thresh.is_finite() && s.thresh >= 0.0) {
            return Err(ConfigError::SlideThresh(s.thresh));
        }
        if s.lr_diff == 0 {
            return Err(ConfigError::SlideLrDiff);
        }
        if !(s.adjust_value.is_finite() && s.adjust_value > 0.0) {
            return Err(ConfigError::SlideAdjust(s.adjust_value));
        }
        if self.sma_window == 0 {
            return Err(ConfigError::SmaWindow);
        }
        Ok(())
    }

    /// Whether the curve is replayed through a live smoothing or stop rule.
    pub fn replays(&self) -> bool {
        self.smoothing != Smoothing::None || self.stop_div.is_some()
    }
}

/// fastai's default skipping of a sweep configured for `num_iter` steps: the first
/// `⌊num_iter/10⌋` and the last 5 points (fastai `lr_find`: `lrs[num_it//10:-5]`).
pub fn default_skip(num_iter: usize) -> (usize, usize) {
    (num_iter / 10, 5)
}

/// The curve cannot be analyzed with these options.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    /// The replayed smoothing or stop rule is invalid.
    Config(#[from] ConfigError),
    #[error("skipping {skip_start} + {skip_end} points leaves nothing of a {points}-point curve")]
    /// More points skipped than the curve has.
    SkipTooLarge {
        /// Points skipped at the start.
        skip_start: usize,
        /// Points skipped at the end.
        skip_end: usize,
        /// Points in the curve.
        points: usize,
    },
    #[error("the first loss is not finite: nothing to analyze")]
    /// No point has a finite loss.
    NoFinitePoints,
}

/// What one rule said.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A suggested rate.
    Point(Suggestion),
    /// A (base_lr, max_lr) range.
    Bounds(Bounds),
    /// The rule could not suggest.
    Failed(SuggestError),
}

/// A curve and every suggestion made on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The curve after replay and truncation at the first non-finite loss; indices count in it.
    pub curve: Curve,
    /// How the test ended.
    pub stopped: StopReason,
    /// Points left out at the start.
    pub skip_start: usize,
    /// Points left out at the end.
    pub skip_end: usize,
    /// Length of the input before truncation at a non-finite loss, when that happened.
    pub truncated_from: Option<usize>,
    /// Every rule's outcome, in report order.
    pub suggestions: Vec<(Method, Outcome)>,
    /// The batch noise the curve was read against, if any ([`AnalyzeOptions::noise`]).
    pub noise: Option<BatchNoise>,
    /// What the curve shows beyond that noise.
    pub reading: Option<Reading>,
}

/// Analyzes `curve` as [`AnalyzeOptions`] say.
pub fn analyze(curve: &Curve, options: &AnalyzeOptions) -> Result<Analysis, AnalyzeError> {
    options.validate()?;
    validate_smoothing(options.smoothing)?;
    validate_stop_div(options.stop_div)?;
    let (curve, stopped, truncated_from) = replay(curve, options);
    if curve.is_empty() {
        return Err(AnalyzeError::NoFinitePoints);
    }
    let n = curve.len();
    let (start, end) = default_skip(options.num_iter.unwrap_or(n));
    let (skip_start, skip_end) = match (options.skip_start, options.skip_end) {
        (None, None) if n < start + end + 2 => (0, 0),
        (s, e) => (s.unwrap_or(start), e.unwrap_or(end)),
    };
    if skip_start.saturating_add(skip_end) >= n {
        return Err(AnalyzeError::SkipTooLarge {
            skip_start,
            skip_end,
            points: n,
        });
    }
    let noise = options.noise.filter(|_| !options.replays());
    let reading = noise.map(|noise| noise::read(&curve.loss, skip_start..n - skip_end, &noise));
    // The flat start before a descent is noise: every rule starts where the descent does.
    let lightning_from = match reading {
        Some(Reading::Descent { from, .. }) if from + 2 < n - skip_end => from,
        _ => 0,
    };
    let skip_start = skip_start.max(lightning_from);
    let suggestions = options
        .methods
        .iter()
        .map(|&m| {
            let outcome = match (m, reading) {
                // No bracket is read off a curve that never fell beyond its noise.
                (Method::Bounds, Some(Reading::Flat { .. })) => {
                    Outcome::Failed(SuggestError::NoDescent)
                }
                (Method::Bounds, _) | (_, None | Some(Reading::Descent { .. })) => {
                    suggest_one(m, &curve, options, skip_start..n - skip_end, lightning_from)
                }
                (_, Some(Reading::Flat { rise: Some(rise) })) => {
                    Outcome::Point(Suggestion::decade_below(&curve.lr, &curve.loss, rise))
                }
                (_, Some(Reading::Flat { rise: None })) => Outcome::Failed(SuggestError::NoDescent),
            };
            (m, outcome)
        })
        .collect();
    Ok(Analysis {
        curve,
        stopped,
        skip_start,
        skip_end,
        truncated_from,
        suggestions,
        noise,
        reading,
    })
}

/// [`analyze`] for a range test just run: its warm-up's noise (unless `options` name one) and
/// how it ended go into the analysis.
pub fn analyze_result(
    result: &RangeTestResult,
    options: &AnalyzeOptions,
) -> Result<Analysis, AnalyzeError> {
    let options = AnalyzeOptions {
        noise: options.noise.or(result.noise),
        num_iter: options.num_iter.or(Some(result.num_iter)),
        ..options.clone()
    };
    let mut analysis = analyze(&result.curve, &options)?;
    analysis.stopped = result.stopped;
    Ok(analysis)
}

/// Runs rule `m` on the `window` of `curve`; a point it suggests is placed on the whole curve.
fn suggest_one(
    m: Method,
    curve: &Curve,
    o: &AnalyzeOptions,
    window: std::ops::Range<usize>,
    from: usize,
) -> Outcome {
    let offset = window.start;
    let (lrs, losses) = (&curve.lr[window.clone()], &curve.loss[window]);
    let point = |r: Result<Suggestion, SuggestError>| match r {
        Ok(s) => Outcome::Point(s.placed_on(&curve.lr, &curve.loss, offset)),
        Err(e) => Outcome::Failed(e),
    };
    match m {
        Method::Valley => point(suggest::valley(lrs, losses)),
        Method::Slide => point(suggest::slide(lrs, losses, o.slide)),
        Method::Minimum => point(suggest::minimum(lrs, losses)),
        Method::Steep => point(suggest::steep(lrs, losses)),
        Method::Gradient => point(suggest::gradient(lrs, losses)),
        Method::Descent => point(suggest::descent(lrs, losses)),
        Method::Sma => point(suggest::sma(lrs, losses, o.sma_window)),
        Method::Consensus => point(suggest::consensus(lrs, losses, o.slide)),
        // Lightning skips on its own terms, over the whole curve (after a flat start the noise
        // reading cut off, if any).
        Method::Lightning => {
            let (lrs, losses) = (&curve.lr[from..], &curve.loss[from..]);
            match suggest::lightning(lrs, losses, o.lightning) {
                Ok(s) => Outcome::Point(s.placed_on(&curve.lr, &curve.loss, from)),
                Err(e) => Outcome::Failed(e),
            }
        }
        Method::Bounds => match suggest::bounds(lrs, losses) {
            Ok(b) => Outcome::Bounds(b.shifted(offset)),
            Err(e) => Outcome::Failed(e),
        },
    }
}

/// Replays raw losses through smoothing and the divergence rule when asked, else cuts the curve
/// at its first non-finite loss. Returns the curve, why it ended, and its length before a cut.
fn replay(curve: &Curve, options: &AnalyzeOptions) -> (Curve, StopReason, Option<usize>) {
    if !options.replays() {
        let n = curve.finite_prefix();
        return if n == curve.len() {
            (curve.clone(), StopReason::Completed, None)
        } else {
            (curve.truncated(n), StopReason::NonFinite, Some(curve.len()))
        };
    }
    let raws = curve.raw_loss.as_ref().unwrap_or(&curve.loss);
    let mut tracker = LossTracker::new(options.smoothing, options.stop_div);
    let mut out = Curve {
        raw_loss: Some(Vec::new()),
        ..Curve::default()
    };
    let mut stopped = StopReason::Completed;
    for (&lr, &raw) in curve.lr.iter().zip(raws) {
        match tracker.observe(raw) {
            Observation::NonFinite => {
                stopped = StopReason::NonFinite;
                break;
            }
            Observation::Record { smoothed, stop } => {
                out.lr.push(lr);
                out.loss.push(smoothed);
                out.raw_loss.get_or_insert_with(Vec::new).push(raw);
                if let Some(reason) = stop {
                    stopped = reason;
                    break;
                }
            }
        }
    }
    let cut = (stopped == StopReason::NonFinite).then_some(curve.len());
    (out, stopped, cut)
}

/// Why a curve gives no rate to act on: printing a number anyway would look as good as any other.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NoRecommendation {
    #[error(
        "the sweep was interrupted at lr {lr:.2e} before it finished, so its curve may stop short \
         of the descent; run it to the end"
    )]
    /// The user stopped the test before the loss turned up.
    Interrupted {
        /// The last lr tried.
        lr: f64,
    },
    #[error(
        "the loss never fell by {percent}% between lr {from:.2e} and {to:.2e}: there is no descent \
         to read a rate from; widen the range (start_lr, end_lr), run more iterations (num_iter), or use \
         a smaller batch"
    )]
    /// The loss never fell enough to read a rate from.
    NoDescent {
        /// How far it fell, in percent.
        percent: f64,
        /// The first smoothed loss.
        from: f64,
        /// The lowest smoothed loss.
        to: f64,
    },
    #[error("{method} made no suggestion: {error}")]
    /// The recommended rule could not suggest.
    RuleFailed {
        /// The rule.
        method: Method,
        /// Why.
        error: SuggestError,
    },
    #[error("no rule that suggests a single rate was asked for")]
    /// No rule that recommends was asked for.
    NoRule,
}

/// The relative fall of the loss below its first analyzed value that counts as a descent.
pub const MIN_DESCENT: f64 = 0.01;

impl Analysis {
    /// The points the rules read: the curve without the skipped ends.
    pub fn window(&self) -> std::ops::Range<usize> {
        self.skip_start..self.curve.len() - self.skip_end
    }

    /// The rate to act on: `preferred`'s suggestion when that rule was run, else the first rule
    /// in the analysis that suggests a single rate — or why the curve gives none (an interrupted
    /// sweep, no descent of at least [`MIN_DESCENT`], the rule failing).
    pub fn recommend(&self, preferred: Method) -> Result<(Method, Suggestion), NoRecommendation> {
        let method = self
            .suggestions
            .iter()
            .map(|(m, _)| *m)
            .filter(|&m| m != Method::Bounds)
            .min_by_key(|&m| m != preferred)
            .ok_or(NoRecommendation::NoRule)?;
        if self.stopped == StopReason::Interrupted {
            let lr = self.curve.lr.last().copied().unwrap_or(f64::NAN);
            return Err(NoRecommendation::Interrupted { lr });
        }
        if let Some(Reading::Flat { rise: Some(_) }) = self.reading {
            // No descent beyond the noise: every rule's rate is a decade below the rise.
            return self.chosen(method);
        }
        let window = self.window();
        let losses = &self.curve.loss[window.clone()];
        let first = losses[0];
        let lowest = losses.iter().copied().fold(f64::INFINITY, f64::min);
        // Written so that NaN counts as no descent.
        let fell = first - lowest > MIN_DESCENT * first.abs();
        if !fell {
            return Err(NoRecommendation::NoDescent {
                percent: MIN_DESCENT * 100.0,
                from: self.curve.lr[window.start],
                to: self.curve.lr[window.end - 1],
            });
        }
        self.chosen(method)
    }

    /// `method`'s suggestion, or why it made none.
    fn chosen(&self, method: Method) -> Result<(Method, Suggestion), NoRecommendation> {
        match self.suggestions.iter().find(|(m, _)| *m == method) {
            Some((_, Outcome::Point(s))) => Ok((method, *s)),
            Some((_, Outcome::Failed(error))) => Err(NoRecommendation::RuleFailed {
                method,
                error: error.clone(),
            }),
            _ => Err(NoRecommendation::NoRule),
        }
    }

    /// The suggestion of `method`, if it made one.
    pub fn suggestion(&self, method: Method) -> Option<Suggestion> {
        self.suggestions.iter().find_map(|(m, o)| match o {
            Outcome::Point(s) if *m == method => Some(*s),
            _ => None,
        })
    }

    /// The cyclical bounds, if asked for and found.
    pub fn bounds(&self) -> Option<Bounds> {
        self.suggestions.iter().find_map(|(_, o)| match o {
            Outcome::Bounds(b) => Some(*b),
            _ => None,
        })
    }

    /// The JSON document `lrfind analyze --format json` prints ([`RangeTestDocument::of`]).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(RangeTestDocument::of(self)).expect("a document is JSON")
    }

    /// [`Analysis::to_json`] with the recommendation, how far to trust it and its warnings
    /// ([`RangeTestDocument::recommending`]).
    pub fn to_json_recommending(&self, preferred: Method) -> Value {
        serde_json::to_value(RangeTestDocument::recommending(self, preferred))
            .expect("a document is JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::fixtures;
    use serde_json::json;

    fn line(loss: Vec<f64>) -> Curve {
        Curve {
            lr: (0..loss.len())
                .map(|i| 1e-5 * 1.5f64.powi(i as i32))
                .collect(),
            loss,
            raw_loss: None,
        }
    }

    #[test]
    fn recommends_the_preferred_rule_or_the_first_one_asked() {
        let c = fixture("digits_mlp_adam_s0");
        let a = analyze(&c, &AnalyzeOptions::default()).unwrap();
        let (m, s) = a.recommend(Method::Consensus).unwrap();
        assert_eq!(
            (m, s),
            (Method::Consensus, a.suggestion(Method::Consensus).unwrap())
        );
        let only = AnalyzeOptions {
            methods: vec![Method::Bounds, Method::Valley],
            ..Default::default()
        };
        let a = analyze(&c, &only).unwrap();
        assert_eq!(a.recommend(Method::Consensus).unwrap().0, Method::Valley);
        let none = AnalyzeOptions {
            methods: vec![Method::Bounds],
            ..Default::default()
        };
        let a = analyze(&c, &none).unwrap();
        assert_eq!(
            a.recommend(Method::Consensus),
            Err(NoRecommendation::NoRule)
        );
    }

    #[test]
    fn an_interrupted_or_flat_sweep_recommends_nothing() {
        let mut a = analyze(&fixture("digits_mlp_adam_s0"), &Default::default()).unwrap();
        a.stopped = StopReason::Interrupted;
        let err = a.recommend(Method::Consensus).unwrap_err();
        assert!(matches!(err, NoRecommendation::Interrupted { .. }));
        assert!(err.to_string().contains("interrupted at lr"));
        let doc = a.to_json_recommending(Method::Consensus);
        assert_eq!(doc["recommended"]["method"], Value::Null);
        let flat = analyze(&line(vec![2.0; 40]), &Default::default()).unwrap();
        assert!(matches!(
            flat.recommend(Method::Consensus),
            Err(NoRecommendation::NoDescent { .. })
        ));
        let rising = analyze(
            &line((0..40).map(|i| 2.0 + i as f64).collect()),
            &Default::default(),
        );
        assert!(rising.unwrap().recommend(Method::Consensus).is_err());
        let falling = analyze(
            &line((0..40).map(|i| 3.0 - 0.05 * i as f64).collect()),
            &Default::default(),
        );
        assert!(falling.unwrap().recommend(Method::Consensus).is_ok());
    }

    fn fixture(name: &str) -> Curve {
        Curve::read_path(&fixtures::dir().join("suggest").join(name).join("curve.csv")).unwrap()
    }

    #[test]
    fn fastai_skips_a_tenth_of_the_configured_sweep_not_of_the_curve() {
        // digits_mlp_adam_s0 diverged at point 86 of fastai's 100: fastai skipped 10, not 8.
        let curve = fixture("digits_mlp_adam_s0");
        let options = AnalyzeOptions {
            num_iter: Some(100),
            ..Default::default()
        };
        let a = analyze(&curve, &options).unwrap();
        assert_eq!((a.skip_start, a.skip_end), (10, 5));
        for (m, fastai) in [
            (Method::Valley, 1.7378e-3),
            (Method::Slide, 9.1201e-3),
            (Method::Minimum, 2.0893e-2),
            (Method::Steep, 1.3183e-2),
        ] {
            let lr = a.suggestion(m).unwrap().lr;
            assert!(
                (lr / fastai - 1.0).abs() < 1e-4,
                "{m:?}: {lr} against {fastai}"
            );
        }
        let b = analyze(&curve, &AnalyzeOptions::default()).unwrap();
        assert_eq!(
            b.skip_start, 8,
            "without it: a tenth of the curve's 86 points"
        );
        // A 50-point curve of a 100-step sweep with a dip at point 9: fastai never reads it.
        let mut loss: Vec<f64> = (0..50)
            .map(|i| 2.0 - 0.02 * i as f64 + 0.001 * (i * i) as f64)
            .collect();
        loss[9] = 0.1;
        let dip = line(loss);
        let minimum = |num_iter| {
            let o = AnalyzeOptions {
                num_iter,
                ..Default::default()
            };
            analyze(&dip, &o)
                .unwrap()
                .suggestion(Method::Minimum)
                .unwrap()
                .source
        };
        assert_eq!(minimum(None), 9);
        assert_eq!(minimum(Some(100)), 10);
    }

    #[test]
    fn fastai_default_skipping_reproduces_lr_find_on_digits() {
        // fixtures/README: fastai's lr_find (skip first 10, last 5) on these recorded curves.
        for (name, valley, slide, minimum, steep) in [
            (
                "digits_mlp_adam_s0",
                1.7378e-3,
                9.1201e-3,
                2.0893e-2,
                1.3183e-2,
            ),
            ("digits_mlp_sgd_s0", 7.5858e-3, 1.0e-1, 5.2481e-2, 4.3652e-1),
        ] {
            let curve = fixture(name);
            // fastai's Recorder holds 100 points; skip ⌊100/10⌋ = 10 of them.
            let a = analyze(
                &curve,
                &AnalyzeOptions {
                    skip_start: Some(10),
                    ..Default::default()
                },
            )
            .unwrap();
            for (m, want) in [
                (Method::Valley, valley),
                (Method::Slide, slide),
                (Method::Minimum, minimum),
                (Method::Steep, steep),
            ] {
                let got = a.suggestion(m).unwrap().lr;
                assert!(
                    ((got - want) / want).abs() < 1e-4,
                    "{name}/{m}: {got} vs fastai {want}"
                );
            }
        }
    }

    #[test]
    fn nan_truncates_and_says_so() {
        let c = Curve {
            lr: vec![1.0, 2.0, 3.0, 4.0],
            loss: vec![3.0, 2.0, f64::NAN, 1.0],
            raw_loss: None,
        };
        let a = analyze(&c, &AnalyzeOptions::default()).unwrap();
        assert_eq!(
            (a.curve.len(), a.stopped, a.truncated_from),
            (2, StopReason::NonFinite, Some(4))
        );
        assert_eq!(a.to_json()["stopped"], "non_finite");
    }

    #[test]
    fn replay_applies_live_smoothing_and_divergence() {
        let c = Curve {
            lr: (1..=6).map(f64::from).collect(),
            loss: vec![1.0, 1.0, 1.0, 3.0, 50.0, 50.0],
            raw_loss: None,
        };
        let o = AnalyzeOptions {
            smoothing: Smoothing::Ema { beta: 0.5 },
            stop_div: Some(4.0),
            ..Default::default()
        };
        let a = analyze(&c, &o).unwrap();
        assert_eq!(a.stopped, StopReason::Diverged);
        assert_eq!(a.curve.len(), 5);
        assert_eq!(a.curve.raw_loss.as_ref().unwrap()[4], 50.0);
    }

    #[test]
    fn too_much_skipping_is_an_error_but_default_skipping_shrinks() {
        let c = Curve {
            lr: vec![1.0, 2.0, 3.0],
            loss: vec![3.0, 2.0, 1.0],
            raw_loss: None,
        };
        let a = analyze(&c, &AnalyzeOptions::default()).unwrap();
        assert_eq!((a.skip_start, a.skip_end), (0, 0));
        let o = AnalyzeOptions {
            skip_start: Some(2),
            skip_end: Some(1),
            ..Default::default()
        };
        assert!(matches!(
            analyze(&c, &o),
            Err(AnalyzeError::SkipTooLarge { .. })
        ));
    }

    #[test]
    fn indices_count_in_the_full_curve() {
        let c = fixture("synth_n100_noise0.05");
        let a = analyze(&c, &AnalyzeOptions::default()).unwrap();
        for m in [Method::Valley, Method::Steep] {
            let s = a.suggestion(m).unwrap();
            assert!(s.source >= 10 && s.source < 95);
            assert_eq!(
                (s.index, s.lr, s.loss),
                (s.source, c.lr[s.index], c.loss[s.index])
            );
        }
    }

    #[test]
    fn each_suggestion_sits_at_its_own_lr() {
        // minimum reads the lowest point but suggests a tenth of its lr: the marker (index, loss)
        // belongs at that tenth, not at the lowest point.
        let c = fixture("digits_mlp_adam_s0");
        let a = analyze(&c, &AnalyzeOptions::default()).unwrap();
        let s = a.suggestion(Method::Minimum).unwrap();
        let lowest = (10..c.len() - 5)
            .min_by(|&i, &j| c.loss[i].total_cmp(&c.loss[j]))
            .unwrap();
        assert_eq!(s.source, lowest);
        assert_eq!(s.lr, c.lr[lowest] / 10.0);
        assert!(c.lr[s.index] < c.lr[lowest] / 5.0 && c.lr[s.index] > c.lr[lowest] / 20.0);
        // The loss is between the losses of the two points around the lr.
        let j = (0..c.len()).find(|&j| c.lr[j] >= s.lr).unwrap();
        let (a0, a1) = (c.loss[j - 1].min(c.loss[j]), c.loss[j - 1].max(c.loss[j]));
        assert!(
            s.loss >= a0 && s.loss <= a1,
            "{} not in [{a0}, {a1}]",
            s.loss
        );
        for (m, outcome) in &a.suggestions {
            if let Outcome::Point(s) = outcome {
                let nearest = (0..c.len())
                    .min_by(|&i, &j| {
                        let d = |k: usize| (c.lr[k].ln() - s.lr.ln()).abs();
                        d(i).total_cmp(&d(j))
                    })
                    .unwrap();
                assert_eq!(s.index, nearest, "{m}");
            }
        }
    }

    /// A curve of batch noise about 1.0 (±0.02, deterministic), from `rise` on climbing steeply.
    fn noise_then_rise(n: usize, rise: usize) -> Curve {
        line(
            (0..n)
                .map(|i| match i < rise {
                    true => 1.0 + 0.02 * ((i * 7 % 5) as f64 - 2.0) / 2.0,
                    false => 1.0 + 0.5 * (i - rise + 1) as f64,
                })
                .collect(),
        )
    }

    fn with_noise(mean: f64, spread: f64) -> AnalyzeOptions {
        AnalyzeOptions {
            noise: Some(BatchNoise {
                mean,
                sd: spread,
                steps: 20,
                spread,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn without_a_descent_beyond_the_noise_every_rule_takes_a_decade_below_the_rise() {
        let c = noise_then_rise(60, 50);
        let bare = analyze(&c, &AnalyzeOptions::default()).unwrap();
        let a = analyze(&c, &with_noise(1.0, 0.02)).unwrap();
        assert_eq!(a.reading, Some(Reading::Flat { rise: Some(50) }));
        let expected = c.lr[50] / 10.0;
        for (m, outcome) in &a.suggestions {
            match outcome {
                Outcome::Point(s) => assert!((s.lr - expected).abs() < 1e-15 * expected, "{m:?}"),
                Outcome::Bounds(b) => panic!("bounds read off noise: {b:?}"),
                // No bracket is read off a curve that never fell beyond its noise.
                Outcome::Failed(e) if *m == Method::Bounds => {
                    assert_eq!(*e, SuggestError::NoDescent);
                    assert!(
                        bare.bounds().is_some(),
                        "without the noise reading it reads one"
                    );
                }
                Outcome::Failed(e) => panic!("{m:?}: {e}"),
            }
        }
        assert_eq!(a.recommend(Method::Consensus).unwrap().1.lr, expected);
        let warnings = crate::confidence::warnings(&a);
        assert_eq!(warnings[0].code(), "no_descent");
        let doc = a.to_json();
        assert_eq!(doc["reading"], json!({"kind": "flat", "rise": 50}));
        assert_eq!(doc["noise"]["band"], json!(0.06));
        // Flat with no rise either: no rule has a rate.
        let flat = analyze(&noise_then_rise(40, 40), &with_noise(1.0, 0.02)).unwrap();
        assert_eq!(flat.reading, Some(Reading::Flat { rise: None }));
        assert!(flat.suggestion(Method::Steep).is_none());
        assert!(flat.recommend(Method::Consensus).is_err());
    }

    #[test]
    fn a_descent_beyond_the_noise_is_read_from_where_it_starts() {
        let mut loss: Vec<f64> = noise_then_rise(30, 30).loss;
        loss.extend((1..=20).map(|i| 1.0 - 0.03 * i as f64));
        loss.extend((1..=10).map(|i| 0.4 + 0.3 * i as f64));
        let c = line(loss);
        let a = analyze(&c, &with_noise(1.0, 0.02)).unwrap();
        // The last point at or above the mean before the lowest one is 29 (1.01).
        assert_eq!(
            a.reading,
            Some(Reading::Descent {
                from: 29,
                lowest: 49
            })
        );
        assert_eq!(a.skip_start, 29);
        let bare = analyze(&c, &AnalyzeOptions::default()).unwrap();
        assert_eq!(bare.skip_start, 6);
        for m in [Method::Steep, Method::Gradient, Method::Lightning] {
            assert!(a.suggestion(m).unwrap().index >= 29, "{m:?}");
        }
        // A replayed curve is not the recorded one the noise describes: no reading.
        let replayed = AnalyzeOptions {
            smoothing: Smoothing::Ema { beta: 0.9 },
            ..with_noise(1.0, 0.02)
        };
        assert_eq!(analyze(&c, &replayed).unwrap().reading, None);
    }
}
