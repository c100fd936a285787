//! Every schedule kind with its settings ([`ScheduleConfig`]), and how a finder's rates become a
//! schedule's ([`ScheduleConfig::take_rates`]). With the `clap` feature each kind's settings are
//! command-line flags (`lrfind schedule` and `lrfind train` derive theirs from here).

use super::*;
use crate::Method;
use std::fmt;

/// The kinds of schedule, by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ScheduleKind {
    /// The rate itself, every step.
    Constant,
    /// PyTorch `StepLR`.
    Step,
    /// PyTorch `MultiStepLR`.
    Multistep,
    /// PyTorch `ExponentialLR`.
    Exponential,
    /// PyTorch `LinearLR`.
    Linear,
    /// PyTorch `PolynomialLR`.
    Polynomial,
    /// PyTorch `CosineAnnealingLR`.
    Cosine,
    /// PyTorch `CosineAnnealingWarmRestarts`.
    CosineRestarts,
    /// PyTorch `CyclicLR` (triangular, triangular2, exp_range).
    Cyclic,
    /// PyTorch `OneCycleLR`.
    OneCycle,
    /// PyTorch `ReduceLROnPlateau` (stepped with a metric).
    Plateau,
}

impl ScheduleKind {
    /// Every kind.
    pub const ALL: [ScheduleKind; 11] = [
        ScheduleKind::Constant,
        ScheduleKind::Step,
        ScheduleKind::Multistep,
        ScheduleKind::Exponential,
        ScheduleKind::Linear,
        ScheduleKind::Polynomial,
        ScheduleKind::Cosine,
        ScheduleKind::CosineRestarts,
        ScheduleKind::Cyclic,
        ScheduleKind::OneCycle,
        ScheduleKind::Plateau,
    ];

    /// The kebab-case name (`one-cycle`).
    pub fn name(self) -> &'static str {
        match self {
            ScheduleKind::Constant => "constant",
            ScheduleKind::Step => "step",
            ScheduleKind::Multistep => "multistep",
            ScheduleKind::Exponential => "exponential",
            ScheduleKind::Linear => "linear",
            ScheduleKind::Polynomial => "polynomial",
            ScheduleKind::Cosine => "cosine",
            ScheduleKind::CosineRestarts => "cosine-restarts",
            ScheduleKind::Cyclic => "cyclic",
            ScheduleKind::OneCycle => "one-cycle",
            ScheduleKind::Plateau => "plateau",
        }
    }
}

impl fmt::Display for ScheduleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A schedule kind with its settings; [`ScheduleConfig::build`] makes the schedule from a base
/// rate and the run's length.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ScheduleConfig {
    /// [`Constant`].
    Constant(ConstantConfig),
    /// [`StepDecay`].
    Step(StepConfig),
    /// [`MultiStep`].
    Multistep(MultiStepConfig),
    /// [`Exponential`].
    Exponential(ExponentialConfig),
    /// [`LinearWarmup`].
    Linear(LinearConfig),
    /// [`Polynomial`].
    Polynomial(PolynomialConfig),
    /// [`CosineAnnealing`].
    Cosine(CosineConfig),
    /// [`CosineWarmRestarts`].
    CosineRestarts(CosineRestartsConfig),
    /// [`Cyclic`].
    Cyclic(CyclicConfig),
    /// [`OneCycle`].
    OneCycle(OneCycleConfig),
    /// [`Plateau`].
    Plateau(PlateauConfig),
}

/// What a range test offers a schedule: the chosen rule's suggestion and the bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoundRates {
    /// The rule whose suggestion is offered.
    pub method: Method,
    /// Its suggested lr, if it made one.
    pub suggestion: Option<f64>,
    /// `(base_lr, max_lr)` of the bounds rule, if it found them.
    pub bounds: Option<(f64, f64)>,
}

/// Which found rate a schedule took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateUse {
    /// The suggestion as the base lr.
    Lr(f64, Method),
    /// The suggestion as one-cycle's max_lr.
    MaxLr(f64, Method),
    /// The bounds as cyclic's base_lr and max_lr.
    Bounds(f64, f64),
}

impl RateUse {
    /// The rate the schedule peaks at or starts from: max_lr for cyclic and one-cycle, else lr.
    pub fn lr(&self) -> f64 {
        match *self {
            RateUse::Lr(lr, _) | RateUse::MaxLr(lr, _) | RateUse::Bounds(_, lr) => lr,
        }
    }
}

impl fmt::Display for RateUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateUse::Bounds(base, max) => {
                write!(f, "base_lr {base:.3e} and max_lr {max:.3e} from the bounds")
            }
            RateUse::MaxLr(v, m) => write!(f, "max_lr {v:.3e} from the {m} suggestion"),
            RateUse::Lr(v, m) => write!(f, "lr {v:.3e} from the {m} suggestion"),
        }
    }
}

/// The rule whose rate a schedule needed gave none.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("no {0} suggestion")]
pub struct MissingRate(pub String);

impl ScheduleConfig {
    /// The kind with PyTorch's defaults; `None` for the kinds with a setting that has no
    /// default (step, multistep, exponential, cosine-restarts).
    pub fn default_of(kind: ScheduleKind) -> Option<ScheduleConfig> {
        Some(match kind {
            ScheduleKind::Constant => ScheduleConfig::Constant(ConstantConfig::default()),
            ScheduleKind::Linear => ScheduleConfig::Linear(LinearConfig::default()),
            ScheduleKind::Polynomial => ScheduleConfig::Polynomial(PolynomialConfig::default()),
            ScheduleKind::Cosine => ScheduleConfig::Cosine(CosineConfig::default()),
            ScheduleKind::Cyclic => ScheduleConfig::Cyclic(CyclicConfig::default()),
            ScheduleKind::OneCycle => ScheduleConfig::OneCycle(OneCycleConfig::default()),
            ScheduleKind::Plateau => ScheduleConfig::Plateau(PlateauConfig::default()),
            ScheduleKind::Step
            | ScheduleKind::Multistep
            | ScheduleKind::Exponential
            | ScheduleKind::CosineRestarts => return None,
        })
    }

    /// Its kind.
    pub fn kind(&self) -> ScheduleKind {
        match self {
            ScheduleConfig::Constant(_) => ScheduleKind::Constant,
            ScheduleConfig::Step(_) => ScheduleKind::Step,
            ScheduleConfig::Multistep(_) => ScheduleKind::Multistep,
            ScheduleConfig::Exponential(_) => ScheduleKind::Exponential,
            ScheduleConfig::Linear(_) => ScheduleKind::Linear,
            ScheduleConfig::Polynomial(_) => ScheduleKind::Polynomial,
            ScheduleConfig::Cosine(_) => ScheduleKind::Cosine,
            ScheduleConfig::CosineRestarts(_) => ScheduleKind::CosineRestarts,
            ScheduleConfig::Cyclic(_) => ScheduleKind::Cyclic,
            ScheduleConfig::OneCycle(_) => ScheduleKind::OneCycle,
            ScheduleConfig::Plateau(_) => ScheduleKind::Plateau,
        }
    }

    /// Whether it is stepped once per epoch with the held-out loss (plateau) rather than once
    /// per optimizer step.
    pub fn per_epoch(&self) -> bool {
        matches!(self, ScheduleConfig::Plateau(_))
    }

    /// The schedule from the base rate `lr` (cyclic: the default base_lr; one-cycle: the default
    /// max_lr) for a run of `steps` optimizer steps (one-cycle's total_steps and cosine's t_max
    /// default to it).
    pub fn build(&self, lr: Option<f64>, steps: usize) -> Result<Box<dyn Schedule>, ScheduleError> {
        let kind = self.kind().name();
        let lr = || needs(kind, "lr", lr);
        Ok(match self {
            ScheduleConfig::Constant(c) => Box::new(c.build(lr()?)?),
            ScheduleConfig::Step(c) => Box::new(c.build(lr()?)?),
            ScheduleConfig::Multistep(c) => Box::new(c.build(lr()?)?),
            ScheduleConfig::Exponential(c) => Box::new(c.build(lr()?)?),
            ScheduleConfig::Linear(c) => Box::new(c.build(lr()?)?),
            ScheduleConfig::Polynomial(c) => Box::new(c.build(lr()?)?),
            ScheduleConfig::Cosine(c) => Box::new(c.build(lr()?, steps)?),
            ScheduleConfig::CosineRestarts(c) => Box::new(c.build(lr()?)?),
            ScheduleConfig::Cyclic(c) => Box::new(c.build(lr().ok())?),
            ScheduleConfig::OneCycle(c) => Box::new(c.build(lr().ok(), steps)?),
            ScheduleConfig::Plateau(c) => Box::new(c.build(lr()?)?),
        })
    }

    /// Checks the settings besides the rates and the run's length (each kind's `validate`).
    pub fn validate(&self) -> Result<(), ScheduleError> {
        match self {
            ScheduleConfig::Constant(c) => c.validate(),
            ScheduleConfig::Step(c) => c.validate(),
            ScheduleConfig::Multistep(c) => c.validate(),
            ScheduleConfig::Exponential(c) => c.validate(),
            ScheduleConfig::Linear(c) => c.validate(),
            ScheduleConfig::Polynomial(c) => c.validate(),
            ScheduleConfig::Cosine(c) => c.validate(),
            ScheduleConfig::CosineRestarts(c) => c.validate(),
            ScheduleConfig::Cyclic(c) => c.validate(),
            ScheduleConfig::OneCycle(c) => c.validate(),
            ScheduleConfig::Plateau(c) => c.validate(),
        }
    }

    /// Puts a finder's rates where this kind takes them — cyclic the bounds as (base_lr,
    /// max_lr), one-cycle the suggestion as max_lr, every other kind the suggestion as its lr —
    /// and returns the config with the base rate to build it from, and what was used.
    pub fn take_rates(
        &self,
        found: &FoundRates,
    ) -> Result<(ScheduleConfig, Option<f64>, RateUse), MissingRate> {
        let mut config = self.clone();
        if let ScheduleConfig::Cyclic(c) = &mut config {
            let (base, max) = found.bounds.ok_or(MissingRate("bounds".into()))?;
            c.base_lr = Some(base);
            c.max_lr = Some(max);
            return Ok((config, None, RateUse::Bounds(base, max)));
        }
        let value = found
            .suggestion
            .ok_or_else(|| MissingRate(found.method.name().into()))?;
        if let ScheduleConfig::OneCycle(c) = &mut config {
            c.max_lr = Some(value);
            return Ok((config, None, RateUse::MaxLr(value, found.method)));
        }
        Ok((config, Some(value), RateUse::Lr(value, found.method)))
    }
}

/// With the `clap` feature: a kind's settings as flags added to a command, and read back.
#[cfg(feature = "clap")]
impl ScheduleKind {
    /// Adds this kind's flags to `command`.
    pub fn augment(self, command: clap::Command) -> clap::Command {
        use clap::Args;
        match self {
            ScheduleKind::Constant => ConstantConfig::augment_args(command),
            ScheduleKind::Step => StepConfig::augment_args(command),
            ScheduleKind::Multistep => MultiStepConfig::augment_args(command),
            ScheduleKind::Exponential => ExponentialConfig::augment_args(command),
            ScheduleKind::Linear => LinearConfig::augment_args(command),
            ScheduleKind::Polynomial => PolynomialConfig::augment_args(command),
            ScheduleKind::Cosine => CosineConfig::augment_args(command),
            ScheduleKind::CosineRestarts => CosineRestartsConfig::augment_args(command),
            ScheduleKind::Cyclic => CyclicConfig::augment_args(command),
            ScheduleKind::OneCycle => OneCycleConfig::augment_args(command),
            ScheduleKind::Plateau => PlateauConfig::augment_args(command),
        }
    }

    /// This kind's settings from matches of a command [`ScheduleKind::augment`]ed with them.
    pub fn config_from(self, matches: &clap::ArgMatches) -> Result<ScheduleConfig, clap::Error> {
        use clap::FromArgMatches as F;
        Ok(match self {
            ScheduleKind::Constant => ScheduleConfig::Constant(F::from_arg_matches(matches)?),
            ScheduleKind::Step => ScheduleConfig::Step(F::from_arg_matches(matches)?),
            ScheduleKind::Multistep => ScheduleConfig::Multistep(F::from_arg_matches(matches)?),
            ScheduleKind::Exponential => ScheduleConfig::Exponential(F::from_arg_matches(matches)?),
            ScheduleKind::Linear => ScheduleConfig::Linear(F::from_arg_matches(matches)?),
            ScheduleKind::Polynomial => ScheduleConfig::Polynomial(F::from_arg_matches(matches)?),
            ScheduleKind::Cosine => ScheduleConfig::Cosine(F::from_arg_matches(matches)?),
            ScheduleKind::CosineRestarts => {
                ScheduleConfig::CosineRestarts(F::from_arg_matches(matches)?)
            }
            ScheduleKind::Cyclic => ScheduleConfig::Cyclic(F::from_arg_matches(matches)?),
            ScheduleKind::OneCycle => ScheduleConfig::OneCycle(F::from_arg_matches(matches)?),
            ScheduleKind::Plateau => ScheduleConfig::Plateau(F::from_arg_matches(matches)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_rates_go_where_each_kind_takes_them() {
        let found = FoundRates {
            method: Method::Valley,
            suggestion: Some(1e-3),
            bounds: Some((1e-4, 1e-2)),
        };
        let cyclic = ScheduleConfig::default_of(ScheduleKind::Cyclic).unwrap();
        let (c, lr, used) = cyclic.take_rates(&found).unwrap();
        assert_eq!((lr, used.lr()), (None, 1e-2));
        assert_eq!(c.build(lr, 10).unwrap().lr(), 1e-4);
        let one = ScheduleConfig::default_of(ScheduleKind::OneCycle).unwrap();
        let (c, lr, used) = one.take_rates(&found).unwrap();
        assert_eq!(
            used.to_string(),
            "max_lr 1.000e-3 from the valley suggestion"
        );
        assert!((c.build(lr, 100).unwrap().lr() - 1e-3 / 25.0).abs() < 1e-18);
        let (_, lr, _) = ScheduleConfig::default_of(ScheduleKind::Constant)
            .unwrap()
            .take_rates(&found)
            .unwrap();
        assert_eq!(lr, Some(1e-3));
        let none = FoundRates {
            suggestion: None,
            bounds: None,
            ..found
        };
        assert_eq!(
            cyclic.take_rates(&none).unwrap_err().to_string(),
            "no bounds suggestion"
        );
        assert_eq!(
            one.take_rates(&none).unwrap_err().to_string(),
            "no valley suggestion"
        );
    }

    #[test]
    fn a_missing_rate_is_named() {
        let e = ScheduleConfig::Step(StepConfig::new(3))
            .build(None, 10)
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "the step schedule needs lr");
        let e = ScheduleConfig::default_of(ScheduleKind::Cyclic)
            .unwrap()
            .build(Some(0.1), 10)
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "the cyclic schedule needs max_lr");
        let cosine = ScheduleConfig::default_of(ScheduleKind::Cosine).unwrap();
        let mut s = cosine.build(Some(1.0), 4).unwrap();
        for _ in 0..4 {
            s.step(None).unwrap();
        }
        assert!(
            s.lr().abs() < 1e-15,
            "t_max defaults to the run: {}",
            s.lr()
        );
    }

    #[test]
    fn settings_are_checked_without_a_rate() {
        let bad = [
            ScheduleConfig::Step(StepConfig::new(0)),
            ScheduleConfig::Cosine(CosineConfig {
                eta_min: -1.0,
                ..Default::default()
            }),
            ScheduleConfig::OneCycle(OneCycleConfig {
                pct_start: 1.5,
                ..Default::default()
            }),
            ScheduleConfig::Cyclic(CyclicConfig {
                base_momentum: 0.99,
                ..Default::default()
            }),
            ScheduleConfig::Plateau(PlateauConfig {
                factor: 2.0,
                ..Default::default()
            }),
        ];
        for config in bad {
            assert!(config.validate().is_err(), "{config:?}");
        }
        for kind in ScheduleKind::ALL {
            if let Some(config) = ScheduleConfig::default_of(kind) {
                config.validate().unwrap();
            }
        }
    }
}
