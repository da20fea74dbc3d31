//! The checks of hyper-parameters, in one place: each returns `Ok(())` or the
//! [`InvalidHyperParameter`] that names the value, prints it in its own type and states the
//! rule, so that every constructor rejects bad input with the same words.

use crate::error::{InvalidHyperParameter, Number};
use crate::scalar::Scalar;

/// What a value must be for [`finite_positive`].
pub(crate) const FINITE_POSITIVE: &str = "a finite number greater than 0";
/// What a value must be for [`finite_non_negative`].
pub(crate) const FINITE_NON_NEGATIVE: &str = "a finite number at least 0";

/// `Ok(())` when `ok`, else the error naming the hyper-parameter, its value and the rule.
/// The value is kept in its own type, so that it prints as given.
pub(crate) fn check<T: Scalar>(
    name: &'static str,
    value: T,
    ok: bool,
    expected: &'static str,
) -> Result<(), InvalidHyperParameter> {
    check_number(name, value.to_number(), ok, expected)
}

/// [`check`] for a count, e.g. a number of steps.
pub(crate) fn check_count(
    name: &'static str,
    count: impl Into<Number>,
    ok: bool,
    expected: &'static str,
) -> Result<(), InvalidHyperParameter> {
    check_number(name, count.into(), ok, expected)
}

fn check_number(
    name: &'static str,
    value: Number,
    ok: bool,
    expected: &'static str,
) -> Result<(), InvalidHyperParameter> {
    if ok {
        Ok(())
    } else {
        Err(rejected(name, value, expected))
    }
}

/// The error for the hyper-parameter `name`, whose `value` is not `expected`.
pub(crate) fn rejected(
    name: &'static str,
    value: Number,
    expected: &'static str,
) -> InvalidHyperParameter {
    InvalidHyperParameter {
        name,
        value,
        expected,
    }
}

/// A rate, a size or a tolerance that must be finite and greater than 0 (a learning rate,
/// an ε, a clipping limit).
pub(crate) fn finite_positive<T: Scalar>(
    name: &'static str,
    value: T,
) -> Result<(), InvalidHyperParameter> {
    check(
        name,
        value,
        value.is_finite() && value > T::ZERO,
        FINITE_POSITIVE,
    )
}

/// A strength, a rate or a tolerance that must be finite and at least 0 (a weight decay, a
/// minimum improvement).
pub(crate) fn finite_non_negative<T: Scalar>(
    name: &'static str,
    value: T,
) -> Result<(), InvalidHyperParameter> {
    check(
        name,
        value,
        value.is_finite() && value >= T::ZERO,
        FINITE_NON_NEGATIVE,
    )
}

/// A count that must be at least 1 (a period, a number of steps).
pub(crate) fn at_least_one(name: &'static str, count: u64) -> Result<(), InvalidHyperParameter> {
    check_count(name, count, count > 0, "at least 1")
}

/// A learning rate: finite and greater than 0.
pub(crate) fn learning_rate<T: Scalar>(lr: T) -> Result<(), InvalidHyperParameter> {
    finite_positive("learning rate", lr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn each_rule_names_the_value_in_its_own_type() {
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            let err = finite_positive("eps", bad).unwrap_err();
            assert_eq!((err.name, err.expected), ("eps", FINITE_POSITIVE));
        }
        assert!(finite_positive("eps", f64::MIN_POSITIVE).is_ok());
        for bad in [-1e-300, f64::NAN, f64::NEG_INFINITY, f64::INFINITY] {
            let err = finite_non_negative("weight decay", bad).unwrap_err();
            assert_eq!(err.expected, FINITE_NON_NEGATIVE);
        }
        assert!(finite_non_negative("weight decay", 0.0f32).is_ok());
        assert_eq!(
            learning_rate(-0.1f32).unwrap_err().to_string(),
            "invalid learning rate: -0.1 (expected a finite number greater than 0)"
        );
        assert_eq!(
            at_least_one("T_max", 0).unwrap_err().to_string(),
            "invalid T_max: 0 (expected at least 1)"
        );
        assert!(at_least_one("T_max", 1).is_ok());
    }
}
