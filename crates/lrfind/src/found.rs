//! What a range test found, as a schedule takes it: the bridge from the finder's rates to
//! [`lrfind_schedule`]'s settings ([`TakeRates::take_rates`]).

use crate::Method;
use lrfind_schedule::ScheduleConfig;
use std::fmt;

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

/// A schedule's settings that take a finder's rates.
pub trait TakeRates: Sized {
    /// Puts a finder's rates where this kind takes them — cyclic the bounds as (base_lr,
    /// max_lr), one-cycle the suggestion as max_lr, every other kind the suggestion as its lr —
    /// and returns the config with the base rate to build it from, and what was used.
    fn take_rates(&self, found: &FoundRates) -> Result<(Self, Option<f64>, RateUse), MissingRate>;
}

impl TakeRates for ScheduleConfig {
    fn take_rates(
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

#[cfg(test)]
mod tests {
    use super::*;
    use lrfind_schedule::ScheduleKind;

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
}
