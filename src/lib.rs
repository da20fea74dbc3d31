#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]

pub use typenet_core::*;

/// Declares a network whose shapes are types.
///
/// ```text
/// network! {
///     /// Doc comments and attributes go to the network struct.
///     pub struct Name<H> {                     // optional type parameters stand for widths
///         input: 64,                           // first: the width of one input row
///         hidden: dense(128), relu,            // `name: dense(out)`, then an optional activation
///         dense(H, init = xavier), tanh,       // unnamed layers are `dense1`, `dense2`, …
///         dense(H -> 10),                      // `in -> out` states the input width too
///         loss: softmax_cross_entropy,         // last: or `mean_squared_error`
///     }
/// }
/// ```
///
/// Activations are `relu`, `tanh` and `sigmoid`; initializers `lecun`, `xavier`,
/// `xavier_sigmoid`, `he` and `zeros` (the default follows the activation: He for `relu`,
/// Xavier for `tanh`, Xavier×4 for `sigmoid`, LeCun for none). A literal width becomes a
/// typenum number; inputs and outputs are native arrays such as `[[T; 64]; B]`.
///
/// It generates `Name<H, T = f32>` (the parameters), `NameGrads<H, T>` (an alias: gradients
/// have the network's type), `NameCache<H, const B: usize, T>` (activations and their
/// gradients for a batch of `B`), and the methods listed in the [crate documentation](crate).
///
/// Mistakes the macro can see stop the build at the offending layer:
///
/// ```compile_fail
/// typenet::network! {
///     struct Net {
///         input: 64,
///         hidden: dense(128), relu,
///         output: dense(100 -> 10), // error: layer `output` takes 100 inputs, but the layer before it, `hidden`, produces 128
///         loss: softmax_cross_entropy,
///     }
/// }
/// ```
///
/// and the types catch the rest, such as a batch of the wrong width:
///
/// ```compile_fail
/// use typenet::prelude::*;
/// network! { struct Net { input: 64, dense(10), loss: softmax_cross_entropy } }
/// let net = Net::<f32>::zeroed();
/// net.forward(&[[0.0f32; 63]; 4]); // expected an array with a size of 64, found one with a size of 63
/// ```
pub use typenet_macros::network;

/// The names most programs need: `use typenet::prelude::*;`.
pub mod prelude {
    pub use crate::dim::{Batch, Const};
    pub use crate::network;
    pub use crate::optim::{Optimizer, Sgd};
    pub use crate::{Error, Evaluation, Flat, Init, Matrix, Network, Scalar};
}

/// What the code that `network!` generates names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use typenet_core::dim::*;
    pub use typenet_core::layers::{Activation, Dense, Relu, Sigmoid, Tanh};
    pub use typenet_core::loss::{argmax, mean_squared_error, softmax_cross_entropy};
    pub use typenet_core::optim::Optimizer;
    pub use typenet_core::rand::Rng;
    pub use typenet_core::{batch_array, evaluate_in_batches};
    pub use typenet_core::{Error, Evaluation, Flat, Init, Matrix, Network, Scalar};
}
