//! Modes are types: a layer's forward pass is told at compile time whether it is training.
//!
//! [`Train`] carries the random source that dropout draws its masks from (a training pass
//! can take them from the caller instead:
//! [`Network::forward_train_masked`](crate::Network::forward_train_masked)); [`Eval`] carries
//! nothing. A network's `forward`, `predict` and `evaluate` run in `Eval`;
//! [`Training::step`](crate::train::Training::step) and `loss_and_grad` in `Train`. A layer that cannot train on a batch (batch norm on one row)
//! says so at compile time, because the mode is part of the type.

use core::convert::Infallible;
use rand::{Rng, TryRng};

/// Whether a forward pass trains, and the random source it draws from when it does.
pub trait Mode {
    /// `true` for [`Train`], `false` for [`Eval`].
    const TRAINING: bool;
    /// The random source's type.
    type Rng: Rng + ?Sized;
    /// The random source, in training.
    fn rng(&mut self) -> Option<&mut Self::Rng>;
    /// The keep-mask the next dropout layer applies instead of drawing one, when the caller
    /// supplied masks ([`Network::forward_train_masked`](crate::Network::forward_train_masked));
    /// `None`, a constant, in every other mode.
    #[doc(hidden)]
    #[inline(always)]
    fn next_dropout_mask(&mut self) -> Option<&[bool]> {
        None
    }
}

/// Training whose dropout layers apply the keep-masks a caller gave, one per layer in order,
/// instead of drawing them. Built only after the masks were checked against the network.
pub(crate) struct GivenMasks<'m> {
    masks: &'m [&'m [bool]],
    next: usize,
}

impl<'m> GivenMasks<'m> {
    pub(crate) fn new(masks: &'m [&'m [bool]]) -> Self {
        GivenMasks { masks, next: 0 }
    }
}

impl Mode for GivenMasks<'_> {
    const TRAINING: bool = true;
    type Rng = NoRng;
    fn rng(&mut self) -> Option<&mut NoRng> {
        None
    }
    fn next_dropout_mask(&mut self) -> Option<&[bool]> {
        let mask = self.masks.get(self.next).copied();
        self.next += 1;
        mask
    }
}

/// Evaluation: dropout is the identity and batch norm uses its running statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Eval;

/// Training, with the random source that dropout draws its masks from.
///
/// ```
/// use typenet_core::mode::{Mode, Train};
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(1);
/// let mut mode = Train::new(&mut rng);
/// assert!(mode.rng().is_some());
/// ```
#[derive(Debug)]
pub struct Train<'r, R: ?Sized> {
    rng: &'r mut R,
}

impl<'r, R: Rng + ?Sized> Train<'r, R> {
    /// Training that draws from `rng`.
    pub fn new(rng: &'r mut R) -> Self {
        Train { rng }
    }
}

impl<R: Rng + ?Sized> Mode for Train<'_, R> {
    const TRAINING: bool = true;
    type Rng = R;
    fn rng(&mut self) -> Option<&mut R> {
        Some(self.rng)
    }
}

impl Mode for Eval {
    const TRAINING: bool = false;
    type Rng = NoRng;
    fn rng(&mut self) -> Option<&mut NoRng> {
        None
    }
}

/// The random source of [`Eval`], which never draws: it has no values.
#[derive(Debug)]
pub enum NoRng {}

impl TryRng for NoRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        match *self {}
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        match *self {}
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
        match *self {}
    }
}
