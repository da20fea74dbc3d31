//! Stratified ordering: every batch holds the classes in their overall proportions.

use super::shuffle::shuffled_indices;
use super::Sampler;
use crate::train::TargetKind;
use alloc::vec::Vec;
use core::fmt;
use rand::{Rng, RngExt};

/// Every row once per epoch, ordered so that each batch — indeed any run of consecutive
/// rows — holds every class in about its overall share: with n rows, n_c of class c and
/// batches of B, each batch has B·n_c/n rows of class c give or take about one, exactly
/// that many when it is a whole number for every class (50/30/20 rows in batches of 10:
/// 5/3/2 in every batch). A plain shuffle leaves that to chance, and small batches of rare
/// classes then swing far from their share.
///
/// Each epoch it shuffles the rows, gives the k-th row (in that shuffle) of a class of n_c
/// rows the key (k + φ_c)/n_c, with a phase φ_c in [0, 1) drawn per class, and sorts by
/// key. Any interval of keys of length ℓ then holds ℓ·n_c rows of class c give or take
/// less than one, wrapping round from the last rows to the first included (the trainer
/// tops up its last batch with the epoch's first rows); the phases change which class
/// leads each batch from one epoch to the next. The order depends only on the random
/// source, so a seeded one repeats it.
///
/// Classes come from [`TargetKind::class_index`]. Targets without a class (regression) —
/// or a single class — leave nothing to mix: the order is then exactly [`Shuffle`]'s for
/// the same random source.
///
/// Needs a heap (the `alloc` feature): it sorts a key per row, O(n log n) per epoch, in a
/// buffer it keeps between epochs.
///
/// [`Shuffle`]: crate::train::Shuffle
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use typenet_core::train::{Sampler, Stratified};
/// // Sorted by class: 6 rows of class 0, then 3 of class 1, 3 of class 2.
/// let labels = [0usize, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
/// let mut order = [0; 12];
/// Stratified::new().order(&labels, &mut order, &mut StdRng::seed_from_u64(1));
/// // Every batch of 4 rows holds two of class 0, one of class 1 and one of class 2.
/// for batch in order.chunks(4) {
///     let mut counts = [0; 3];
///     batch.iter().for_each(|&row| counts[labels[row]] += 1);
///     assert_eq!(counts, [2, 1, 1]);
/// }
/// // Every row once.
/// let mut sorted = order;
/// sorted.sort();
/// assert_eq!(sorted, core::array::from_fn(|i| i));
/// ```
#[derive(Clone, Default)]
pub struct Stratified {
    /// Scratch kept between epochs: one slot per row.
    slots: Vec<Slot>,
}

#[derive(Clone, Copy)]
struct Slot {
    class: Option<usize>,
    key: f64,
    row: usize,
}

impl Stratified {
    /// A stratified sampler.
    ///
    /// ```
    /// use typenet_core::train::{Sampler, Stratified};
    /// assert!(!Sampler::<usize>::wants_losses(&Stratified::new()));
    /// ```
    pub fn new() -> Self {
        Stratified { slots: Vec::new() }
    }
}

impl fmt::Debug for Stratified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The slots are scratch, not settings.
        f.write_str("Stratified")
    }
}

impl<Y: TargetKind> Sampler<Y> for Stratified {
    fn order<R: Rng + ?Sized>(&mut self, targets: &[Y], order: &mut [usize], rng: &mut R) {
        shuffled_indices(order, rng);
        let class = |row: usize| targets.get(row).and_then(TargetKind::class_index);
        let Some(&first) = order.first() else {
            return;
        };
        let first = class(first);
        if order.iter().all(|&row| class(row) == first) {
            return;
        }
        self.slots.clear();
        self.slots.extend(order.iter().map(|&row| Slot {
            class: class(row),
            key: 0.0,
            row,
        }));
        // A stable sort keeps each class's rows in their shuffled order, so a row's rank
        // within its class is random.
        self.slots.sort_by_key(|slot| slot.class);
        for class_rows in self.slots.chunk_by_mut(|a, b| a.class == b.class) {
            let phase: f64 = rng.random();
            let count = class_rows.len() as f64;
            for (rank, slot) in class_rows.iter_mut().enumerate() {
                slot.key = (rank as f64 + phase) / count;
            }
        }
        self.slots
            .sort_unstable_by(|a, b| a.key.total_cmp(&b.key).then(a.class.cmp(&b.class)));
        for (slot, chosen) in order.iter_mut().zip(&self.slots) {
            *slot = chosen.row;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Shuffle;
    use rand::{rngs::StdRng, SeedableRng};
    use std::vec;
    use std::vec::Vec;

    /// `counts[c]` rows of class c, sorted by class: the worst input for a sampler that
    /// does not mix.
    fn sorted_labels(counts: &[usize]) -> Vec<usize> {
        counts
            .iter()
            .enumerate()
            .flat_map(|(class, &count)| core::iter::repeat_n(class, count))
            .collect()
    }

    fn is_permutation(order: &[usize]) -> bool {
        let mut sorted = order.to_vec();
        sorted.sort_unstable();
        sorted.iter().enumerate().all(|(i, &row)| i == row)
    }

    /// The class counts of the batch of `batch` rows starting at `start`, wrapping round.
    fn counts_at(labels: &[usize], order: &[usize], start: usize, batch: usize) -> Vec<usize> {
        let mut counts = vec![0; labels.iter().max().map_or(0, |&c| c + 1)];
        for i in 0..batch {
            counts[labels[order[(start + i) % order.len()]]] += 1;
        }
        counts
    }

    #[test]
    fn every_batch_holds_the_classes_in_their_shares() {
        // 50/30/20 rows in batches of 10: 5/3/2 in every batch, every epoch, any seed.
        let labels = sorted_labels(&[50, 30, 20]);
        for seed in 0..20 {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut sampler = Stratified::new();
            let mut order = vec![0; 100];
            for _ in 0..5 {
                sampler.order(&labels, &mut order, &mut rng);
                assert!(is_permutation(&order));
                for start in (0..100).step_by(10) {
                    let counts = counts_at(&labels, &order, start, 10);
                    for (count, share) in counts.iter().zip([5, 3, 2]) {
                        assert!(count.abs_diff(share) <= 1, "seed {seed}: {counts:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn uneven_shares_stay_within_a_row_and_a_half_in_every_window() {
        // Shares that no batch can hold exactly; every window of B rows (the wrapped last
        // batch included) stays within 1.5 rows of B·n_c/n for every class, where a plain
        // shuffle strays much further.
        for (counts, batch) in [
            (&[37, 23, 11, 5][..], 8),
            (&[61, 2, 17][..], 16),
            (&[9, 9, 9, 9, 9, 1][..], 5),
        ] {
            let labels = sorted_labels(counts);
            let n = labels.len();
            let mut rng = StdRng::seed_from_u64(11);
            let mut sampler = Stratified::new();
            let mut order = vec![0; n];
            for _ in 0..50 {
                sampler.order(&labels, &mut order, &mut rng);
                assert!(is_permutation(&order));
                for start in 0..n {
                    let window = counts_at(&labels, &order, start, batch);
                    for (&count, &total) in window.iter().zip(counts) {
                        let share = (batch * total) as f64 / n as f64;
                        assert!(
                            (count as f64 - share).abs() < 1.5,
                            "{counts:?}, B = {batch}: {window:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_order_changes_each_epoch_and_a_seed_repeats_it() {
        let labels = sorted_labels(&[50, 30, 20]);
        let epochs = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut sampler = Stratified::new();
            let mut orders = vec![vec![0; 100]; 3];
            for order in &mut orders {
                sampler.order(&labels, order, &mut rng);
            }
            orders
        };
        let first = epochs(4);
        assert_ne!(first[0], first[1]);
        assert_ne!(first[1], first[2]);
        assert_eq!(first, epochs(4));
        assert_ne!(first, epochs(5));
    }

    #[test]
    fn without_classes_it_is_the_plain_shuffle() {
        let targets = [[0.5f32]; 40];
        let (mut stratified, mut shuffled) = ([0; 40], [0; 40]);
        Stratified::new().order(&targets, &mut stratified, &mut StdRng::seed_from_u64(2));
        Shuffle.order(&targets, &mut shuffled, &mut StdRng::seed_from_u64(2));
        assert!(is_permutation(&stratified));
        assert_eq!(stratified, shuffled);
        // One class: the same.
        Stratified::new().order(
            &[3usize; 40],
            &mut stratified,
            &mut StdRng::seed_from_u64(2),
        );
        assert_eq!(stratified, shuffled);
    }

    #[test]
    fn empty_and_single_rows() {
        let mut rng = StdRng::seed_from_u64(0);
        let mut empty: [usize; 0] = [];
        Stratified::new().order(&[0usize; 0], &mut empty, &mut rng);
        let mut one = [7];
        Stratified::new().order(&[1usize], &mut one, &mut rng);
        assert_eq!(one, [0]);
    }
}
