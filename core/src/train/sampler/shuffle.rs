//! Plain shuffling: every row once per epoch, in a fresh random order.

use super::Sampler;
use rand::{Rng, RngExt};

/// Every row once per epoch in a uniformly random order (Fisher–Yates), drawn afresh each
/// epoch: PyTorch's `DataLoader(shuffle=True)`. The order depends only on the random
/// source, so a seeded one repeats it. Needs no heap.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use typenet_core::train::{Sampler, Shuffle};
/// let mut order = [0; 6];
/// Shuffle.order(&[0usize; 6], &mut order, &mut StdRng::seed_from_u64(1));
/// let mut sorted = order;
/// sorted.sort();
/// assert_eq!(sorted, [0, 1, 2, 3, 4, 5]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shuffle;

impl<Y> Sampler<Y> for Shuffle {
    fn order<R: Rng + ?Sized>(&mut self, _: &[Y], order: &mut [usize], rng: &mut R) {
        shuffled_indices(order, rng);
    }
}

/// Fills `order` with `0..order.len()` in a uniformly random order.
pub(crate) fn shuffled_indices<R: Rng + ?Sized>(order: &mut [usize], rng: &mut R) {
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i;
    }
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn every_row_once_in_an_order_that_changes_each_epoch() {
        let mut rng = StdRng::seed_from_u64(3);
        let (mut a, mut b) = ([0; 50], [0; 50]);
        Shuffle.order(&[(); 50], &mut a, &mut rng);
        Shuffle.order(&[(); 50], &mut b, &mut rng);
        assert_ne!(a, b);
        for order in [a, b] {
            let mut seen = [false; 50];
            order.iter().for_each(|&i| seen[i] = true);
            assert!(seen.iter().all(|&s| s));
        }
    }

    #[test]
    fn positions_are_uniform() {
        // Over 6000 shuffles of 3 rows, each row lands first about 2000 times.
        let mut rng = StdRng::seed_from_u64(9);
        let mut first = [0; 3];
        for _ in 0..6000 {
            let mut order = [0; 3];
            Shuffle.order(&[(); 3], &mut order, &mut rng);
            first[order[0]] += 1;
        }
        assert!(
            first.iter().all(|&n| (1850..2150).contains(&n)),
            "{first:?}"
        );
    }
}
