//! The errors that user input can cause, each naming what is wrong and where.

use core::fmt;

/// Something that stopped a computation before it changed anything.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A class label outside `0..classes`.
    LabelOutOfRange {
        /// The label's position in its batch or data set.
        index: usize,
        /// The label found.
        label: usize,
        /// The number of classes the network outputs.
        classes: usize,
    },
    /// The loss came out NaN or infinite; the parameters were left as they were.
    NonFiniteLoss {
        /// The loss value (NaN or ±∞).
        loss: f64,
    },
    /// Two lists that must be as long as each other are not.
    LengthMismatch {
        /// What the lists are, e.g. `"features and labels"`.
        what: &'static str,
        /// The first list's length.
        left: usize,
        /// The second list's length.
        right: usize,
    },
    /// A tensor name that the network does not have.
    UnknownTensor,
    /// A tensor given with a number of values that is not its shape's.
    TensorLength {
        /// The tensor, with its name and shape.
        tensor: crate::tensors::TensorInfo,
        /// How many values were given.
        found: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LabelOutOfRange { index, label, classes } => write!(
                f,
                "label {label} at index {index} is out of range: the network has {classes} classes (0..{classes})"
            ),
            Error::NonFiniteLoss { loss } => write!(
                f,
                "the loss is {loss}; parameters were not updated (try a smaller learning rate, or check the inputs for NaN)"
            ),
            Error::LengthMismatch { what, left, right } => {
                write!(f, "{what} differ in length: {left} against {right}")
            }
            Error::UnknownTensor => f.write_str("the network has no tensor of that name"),
            Error::TensorLength { tensor, found } => write!(
                f,
                "tensor `{tensor}` has shape {} ({} values), but {found} values were given",
                tensor.shape,
                tensor.shape.len()
            ),
        }
    }
}

impl core::error::Error for Error {}

/// A hyper-parameter rejected when its holder was constructed.
///
/// ```
/// use typenet_core::{optim::Momentum, Number};
/// let err = Momentum::new(0.1f32, -0.1).unwrap_err();
/// assert_eq!(err.to_string(), "invalid momentum: -0.1 (expected a number in [0, 1))");
/// assert_eq!(err.value, Number::F32(-0.1));
/// assert_eq!(err.value_f64(), f64::from(-0.1f32));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidHyperParameter {
    /// The parameter, e.g. `"learning rate"`.
    pub name: &'static str,
    /// The value given, in its own type.
    pub value: Number,
    /// What the value must be, e.g. `"a finite number greater than 0"`.
    pub expected: &'static str,
}

impl InvalidHyperParameter {
    /// The value given, converted to `f64` (see [`Number::to_f64`]).
    pub fn value_f64(&self) -> f64 {
        self.value.to_f64()
    }
}

impl fmt::Display for InvalidHyperParameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}: {} (expected {})",
            self.name, self.value, self.expected
        )
    }
}

impl core::error::Error for InvalidHyperParameter {}

/// A number as it was given: an `f32`, an `f64` or a whole number. It prints in its own
/// type's shortest form that reads back to the same value, so an `f32` of `-0.1` prints
/// `-0.1`, not the `-0.10000000149011612` of its conversion to `f64`.
///
/// ```
/// use typenet_core::{Number, Scalar};
/// assert_eq!(Number::from(-0.1f32).to_string(), "-0.1");
/// assert_eq!(Number::from(f64::from(-0.1f32)).to_string(), "-0.10000000149011612");
/// assert_eq!(Number::from(0u64).to_string(), "0");
/// assert_eq!(0.25f64.to_number(), Number::F64(0.25));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A single-precision float.
    F32(f32),
    /// A double-precision float.
    F64(f64),
    /// A whole number, e.g. a count of steps.
    Integer(u64),
}

impl Number {
    /// The number as an `f64`: exact for floats and for whole numbers up to 2⁵³, rounded to
    /// the nearest `f64` beyond.
    ///
    /// ```
    /// use typenet_core::Number;
    /// assert_eq!(Number::F32(0.5).to_f64(), 0.5);
    /// assert_eq!(Number::Integer(7).to_f64(), 7.0);
    /// ```
    pub fn to_f64(self) -> f64 {
        match self {
            Number::F32(x) => f64::from(x),
            Number::F64(x) => x,
            Number::Integer(n) => n as f64,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Display` of f32 and f64 writes the shortest digits that round-trip in that type.
        match self {
            Number::F32(x) => fmt::Display::fmt(x, f),
            Number::F64(x) => fmt::Display::fmt(x, f),
            Number::Integer(n) => fmt::Display::fmt(n, f),
        }
    }
}

impl From<f32> for Number {
    fn from(x: f32) -> Self {
        Number::F32(x)
    }
}

impl From<f64> for Number {
    fn from(x: f64) -> Self {
        Number::F64(x)
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number::Integer(n)
    }
}

impl From<usize> for Number {
    fn from(n: usize) -> Self {
        // usize is at most 64 bits wide on every target Rust supports.
        Number::Integer(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::U4;
    use crate::layers::Dropout;
    use crate::optim::{Lbfgs, Momentum, Sgd};
    use std::string::{String, ToString};

    /// The message of `value`. (Tests link `std` even without the `std` feature.)
    fn message(value: &impl fmt::Display) -> String {
        value.to_string()
    }

    #[test]
    fn hyper_parameters_print_in_their_own_type() {
        let err = Momentum::new(0.1f32, -0.1).unwrap_err();
        assert_eq!(err.value, Number::F32(-0.1));
        assert_eq!(
            message(&err),
            "invalid momentum: -0.1 (expected a number in [0, 1))"
        );
        assert_eq!(err.value_f64(), -0.10000000149011612);
        let err = Momentum::new(0.1f64, -0.1).unwrap_err();
        assert_eq!(err.value, Number::F64(-0.1));
        assert_eq!(
            message(&err),
            "invalid momentum: -0.1 (expected a number in [0, 1))"
        );
        let err = Sgd::new(f32::NAN).unwrap_err();
        assert_eq!(
            message(&err),
            "invalid learning rate: NaN (expected a finite number greater than 0)"
        );
        let err = Sgd::new(f64::NEG_INFINITY).unwrap_err();
        assert_eq!(
            message(&err),
            "invalid learning rate: -inf (expected a finite number greater than 0)"
        );
        assert_eq!(message(&Number::F32(1e-7)), "0.0000001");
        assert_eq!(
            message(&Number::F32(3.4028235e38)),
            "340282350000000000000000000000000000000"
        );
        assert_eq!(message(&Number::Integer(0)), "0");
        // Counts print as whole numbers, and f64 hyper-parameters as f64.
        let err = Lbfgs::<f32>::new(1.0)
            .unwrap()
            .with_max_iter(0)
            .unwrap_err();
        assert_eq!(err.value, Number::Integer(0));
        assert_eq!(message(&err), "invalid max_iter: 0 (expected at least 1)");
        let err = Dropout::<U4>::try_new(1.1).unwrap_err();
        assert_eq!(
            message(&err),
            "invalid dropout probability: 1.1 (expected a number in [0, 1))"
        );
        assert_eq!(Number::from(12usize), Number::Integer(12));
        assert_eq!(Number::Integer(1 << 53).to_f64(), 9007199254740992.0);
    }
}
