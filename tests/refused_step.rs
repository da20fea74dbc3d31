//! A refused training step changes nothing: not the parameters, not batch norm's running
//! statistics, not the optimizer, its state or its step count. Every kind of refusal — a
//! label out of range, a NaN loss, an infinite loss, an infinite gradient, running
//! statistics that would overflow, a row index out of range — on networks with batch norm (the layer with buffers), dropout,
//! dense and ReLU layers, with Adam and momentum, whose state is not empty by then.
//!
//! For each refused batch, `forward_train` (which updates the buffers, as a training step
//! once did before its loss was checked) shows that the batch would have moved the running
//! statistics, so that the comparison would catch a step that updated them too early.

use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt::Debug;
use typenet::prelude::*;

network! {
    /// Dense, batch norm, ReLU, dropout, dense: a classifier.
    struct Classifier {
        input: 4,
        hidden: dense(6),
        norm: batch_norm,
        relu,
        drop: dropout(0.25),
        out: dense(3),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// The same layers as a regressor with one output.
    struct Regressor {
        input: 3,
        hidden: dense(5),
        norm: batch_norm,
        relu,
        drop: dropout(0.2),
        out: dense(1),
        loss: mean_squared_error,
    }
}

/// The classifier's batch.
const ROWS: usize = 4;
/// The regressor's batch: two rows, the fewest batch norm trains on, so that a target's
/// squared error counts twice in the loss and its gradient four times in the squared norm.
const PAIR: usize = 2;

/// A batch's inputs and targets.
type Rows<'a, N, const B: usize, T> = (
    &'a [<N as Network<T>>::InputRow; B],
    &'a [<N as Network<T>>::Target; B],
);

/// A scalar's bits, so that NaNs compare too.
trait Bits: Scalar {
    fn bits(self) -> u64;
}

impl Bits for f32 {
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
}

impl Bits for f64 {
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

fn bits<T: Bits>(values: &[T]) -> Vec<u64> {
    values.iter().map(|v| v.bits()).collect()
}

/// Everything a refused step must leave as it was, bit for bit.
struct Snapshot<O> {
    /// The network's flat block (`Flat::as_flat`): its parameters, then its buffers.
    network: Vec<u64>,
    parameters: usize,
    state: Vec<u64>,
    steps: u64,
    lr: u64,
    optimizer: O,
}

impl<O: PartialEq + Debug> Snapshot<O> {
    fn of<N, const B: usize, T>(net: &N, training: &Training<N, O, B, T>) -> Self
    where
        N: Network<T>,
        O: Optimizer<T> + Clone,
        T: Bits,
        Const<B>: Batch,
    {
        Snapshot {
            network: bits(net.as_flat()),
            parameters: N::PARAMETERS,
            state: bits(training.blocks().state.as_flat()),
            steps: training.steps(),
            lr: training.optimizer().lr().bits(),
            optimizer: training.optimizer().clone(),
        }
    }

    fn buffers(&self) -> &[u64] {
        &self.network[self.parameters..]
    }

    /// Asserts that nothing changed since `before`, naming the first value that did.
    #[track_caller]
    fn assert_unchanged(&self, before: &Self, after: &str) {
        let (parameters, buffers) = self.network.split_at(self.parameters);
        let blocks = [
            ("parameter", parameters, &before.network[..self.parameters]),
            ("buffer", buffers, before.buffers()),
            ("optimizer state", &self.state, &before.state),
        ];
        for (what, now, then) in blocks {
            assert_eq!(now.len(), then.len());
            if let Some(i) = now.iter().zip(then).position(|(a, b)| a != b) {
                panic!("after {after}, {what} {i} changed");
            }
        }
        assert_eq!(self.steps, before.steps, "after {after}, the step count");
        assert_eq!(self.lr, before.lr, "after {after}, the learning rate");
        assert_eq!(
            self.optimizer, before.optimizer,
            "after {after}, the optimizer"
        );
    }
}

/// Runs a step on a batch that must be refused with `expected`, and asserts that nothing
/// changed; then asserts that `forward_train` on a copy of the network changes its buffers
/// on that batch (returning them).
fn assert_refused<N, O, const B: usize, T>(
    training: &mut Training<N, O, B, T>,
    net: &mut N,
    (x, targets): Rows<'_, N, B, T>,
    expected: &Error,
) -> Vec<T>
where
    N: Network<T> + Clone,
    O: Optimizer<T> + Clone + PartialEq + Debug,
    T: Bits,
    Const<B>: Batch,
{
    let before = Snapshot::of(net, training);
    let err = training
        .step(net, x, targets, &mut StdRng::seed_from_u64(30))
        .unwrap_err();
    assert_error(&err, expected);
    Snapshot::of(net, training).assert_unchanged(&before, &format!("{err:?}"));
    // The check would catch buffers updated before the refusal.
    let mut probe = net.clone();
    let mut cache = <N::Cache<B> as Flat<T>>::zeroed();
    probe.forward_train(x, &mut cache, &mut StdRng::seed_from_u64(30));
    let (buffers_before, buffers_after) = (buffers(net), buffers(&probe));
    assert_ne!(bits(&buffers_after), bits(&buffers_before), "{err:?}");
    buffers_after
}

/// The buffers of a network: the values after its parameters in its flat block.
fn buffers<N: Network<T>, T: Scalar>(net: &N) -> Vec<T> {
    net.as_flat()[N::PARAMETERS..].to_vec()
}

/// `err` is `expected`, where a NaN loss matches a NaN loss.
#[track_caller]
fn assert_error(err: &Error, expected: &Error) {
    match (err, expected) {
        (
            Error::NonFiniteLoss { loss, epoch, step },
            Error::NonFiniteLoss {
                loss: want,
                epoch: want_epoch,
                step: want_step,
            },
        ) if want.is_nan() => {
            assert!(loss.is_nan(), "{err:?}");
            assert_eq!((epoch, step), (want_epoch, want_step));
        }
        _ => assert_eq!(err, expected),
    }
}

/// A few good steps, so that the optimizer's state and the running statistics have left
/// their initial values; then every refused batch; then a good step, which still moves the
/// running statistics and the state.
fn refusals_change_nothing<N, O, const B: usize, T>(
    optimizer: O,
    seed: u64,
    good: Rows<'_, N, B, T>,
    refused: &[(Rows<'_, N, B, T>, Error)],
) -> Vec<Vec<T>>
where
    N: Network<T> + Clone,
    O: Optimizer<T> + Clone + PartialEq + Debug,
    T: Bits,
    Const<B>: Batch,
{
    let mut rng = StdRng::seed_from_u64(seed);
    let mut net = N::new(&mut rng);
    let initial = buffers(&net);
    let mut training = Training::<N, O, B, T>::new(optimizer);
    for _ in 0..3 {
        training.step(&mut net, good.0, good.1, &mut rng).unwrap();
    }
    assert_eq!(training.steps(), 3);
    assert_ne!(bits(&buffers(&net)), bits(&initial));
    let state = training.blocks().state.as_flat();
    assert!(state.iter().all(|v| v.is_finite()) && state.iter().any(|&v| v != T::ZERO));

    let probes = refused
        .iter()
        .map(|&(batch, ref expected)| assert_refused(&mut training, &mut net, batch, expected))
        .collect();

    let before = Snapshot::of(&net, &training);
    training.step(&mut net, good.0, good.1, &mut rng).unwrap();
    let after = Snapshot::of(&net, &training);
    assert_eq!(after.steps, 4);
    assert_ne!(after.state, before.state);
    assert_ne!(after.buffers(), before.buffers());
    assert!(buffers(&net).iter().all(|v| v.is_finite()));
    probes
}

/// The classifier's batches: a good one, and each refused one with its error.
fn classifier_cases<O>(optimizer: O, seed: u64)
where
    O: Optimizer<f32> + Clone + PartialEq + Debug,
{
    let x: [[f32; 4]; ROWS] = typenet::gradcheck::test_weights(seed);
    let labels = [0, 1, 2, 1];
    // Class 3 of 3 in row 2.
    let bad_labels = [0, 1, 3, 1];
    // A NaN in one input: every unit of that row, then the batch's mean, is NaN.
    let mut nan = x;
    nan[1][2] = f32::NAN;
    // Inputs near f32::MAX: the first layer's sums overflow to ±∞, ∞ − ∞ in the batch's
    // mean and variance is NaN, and so is the loss.
    let huge = x.map(|row| row.map(|v| v * f32::MAX));
    // Inputs around 1e20: batch norm cancels their scale, so the loss and the gradients
    // stay finite, but the batch's variance (about 1e40) overflows f32 in the running
    // variance.
    let large = x.map(|row| row.map(|v| v * 1e20));
    let nan_loss = Error::NonFiniteLoss {
        loss: f64::NAN,
        epoch: None,
        step: None,
    };
    let probes = refusals_change_nothing::<Classifier, O, ROWS, f32>(
        optimizer,
        seed,
        (&x, &labels),
        &[
            (
                (&x, &bad_labels),
                Error::LabelOutOfRange {
                    index: 2,
                    label: 3,
                    classes: 3,
                },
            ),
            ((&nan, &labels), nan_loss.clone()),
            ((&huge, &labels), nan_loss),
            (
                (&large, &labels),
                Error::NonFiniteStatistics {
                    epoch: None,
                    step: None,
                },
            ),
        ],
    );
    // Before the step checked the loss first, the NaN batch left NaN running statistics.
    let running_mean = &probes[1][..6];
    assert!(running_mean.iter().all(|m| m.is_nan()), "{running_mean:?}");
    assert!(probes[2].iter().any(|m| !m.is_finite()), "{:?}", probes[2]);
    // The large batch would have left an infinite running variance.
    assert!(probes[3].iter().any(|m| m.is_infinite()), "{:?}", probes[3]);
}

#[test]
fn refused_classifier_steps_change_nothing_with_adam() {
    classifier_cases(Adam::new(0.01).unwrap(), 1);
}

#[test]
fn refused_classifier_steps_change_nothing_with_momentum() {
    classifier_cases(Momentum::new(0.05, 0.9).unwrap(), 2);
}

/// The regressor's batches: a good one, and each refused one with its error.
fn regressor_cases<O>(optimizer: O, seed: u64)
where
    O: Optimizer<f64> + Clone + PartialEq + Debug,
{
    let x: [[f64; 3]; PAIR] = typenet::gradcheck::test_weights(seed);
    let y = [[0.5], [-0.25]];
    let mut nan = x;
    nan[0][1] = f64::NAN;
    // Targets of 1e155: each squared error is 1e310, beyond f64::MAX (1.8e308).
    let infinite = [[1e155], [1e155]];
    let nan_loss = Error::NonFiniteLoss {
        loss: f64::NAN,
        epoch: None,
        step: None,
    };
    let probes = refusals_change_nothing::<Regressor<f64>, O, PAIR, f64>(
        optimizer,
        seed,
        (&x, &y),
        &[
            ((&nan, &y), nan_loss.clone()),
            ((&x, &[[f64::NAN], [0.0]]), nan_loss),
            (
                (&x, &infinite),
                Error::NonFiniteLoss {
                    loss: f64::INFINITY,
                    epoch: None,
                    step: None,
                },
            ),
        ],
    );
    let running_mean = &probes[0][..5];
    assert!(running_mean.iter().all(|m| m.is_nan()), "{running_mean:?}");
}

/// Targets of 8e153: the loss is 2·(8e153)²/2 = 6.4e307 and every gradient is finite (the
/// output bias's is about −2·8e153), but their squared norm, (1.6e154)² = 2.6e308, is not.
/// The step goes through, and reports the norm, rescaled so as not to overflow.
#[test]
fn finite_gradients_whose_squares_overflow_are_a_step_with_a_finite_norm() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut net = Regressor::<f64>::new(&mut rng);
    let x: [[f64; 3]; PAIR] = typenet::gradcheck::test_weights(3);
    let mut training = Training::<Regressor<f64>, _, PAIR, f64>::new(Sgd::new(1e-160).unwrap());
    let stats = training
        .step(&mut net, &x, &[[8e153], [8e153]], &mut rng)
        .unwrap();
    assert!(stats.loss.is_finite() && stats.loss > 6e307, "{stats:?}");
    assert!(
        stats.grad_norm.is_finite() && stats.grad_norm > 1.6e154,
        "{stats:?}"
    );
    assert_eq!(training.steps(), 1);
}

#[test]
fn refused_regressor_steps_change_nothing_with_adam() {
    regressor_cases(Adam::new(0.01).unwrap(), 3);
}

#[test]
fn refused_regressor_steps_change_nothing_with_momentum() {
    regressor_cases(Momentum::new(0.05, 0.9).unwrap().nesterov().unwrap(), 4);
}

/// `step_on_rows` refuses a row index out of range, or targets fewer than the features,
/// before computing anything, and names a bad label by its row in the data set; nothing
/// changes either way.
#[test]
fn refused_steps_on_rows_change_nothing() {
    let mut rng = StdRng::seed_from_u64(5);
    let mut net = Classifier::<f32>::new(&mut rng);
    let features: [[f32; 4]; 8] = typenet::gradcheck::test_weights(6);
    let mut labels = [0, 1, 2, 0, 1, 2, 0, 1];
    let mut training = Training::<Classifier, _, ROWS>::new(Adam::new(0.01).unwrap());
    training
        .step_on_rows(&mut net, &features, &labels, &[0, 2, 4, 6], None, &mut rng)
        .unwrap();
    let before = Snapshot::of(&net, &training);
    let err = training.step_on_rows(&mut net, &features, &labels, &[1, 3, 8, 7], None, &mut rng);
    assert_eq!(err, Err(Error::RowOutOfRange { row: 8, rows: 8 }));
    Snapshot::of(&net, &training).assert_unchanged(&before, "a row out of range");
    let err = training.step_on_rows(
        &mut net,
        &features,
        &labels[..7],
        &[1, 3, 5, 6],
        None,
        &mut rng,
    );
    assert_eq!(
        err,
        Err(Error::LengthMismatch {
            what: "features and targets",
            left: 8,
            right: 7,
        })
    );
    Snapshot::of(&net, &training).assert_unchanged(&before, "a target missing");
    labels[5] = 7;
    let err = training.step_on_rows(&mut net, &features, &labels, &[1, 3, 5, 7], None, &mut rng);
    assert_eq!(
        err,
        Err(Error::LabelOutOfRange {
            index: 5,
            label: 7,
            classes: 3
        })
    );
    Snapshot::of(&net, &training).assert_unchanged(&before, "a label out of range");
    labels[5] = 2;
    training
        .step_on_rows(&mut net, &features, &labels, &[1, 3, 5, 7], None, &mut rng)
        .unwrap();
    assert_eq!(training.steps(), 2);
    assert_ne!(Snapshot::of(&net, &training).buffers(), before.buffers());
}
