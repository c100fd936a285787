//! Every schedule kind with its settings ([`ScheduleConfig`]). With the `clap` feature each kind's settings are
//! command-line flags (`lrfind schedule` and `lrfind train` derive theirs from here).

use super::*;
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
