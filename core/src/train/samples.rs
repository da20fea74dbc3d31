//! A borrowed view of rows and their targets, which is all a trainer reads of a data set.

use crate::error::Error;

/// Rows (features) and their targets, borrowed: from a [`Dataset`](crate::data::Dataset)
/// (`Samples::from(&dataset)`), or from any two slices of equal length, `static` arrays
/// included.
///
/// ```
/// use typenet_core::train::Samples;
/// static X: [[f32; 2]; 3] = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// static Y: [usize; 3] = [1, 1, 0];
/// let samples = Samples::new(&X, &Y)?;
/// assert_eq!(samples.len(), 3);
/// assert!(Samples::new(&X, &Y[..2]).is_err());
/// # Ok::<(), typenet_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Samples<'a, X, Y> {
    features: &'a [X],
    targets: &'a [Y],
}

impl<X, Y> Clone for Samples<'_, X, Y> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<X, Y> Copy for Samples<'_, X, Y> {}

impl<'a, X, Y> Samples<'a, X, Y> {
    /// Features and their targets, which must be as many.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the lengths differ.
    pub fn new(features: &'a [X], targets: &'a [Y]) -> Result<Self, Error> {
        if features.len() != targets.len() {
            return Err(Error::LengthMismatch {
                what: "features and targets",
                left: features.len(),
                right: targets.len(),
            });
        }
        Ok(Samples { features, targets })
    }

    /// Slices known to be of equal length (a data set's).
    #[cfg(feature = "alloc")]
    pub(crate) fn of_equal_length(features: &'a [X], targets: &'a [Y]) -> Self {
        debug_assert_eq!(features.len(), targets.len());
        Samples { features, targets }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The rows' features.
    pub fn features(&self) -> &'a [X] {
        self.features
    }

    /// The rows' targets.
    pub fn targets(&self) -> &'a [Y] {
        self.targets
    }
}

#[cfg(feature = "alloc")]
impl<'a, const W: usize, T, Y> From<&'a crate::data::Dataset<W, T, Y>> for Samples<'a, [T; W], Y>
where
    T: crate::scalar::Scalar,
    Y: crate::data::Target<T>,
{
    fn from(data: &'a crate::data::Dataset<W, T, Y>) -> Self {
        data.samples()
    }
}

/// What a target says about its class: a class index is one, a regression row is not.
/// The trainer uses it to check labels against the network's outputs before training, and
/// stratified samplers to group rows by class.
pub trait TargetKind {
    /// The class index, for a classification target.
    fn class_index(&self) -> Option<usize>;
}

impl TargetKind for usize {
    fn class_index(&self) -> Option<usize> {
        Some(*self)
    }
}

impl<T, const O: usize> TargetKind for [T; O] {
    fn class_index(&self) -> Option<usize> {
        None
    }
}

impl<T, O: generic_array::ArrayLength> TargetKind for generic_array::GenericArray<T, O> {
    fn class_index(&self) -> Option<usize> {
        None
    }
}

/// [`Error::LabelOutOfRange`] for the first row whose class is not below `classes`.
pub(crate) fn check_labels<Y: TargetKind>(targets: &[Y], classes: usize) -> Result<(), Error> {
    let bad = targets.iter().enumerate().find_map(|(index, y)| {
        y.class_index()
            .filter(|&c| c >= classes)
            .map(|c| (index, c))
    });
    match bad {
        Some((index, label)) => Err(Error::LabelOutOfRange {
            index,
            label,
            classes,
        }),
        None => Ok(()),
    }
}
