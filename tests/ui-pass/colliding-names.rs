//! Names that the generated code also uses, or that shadow what it names, cannot change it:
//! width parameters named like its arguments and locals, networks named like its scalar
//! parameter or a primitive, primitives and single-letter types redefined in the module,
//! a width parameter named like its network, and layer names that are keywords.
#![allow(non_camel_case_types, non_upper_case_globals, dead_code)]

use rand::SeedableRng;
use typenet::prelude::*;

/// Width parameters named like the arguments and locals of the generated methods.
mod arguments {
    use typenet::prelude::*;

    network! {
        pub struct Net<rng, x, cache, scratch, mode, grads, visit, f, t, tensors, debug> {
            input: 2,
            dense(rng), relu, dense(x), relu, dense(cache), relu, dense(scratch), dense(mode),
            dense(grads), dense(visit), dense(f), dense(t), dense(tensors), dense(debug),
            dropout(0.5),
            dense(2),
            loss: softmax_cross_entropy,
        }
    }
}

/// Constants named like the arguments, used in options.
mod options {
    use typenet::prelude::*;

    const x: f64 = 0.5;
    const cache: f64 = 0.25;

    network! {
        pub struct Net { input: 2, dense(3), dropout(x), norm: batch_norm(momentum = cache), dense(2), loss: mean_squared_error }
    }
}

/// A network named like the scalar parameter, another named like a primitive.
mod scalar {
    use typenet::prelude::*;

    network! {
        pub struct T { input: 2, dense(3), loss: mean_squared_error }
    }

    network! {
        pub struct f32 { input: 2, dense(3), loss: softmax_cross_entropy }
    }
}

/// Primitives and single-letter types redefined where the network is declared, and a width
/// parameter named like its network.
mod shadowed {
    use typenet::prelude::*;

    type usize = u8;
    type f32 = u16;
    pub struct B;
    pub struct H;
    pub struct M;

    network! {
        pub struct Net<H> { input: 2, dense(H), norm: batch_norm, dense(2), loss: softmax_cross_entropy }
    }

    network! {
        pub struct W<W> { input: 2, dense(W), loss: mean_squared_error }
    }
}

network! {
    /// Layer names that are keywords: `gen` (from edition 2024 on), and `type` written raw.
    struct Keywords { input: 2, gen: dense(3), relu, r#type: dense(2), loss: mean_squared_error }
}

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let x = [[0.5, -0.5], [1.0, 0.25]];

    let mut net = arguments::Net::<3, 4, 5, 13, 6, 7, 8, 9, 10, 11, 12>::new(&mut rng);
    let mut training =
        Training::<arguments::Net<3, 4, 5, 13, 6, 7, 8, 9, 10, 11, 12>, _, 2>::new(Sgd::new(0.1).unwrap());
    training.step(&mut net, &x, &[0, 1], &mut rng).unwrap();
    assert!(format!("{net:?}").contains("dropout1: dropout(p = 0.5)"));
    let mut scratch =
        typenet::InferenceScratch::<arguments::Net<3, 4, 5, 13, 6, 7, 8, 9, 10, 11, 12>, 2>::zeroed();
    assert_eq!(net.infer(&x, &mut scratch), &net.forward(&x));

    let net = options::Net::<f64>::new(&mut rng);
    assert!(format!("{net:?}").contains("dropout1: dropout(p = 0.5), norm: batch_norm"));

    let t = scalar::T::<f64>::new(&mut rng);
    assert_eq!(t.forward(&[[0.0; 2]]).len(), 1);
    let f = scalar::f32::<f32>::new(&mut rng);
    assert_eq!(f.predict(&x).unwrap().len(), 2);
    assert!(format!("{f:?}").starts_with("f32 {"));

    let mut net = shadowed::Net::<4>::new(&mut rng);
    let mut training = Training::<shadowed::Net<4>, _, 2>::new(Sgd::new(0.1).unwrap());
    training.step(&mut net, &x, &[1, 0], &mut rng).unwrap();
    assert_eq!(<shadowed::Net<4> as Network<f32>>::MIN_TRAINING_BATCH, 2);
    let w = shadowed::W::<5>::zeroed();
    assert_eq!(w.forward(&x), [[0.0; 5]; 2]);

    // PyTorch's names, without `r#`.
    let net = Keywords::<f32>::new(&mut rng);
    let mut names = Vec::new();
    net.visit_tensors(|t, _| names.push(t.to_string()));
    assert_eq!(names, ["gen.weight", "gen.bias", "type.weight", "type.bias"]);
    assert!(net.tensor("type.bias").is_some());
    let debug = format!("{net:?}");
    assert!(debug.starts_with("Keywords { gen: dense 2 → 3"), "{debug}");
    assert!(debug.contains(", type: dense 3 → 2"), "{debug}");
}
