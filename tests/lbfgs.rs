//! L-BFGS on the problem it is made for: a small regression fitted on its whole data set at
//! once. A 2 → 8 tanh → 1 network fits z = sin(x)·cos(y) on a grid of 8×4 points, by L-BFGS
//! with a strong-Wolfe line search and by Adam at each of several learning rates, from the
//! same initial weights; each counts the loss evaluations (forward and backward passes) it
//! takes until one of them comes out at or below the target. L-BFGS must take fewer than
//! the best of Adam's runs.
//!
//! `cargo test --test lbfgs -- --nocapture` prints the counts: 161 evaluations for L-BFGS,
//! 1162 for Adam at the best of its four learning rates (0.1). From the initial weights of
//! seeds 1 to 4, L-BFGS takes 3.5 to 6 times fewer than Adam's best.

use rand::{rngs::StdRng, SeedableRng};
use typenet::optim::{Adam, Lbfgs, LbfgsState, LineSearch};
use typenet::prelude::*;

network! {
    /// Two inputs, eight tanh units, one output.
    struct Fit { input: 2, dense(8), tanh, dense(1), loss: mean_squared_error }
}

/// The points of the data set, all in every evaluation.
const POINTS: usize = 32;
/// The mean squared error to reach (the targets' own mean square is about 0.2): low enough
/// for L-BFGS's fast convergence near a minimum to count.
const TARGET: f64 = 1e-4;
/// The evaluations each method may spend.
const BUDGET: usize = 20_000;
/// Adam's learning rates: the comparison is with the best of them.
const ADAM_LRS: [f64; 4] = [0.003, 0.01, 0.03, 0.1];

/// sin(x)·cos(y) on the grid of x in [−π, π] (8 values) by y in [−1.5, 1.5] (4 values).
fn data() -> ([[f64; 2]; POINTS], [[f64; 1]; POINTS]) {
    let pi = std::f64::consts::PI;
    let x: [[f64; 2]; POINTS] = core::array::from_fn(|i| {
        let (column, row) = ((i % 8) as f64, (i / 8) as f64);
        [-pi + 2.0 * pi * column / 7.0, -1.5 + row]
    });
    (x, x.map(|[x, y]| [x.sin() * y.cos()]))
}

/// The evaluations L-BFGS makes until one returns a loss at or below [`TARGET`], from the
/// network `net`.
fn lbfgs_evaluations(mut net: Fit<f64>) -> Option<usize> {
    let (x, y) = data();
    let mut cache = FitCache::<POINTS, f64>::zeroed();
    let mut rng = StdRng::seed_from_u64(0); // no dropout: never drawn
    let mut params = net.params.clone();
    let mut state = LbfgsState::<FitParams<f64>, 10, f64>::zeroed();
    let mut lbfgs = Lbfgs::new(1.0)
        .unwrap()
        .with_line_search(LineSearch::StrongWolfe);
    let (mut evaluations, mut reached) = (0, None);
    while reached.is_none() && evaluations < BUDGET {
        lbfgs
            .step(&mut params, &mut state, |p, grads| {
                // The closure owns the network: it loads the point to evaluate, then
                // computes the loss and writes the gradient where L-BFGS asks.
                net.params = p.clone();
                let loss = net.loss_and_grad(&x, &y, &mut cache, grads, &mut rng)?;
                evaluations += 1;
                if loss <= TARGET && reached.is_none() {
                    reached = Some(evaluations);
                }
                Ok(loss)
            })
            .unwrap();
    }
    assert_eq!(evaluations as u64, lbfgs.evaluations());
    reached
}

/// The training steps (one evaluation each) Adam takes with learning rate `lr` until a
/// loss at or below [`TARGET`], from the network `net`.
fn adam_evaluations(mut net: Fit<f64>, lr: f64) -> Option<usize> {
    let (x, y) = data();
    let mut rng = StdRng::seed_from_u64(0);
    let mut training = Training::<Fit<f64>, _, POINTS, f64>::new(Adam::new(lr).unwrap());
    (1..=BUDGET).find(|_| training.step(&mut net, &x, &y, &mut rng).unwrap().loss <= TARGET)
}

#[test]
fn lbfgs_fits_a_regression_in_fewer_evaluations_than_adam() {
    let net = Fit::<f64>::new(&mut StdRng::seed_from_u64(7));
    let lbfgs = lbfgs_evaluations(net.clone()).expect("L-BFGS reaches the target");
    eprintln!("mean squared error {TARGET:e} on sin(x)·cos(y): L-BFGS after {lbfgs} evaluations");
    let mut best = usize::MAX;
    for lr in ADAM_LRS {
        let adam = adam_evaluations(net.clone(), lr);
        match adam {
            Some(n) => eprintln!("  Adam, lr {lr}: after {n} evaluations"),
            None => eprintln!("  Adam, lr {lr}: not within {BUDGET} evaluations"),
        }
        best = best.min(adam.unwrap_or(usize::MAX));
    }
    assert!(best < usize::MAX, "no Adam run reached the target");
    assert!(lbfgs < best, "L-BFGS took {lbfgs} evaluations, Adam {best}");
}
