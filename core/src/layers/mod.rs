//! Layers: [`Dense`] holds parameters; the activations are elementwise and parameter-free.
//!
//! Every layer has its forward pass and, right after it, its backward pass; the network
//! macro chains them. Activations work in place and differentiate from their *output*, so a
//! network keeps one buffer per activation and no copy of the pre-activation.

mod dense;
mod relu;
mod sigmoid;
mod tanh;

pub use dense::Dense;
pub use relu::Relu;
pub use sigmoid::Sigmoid;
pub use tanh::Tanh;

use crate::{Init, Scalar};

/// An elementwise activation function y = f(x).
pub trait Activation {
    /// The initializer that suits the weights of the dense layer feeding this activation.
    const INIT: Init;

    /// `x ← f(x)`, in place.
    fn forward<T: Scalar>(x: &mut [T]);

    /// `dy ← dy ⊙ f′(x)`, computed from the output `y = f(x)` of [`forward`](Self::forward).
    fn backward<T: Scalar>(y: &[T], dy: &mut [T]);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::Activation;
    use crate::dim::*;
    use crate::gradcheck::{test_weights, weighted_sum, GradCheck};
    use crate::{Flat, Matrix};

    /// Checks an activation's backward pass against central differences at `x`, with the
    /// loss Σ cₖ·f(x)ₖ.
    pub fn check_activation<A: Activation>(x: [[f64; 4]; 3]) {
        let mut x: Matrix<U3, U4, f64> = x.cast_ref::<Matrix<U3, U4, f64>>().clone();
        let c: Matrix<U3, U4, f64> = test_weights(3);
        let mut y = x.clone();
        A::forward(y.as_mut_slice());
        let mut dx = c.clone();
        A::backward(y.as_slice(), dx.as_mut_slice());
        let loss = |x: &Matrix<U3, U4, f64>| {
            let mut y = x.clone();
            A::forward(y.as_mut_slice());
            weighted_sum(&c, &y)
        };
        GradCheck::F64.run(&mut x, &dx, loss).unwrap();
    }
}
