//! What one tensor is: its name, role, shape and place in a block. A leaf of the crate (it
//! needs only `core`), so that errors can name a tensor without depending on the blocks
//! that hold tensors; [`tensors`](crate::tensors) re-exports it.

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
