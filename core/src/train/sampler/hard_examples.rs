//! Hard-example sampling: the rows the network got most wrong last time, drawn more often.

use super::shuffle::shuffled_indices;
use super::Sampler;
use crate::error::InvalidHyperParameter;
use crate::validate::check;
use alloc::vec::Vec;
use core::fmt;
use rand::{Rng, RngExt};

/// A row's loss before one is recorded: it then weighs as a row at the mean loss.
const UNSEEN: f64 = f64::NAN;

/// Draws the rows with the largest recent loss ("hard examples") more often, with bounded
/// weights so that a few outliers cannot take over.
///
/// The first epoch, with no loss known, is a plain shuffle. Every later epoch fills its n
/// slots by drawing rows with replacement, row i with probability
///
/// p_i = s/n + (1 − s)·w_i / Σ_j w_j,  with  w_i = clamp(loss_i / mean loss, 1/c, c),
///
/// where loss_i is the latest loss the trainer recorded for row i (in training mode, through
/// [`record_loss`](Sampler::record_loss)), c is the
/// [`max_ratio`](HardExamples::with_max_ratio) (3 by default) and s the
/// [`uniform_share`](HardExamples::with_uniform_share) (0 by default). The mean is over
/// the rows with a finite loss. A row not seen yet weighs 1, as if at the mean loss; a NaN
/// or infinite loss weighs c, the most, and leaves the mean alone; when every loss is 0
/// (or the mean is not positive) the weights are all 1.
///
/// The bound holds against any loss: a row is drawn at least 1/c² times as often as a
/// uniform draw would (for c = 3, at least once in 9 epochs on average), and at most c²
/// times. A single huge loss raises the mean, so the other rows sit at 1/c and the outlier
/// is drawn c²/(c² + n − 1) of the time: 1 draw in 12 for n = 100 and c = 3, where
/// unbounded weights would draw it nearly always.
///
/// Drawing costs O(log n) per slot (binary search in cumulative weights). Rows the epoch
/// did not draw keep the loss they had when last trained on. The sampler keeps a loss per
/// row, so it needs a heap (the `alloc` feature); given a training set of another size, it
/// forgets the losses it had and starts again with a shuffle.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use typenet_core::train::{HardExamples, Sampler};
/// let labels = [0usize; 4];
/// let mut order = [0; 4];
/// let mut rng = StdRng::seed_from_u64(1);
/// let mut sampler = HardExamples::new().with_max_ratio(2.0)?;
/// // First epoch: every row once.
/// sampler.order(&labels, &mut order, &mut rng);
/// let mut sorted = order;
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2, 3]);
/// // The trainer records each row's loss; row 3 is hard. Mean loss 2: weights
/// // 1/2, 1/2, 1/2 and 5/2 bounded to 2, so row 3 takes 2/3.5 = 57% of the draws.
/// for (row, loss) in [1.0, 1.0, 1.0, 5.0].into_iter().enumerate() {
///     sampler.record_loss(row, loss);
/// }
/// let mut hard = 0;
/// for _ in 0..1000 {
///     sampler.order(&labels, &mut order, &mut rng);
///     hard += order.iter().filter(|&&row| row == 3).count();
/// }
/// assert!((2150..2420).contains(&hard), "{hard} of 4000");
/// // The bound must be finite and at least 1.
/// assert!(HardExamples::new().with_max_ratio(0.5).is_err());
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
#[derive(Clone)]
pub struct HardExamples {
    max_ratio: f64,
    uniform_share: f64,
    /// The latest loss of each row: [`UNSEEN`] until one is recorded, +∞ for a NaN or
    /// infinite one.
    losses: Vec<f64>,
    /// Whether any row's loss was recorded since `losses` was sized.
    recorded: bool,
    /// Scratch kept between epochs: the running sums of the draw weights.
    cumulative: Vec<f64>,
}

impl HardExamples {
    /// Weights bounded to [1/3, 3] times a row at the mean loss, and no uniform draws mixed
    /// in.
    ///
    /// ```
    /// use typenet_core::train::HardExamples;
    /// let sampler = HardExamples::new();
    /// assert_eq!((sampler.max_ratio(), sampler.uniform_share()), (3.0, 0.0));
    /// ```
    pub fn new() -> Self {
        HardExamples {
            max_ratio: 3.0,
            uniform_share: 0.0,
            losses: Vec::new(),
            recorded: false,
            cumulative: Vec::new(),
        }
    }

    /// The same sampler with the weights bounded to [1/c, c] (c finite and at least 1;
    /// c = 1 draws uniformly with replacement).
    ///
    /// ```
    /// use typenet_core::train::HardExamples;
    /// assert_eq!(HardExamples::new().with_max_ratio(5.0).unwrap().max_ratio(), 5.0);
    /// for bad in [0.5, -2.0, f64::NAN, f64::INFINITY] {
    ///     assert_eq!(HardExamples::new().with_max_ratio(bad).unwrap_err().name, "max_ratio");
    /// }
    /// ```
    pub fn with_max_ratio(self, max_ratio: f64) -> Result<Self, InvalidHyperParameter> {
        check(
            "max_ratio",
            max_ratio,
            max_ratio.is_finite() && max_ratio >= 1.0,
            "a finite number at least 1",
        )?;
        Ok(HardExamples { max_ratio, ..self })
    }

    /// The same sampler with a share `s` in [0, 1] of the draws uniform: each row's
    /// probability is s/n plus 1 − s times its weighted one, so every row is drawn at least
    /// s times an epoch on average. The default is 0: the bound c already keeps every row
    /// at 1/c² of a uniform draw or more, and uniform draws by default would flatten the
    /// weights as a smaller c does, blurring the one knob into two.
    ///
    /// ```
    /// use typenet_core::train::HardExamples;
    /// assert_eq!(HardExamples::new().with_uniform_share(0.2).unwrap().uniform_share(), 0.2);
    /// assert!(HardExamples::new().with_uniform_share(1.5).is_err());
    /// ```
    pub fn with_uniform_share(self, uniform_share: f64) -> Result<Self, InvalidHyperParameter> {
        check(
            "uniform_share",
            uniform_share,
            (0.0..=1.0).contains(&uniform_share),
            "a number in [0, 1]",
        )?;
        Ok(HardExamples {
            uniform_share,
            ..self
        })
    }

    /// The bound c on the weights.
    ///
    /// ```
    /// use typenet_core::train::HardExamples;
    /// assert_eq!(HardExamples::new().max_ratio(), 3.0);
    /// ```
    pub fn max_ratio(&self) -> f64 {
        self.max_ratio
    }

    /// The share of uniform draws.
    ///
    /// ```
    /// use typenet_core::train::HardExamples;
    /// assert_eq!(HardExamples::new().uniform_share(), 0.0);
    /// ```
    pub fn uniform_share(&self) -> f64 {
        self.uniform_share
    }

    /// Records `loss` as the latest loss of `row` (what the trainer does through
    /// [`Sampler::record_loss`], callable here without naming the target type). A row
    /// outside the training set of the last [`order`](Sampler::order) is ignored.
    ///
    /// ```
    /// use rand::{rngs::StdRng, SeedableRng};
    /// use typenet_core::train::{HardExamples, Sampler};
    /// let mut sampler = HardExamples::new();
    /// let mut order = [0; 3];
    /// sampler.order(&[0usize; 3], &mut order, &mut StdRng::seed_from_u64(0));
    /// sampler.record_loss(1, f32::NAN.into()); // weighs the most, c
    /// sampler.record_loss(9, 1.0); // not a row: ignored
    /// ```
    pub fn record_loss(&mut self, row: usize, loss: f64) {
        if let Some(latest) = self.losses.get_mut(row) {
            *latest = if loss.is_finite() {
                loss
            } else {
                f64::INFINITY
            };
            self.recorded = true;
        }
    }

    /// The mean of the finite recorded losses, when there are some and it is positive.
    fn mean_loss(&self) -> Option<f64> {
        let finite = || self.losses.iter().copied().filter(|loss| loss.is_finite());
        let count = finite().count() as f64;
        // Divided before summing, so that large finite losses cannot overflow to ∞.
        let mean: f64 = finite().map(|loss| loss / count).sum();
        (mean > 0.0).then_some(mean)
    }

    /// Row `loss`'s weight, given the mean loss.
    fn weight(&self, loss: f64, mean: Option<f64>) -> f64 {
        let c = self.max_ratio;
        match (loss, mean) {
            (loss, _) if loss.is_nan() => 1.0,
            (loss, _) if loss.is_infinite() => c,
            (loss, Some(mean)) => (loss / mean).clamp(1.0 / c, c),
            (_, None) => 1.0,
        }
    }
}

impl Default for HardExamples {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HardExamples {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HardExamples")
            .field("max_ratio", &self.max_ratio)
            .field("uniform_share", &self.uniform_share)
            .field("rows", &self.losses.len())
            .finish()
    }
}

impl<Y> Sampler<Y> for HardExamples {
    fn order<R: Rng + ?Sized>(&mut self, _: &[Y], order: &mut [usize], rng: &mut R) {
        let n = order.len();
        if self.losses.len() != n {
            self.losses.clear();
            self.losses.resize(n, UNSEEN);
            self.recorded = false;
        }
        if !self.recorded {
            shuffled_indices(order, rng);
            return;
        }
        let mean = self.mean_loss();
        let total: f64 = self.losses.iter().map(|&l| self.weight(l, mean)).sum();
        // Row i's share of `total` is s/n + (1 − s)·w_i/total: the mix of uniform and
        // weighted draws, drawn with one number per slot.
        let uniform = self.uniform_share * total / n as f64;
        let weighted = 1.0 - self.uniform_share;
        let mut cumulative = core::mem::take(&mut self.cumulative);
        cumulative.clear();
        let mut running = 0.0;
        cumulative.extend(self.losses.iter().map(|&loss| {
            running += uniform + weighted * self.weight(loss, mean);
            running
        }));
        for slot in order.iter_mut() {
            let target = rng.random::<f64>() * running;
            // Rounding can put `target` at the very end: that is the last row.
            *slot = cumulative.partition_point(|&sum| sum <= target).min(n - 1);
        }
        self.cumulative = cumulative;
    }

    fn wants_losses(&self) -> bool {
        true
    }

    fn record_loss(&mut self, row: usize, loss: f64) {
        HardExamples::record_loss(self, row, loss);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use std::vec;
    use std::vec::Vec;

    const N: usize = 100;

    /// A sampler that has seen one epoch of `N` rows with the given losses.
    fn after_losses(sampler: HardExamples, losses: &[f64], rng: &mut StdRng) -> HardExamples {
        let mut sampler = sampler;
        let mut order = vec![0; losses.len()];
        Sampler::<()>::order(&mut sampler, &[(); 0], &mut order, rng);
        for (row, &loss) in losses.iter().enumerate() {
            sampler.record_loss(row, loss);
        }
        sampler
    }

    /// How often each row is drawn over `epochs` epochs, per epoch.
    fn draws_per_epoch(sampler: &mut HardExamples, epochs: usize, rng: &mut StdRng) -> Vec<f64> {
        let n = sampler.losses.len();
        let mut order = vec![0; n];
        let mut draws = vec![0usize; n];
        for _ in 0..epochs {
            Sampler::<()>::order(sampler, &[], &mut order, rng);
            for &row in &order {
                draws[row] += 1;
            }
        }
        draws.iter().map(|&d| d as f64 / epochs as f64).collect()
    }

    /// Ten rows with loss 10, ninety with loss 1.
    fn ten_hard() -> Vec<f64> {
        (0..N)
            .map(|i| if i % 10 == 3 { 10.0 } else { 1.0 })
            .collect()
    }

    #[test]
    fn the_first_epoch_is_a_permutation() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut order = [0; 50];
        let mut sampler = HardExamples::new();
        Sampler::<()>::order(&mut sampler, &[], &mut order, &mut rng);
        let mut sorted = order;
        sorted.sort_unstable();
        assert_eq!(sorted, core::array::from_fn(|i| i));
        assert!(Sampler::<()>::wants_losses(&sampler));
    }

    #[test]
    fn hard_rows_are_drawn_as_their_bounded_weight_predicts() {
        // Mean loss (90·1 + 10·10)/100 = 1.9. Easy rows weigh 1/1.9; hard rows 10/1.9,
        // bounded to 3. Total 90/1.9 + 30, so a hard row is drawn 100·3/total times an
        // epoch (3.877) and an easy one 100·(1/1.9)/total (0.680).
        let total = 90.0 / 1.9 + 30.0;
        let (hard, easy) = (100.0 * 3.0 / total, 100.0 / 1.9 / total);
        let mut rng = StdRng::seed_from_u64(7);
        let mut sampler = after_losses(HardExamples::new(), &ten_hard(), &mut rng);
        let per_epoch = draws_per_epoch(&mut sampler, 4000, &mut rng);
        let hard_rows: f64 = (3..N).step_by(10).map(|row| per_epoch[row]).sum();
        assert!(
            (hard_rows / (10.0 * hard) - 1.0).abs() < 0.01,
            "{hard_rows}"
        );
        let easy_rows: f64 = per_epoch.iter().sum::<f64>() - hard_rows;
        assert!(
            (easy_rows / (90.0 * easy) - 1.0).abs() < 0.01,
            "{easy_rows}"
        );
        // Each row's count over the 4000 epochs is within 4.5 standard deviations
        // (binomial, about √count) of what its weight predicts.
        for (row, &drawn) in per_epoch.iter().enumerate() {
            let expected = 4000.0 * if row % 10 == 3 { hard } else { easy };
            let drawn = 4000.0 * drawn;
            assert!(
                (drawn - expected).abs() < 4.5 * expected.sqrt(),
                "row {row}: {drawn}"
            );
        }
    }

    #[test]
    fn uniform_draws_mix_in() {
        // A share 0.2 of uniform draws: a hard row 0.2 + 0.8·3.877 = 3.302 times an epoch.
        let total = 90.0 / 1.9 + 30.0;
        let hard = 0.2 + 0.8 * 100.0 * 3.0 / total;
        let mut rng = StdRng::seed_from_u64(8);
        let sampler = HardExamples::new().with_uniform_share(0.2).unwrap();
        let mut sampler = after_losses(sampler, &ten_hard(), &mut rng);
        let per_epoch = draws_per_epoch(&mut sampler, 4000, &mut rng);
        let hard_rows: f64 = (3..N).step_by(10).map(|row| per_epoch[row]).sum();
        assert!(
            (hard_rows / (10.0 * hard) - 1.0).abs() < 0.01,
            "{hard_rows}"
        );
    }

    #[test]
    fn an_outlier_weighs_at_most_max_ratio() {
        // One loss of 1e6 among losses of 1: it weighs c = 3, the others 1/3 (their loss is
        // far below the mean), so it is drawn 3/(3 + 99/3) = 1/12 of the time.
        let mut losses = vec![1.0; N];
        losses[42] = 1e6;
        let mut rng = StdRng::seed_from_u64(9);
        let mut sampler = after_losses(HardExamples::new(), &losses, &mut rng);
        let mean = sampler.mean_loss();
        assert_eq!(sampler.weight(1e6, mean), 3.0);
        assert_eq!(sampler.weight(1.0, mean), 1.0 / 3.0);
        let per_epoch = draws_per_epoch(&mut sampler, 4000, &mut rng);
        assert!(
            (per_epoch[42] / (100.0 / 12.0) - 1.0).abs() < 0.02,
            "{}",
            per_epoch[42]
        );
    }

    #[test]
    fn non_finite_losses_weigh_the_most_and_leave_the_mean_alone() {
        let mut losses = vec![2.0; N];
        losses[0] = f64::NAN;
        losses[1] = f64::INFINITY;
        losses[2] = 4.0;
        let mut rng = StdRng::seed_from_u64(10);
        let mut sampler = after_losses(HardExamples::new(), &losses, &mut rng);
        let mean = sampler.mean_loss().unwrap();
        assert!((mean - 198.0 / 98.0).abs() < 1e-12);
        let weights: Vec<f64> = sampler
            .losses
            .iter()
            .map(|&l| sampler.weight(l, Some(mean)))
            .collect();
        assert_eq!(&weights[..2], [3.0, 3.0]);
        assert!((weights[2] - 4.0 / mean).abs() < 1e-12);
        let mut order = [0; N];
        Sampler::<()>::order(&mut sampler, &[], &mut order, &mut rng);
        assert!(order.iter().all(|&row| row < N));
    }

    #[test]
    fn unseen_rows_weigh_as_the_mean_and_zero_losses_as_equal() {
        let mut sampler = HardExamples::new();
        let mut order = [0; 4];
        let mut rng = StdRng::seed_from_u64(11);
        Sampler::<()>::order(&mut sampler, &[], &mut order, &mut rng);
        sampler.record_loss(0, 8.0);
        sampler.record_loss(1, 0.0);
        let mean = sampler.mean_loss();
        assert_eq!(mean, Some(4.0));
        let weights: Vec<f64> = sampler
            .losses
            .iter()
            .map(|&l| sampler.weight(l, mean))
            .collect();
        assert_eq!(weights, [2.0, 1.0 / 3.0, 1.0, 1.0]);
        sampler.record_loss(0, 0.0);
        assert_eq!(sampler.mean_loss(), None);
        assert_eq!(sampler.weight(0.0, None), 1.0);
    }

    #[test]
    fn every_slot_is_a_row_and_a_seed_repeats_the_order() {
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let sampler = HardExamples::new().with_uniform_share(0.3).unwrap();
            let mut sampler = after_losses(sampler, &ten_hard(), &mut rng);
            let mut orders = vec![vec![0; N]; 3];
            for order in &mut orders {
                Sampler::<()>::order(&mut sampler, &[], order, &mut rng);
                assert!(order.iter().all(|&row| row < N));
            }
            orders
        };
        let orders = run(12);
        assert_ne!(orders[0], orders[1]);
        assert_eq!(orders, run(12));
    }

    #[test]
    fn a_training_set_of_another_size_starts_again() {
        let mut rng = StdRng::seed_from_u64(13);
        let mut sampler = after_losses(HardExamples::new(), &ten_hard(), &mut rng);
        sampler.record_loss(N, 5.0); // outside: ignored
        assert_eq!(sampler.losses.len(), N);
        let mut order = [0; 30];
        Sampler::<()>::order(&mut sampler, &[], &mut order, &mut rng);
        let mut sorted = order;
        sorted.sort_unstable();
        assert_eq!(sorted, core::array::from_fn(|i| i));
    }

    #[test]
    fn bad_hyper_parameters_are_rejected() {
        for bad in [0.999, 0.0, -3.0, f64::NAN, f64::INFINITY] {
            let err = HardExamples::new().with_max_ratio(bad).unwrap_err();
            assert_eq!(err.name, "max_ratio");
            assert!(err.value_f64().to_bits() == bad.to_bits(), "{err}");
        }
        for bad in [-0.1, 1.1, f64::NAN] {
            assert_eq!(
                HardExamples::new()
                    .with_uniform_share(bad)
                    .unwrap_err()
                    .name,
                "uniform_share"
            );
        }
        assert_eq!(
            HardExamples::new().with_max_ratio(1.0).unwrap().max_ratio(),
            1.0
        );
    }
}
