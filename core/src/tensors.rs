//! Named tensors: what a block of parameters or buffers holds, tensor by tensor, with
//! PyTorch's names (`hidden.weight`, `norm.running_mean`), roles and shapes.
//!
//! A block lists its tensors through [`Tensors::visit_tensors`]: each one's place in the
//! block's flat view and what it is. Optimizers use the roles (weight decay skips biases by
//! default), diagnostics and weight files use the names, and [`load_tensor`] copies a named
//! tensor in with its length and values checked.

use crate::error::Error;
use crate::flat::Flat;
use crate::io::{Name, Nearest};
use crate::scalar::Scalar;

pub use crate::tensor_info::{Role, Shape, TensorInfo};

/// A block made of named tensors: a layer's parameters or buffers, a network's.
///
/// ```
/// use typenet_core::{layers::DenseParams, tensors::{Role, Tensors}, dim::{U2, U3}};
/// let mut names = Vec::new();
/// DenseParams::<U2, U3, f32>::visit_tensors(&mut |t| names.push((t.name, t.role, t.offset)));
/// assert_eq!(names, [("weight", Role::Weight, 0), ("bias", Role::Bias, 6)]);
/// ```
pub trait Tensors<T: Scalar>: Flat<T> {
    /// Calls `visit` for each tensor, in the order they are laid out.
    fn visit_tensors(visit: &mut dyn FnMut(TensorInfo));

    /// The tensor named `name` (`"hidden.weight"`), if there is one.
    fn tensor_info(name: &str) -> Option<TensorInfo> {
        let mut found = None;
        Self::visit_tensors(&mut |t| {
            if found.is_none() && t.is_named(name) {
                found = Some(t);
            }
        });
        found
    }

    /// The values of the tensor named `name`.
    fn tensor(&self, name: &str) -> Option<&[T]> {
        Self::tensor_info(name).map(|t| &self.as_flat()[t.range()])
    }

    /// The values of the tensor named `name`, mutably.
    fn tensor_mut(&mut self, name: &str) -> Option<&mut [T]> {
        Self::tensor_info(name).map(|t| &mut self.as_flat_mut()[t.range()])
    }
}

/// A plain array is one tensor of weights named `values` (none when it is empty), so that
/// optimizers can be tried on arrays.
impl<T: Scalar, A: Flat<T>, const N: usize> Tensors<T> for [A; N] {
    fn visit_tensors(visit: &mut dyn FnMut(TensorInfo)) {
        if Self::LEN > 0 {
            visit(TensorInfo::new(
                "values",
                Role::Weight,
                Shape::vector(Self::LEN),
                0,
            ));
        }
    }
}

/// Lists the tensors of a block made of layers' blocks (a network's parameters or buffers),
/// one layer after another: each layer's tensors under its name, shifted to where its block
/// starts. The offset runs on from one layer to the next, so that the code `network!`
/// generates states each layer once instead of summing the sizes of all the layers before it.
///
/// ```
/// use typenet_core::{layers::DenseParams, tensors::{LayerTensors, Tensors}, dim::{U2, U3}};
/// let mut names = Vec::new();
/// let mut visit = |t: typenet_core::tensors::TensorInfo| names.push((t.to_string(), t.offset));
/// let mut layers = LayerTensors::new(&mut visit);
/// layers.layer::<DenseParams<U2, U3, f32>, f32>("hidden");
/// layers.layer::<DenseParams<U3, U2, f32>, f32>("out");
/// assert_eq!(
///     names,
///     [("hidden.weight".into(), 0), ("hidden.bias".into(), 6), ("out.weight".into(), 9), ("out.bias".into(), 15)]
/// );
/// ```
#[doc(hidden)]
pub struct LayerTensors<'v> {
    visit: &'v mut dyn FnMut(TensorInfo),
    offset: usize,
}

impl<'v> LayerTensors<'v> {
    /// Starts at offset 0, reporting every tensor to `visit`.
    pub fn new(visit: &'v mut dyn FnMut(TensorInfo)) -> Self {
        LayerTensors { visit, offset: 0 }
    }

    /// Visits the tensors of the next layer's block, of type `B`, under the name `layer`.
    pub fn layer<B: Tensors<T>, T: Scalar>(&mut self, layer: &'static str) {
        let (visit, offset) = (&mut *self.visit, self.offset);
        B::visit_tensors(&mut |t| visit(t.in_layer(layer, offset)));
        self.offset += B::LEN;
    }
}

/// Copies `values` into the tensor named `name` of `block`. A name the block does not have,
/// a length that is not the tensor's, or a value the tensor cannot hold (NaN or infinite,
/// a negative running variance) is an error, and nothing is written.
///
/// ```
/// use typenet_core::{layers::BatchNormBuffers, tensors::load_tensor, dim::U2, Error, Flat};
/// let mut buffers = BatchNormBuffers::<U2, f32>::zeroed();
/// load_tensor(&mut buffers, "running_var", &[1.0, 2.0])?;
/// let err = load_tensor(&mut buffers, "running_var", &[1.0, -2.0]).unwrap_err();
/// assert_eq!(err.to_string(), "value 1 (counting from 0) of tensor `running_var` is -2, but must be a finite number at least 0");
/// let err = load_tensor(&mut buffers, "running_vra", &[1.0, 2.0]).unwrap_err();
/// assert_eq!(err.to_string(), "the network has no tensor `running_vra` (did you mean `running_var`?)");
/// assert_eq!(buffers.running_var[1], 2.0);
/// # Ok::<(), Error>(())
/// ```
pub fn load_tensor<T: Scalar, B: Tensors<T>>(
    block: &mut B,
    name: &str,
    values: &[T],
) -> Result<(), Error> {
    let Some(info) = B::tensor_info(name) else {
        return Err(unknown_tensor(name, |visit| B::visit_tensors(visit)));
    };
    check_values(&info, values)?;
    block.as_flat_mut()[info.range()].copy_from_slice(values);
    Ok(())
}

/// Whether the tensor holds variances, which are never negative: batch norm's
/// `running_var`.
pub(crate) fn holds_variances(info: &TensorInfo) -> bool {
    info.role == Role::RunningStatistic && info.name == "running_var"
}

/// Checks `values` for the tensor `info`: its length, every value finite, and variances at
/// least 0.
pub(crate) fn check_values<T: Scalar>(info: &TensorInfo, values: &[T]) -> Result<(), Error> {
    if values.len() != info.shape.len() {
        return Err(Error::TensorLength {
            tensor: *info,
            found: values.len(),
        });
    }
    let variances = holds_variances(info);
    let bad = values
        .iter()
        .position(|&v| !v.is_finite() || (variances && v < T::ZERO));
    match bad {
        None => Ok(()),
        Some(index) => Err(Error::InvalidTensorValue {
            tensor: full_name(info),
            index,
            value: values[index].to_number(),
            expected: if variances {
                crate::validate::FINITE_NON_NEGATIVE
            } else {
                "a finite number"
            },
        }),
    }
}

/// The tensor's full name (`hidden.weight`) as an error holds it.
fn full_name(info: &TensorInfo) -> Name {
    let dot = if info.layer.is_empty() { "" } else { "." };
    Name::from_parts(&[info.layer, dot, info.name])
}

/// [`Error::UnknownTensor`] for `name`, with the nearest of the tensors `visit` shows.
pub(crate) fn unknown_tensor(name: &str, visit: impl FnOnce(&mut dyn FnMut(TensorInfo))) -> Error {
    let mut nearest = Nearest::new(name);
    visit(&mut |t| nearest.offer(full_name(&t)));
    Error::UnknownTensor {
        name: Name::new(name),
        closest: nearest.best(),
    }
}
