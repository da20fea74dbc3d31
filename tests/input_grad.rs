//! The gradient with respect to a network's input: checked against central differences on
//! the inputs for every kind of layer, in training and in evaluation, in f64 and f32 and for
//! a generic width; the same parameter gradients as without it; and a step along its sign
//! (the fast gradient sign method) raises the loss.

use rand::rngs::StdRng;
use rand::SeedableRng;
use typenet::gradcheck::{GradCheck, GradReport};
use typenet::prelude::*;

network! {
    /// Every kind of layer behind a dense first layer.
    struct Every {
        input: 6,
        hidden: dense(12),
        norm: batch_norm,
        relu,
        dropout(0.5),
        second: dense(12 -> 8),
        tanh,
        third: dense(5),
        sigmoid,
        output: dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Batch norm first: the input's gradient goes through the batch's statistics.
    struct NormFirst {
        input: 5,
        norm: batch_norm,
        tanh,
        dense(4),
        loss: mean_squared_error,
    }
}

network! {
    /// Dropout first, then an activation.
    struct DropFirst {
        input: 5,
        drop: dropout(0.3),
        sigmoid,
        dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// The hidden width is a type parameter.
    struct Generic<H> {
        input: 4,
        dense(H), relu,
        out: dense(H -> 3),
        loss: softmax_cross_entropy,
    }
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Inputs spread over [-1, 1), fixed by a seed.
fn inputs<T: Scalar, const B: usize, const W: usize>(seed: u64) -> [[T; W]; B]
where
    [[T; W]; B]: Flat<T>,
{
    typenet::gradcheck::test_weights(seed)
}

/// Which pass the gradient is taken in.
#[derive(Clone, Copy, Debug)]
enum Pass {
    /// Training mode; every evaluation of the loss re-seeds the source, so dropout draws the
    /// same mask each time.
    Training,
    Evaluation,
}

/// dL/dx from the entry point of `pass`, and the loss in that pass as a function of `x`.
fn input_grad<N: Network<T>, T: Scalar, const B: usize>(
    net: &mut N,
    x: &[N::InputRow; B],
    targets: &[N::Target; B],
    pass: Pass,
) -> [N::InputRow; B]
where
    Const<B>: Batch,
{
    let mut dx = <[N::InputRow; B]>::zeroed();
    dx.as_flat_mut().fill(T::from_f64(7.0)); // overwritten, not added to
    let mut cache = N::Cache::<B>::zeroed();
    let mut grads = N::Params::zeroed();
    match pass {
        Pass::Training => {
            net.loss_and_grad_with_input(x, targets, &mut cache, &mut grads, &mut dx, &mut rng(9))
        }
        Pass::Evaluation => {
            net.eval_loss_and_grad_with_input(x, targets, &mut cache, &mut grads, &mut dx)
        }
    }
    .unwrap();
    dx
}

/// Checks dL/dx against central differences of the loss in the same mode, one input at a
/// time; returns the gradient with the check's report.
fn check_input_grad<N: Network<f64>, const B: usize>(
    net: &mut N,
    x: [N::InputRow; B],
    targets: &[N::Target; B],
    pass: Pass,
) -> ([N::InputRow; B], GradReport)
where
    Const<B>: Batch,
{
    let mut x = x;
    let dx = input_grad(net, &x, targets, pass);
    let mut cache = N::Cache::<B>::zeroed();
    let report = match pass {
        Pass::Training => net.check_input_gradients(GradCheck::F64, &mut x, &dx, |net, x| {
            net.training_loss(x, targets, &mut cache, &mut rng(9))
                .unwrap()
        }),
        Pass::Evaluation => net.check_input_gradients(GradCheck::F64, &mut x, &dx, |net, x| {
            net.loss(x, targets).unwrap()
        }),
    };
    let report = report.unwrap_or_else(|e| panic!("{pass:?}: {e}"));
    eprintln!(
        "{pass:?}: {} inputs, largest relative error {:.1e}",
        report.checked, report.max_relative_error
    );
    (dx, report)
}

/// The f32 network's dL/dx against the f64 network's (checked by differences, which in f32
/// drown in rounding), within 1e-4 of the largest magnitude.
fn assert_close_to_f64(f32: &[f32], f64: &[f64]) {
    let scale = f64.iter().fold(1e-6f64, |m, v| m.max(v.abs()));
    let mut worst = 0.0f64;
    for (i, (&a, &b)) in f32.iter().zip(f64).enumerate() {
        let off = (f64::from(a) - b).abs() / scale;
        assert!(off < 1e-4, "[{i}]: f32 {a}, f64 {b}, {off:.1e} off");
        worst = worst.max(off);
    }
    eprintln!("f32 against f64: largest difference {worst:.1e} of the largest magnitude");
}

/// A network of the other scalar with the same values: every parameter and buffer cast.
fn cast_network<A: Flat<f64>, B: Flat<f32>>(net: &A) -> B {
    let mut out = B::zeroed();
    for (o, &v) in out.as_flat_mut().iter_mut().zip(net.as_flat()) {
        *o = v as f32;
    }
    out
}

/// A network whose batch norm has running statistics of its own, and dropout with p = 0.5.
fn every() -> Every<f64> {
    let mut net = Every::<f64>::new(&mut rng(1));
    net.buffers.norm.running_mean = typenet::gradcheck::test_weights(2);
    net.buffers.norm.running_var.fill(0.6);
    net
}

#[test]
fn every_layer_passes_the_input_gradient_check_in_training_and_evaluation() {
    let labels = [0, 2, 1, 1, 0, 2];
    for pass in [Pass::Training, Pass::Evaluation] {
        let (_, report) = check_input_grad(&mut every(), inputs(3), &labels, pass);
        assert_eq!(report.checked, 6 * 6);
    }
}

#[test]
fn a_first_batch_norm_or_dropout_passes_the_input_gradient_check_in_f64_and_f32() {
    let targets: [[f64; 4]; 4] = inputs(4);
    let targets32 = targets.map(|row| row.map(|v| v as f32));
    let labels = [2, 0, 1, 1];
    let (x, x_drop) = (inputs::<f64, 4, 5>(6), inputs::<f64, 4, 5>(8));
    let (x32, x_drop32) = (
        x.map(|r| r.map(|v| v as f32)),
        x_drop.map(|r| r.map(|v| v as f32)),
    );
    for pass in [Pass::Training, Pass::Evaluation] {
        let mut norm = NormFirst::<f64>::new(&mut rng(5));
        norm.buffers.norm.running_var.fill(1.7);
        let mut norm32: NormFirst<f32> = cast_network(&norm);
        let (dx, _) = check_input_grad(&mut norm, x, &targets, pass);
        let dx32 = input_grad(&mut norm32, &x32, &targets32, pass);
        assert_close_to_f64(dx32.as_flattened(), dx.as_flattened());

        let mut drop = DropFirst::<f64>::new(&mut rng(7));
        let mut drop32: DropFirst<f32> = cast_network(&drop);
        let (dx, _) = check_input_grad(&mut drop, x_drop, &labels, pass);
        let dx32 = input_grad(&mut drop32, &x_drop32, &labels, pass);
        assert_close_to_f64(dx32.as_flattened(), dx.as_flattened());
    }
}

#[test]
fn a_generic_network_passes_the_input_gradient_check() {
    let mut net = Generic::<16, f64>::new(&mut rng(5));
    let (_, report) = check_input_grad(&mut net, inputs(6), &[2, 0, 1], Pass::Training);
    assert_eq!(report.checked, 3 * 4);
}

/// Asking for the input's gradient changes nothing else: the loss and the parameters'
/// gradients are those of `loss_and_grad`, bit for bit.
#[test]
fn the_parameter_gradients_are_the_same_with_or_without_it() {
    let x = inputs::<f64, 6, 6>(3);
    let labels = [0, 2, 1, 1, 0, 2];
    let (mut plain, mut asked) = (every(), every());
    let mut cache = EveryCache::<6, f64>::zeroed();
    let (mut grads, mut grads_asked) = (EveryGrads::<f64>::zeroed(), EveryGrads::zeroed());
    let mut dx = [[0.0; 6]; 6];
    let loss = plain
        .loss_and_grad(&x, &labels, &mut cache, &mut grads, &mut rng(4))
        .unwrap();
    let loss_asked = asked
        .loss_and_grad_with_input(
            &x,
            &labels,
            &mut cache,
            &mut grads_asked,
            &mut dx,
            &mut rng(4),
        )
        .unwrap();
    assert_eq!(loss.to_bits(), loss_asked.to_bits());
    let bits = |g: &EveryGrads<f64>| g.as_flat().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&grads), bits(&grads_asked));
    assert_eq!(plain.as_flat(), asked.as_flat()); // the same running statistics
    assert!(dx.as_flattened().iter().all(|v| v.is_finite() && *v != 0.0));
}

/// The gradient of one class's score, as a saliency map takes it: a one-hot gradient of the
/// output written into the cache, then the backward pass.
#[test]
fn a_written_output_gradient_gives_the_gradient_of_a_score() {
    let net = Generic::<8, f64>::new(&mut rng(2));
    let mut x = inputs::<f64, 2, 4>(3);
    let mut cache = GenericCache::<8, 2, f64>::zeroed();
    let (mut grads, mut dx) = (GenericGrads::<8, f64>::zeroed(), [[0.0; 4]; 2]);
    net.forward_with(&x, &mut cache);
    let score_grad = cache.out.grad.as_flat_mut();
    score_grad.fill(0.0);
    score_grad[1] = 1.0; // row 0, class 1
    net.backward_with_input_grad(&x, &mut cache, &mut grads, &mut dx);
    let mut net = net;
    net.check_input_gradients(GradCheck::F64, &mut x, &dx, |net, x| net.forward(x)[0][1])
        .unwrap();
    assert_eq!(dx[1], [0.0; 4], "row 1 does not reach row 0's score");
}

/// The fast gradient sign method: a step of ε along sign(dL/dx) raises the loss of a trained
/// classifier, and a step against it lowers it.
#[test]
fn a_step_along_the_sign_of_the_input_gradient_raises_the_loss() {
    let mut net = Every::<f32>::new(&mut rng(11));
    let x = inputs::<f32, 8, 6>(12);
    let labels = [0, 1, 2, 0, 1, 2, 0, 1];
    let mut training = Training::<Every<f32>, _, 8, f32>::new(Sgd::new(0.5).unwrap());
    for _ in 0..50 {
        training.step(&mut net, &x, &labels, &mut rng(13)).unwrap();
    }
    let mut cache = EveryCache::<8, f32>::zeroed();
    let (mut grads, mut dx) = (EveryGrads::<f32>::zeroed(), [[0.0; 6]; 8]);
    let loss = net
        .eval_loss_and_grad_with_input(&x, &labels, &mut cache, &mut grads, &mut dx)
        .unwrap();
    let step = |sign: f32| {
        let mut moved = x;
        for (x, dx) in moved.as_flattened_mut().iter_mut().zip(dx.as_flattened()) {
            *x += sign * 0.05 * dx.signum();
        }
        net.loss(&moved, &labels).unwrap()
    };
    let (up, down) = (step(1.0), step(-1.0));
    eprintln!("FGSM, ε = 0.05: loss {loss}, along the sign {up}, against it {down}");
    assert!(down < loss && loss < up, "{down} < {loss} < {up}");
}
