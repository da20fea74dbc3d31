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
    /// A NaN or an infinity where a finite number is needed.
    NonFiniteValue {
        /// What holds the value, e.g. `"the training set"`.
        what: &'static str,
        /// The value's row, counting from 0.
        row: usize,
        /// The value's column, counting from 0.
        column: usize,
    },
    /// Nothing to compute from, where at least one row is needed.
    Empty {
        /// What is empty, e.g. `"the training set"`.
        what: &'static str,
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
            Error::NonFiniteValue { what, row, column } => write!(
                f,
                "{what} has a value that is NaN or infinite at row {row}, column {column} (counting from 0)"
            ),
            Error::Empty { what } => write!(f, "{what} is empty"),
        }
    }
}

impl core::error::Error for Error {}

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
