//! The errors that user input can cause, each naming what is wrong and where.
//!
//! [`Error`] is the one error type of the crate: every fallible operation returns it or an
//! error that converts into it ([`InvalidHyperParameter`], and with `alloc`
//! [`DataError`](crate::data::DataError)), so `?` works across loading, construction and
//! training.
//!
//! # Invalid hyper-parameters
//! One policy: every constructor, builder or function that takes a hyper-parameter checks it
//! there and returns `Result<_, InvalidHyperParameter>` (or [`Error`]), changing nothing when
//! it refuses one. The only functions that panic on a hyper-parameter are the `const fn new`
//! of [`Dropout`](crate::layers::Dropout) and [`BatchNorm`](crate::layers::BatchNorm), which
//! the `network!` macro calls in constants with values it has already checked (a panic there
//! is a compile error); each is the documented twin of a `try_new` that returns the error.
//! Sizes given as types or const generics (a batch, an L-BFGS history size) are checked at
//! compile time instead.
//!
//! ```
//! use typenet_core::{optim::Sgd, Error};
//! fn setup() -> Result<Sgd<f32>, Error> {
//!     Ok(Sgd::new(-0.5)?) // an `InvalidHyperParameter`, converted by `?`
//! }
//! let err = setup().unwrap_err();
//! assert_eq!(err.to_string(), "invalid learning rate: -0.5 (expected a finite number greater than 0)");
//! assert!(matches!(err, Error::InvalidHyperParameter(ref e) if e.name == "learning rate"));
//! ```

use crate::io::Name;
use core::fmt;

/// Something that stopped a computation before it changed anything.
///
/// ```
/// use typenet_core::Error;
/// let err = Error::NonFiniteLoss { loss: f64::NAN, epoch: None, step: None }.at_step(3, 17);
/// assert_eq!(
///     err.to_string(),
///     "epoch 3, step 17: the loss is NaN; parameters were not updated \
///      (try a smaller learning rate, or check the inputs for NaN)"
/// );
/// ```
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
        /// The epoch, as the training loop counts them, if known (see [`Error::at_step`]).
        epoch: Option<usize>,
        /// The step within the epoch, as the training loop counts them, if known.
        step: Option<usize>,
    },
    /// A gradient came out NaN or infinite; the parameters were left as they were.
    NonFiniteGradient {
        /// The epoch, as the training loop counts them, if known (see [`Error::at_step`]).
        epoch: Option<usize>,
        /// The step within the epoch, as the training loop counts them, if known.
        step: Option<usize>,
    },
    /// Batch norm's running statistics would have become NaN or infinite (the batch's
    /// variance overflowed); they were left as they were, and nothing was updated.
    NonFiniteStatistics {
        /// The epoch, as the training loop counts them, if known (see [`Error::at_step`]).
        epoch: Option<usize>,
        /// The step within the epoch, as the training loop counts them, if known.
        step: Option<usize>,
    },
    /// A row index past the end of the rows given.
    RowOutOfRange {
        /// The index asked for.
        row: usize,
        /// How many rows there are.
        rows: usize,
    },
    /// The network's output for a row is NaN or infinite.
    NonFiniteOutput {
        /// The row, counting from 0 in the rows given.
        row: usize,
    },
    /// A value given as input is NaN or infinite.
    NonFiniteValue {
        /// What the value is, e.g. `"feature"` or `"target"`.
        what: &'static str,
        /// The row, counting from 0.
        row: usize,
        /// The value's position in its row, counting from 0.
        column: usize,
    },
    /// Something that needs at least one row has none.
    Empty {
        /// What has no rows, e.g. `"validation set"`.
        what: &'static str,
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
    UnknownTensor {
        /// The name given.
        name: Name,
        /// The network's tensor of the nearest name (by edit distance), if it has any.
        closest: Option<Name>,
    },
    /// Bytes viewed as a network are not as many as the network takes.
    ByteLength {
        /// The bytes the network takes, [`Network::NETWORK_BYTES`](crate::Network::NETWORK_BYTES).
        expected: usize,
        /// The bytes given.
        found: usize,
    },
    /// Bytes viewed as a network do not start at a multiple of its scalar's alignment.
    MisalignedBytes {
        /// The alignment the bytes need: 4 for `f32`, 8 for `f64`.
        alignment: usize,
        /// The bytes' address modulo that alignment.
        offset: usize,
    },
    /// A tensor given with a number of values that is not its shape's.
    TensorLength {
        /// The tensor, with its name and shape.
        tensor: crate::tensors::TensorInfo,
        /// How many values were given.
        found: usize,
    },
    /// A value that a tensor cannot hold: NaN or infinite, or a negative running variance.
    InvalidTensorValue {
        /// The tensor.
        tensor: Name,
        /// The value's position in the tensor (row-major), counting from 0.
        index: usize,
        /// The value.
        value: Number,
        /// What the value must be, e.g. `"a finite number"`.
        expected: &'static str,
    },
    /// A tensor the network (or checkpoint) has that the file does not.
    MissingTensor {
        /// The tensor.
        tensor: Name,
    },
    /// A tensor in the file that the network (or checkpoint) does not have.
    UnexpectedTensor {
        /// The file's name for it.
        tensor: Name,
        /// The nearest name the network has, by edit distance.
        closest: Option<Name>,
    },
    /// A tensor in the file with another shape than the network's.
    TensorShape {
        /// The tensor.
        tensor: Name,
        /// The network's shape.
        expected: crate::io::Dims,
        /// The file's shape.
        found: crate::io::Dims,
    },
    /// A tensor in the file of another element type than the network's.
    TensorDtype {
        /// The tensor.
        tensor: Name,
        /// The network's type (`F32` for an `f32` network).
        expected: crate::io::Dtype,
        /// The file's.
        found: crate::io::Dtype,
    },
    /// A file shorter than its header says it is.
    Truncated {
        /// The bytes it needs.
        needed: u64,
        /// The bytes it has.
        len: u64,
    },
    /// A safetensors header that is not the format's JSON.
    MalformedHeader {
        /// The byte of the file where reading stopped.
        at: usize,
        /// What should have been there.
        expected: &'static str,
    },
    /// A tensor whose place in the file's data is wrong.
    TensorData {
        /// The tensor.
        tensor: Name,
        /// Where its data begins, in bytes after the header.
        begin: u64,
        /// Where it ends.
        end: u64,
        /// What is wrong.
        problem: &'static str,
    },
    /// A buffer too short for what was to be written into it.
    BufferTooSmall {
        /// The bytes needed.
        needed: usize,
        /// The buffer's length.
        len: usize,
    },
    /// A value a checkpoint must hold (`step`, `optimizer.lr`) that it does not.
    MissingMetadata {
        /// The value's key.
        key: Name,
    },
    /// A checkpoint value that cannot be read or used.
    InvalidMetadata {
        /// The value's key.
        key: Name,
        /// What it must be.
        expected: &'static str,
    },
    /// A hyper-parameter rejected when its holder was constructed.
    InvalidHyperParameter(InvalidHyperParameter),
    /// A data set that could not be loaded or split.
    #[cfg(feature = "alloc")]
    Data(crate::data::DataError),
}

impl Error {
    /// The same error, with the epoch and step (as the training loop counts them) filled into
    /// [`NonFiniteLoss`](Error::NonFiniteLoss) and
    /// [`NonFiniteGradient`](Error::NonFiniteGradient) and
    /// [`NonFiniteStatistics`](Error::NonFiniteStatistics); any other error is returned as it
    /// is.
    ///
    /// ```
    /// use typenet_core::Error;
    /// let err = Error::NonFiniteGradient { epoch: None, step: None };
    /// assert_eq!(err.at_step(2, 5), Error::NonFiniteGradient { epoch: Some(2), step: Some(5) });
    /// let other = Error::Empty { what: "training set" };
    /// assert_eq!(other.clone().at_step(2, 5), other);
    /// ```
    #[must_use]
    pub fn at_step(self, epoch: usize, step: usize) -> Self {
        match self {
            Error::NonFiniteLoss { loss, .. } => Error::NonFiniteLoss {
                loss,
                epoch: Some(epoch),
                step: Some(step),
            },
            Error::NonFiniteGradient { .. } => Error::NonFiniteGradient {
                epoch: Some(epoch),
                step: Some(step),
            },
            Error::NonFiniteStatistics { .. } => Error::NonFiniteStatistics {
                epoch: Some(epoch),
                step: Some(step),
            },
            other => other,
        }
    }

    /// The same error with a row index counted `start` rows further, for an error found in
    /// a batch that starts at row `start` of its data set.
    ///
    /// ```
    /// use typenet_core::Error;
    /// let err = Error::NonFiniteOutput { row: 2 };
    /// assert_eq!(err.offset_rows(32), Error::NonFiniteOutput { row: 34 });
    /// ```
    #[must_use]
    pub fn offset_rows(self, start: usize) -> Self {
        match self {
            Error::LabelOutOfRange {
                index,
                label,
                classes,
            } => Error::LabelOutOfRange {
                index: index + start,
                label,
                classes,
            },
            Error::NonFiniteOutput { row } => Error::NonFiniteOutput { row: row + start },
            other => other,
        }
    }
}

/// Writes "epoch 3, step 17: ", "epoch 3: " or "step 17: ", or nothing when neither is known.
fn write_step(
    f: &mut fmt::Formatter<'_>,
    epoch: Option<usize>,
    step: Option<usize>,
) -> fmt::Result {
    match (epoch, step) {
        (Some(epoch), Some(step)) => write!(f, "epoch {epoch}, step {step}: "),
        (Some(epoch), None) => write!(f, "epoch {epoch}: "),
        (None, Some(step)) => write!(f, "step {step}: "),
        (None, None) => Ok(()),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LabelOutOfRange { index, label, classes } => write!(
                f,
                "label {label} at index {index} is out of range: the network has {classes} classes (0..{classes})"
            ),
            Error::NonFiniteLoss { loss, epoch, step } => {
                write_step(f, *epoch, *step)?;
                write!(
                    f,
                    "the loss is {loss}; parameters were not updated (try a smaller learning rate, or check the inputs for NaN)"
                )
            }
            Error::NonFiniteGradient { epoch, step } => {
                write_step(f, *epoch, *step)?;
                f.write_str(
                    "a gradient is NaN or infinite; parameters were not updated (try a smaller learning rate, or clip the gradients)",
                )
            }
            Error::NonFiniteStatistics { epoch, step } => {
                write_step(f, *epoch, *step)?;
                f.write_str(
                    "batch norm's running statistics would become NaN or infinite (the batch's values are too large); nothing was updated (check the inputs' scale)",
                )
            }
            Error::RowOutOfRange { row, rows } => {
                write!(f, "row {row} is out of range: there are {rows} rows (0..{rows})")
            }
            Error::NonFiniteOutput { row } => {
                write!(f, "the network's output for row {row} is NaN or infinite")
            }
            Error::NonFiniteValue { what, row, column } => write!(
                f,
                "{what} {column} of row {row} (counting from 0) is NaN or infinite"
            ),
            Error::Empty { what } => write!(f, "the {what} has no rows"),
            Error::LengthMismatch { what, left, right } => {
                write!(f, "{what} differ in length: {left} against {right}")
            }
            Error::UnknownTensor { name, closest } => {
                write!(f, "the network has no tensor `{name}`")?;
                write_closest(f, closest)
            }
            Error::InvalidTensorValue { tensor, index, value, expected } => write!(
                f,
                "value {index} (counting from 0) of tensor `{tensor}` is {value}, but must be {expected}"
            ),
            Error::MissingTensor { tensor } => {
                write!(f, "the file has no tensor `{tensor}`")
            }
            Error::UnexpectedTensor { tensor, closest } => {
                write!(f, "the file has a tensor `{tensor}` that the network does not have")?;
                write_closest(f, closest)
            }
            Error::TensorShape { tensor, expected, found } => write!(
                f,
                "tensor `{tensor}` has shape {found} in the file, but {expected} in the network"
            ),
            Error::TensorDtype { tensor, expected, found } => write!(
                f,
                "tensor `{tensor}` is {found} in the file, but must be {expected}"
            ),
            Error::Truncated { needed, len } => write!(
                f,
                "the file is truncated: it needs {needed} bytes but has {len}"
            ),
            Error::MalformedHeader { at, expected } => write!(
                f,
                "the file's header is not safetensors: expected {expected} at byte {at}"
            ),
            Error::TensorData { tensor, begin, end, problem } => write!(
                f,
                "tensor `{tensor}` has data offsets [{begin}, {end}]: {problem}"
            ),
            Error::BufferTooSmall { needed, len } => write!(
                f,
                "the buffer has {len} bytes, but {needed} are needed"
            ),
            Error::MissingMetadata { key } => {
                write!(f, "the checkpoint has no value `{key}`")
            }
            Error::InvalidMetadata { key, expected } => {
                write!(f, "the value `{key}` must be {expected}")
            }
            Error::ByteLength { expected, found } => write!(
                f,
                "the network takes {expected} bytes, but {found} bytes were given"
            ),
            Error::MisalignedBytes { alignment, offset } => write!(
                f,
                "the bytes must start at a multiple of {alignment}, but start {offset} bytes past one \
                 (keep them in a `#[repr(align({alignment}))]` wrapper)"
            ),
            Error::TensorLength { tensor, found } => write!(
                f,
                "tensor `{tensor}` has shape {} ({} values), but {found} values were given",
                tensor.shape,
                tensor.shape.len()
            ),
            Error::InvalidHyperParameter(e) => fmt::Display::fmt(e, f),
            #[cfg(feature = "alloc")]
            Error::Data(e) => fmt::Display::fmt(e, f),
        }
    }
}

/// " (did you mean `hidden.weight`?)" when there is a nearest name.
fn write_closest(f: &mut fmt::Formatter<'_>, closest: &Option<Name>) -> fmt::Result {
    match closest {
        Some(name) => write!(f, " (did you mean `{name}`?)"),
        None => Ok(()),
    }
}

impl core::error::Error for Error {
    /// A wrapped error's own source: the wrapper adds nothing to its message, so it is not a
    /// separate link in the chain.
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::InvalidHyperParameter(e) => e.source(),
            #[cfg(feature = "alloc")]
            Error::Data(e) => e.source(),
            _ => None,
        }
    }
}

impl From<InvalidHyperParameter> for Error {
    fn from(e: InvalidHyperParameter) -> Self {
        Error::InvalidHyperParameter(e)
    }
}

#[cfg(feature = "alloc")]
impl From<crate::data::DataError> for Error {
    fn from(e: crate::data::DataError) -> Self {
        Error::Data(e)
    }
}

/// A hyper-parameter rejected when its holder was constructed.
///
/// ```
/// use typenet_core::{optim::Momentum, Number};
/// let err = Momentum::new(0.1f32, -0.1).unwrap_err();
/// assert_eq!(err.to_string(), "invalid momentum: -0.1 (expected a number in [0, 1))");
/// assert_eq!(err.value, Number::F32(-0.1));
/// assert_eq!(err.value_f64(), f64::from(-0.1f32));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
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

    #[test]
    fn invalid_hyper_parameters_convert_and_print_unchanged() {
        let inner = Sgd::new(0.0f64).unwrap_err();
        let err = Error::from(inner);
        assert_eq!(err, Error::InvalidHyperParameter(inner));
        assert_eq!(message(&err), message(&inner));
        assert!(core::error::Error::source(&err).is_none());
        fn with_question_mark() -> Result<(), Error> {
            Sgd::new(-1.0f32)?;
            Ok(())
        }
        assert!(matches!(
            with_question_mark(),
            Err(Error::InvalidHyperParameter(InvalidHyperParameter {
                name: "learning rate",
                value: Number::F32(-1.0),
                ..
            }))
        ));
    }

    #[test]
    fn non_finite_errors_name_the_step_when_known() {
        let advice = "parameters were not updated (try a smaller learning rate, or check the inputs for NaN)";
        let loss = Error::NonFiniteLoss {
            loss: f64::INFINITY,
            epoch: None,
            step: None,
        };
        let text = message(&loss);
        assert_eq!(text.strip_prefix("the loss is inf; "), Some(advice));
        let text = message(&loss.clone().at_step(3, 17));
        let rest = text.strip_prefix("epoch 3, step 17: the loss is inf; ");
        assert_eq!(rest, Some(advice));
        let only_epoch = Error::NonFiniteLoss {
            loss: f64::NAN,
            epoch: Some(4),
            step: None,
        };
        let text = message(&only_epoch);
        assert!(text.starts_with("epoch 4: the loss is NaN; "));
        let only_step = Error::NonFiniteGradient {
            epoch: None,
            step: Some(9),
        };
        assert_eq!(
            message(&only_step),
            "step 9: a gradient is NaN or infinite; parameters were not updated (try a smaller learning rate, or clip the gradients)"
        );
        assert_eq!(
            only_step.at_step(1, 2),
            Error::NonFiniteGradient {
                epoch: Some(1),
                step: Some(2)
            }
        );
        // Errors without a step are returned unchanged.
        let output = Error::NonFiniteOutput { row: 5 };
        assert_eq!(output.clone().at_step(1, 2), output);
        assert_eq!(
            message(&output),
            "the network's output for row 5 is NaN or infinite"
        );
    }

    #[test]
    fn input_errors_say_what_and_where() {
        let value = Error::NonFiniteValue {
            what: "feature",
            row: 4,
            column: 2,
        };
        assert_eq!(
            message(&value),
            "feature 2 of row 4 (counting from 0) is NaN or infinite"
        );
        let empty = Error::Empty {
            what: "validation set",
        };
        assert_eq!(message(&empty), "the validation set has no rows");
    }
}
