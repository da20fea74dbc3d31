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
        /// The epoch (from 1), when a trainer ran the step.
        epoch: Option<usize>,
        /// The step within the epoch (from 1), when a trainer ran it.
        step: Option<usize>,
    },
    /// A gradient came out NaN or infinite; nothing was updated.
    NonFiniteGradient {
        /// The epoch (from 1), when a trainer ran the step.
        epoch: Option<usize>,
        /// The step within the epoch (from 1), when a trainer ran it.
        step: Option<usize>,
    },
    /// The network's output for a row is NaN or infinite.
    NonFiniteOutput {
        /// The row's index in its batch or data set.
        row: usize,
    },
    /// A hyper-parameter that was refused.
    InvalidHyperParameter(InvalidHyperParameter),
    /// Something that needs at least one row has none.
    Empty {
        /// What is empty, e.g. `"the validation set"`.
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
            Error::NonFiniteLoss { loss, epoch, step } => {
                at_step(f, *epoch, *step)?;
                write!(
                    f,
                    "the loss is {loss}; parameters were not updated (try a smaller learning rate, or check the inputs for NaN)"
                )
            }
            Error::NonFiniteGradient { epoch, step } => {
                at_step(f, *epoch, *step)?;
                f.write_str("a gradient is NaN or infinite; parameters were not updated (try a smaller learning rate, or gradient clipping)")
            }
            Error::NonFiniteOutput { row } => {
                write!(f, "the network's output for row {row} is NaN or infinite")
            }
            Error::Empty { what } => write!(f, "{what} has no rows"),
            Error::InvalidHyperParameter(e) => fmt::Display::fmt(e, f),
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

impl From<InvalidHyperParameter> for Error {
    fn from(e: InvalidHyperParameter) -> Self {
        Error::InvalidHyperParameter(e)
    }
}

impl Error {
    /// The same error with the epoch and step of a training run filled in, where it has
    /// room for them (a non-finite loss or gradient).
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
            other => other,
        }
    }

    /// The same error with a row index counted `start` rows further, for an error found in
    /// a batch that starts at row `start` of its data set.
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

/// "epoch 3, step 17: " when both are known.
fn at_step(f: &mut fmt::Formatter<'_>, epoch: Option<usize>, step: Option<usize>) -> fmt::Result {
    match (epoch, step) {
        (Some(epoch), Some(step)) => write!(f, "epoch {epoch}, step {step}: "),
        _ => Ok(()),
    }
}

/// A hyper-parameter rejected when its holder was constructed.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidHyperParameter {
    /// The parameter, e.g. `"learning rate"`.
    pub name: &'static str,
    /// The value given.
    pub value: f64,
    /// What the value must be, e.g. `"a finite number greater than 0"`.
    pub expected: &'static str,
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
