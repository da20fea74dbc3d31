//! Named tensors: what a block of parameters or buffers holds, tensor by tensor, with
//! PyTorch's names (`hidden.weight`, `norm.running_mean`), roles and shapes.
//!
//! A block lists its tensors through [`Tensors::visit_tensors`]: each one's place in the
//! block's flat view and what it is. Optimizers use the roles (weight decay skips biases by
//! default), diagnostics and weight files use the names, and [`load_tensor`] copies a named
//! tensor in with its length and values checked.

use crate::io::{Name, Nearest};
use crate::{Error, Flat, Scalar};
use core::fmt;

/// What a tensor is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// A weight matrix (`dense.weight`): the only role weight decay touches by default.
    Weight,
    /// A bias added after a product (`dense.bias`).
    Bias,
    /// A per-feature scale (batch norm's γ, `norm.weight` in PyTorch).
    Scale,
    /// A per-feature shift (batch norm's β, `norm.bias` in PyTorch).
    Shift,
    /// A running statistic kept for evaluation (`norm.running_mean`, `norm.running_var`):
    /// a buffer, never trained.
    RunningStatistic,
}

impl Role {
    /// Whether tensors of this role are trained (have gradients and optimizer state).
    pub const fn is_trainable(self) -> bool {
        !matches!(self, Role::RunningStatistic)
    }
}

/// A tensor's dimensions, outermost first, as PyTorch reports them (`[out, in]` for a
/// dense layer's weight, `[out, in, kh, kw]` for a convolution's): rank 1 to 4.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    dims: [usize; 4],
    rank: usize,
}

impl Shape {
    /// A vector of `n` values.
    pub const fn vector(n: usize) -> Self {
        Shape {
            dims: [n, 1, 1, 1],
            rank: 1,
        }
    }

    /// A `rows`×`cols` matrix.
    pub const fn matrix(rows: usize, cols: usize) -> Self {
        Shape {
            dims: [rows, cols, 1, 1],
            rank: 2,
        }
    }

    /// A rank-4 tensor, such as a convolution's weight `[out, in, kh, kw]`.
    ///
    /// ```
    /// use typenet_core::tensors::Shape;
    /// let kernel = Shape::rank4([8, 1, 5, 5]);
    /// assert_eq!((kernel.len(), kernel.to_string()), (200, "[8, 1, 5, 5]".to_string()));
    /// ```
    pub const fn rank4(dims: [usize; 4]) -> Self {
        Shape { dims, rank: 4 }
    }

    /// The dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank]
    }

    /// The number of values: the product of the dimensions (unused ones are 1).
    pub const fn len(&self) -> usize {
        self.dims[0] * self.dims[1] * self.dims[2] * self.dims[3]
    }

    /// Whether the tensor holds no values.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.dims()).finish()
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, n) in self.dims().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        f.write_str("]")
    }
}

/// One tensor of a block: its name, role, shape and place in the block's flat view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// The layer's name in the network (`"hidden"`), or `""` for a layer's own block.
    pub layer: &'static str,
    /// The tensor's name within its layer, as PyTorch names it (`"weight"`, `"running_var"`).
    pub name: &'static str,
    /// What it is for.
    pub role: Role,
    /// Its dimensions.
    pub shape: Shape,
    /// Where it starts in the block's flat view.
    pub offset: usize,
}

impl TensorInfo {
    /// A tensor of a layer's own block.
    pub const fn new(name: &'static str, role: Role, shape: Shape, offset: usize) -> Self {
        TensorInfo {
            layer: "",
            name,
            role,
            shape,
            offset,
        }
    }

    /// The same tensor inside a network: under layer `layer`, whose block starts at `offset`.
    pub const fn in_layer(self, layer: &'static str, offset: usize) -> Self {
        TensorInfo {
            layer,
            offset: self.offset + offset,
            ..self
        }
    }

    /// Its range in the block's flat view.
    pub const fn range(&self) -> core::ops::Range<usize> {
        self.offset..self.offset + self.shape.len()
    }

    /// Whether its full name (`layer.name`) is `full`.
    pub fn is_named(&self, full: &str) -> bool {
        match full.split_once('.') {
            Some((layer, name)) => layer == self.layer && name == self.name,
            None => self.layer.is_empty() && full == self.name,
        }
    }
}

impl fmt::Display for TensorInfo {
    /// The PyTorch-style name: `hidden.weight`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.layer.is_empty() {
            f.write_str(self.name)
        } else {
            write!(f, "{}.{}", self.layer, self.name)
        }
    }
}

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
                "a finite number at least 0"
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
