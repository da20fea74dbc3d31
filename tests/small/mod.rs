//! The problem every optimizer parity test trains on (`small_setup` in fixtures/generate.py):
//! the network `Small`, PyTorch's initial parameters and the batch, in f64 and f32. Shared by
//! tests/optimizer_parity.rs and tests/lbfgs_parity.rs.

use crate::common::Tolerance;
use typenet::prelude::*;

/// The fixtures of pytorch_optim.rs: the shared problem here, every run's trajectory for
/// optimizer_parity.rs.
#[allow(dead_code)] // lbfgs_parity.rs reads only the problem
pub mod fixtures {
    include!("../fixtures/pytorch_optim.rs");
}

use fixtures::*;

network! {
    /// `Small` in fixtures/generate.py: 43 parameters.
    pub struct Small {
        input: 4,
        l1: dense(5), tanh,
        l2: dense(3),
        loss: softmax_cross_entropy,
    }
}

/// The rows of the batch.
pub const ROWS: usize = 6;
/// The steps of every run.
pub const STEPS: usize = 5;
/// The parameters of `Small`, flat: l1.weight, l1.bias, l2.weight, l2.bias.
pub const PARAMETERS: usize = 43;

/// The problem in one precision (its name, for messages, is [`Scalar::NAME`]).
pub trait Problem: Scalar {
    /// How close typenet must come to PyTorch in this precision.
    const TOL: Tolerance;
    const X: [[Self; 4]; ROWS];
    const W1: [[Self; 4]; 5];
    const B1: [Self; 5];
    const W2: [[Self; 5]; 3];
    const B2: [Self; 3];
}

impl Problem for f64 {
    const TOL: Tolerance = Tolerance::F64;
    const X: [[f64; 4]; ROWS] = OPT_X_F64;
    const W1: [[f64; 4]; 5] = OPT_W1_F64;
    const B1: [f64; 5] = OPT_B1_F64;
    const W2: [[f64; 5]; 3] = OPT_W2_F64;
    const B2: [f64; 3] = OPT_B2_F64;
}

impl Problem for f32 {
    const TOL: Tolerance = Tolerance::F32;
    const X: [[f32; 4]; ROWS] = OPT_X_F32;
    const W1: [[f32; 4]; 5] = OPT_W1_F32;
    const B1: [f32; 5] = OPT_B1_F32;
    const W2: [[f32; 5]; 3] = OPT_W2_F32;
    const B2: [f32; 3] = OPT_B2_F32;
}

/// `Small` with PyTorch's initial parameters.
pub fn initial<T: Problem>() -> Small<T> {
    let mut net = Small::<T>::zeroed();
    net.load_tensor("l1.weight", T::W1.as_flattened()).unwrap();
    net.load_tensor("l1.bias", &T::B1).unwrap();
    net.load_tensor("l2.weight", T::W2.as_flattened()).unwrap();
    net.load_tensor("l2.bias", &T::B2).unwrap();
    let initial = [T::W1.as_flattened(), &T::B1, T::W2.as_flattened(), &T::B2].concat();
    assert_eq!(net.params.as_flat(), initial, "the flat order of `Small`");
    net
}
