//! Data sets of fixed-width rows, checked when they are made: CSV loading, splitting,
//! shuffling, batching and standardization.
//!
//! A [`Dataset`] holds rows of `W` features and a target each: a class label (`usize`) for a
//! classifier, or a row of `O` numbers (`[T; O]`) for a regressor (see [`Target`]). Whatever
//! makes one checks it at the door: there is at least one row, and every feature and target
//! is a finite number, or the error names the row (or the file, line and column) that is not.
//! Code that trains on a data set therefore never meets an empty epoch or a NaN from the data.
//!
//! IDX files (MNIST's format) are read by [`Dataset::from_idx`] and [`Dataset::load_idx`],
//! with pixels scaled to [0, 1].
//!
//! CSV text is read by [`Dataset::from_csv`] and [`Dataset::load_csv`], or with a [`Csv`]
//! format (a header row, the label's column, a declared number of classes) by their `_with`
//! forms. Lines and columns of a file count from 1, as editors and spreadsheets count them;
//! rows of a data set count from 0, as Rust indexes them.
//!
//! Loading and splitting fail with a [`DataError`]; building from vectors with an
//! [`Error`]. A `DataError` converts into an `Error`, so `?` takes both:
//!
//! ```
//! use rand::{rngs::StdRng, SeedableRng};
//! use typenet_core::data::{Csv, Dataset};
//! let text = "label,x,y\n0,0.5,1\n1,2,3.5\n1,4,4\n0,6,1\n1,7,2\n0,8,8\n";
//! let format = Csv::new().header(true).targets_at(0).classes(2);
//! let data = Dataset::<2>::from_csv_with(text, &format)?;
//! assert_eq!((data.len(), data.features()[1], data.labels()[1]), (6, [2.0, 3.5], 1));
//! // Half of each class trains, and the other half tests.
//! let (train, test) = data.split_stratified(0.5, &mut StdRng::seed_from_u64(7))?;
//! assert_eq!((train.len(), test.len()), (4, 2));
//! assert_eq!(train.labels().iter().filter(|&&label| label == 1).count(), 2);
//! # Ok::<(), typenet_core::Error>(())
//! ```

use crate::error::Error;
use crate::scalar::Scalar;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use rand::RngExt;

mod idx;
pub use idx::Idx;

/// A data set of fixed-width rows: features `[T; W]` and a target `Y` each, at least one row,
/// every value finite.
///
/// # Type parameters
/// `W` features per row; `T` the scalar (`f32` unless given); `Y` the target: a class label
/// `usize` (unless given) or a row of regression targets `[T; O]`.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use typenet_core::data::Dataset;
/// let mut data = Dataset::<2>::from_csv("0.5,1,0\n2,3.5,1\n4,4,1\n6,1,0\n7,2,1\n")?;
/// assert_eq!((data.len(), data.classes()), (5, 2));
/// assert_eq!((data.features()[1], data.labels()[1]), ([2.0, 3.5], 1));
/// data.shuffle(&mut StdRng::seed_from_u64(7)); // rows keep their labels
/// let (train, test) = data.split_at(4)?;
/// assert_eq!((train.len(), test.len()), (4, 1));
/// // Full batches only: 4 rows make one batch of 3, and one row sits this epoch out.
/// let batch: Vec<(&[[f32; 2]; 3], &[usize; 3])> = train.batches::<3>().collect();
/// assert_eq!(batch.len(), 1);
///
/// // A regressor's data set: one feature and two targets a row.
/// let curve = Dataset::<1, f64, [f64; 2]>::from_csv("0,1,-1\n0.5,2,-2\n")?;
/// assert_eq!(curve.targets(), &[[1.0, -1.0], [2.0, -2.0]]);
/// # Ok::<(), typenet_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<const W: usize, T = f32, Y = usize> {
    features: Vec<[T; W]>,
    targets: Vec<Y>,
}

/// What a row of a [`Dataset`] is labelled with: a class label `usize` (one CSV column, a
/// whole number from 0) or a row of regression targets `[T; O]` (`O` CSV columns, each a
/// finite number).
///
/// The trait is sealed: loading, checking and splitting rely on these two forms.
///
/// ```
/// use typenet_core::data::Target;
/// assert_eq!(<usize as Target<f32>>::COLUMNS, 1);
/// assert_eq!(<[f32; 3] as Target<f32>>::COLUMNS, 3);
/// ```
pub trait Target<T: Scalar>: Copy + sealed::TargetParts<T> {
    /// How many CSV columns (and values) one target takes: 1 for a class label, `O` for
    /// `[T; O]`.
    const COLUMNS: usize;
}

mod sealed {
    /// The parts of [`Target`](super::Target) that only this module uses.
    pub trait TargetParts<T>: Sized {
        /// Whether the target is a class label rather than a row of numbers.
        const IS_LABEL: bool;
        /// The target in `fields` (trimmed), or the position in `fields` of the first that
        /// is not valid and what it should have held.
        fn parse(fields: &[&str]) -> Result<Self, (usize, &'static str)>;
        /// The position of the first NaN or infinite value, if any.
        fn first_non_finite(&self) -> Option<usize>;
        /// The class, for a label.
        fn class(&self) -> Option<usize>;
    }
}

const LABEL: &str = "a class label (a whole number from 0)";

impl<T: Scalar> Target<T> for usize {
    const COLUMNS: usize = 1;
}

impl<T: Scalar> sealed::TargetParts<T> for usize {
    const IS_LABEL: bool = true;

    fn parse(fields: &[&str]) -> Result<Self, (usize, &'static str)> {
        let field = fields.first().copied().unwrap_or_default();
        field.parse().map_err(|_| (0, LABEL))
    }

    fn first_non_finite(&self) -> Option<usize> {
        None
    }

    fn class(&self) -> Option<usize> {
        Some(*self)
    }
}

impl<T: Scalar, const O: usize> Target<T> for [T; O] {
    const COLUMNS: usize = {
        assert!(O > 0, "a regression target needs at least one value");
        O
    };
}

impl<T: Scalar, const O: usize> sealed::TargetParts<T> for [T; O] {
    const IS_LABEL: bool = false;

    fn parse(fields: &[&str]) -> Result<Self, (usize, &'static str)> {
        let mut row = [T::ZERO; O];
        for (k, (x, field)) in row.iter_mut().zip(fields).enumerate() {
            *x = parse_number(field).map_err(|expected| (k, expected))?;
        }
        Ok(row)
    }

    fn first_non_finite(&self) -> Option<usize> {
        self.iter().position(|x| !x.is_finite())
    }

    fn class(&self) -> Option<usize> {
        None
    }
}

/// A finite number, or what `field` should have held.
fn parse_number<T: Scalar>(field: &str) -> Result<T, &'static str> {
    match field.parse::<T>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err("a finite number"),
        Err(_) => Err("a number"),
    }
}

/// How CSV text lays out a data set: whether its first line is a header, where the target
/// columns are, and how many classes its labels may name. [`Csv::new`] (the default) reads
/// what [`Dataset::from_csv`] reads: no header, the target columns last, any label.
///
/// ```
/// use typenet_core::data::{Csv, Dataset};
/// let text = "label,x,y\n1,0.5,2\n0,1.5,3\n";
/// let format = Csv::new().header(true).targets_at(0).classes(2);
/// let data = Dataset::<2>::from_csv_with(text, &format)?;
/// assert_eq!((data.features(), data.labels()), (&[[0.5, 2.0], [1.5, 3.0]][..], &[1, 0][..]));
/// let err = Dataset::<2>::from_csv_with("label,x,y\n2,0,0\n", &format).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "line 2, column 1: label 2 is out of range: the data set has 2 classes (0..2)"
/// );
/// # Ok::<(), typenet_core::data::DataError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Csv {
    header: bool,
    /// The position of the first target column, counting from 0; `None` for last.
    targets_at: Option<usize>,
    classes: Option<usize>,
}

impl Csv {
    /// No header, the target columns last, any class label.
    pub const fn new() -> Self {
        Csv {
            header: false,
            targets_at: None,
            classes: None,
        }
    }

    /// Whether the first non-blank line is a header, to be skipped. Its number of columns
    /// must still be a row's.
    pub const fn header(self, header: bool) -> Self {
        Csv { header, ..self }
    }

    /// The target columns start at position `column`, counting from 0: the label's column
    /// (0 for first), or the first of a regression row's `O` columns. Loading fails if the
    /// targets would run past the end of a row.
    pub const fn targets_at(self, column: usize) -> Self {
        Csv {
            targets_at: Some(column),
            ..self
        }
    }

    /// The target columns are the last of each row (the default).
    pub const fn targets_last(self) -> Self {
        Csv {
            targets_at: None,
            ..self
        }
    }

    /// Labels must be below `classes`, so that a label the network cannot output is an
    /// error at load time, naming its line and column. Only for class labels: loading
    /// regression targets with a class count fails.
    pub const fn classes(self, classes: usize) -> Self {
        Csv {
            classes: Some(classes),
            ..self
        }
    }
}

impl<const W: usize, T: Scalar, Y: Target<T>> Dataset<W, T, Y> {
    /// A data set from rows and their targets, which must be as many, at least one, and
    /// (features and regression targets) finite.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`], [`Error::Empty`], or [`Error::NonFiniteValue`] naming the
    /// first row (from 0) and column (from 0 within the features, or within the target row)
    /// with a NaN or infinite value.
    ///
    /// ```
    /// use typenet_core::{data::Dataset, Error};
    /// let data = Dataset::new(vec![[1.0f32, 2.0], [3.0, 4.0]], vec![0, 1])?;
    /// assert_eq!(data.len(), 2);
    /// let err = Dataset::new(vec![[1.0f32, 2.0], [3.0, f32::NAN]], vec![0, 1]).unwrap_err();
    /// assert_eq!(err, Error::NonFiniteValue { what: "feature", row: 1, column: 1 });
    /// assert_eq!(err.to_string(), "feature 1 of row 1 (counting from 0) is NaN or infinite");
    /// # Ok::<(), Error>(())
    /// ```
    pub fn new(features: Vec<[T; W]>, targets: Vec<Y>) -> Result<Self, Error> {
        if features.len() != targets.len() {
            return Err(Error::LengthMismatch {
                what: "features and targets",
                left: features.len(),
                right: targets.len(),
            });
        }
        if features.is_empty() {
            return Err(Error::Empty { what: "data set" });
        }
        for (row, (x, y)) in features.iter().zip(&targets).enumerate() {
            if let Some(column) = x.iter().position(|x| !x.is_finite()) {
                let what = "feature";
                return Err(Error::NonFiniteValue { what, row, column });
            }
            if let Some(column) = y.first_non_finite() {
                let what = "target";
                return Err(Error::NonFiniteValue { what, row, column });
            }
        }
        Ok(Dataset { features, targets })
    }

    /// Parses comma-separated text without a header: on each non-blank line, `W` finite
    /// numbers and then the target (a class label, a whole number from 0, or `O` finite
    /// numbers). Spaces around values, `\r\n` line endings and a leading byte-order mark are
    /// accepted; blank lines are skipped but still counted in the line numbers of errors.
    /// Text without a data row is an error.
    ///
    /// ```
    /// use typenet_core::data::Dataset;
    /// let err = Dataset::<2>::from_csv("1,2,0\n1,x,0\n").unwrap_err();
    /// assert_eq!(err.to_string(), r#"line 2, column 2: expected a number, found "x""#);
    /// let err = Dataset::<2>::from_csv("\u{feff}\r\n\r\n").unwrap_err();
    /// assert_eq!(err.to_string(), "the text has no data rows");
    /// ```
    pub fn from_csv(text: &str) -> Result<Self, DataError> {
        Self::from_csv_with(text, &Csv::new())
    }

    /// Parses comma-separated text laid out as `format` says, otherwise as
    /// [`from_csv`](Dataset::from_csv) does. A header, if `format` has one, is the first
    /// non-blank line.
    ///
    /// ```
    /// use typenet_core::data::{Csv, Dataset};
    /// let format = Csv::new().header(true);
    /// let data = Dataset::<1, f32, [f32; 2]>::from_csv_with("x,y,z\n1,2,3\n", &format)?;
    /// assert_eq!((data.features(), data.targets()), (&[[1.0]][..], &[[2.0, 3.0]][..]));
    /// let err = Dataset::<1, f32, [f32; 2]>::from_csv_with("x,y,z\n", &format).unwrap_err();
    /// assert_eq!(err.to_string(), "the text has no data rows, only a header");
    /// # Ok::<(), typenet_core::data::DataError>(())
    /// ```
    pub fn from_csv_with(text: &str, format: &Csv) -> Result<Self, DataError> {
        let shape = Shape::of::<W, T, Y>();
        let start = format.targets_at.unwrap_or(W);
        if start > W {
            return Err(DataError::new(Kind::TargetsAt { start, shape }));
        }
        if format.classes.is_some() && !Y::IS_LABEL {
            return Err(DataError::new(Kind::ClassesOfRows(shape)));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (mut features, mut targets) = (Vec::new(), Vec::new());
        let mut fields = Vec::with_capacity(shape.columns());
        let mut header = format.header;
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = |column: Option<usize>, kind| DataError {
                file: None,
                place: Some((i + 1, column)),
                kind,
            };
            fields.clear();
            fields.extend(line.split(',').map(str::trim));
            let found = fields.len();
            if found != shape.columns() {
                return Err(at(
                    None,
                    Kind::Count {
                        shape,
                        found,
                        header,
                    },
                ));
            }
            if header {
                header = false;
                continue;
            }
            let (row, target) = parse_row(&fields, start, format.classes)
                .map_err(|(column, kind)| at(Some(column + 1), kind))?;
            features.push(row);
            targets.push(target);
        }
        if features.is_empty() {
            let only_header = format.header && !header;
            return Err(DataError::new(Kind::NoRows { only_header }));
        }
        Ok(Dataset { features, targets })
    }

    /// Reads and parses a CSV file as [`from_csv`](Dataset::from_csv) does. Every error names
    /// the file.
    ///
    /// ```
    /// use typenet_core::data::Dataset;
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/digits.csv");
    /// let digits = Dataset::<64>::load_csv(path)?;
    /// assert_eq!((digits.len(), digits.classes()), (1797, 10));
    /// # Ok::<(), typenet_core::data::DataError>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn load_csv(path: impl AsRef<std::path::Path>) -> Result<Self, DataError> {
        Self::load_csv_with(path, &Csv::new())
    }

    /// Reads and parses a CSV file laid out as `format` says. Every error names the file:
    /// `"data/x.csv": line 12, column 65: …`, `"data/x.csv" has no data rows`, or
    /// `cannot read "data/x.csv": …`.
    ///
    /// ```
    /// use typenet_core::data::{Csv, Dataset};
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/digits.csv");
    /// let digits = Dataset::<64>::load_csv_with(path, &Csv::new().classes(10))?;
    /// assert_eq!(digits.len(), 1797);
    /// let err = Dataset::<64>::load_csv_with(path, &Csv::new().classes(9)).unwrap_err();
    /// assert!(err.to_string().ends_with(
    ///     r#"digits.csv": line 10, column 65: label 9 is out of range: the data set has 9 classes (0..9)"#
    /// ));
    /// # Ok::<(), typenet_core::data::DataError>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn load_csv_with(
        path: impl AsRef<std::path::Path>,
        format: &Csv,
    ) -> Result<Self, DataError> {
        use alloc::string::ToString;
        let path = path.as_ref();
        let file = || path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DataError {
            file: Some(file()),
            place: None,
            kind: Kind::Read(ReadError {
                kind: e.kind(),
                message: e.to_string(),
            }),
        })?;
        Self::from_csv_with(&text, format).map_err(|e| DataError {
            file: Some(file()),
            ..e
        })
    }

    /// The number of rows: at least 1.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no rows: never, since every way of making a data set rejects that.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The rows' features.
    pub fn features(&self) -> &[[T; W]] {
        &self.features
    }

    /// The rows' features, to change in place (e.g. to standardize them). What is written
    /// is not checked again: keep it finite.
    pub fn features_mut(&mut self) -> &mut [[T; W]] {
        &mut self.features
    }

    /// The rows' targets.
    pub fn targets(&self) -> &[Y] {
        &self.targets
    }

    /// The rows and targets as [`Samples`](crate::train::Samples), what a
    /// [`Trainer`](crate::train::Trainer) reads.
    pub fn samples(&self) -> crate::train::Samples<'_, [T; W], Y> {
        // A data set has as many targets as rows by construction.
        crate::train::Samples::of_equal_length(&self.features, &self.targets)
    }

    /// Each row's features with its target, in order.
    ///
    /// ```
    /// use typenet_core::data::Dataset;
    /// let data = Dataset::<1>::from_csv("0.5,1\n2,0\n")?;
    /// let rows: Vec<(&[f32; 1], &usize)> = data.iter().collect();
    /// assert_eq!(rows, [(&[0.5], &1), (&[2.0], &0)]);
    /// # Ok::<(), typenet_core::data::DataError>(())
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[T; W], &Y)> + DoubleEndedIterator {
        self.features.iter().zip(&self.targets)
    }

    /// The first `n` rows and the rest, in their current order (see
    /// [`split_random`](Dataset::split_random) for a random split). `self` is left as it was.
    ///
    /// # Errors
    /// When a part would have no rows: `n` is 0, or not less than the number of rows.
    pub fn split_at(&self, n: usize) -> Result<(Self, Self), DataError> {
        self.check_split(n)?;
        let (first, rest) = (self.features.split_at(n), self.targets.split_at(n));
        let part = |features: &[[T; W]], targets: &[Y]| Dataset {
            features: features.to_vec(),
            targets: targets.to_vec(),
        };
        Ok((part(first.0, rest.0), part(first.1, rest.1)))
    }

    /// `n_first` rows chosen uniformly at random, and the rest. Which rows go first depends
    /// only on `rng` and the number of rows, so a seeded generator repeats the split; both
    /// parts keep the rows in their current relative order. `self` is left as it was.
    ///
    /// ```
    /// use rand::{rngs::StdRng, SeedableRng};
    /// use typenet_core::data::Dataset;
    /// let data = Dataset::<1>::from_csv("0,0\n1,0\n2,1\n3,1\n4,1\n")?;
    /// let (train, test) = data.split_random(3, &mut StdRng::seed_from_u64(1))?;
    /// assert_eq!((train.len(), test.len()), (3, 2));
    /// assert_eq!(data.split_random(3, &mut StdRng::seed_from_u64(1))?, (train, test));
    /// assert!(data.split_random(5, &mut StdRng::seed_from_u64(1)).is_err());
    /// # Ok::<(), typenet_core::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// When a part would have no rows: `n_first` is 0, or not less than the number of rows.
    /// Nothing is drawn from `rng` then.
    pub fn split_random<R: rand::Rng + ?Sized>(
        &self,
        n_first: usize,
        rng: &mut R,
    ) -> Result<(Self, Self), DataError> {
        self.check_split(n_first)?;
        // A partial Fisher–Yates shuffle of the row indices: its first `n_first` entries are
        // a uniformly random choice of rows.
        let mut order: Vec<usize> = (0..self.len()).collect();
        let mut first = vec![false; self.len()];
        for i in 0..n_first {
            let j = rng.random_range(i..order.len());
            order.swap(i, j);
            first[order[i]] = true;
        }
        Ok(self.partition(&first))
    }

    /// Replaces every feature value `x` with `f(x)`, e.g. to scale pixels into `0..=1`. What
    /// `f` returns is not checked again: keep it finite.
    pub fn map_features(&mut self, mut f: impl FnMut(T) -> T) {
        for x in self.features.iter_mut().flatten() {
            *x = f(*x);
        }
    }

    /// Puts the rows in a uniformly random order (Fisher–Yates), each keeping its target.
    /// The order depends only on the generator's output, so a seeded generator repeats it.
    pub fn shuffle<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) {
        for i in (1..self.len()).rev() {
            let j = rng.random_range(0..=i);
            self.features.swap(i, j);
            self.targets.swap(i, j);
        }
    }

    /// Consecutive full batches of `B` rows with their targets, borrowed without copying.
    ///
    /// The last `len() % B` rows are not yielded; [`shuffle`](Dataset::shuffle) before each
    /// epoch so that different rows are left out each time. `B = 0` is rejected when the
    /// program is built (`cargo build`, not `cargo check`).
    pub fn batches<const B: usize>(&self) -> impl Iterator<Item = (&[[T; W]; B], &[Y; B])> {
        const { assert!(B > 0, "a batch needs at least one row") };
        chunks(&self.features).zip(chunks(&self.targets))
    }

    /// An error unless `first` rows leave at least one row for each part.
    fn check_split(&self, first: usize) -> Result<(), DataError> {
        let rows = self.len();
        if first == 0 || first >= rows {
            return Err(DataError::new(Kind::Split { rows, first }));
        }
        Ok(())
    }

    /// The rows marked in `first`, and the others, each in their current order.
    fn partition(&self, first: &[bool]) -> (Self, Self) {
        let empty = || Dataset {
            features: Vec::new(),
            targets: Vec::new(),
        };
        let (mut a, mut b) = (empty(), empty());
        for ((x, y), &goes_first) in self.iter().zip(first) {
            let part = if goes_first { &mut a } else { &mut b };
            part.features.push(*x);
            part.targets.push(*y);
        }
        (a, b)
    }
}

impl<const W: usize, T: Scalar> Dataset<W, T, usize> {
    /// The rows' class labels.
    pub fn labels(&self) -> &[usize] {
        &self.targets
    }

    /// The number of classes: the largest label plus one.
    pub fn classes(&self) -> usize {
        self.targets
            .iter()
            .max()
            .map_or(0, |&m| m.saturating_add(1))
    }

    /// Checks that every label is below `classes`, e.g. a network's number of outputs.
    ///
    /// # Errors
    /// [`Error::LabelOutOfRange`] naming the first row (from 0) whose label is not.
    ///
    /// ```
    /// use typenet_core::{data::Dataset, Error};
    /// let data = Dataset::<1>::from_csv("0.5,1\n2,0\n3,2\n")?;
    /// assert_eq!(data.check_classes(3), Ok(()));
    /// let err = data.check_classes(2).unwrap_err();
    /// assert_eq!(err, Error::LabelOutOfRange { index: 2, label: 2, classes: 2 });
    /// # Ok::<(), Error>(())
    /// ```
    pub fn check_classes(&self, classes: usize) -> Result<(), Error> {
        match self.targets.iter().position(|&label| label >= classes) {
            Some(index) => Err(Error::LabelOutOfRange {
                index,
                label: self.targets[index],
                classes,
            }),
            None => Ok(()),
        }
    }

    /// Splits each class's rows by `fraction_first`, so that both parts keep each class's
    /// share: each class's rows are shuffled with `rng`, and the first
    /// round(`fraction_first` × the class's rows) of them go first, rounding halves away from
    /// zero (half of a class of 5 puts 3 first). Classes are visited in increasing order;
    /// both parts keep the rows in their current relative order. A class too small for the
    /// fraction may end up in one part only. `self` is left as it was.
    ///
    /// ```
    /// use rand::{rngs::StdRng, SeedableRng};
    /// use typenet_core::data::Dataset;
    /// // Four rows of class 0, six of class 1.
    /// let data = Dataset::<1>::from_csv("0,0\n1,0\n2,0\n3,0\n4,1\n5,1\n6,1\n7,1\n8,1\n9,1\n")?;
    /// let (train, test) = data.split_stratified(0.75, &mut StdRng::seed_from_u64(3))?;
    /// let count = |part: &Dataset<1>, class| part.labels().iter().filter(|&&l| l == class).count();
    /// // 0.75 × 4 = 3 and 0.75 × 6 = 4.5, rounded to 5.
    /// assert_eq!((count(&train, 0), count(&train, 1)), (3, 5));
    /// assert_eq!((count(&test, 0), count(&test, 1)), (1, 1));
    /// # Ok::<(), typenet_core::data::DataError>(())
    /// ```
    ///
    /// # Errors
    /// When `fraction_first` is not between 0 and 1 (both excluded), or the rounding leaves a
    /// part without rows. Nothing is drawn from `rng` then.
    pub fn split_stratified<R: rand::Rng + ?Sized>(
        &self,
        fraction_first: f64,
        rng: &mut R,
    ) -> Result<(Self, Self), DataError> {
        let fraction = fraction_first;
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(DataError::new(Kind::Fraction(fraction)));
        }
        // The row indices by class; a stable sort keeps each class's rows in their order.
        let mut by_class: Vec<usize> = (0..self.len()).collect();
        by_class.sort_by_key(|&i| self.targets[i]);
        let same_class = |&a: &usize, &b: &usize| self.targets[a] == self.targets[b];
        // round(f·n) ≤ n for f < 1, so every class can give its share.
        let share = |class: &[usize]| libm::round(fraction * class.len() as f64) as usize;
        let first_rows: usize = by_class.chunk_by(same_class).map(share).sum();
        let rows = self.len();
        if first_rows == 0 || first_rows == rows {
            let kind = Kind::Stratified {
                fraction,
                rows,
                first: first_rows,
            };
            return Err(DataError::new(kind));
        }
        let mut first = vec![false; rows];
        for class in by_class.chunk_by_mut(same_class) {
            shuffle_slice(class, rng);
            for &i in class.iter().take(share(class)) {
                first[i] = true;
            }
        }
        Ok(self.partition(&first))
    }
}

/// Puts `items` in a uniformly random order, as [`Dataset::shuffle`] does its rows.
fn shuffle_slice<X, R: rand::Rng + ?Sized>(items: &mut [X], rng: &mut R) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.random_range(0..=i));
    }
}

/// The full chunks of `B` items, as arrays. (`<[X]>::as_chunks` says the same in its types,
/// but needs Rust 1.88.)
fn chunks<const B: usize, X>(items: &[X]) -> impl Iterator<Item = &[X; B]> {
    // Every chunk has exactly `B` items, so every conversion succeeds.
    items.chunks_exact(B).filter_map(|c| c.try_into().ok())
}

/// One row's features and target from its trimmed `fields` (as many as a row has columns),
/// with the target columns from `start`; or the column (from 0) and kind of its first error,
/// in column order.
fn parse_row<const W: usize, T: Scalar, Y: Target<T>>(
    fields: &[&str],
    start: usize,
    classes: Option<usize>,
) -> Result<([T; W], Y), (usize, Kind)> {
    let (before, rest) = fields.split_at(start);
    let (target, after) = rest.split_at(Y::COLUMNS);
    let mut row = [T::ZERO; W];
    let (row_before, row_after) = row.split_at_mut(start);
    parse_features(before, 0, row_before)?;
    let y = Y::parse(target).map_err(|(k, expected)| {
        let found = target.get(k).copied().unwrap_or_default();
        (start + k, Kind::Value(expected, found.into()))
    })?;
    if let (Some(classes), Some(label)) = (classes, y.class()) {
        if label >= classes {
            return Err((start, Kind::LabelRange { label, classes }));
        }
    }
    parse_features(after, start + Y::COLUMNS, row_after)?;
    Ok((row, y))
}

/// Parses `fields`, the first in column `first_column` (from 0), into `xs`.
fn parse_features<T: Scalar>(
    fields: &[&str],
    first_column: usize,
    xs: &mut [T],
) -> Result<(), (usize, Kind)> {
    for (k, (x, field)) in xs.iter_mut().zip(fields).enumerate() {
        *x = parse_number(field)
            .map_err(|expected| (first_column + k, Kind::Value(expected, (*field).into())))?;
    }
    Ok(())
}

// Lives with the other normalizers; re-exported so that `data::Standardizer` still works.
pub use crate::normalize::Standardizer;

/// A data set that could not be loaded or split, naming the file, line (from 1) and column
/// (from 1) where it can. It converts into [`Error`], and is `Clone` and `PartialEq` so that
/// it can sit inside one.
///
/// ```
/// use typenet_core::data::Dataset;
/// let err = Dataset::<2>::from_csv("1,2,0\n1,x,0\n").unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2, column 2: expected a number, found "x""#);
/// assert_eq!((err.line(), err.column()), (Some(2), Some(2)));
/// let err = Dataset::<64>::from_csv("1,2,3\n").unwrap_err();
/// assert_eq!(err.to_string(), "line 1: expected 65 values (64 features and a label), found 3");
/// assert_eq!((err.line(), err.column(), err.file()), (Some(1), None, None));
/// let err = Dataset::<64>::load_csv("data/no-such-file.csv").unwrap_err();
/// assert!(err.to_string().starts_with(r#"cannot read "data/no-such-file.csv": "#));
/// assert_eq!(err.file(), Some("data/no-such-file.csv"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DataError {
    /// The file, as its path was given, when loading one.
    file: Option<String>,
    /// The line and, if known, the column.
    place: Option<(usize, Option<usize>)>,
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// What a field should have held, and what it held.
    Value(&'static str, String),
    /// A line (the header, if `header`) with a number of fields that is not a row's.
    Count {
        shape: Shape,
        found: usize,
        header: bool,
    },
    /// A label not below the classes declared.
    LabelRange { label: usize, classes: usize },
    /// No data row in the text.
    NoRows { only_header: bool },
    /// Target columns that would start past the last position possible.
    TargetsAt { start: usize, shape: Shape },
    /// A class count declared for regression targets.
    ClassesOfRows(Shape),
    /// A split that would leave a part without rows.
    Split { rows: usize, first: usize },
    /// A stratified split's fraction outside (0, 1).
    Fraction(f64),
    /// A stratified split whose rounding leaves a part without rows.
    Stratified {
        fraction: f64,
        rows: usize,
        first: usize,
    },
    /// A file that could not be read.
    #[cfg(feature = "std")]
    Read(ReadError),
    /// An IDX file, images or labels, that is not what it should be.
    Idx(idx::Part, idx::Problem),
}

/// The columns of a row, for messages: "64 features and a label", "3 features and 2 targets".
#[derive(Clone, Copy, Debug, PartialEq)]
struct Shape {
    features: usize,
    targets: usize,
    label: bool,
}

impl Shape {
    fn of<const W: usize, T: Scalar, Y: Target<T>>() -> Self {
        Shape {
            features: W,
            targets: Y::COLUMNS,
            label: Y::IS_LABEL,
        }
    }

    fn columns(self) -> usize {
        self.features + self.targets
    }
}

/// "s" unless `n` is 1.
fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = self.features;
        write!(f, "{w} feature{} and ", plural(w))?;
        if self.label {
            f.write_str("a label")
        } else {
            write!(f, "{} target{}", self.targets, plural(self.targets))
        }
    }
}

/// Why a file could not be read: the `std::io::Error`'s kind and message, which (unlike the
/// error itself) can be cloned and compared.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq)]
struct ReadError {
    kind: std::io::ErrorKind,
    message: String,
}

#[cfg(feature = "std")]
impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(feature = "std")]
impl core::error::Error for ReadError {}

impl DataError {
    fn new(kind: Kind) -> Self {
        DataError {
            file: None,
            place: None,
            kind,
        }
    }

    /// The file, as its path was given to [`Dataset::load_csv`] or
    /// [`Dataset::load_csv_with`].
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The line, counting from 1, where the error is.
    pub fn line(&self) -> Option<usize> {
        self.place.map(|(line, _)| line)
    }

    /// The column (comma-separated field), counting from 1, where the error is.
    pub fn column(&self) -> Option<usize> {
        self.place.and_then(|(_, column)| column)
    }

    /// The kind of the input/output error, when a file could not be read.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use typenet_core::data::Dataset;
    /// let err = Dataset::<2>::load_csv("data/no-such-file.csv").unwrap_err();
    /// assert_eq!(err.io_error_kind(), Some(ErrorKind::NotFound));
    /// ```
    #[cfg(feature = "std")]
    pub fn io_error_kind(&self) -> Option<std::io::ErrorKind> {
        match &self.kind {
            Kind::Read(e) => Some(e.kind),
            _ => None,
        }
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref();
        match (&self.kind, file) {
            (Kind::NoRows { only_header }, _) => {
                match file {
                    Some(file) => write!(f, "\"{file}\" has no data rows")?,
                    None => f.write_str("the text has no data rows")?,
                }
                if *only_header {
                    f.write_str(", only a header")?;
                }
                return Ok(());
            }
            #[cfg(feature = "std")]
            (Kind::Read(e), Some(file)) => return write!(f, "cannot read \"{file}\": {e}"),
            (_, Some(file)) => write!(f, "\"{file}\": ")?,
            (Kind::Idx(part, _), None) => write!(f, "{}: ", part.noun())?,
            (_, None) => {}
        }
        match self.place {
            Some((line, Some(column))) => write!(f, "line {line}, column {column}: ")?,
            Some((line, None)) => write!(f, "line {line}: ")?,
            None => {}
        }
        match &self.kind {
            Kind::Value(expected, found) => write!(f, "expected {expected}, found {found:?}"),
            Kind::Count {
                shape,
                found,
                header: false,
            } => {
                let n = shape.columns();
                write!(f, "expected {n} value{} ({shape}), found {found}", plural(n))
            }
            Kind::Count {
                shape,
                found,
                header: true,
            } => write!(
                f,
                "the header has {found} column{}, but a row has {} ({shape})",
                plural(*found),
                shape.columns()
            ),
            Kind::LabelRange { label, classes } => write!(
                f,
                "label {label} is out of range: the data set has {classes} classes (0..{classes})"
            ),
            Kind::NoRows { .. } => Ok(()), // written above
            Kind::TargetsAt { start, shape } => write!(
                f,
                "the target columns cannot start at position {start} (counting from 0): a row \
                 has {} columns ({shape}), so they can start at 0 to {}",
                shape.columns(),
                shape.features
            ),
            Kind::ClassesOfRows(shape) => write!(
                f,
                "a number of classes was declared, but the targets are not class labels ({shape})"
            ),
            Kind::Split { rows, first } => write!(
                f,
                "cannot split {rows} rows with {first} in the first part: each part needs at least one row"
            ),
            Kind::Fraction(fraction) => write!(
                f,
                "the fraction of rows for the first part must be between 0 and 1 (both excluded), not {fraction}"
            ),
            Kind::Stratified {
                fraction,
                rows,
                first,
            } => write!(
                f,
                "a fraction of {fraction} puts {first} of the {rows} rows in the first part: each part needs at least one row"
            ),
            #[cfg(feature = "std")]
            Kind::Read(e) => write!(f, "cannot read the file: {e}"),
            Kind::Idx(part, problem) => problem.write(*part, f),
        }
    }
}

impl core::error::Error for DataError {
    /// For a file that could not be read, the reason (its kind is
    /// [`io_error_kind`](DataError::io_error_kind)).
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match &self.kind {
            #[cfg(feature = "std")]
            Kind::Read(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{format, string::ToString, vec};
    use rand::{rngs::StdRng, SeedableRng};

    /// The message of the error in `text`, checked to begin with the error's line and column.
    fn error<const W: usize>(text: &str) -> String {
        let e = Dataset::<W>::from_csv(text).unwrap_err();
        let place = match (e.line(), e.column()) {
            (Some(line), Some(column)) => format!("line {line}, column {column}: "),
            (Some(line), None) => format!("line {line}: "),
            (None, _) => String::new(),
        };
        let message = e.to_string();
        let rest = message.strip_prefix(&place).unwrap_or_default();
        assert!(
            rest.starts_with("expected "),
            "{message:?} is not at {place:?}"
        );
        message
    }

    /// `n` rows whose one feature is the row's index and whose label is 100 + the index.
    fn numbered(n: usize) -> Dataset<1, f64> {
        let labels = (0..n).map(|i| 100 + i).collect();
        Dataset::new((0..n).map(|i| [i as f64]).collect(), labels).unwrap()
    }

    /// How many rows of `data` have `label`.
    fn count<const W: usize>(data: &Dataset<W, f64>, label: usize) -> usize {
        data.labels().iter().filter(|&&l| l == label).count()
    }

    #[test]
    fn parses_values_and_labels() {
        let data = Dataset::<3, f64>::from_csv("0.5, -1,2e3,7\n0,0,16,0\n").unwrap();
        assert_eq!(data.features(), &[[0.5, -1.0, 2000.0], [0.0, 0.0, 16.0]]);
        assert_eq!(data.labels(), &[7, 0]);
        assert_eq!(data.targets(), data.labels());
        assert_eq!((data.len(), data.is_empty(), data.classes()), (2, false, 8));
        let mut pixels = Dataset::<2>::from_csv("16,8,0\n0,4,1\n").unwrap();
        pixels.map_features(|x| x / 16.0);
        assert_eq!(pixels.features(), &[[1.0, 0.5], [0.0, 0.25]]);
        pixels.features_mut()[1] = [2.0, 3.0];
        assert_eq!(pixels.features(), &[[1.0, 0.5], [2.0, 3.0]]);
        let rows: Vec<_> = pixels.iter().rev().collect();
        assert_eq!(rows, [(&[2.0, 3.0], &1), (&[1.0, 0.5], &0)]);
    }

    #[test]
    fn accepts_crlf_and_blank_lines() {
        let data = Dataset::<2>::from_csv("\u{feff}1,2,3\r\n\r\n4,5,6\r\n\r\n\n  \n").unwrap();
        assert_eq!(data.features(), &[[1.0, 2.0], [4.0, 5.0]]);
        assert_eq!(data.labels(), &[3, 6]);
        // Blank lines still count in line numbers.
        assert!(error::<2>("1,2,3\r\n\r\n4,x,6\r\n").starts_with("line 3, column 2: "));
    }

    #[test]
    fn names_line_and_column_of_bad_values() {
        let texts = [
            "1,2,0\n1,2,3.5\n",
            "1,2,-1",
            "1,abc,0",
            "1, ,0",
            "\n\n1,2\n",
            "NaN,0,0",
            "0,-inf,0",
            "1e39,0,0",
        ];
        let expected = r#"line 2, column 3: expected a class label (a whole number from 0), found "3.5"
line 1, column 3: expected a class label (a whole number from 0), found "-1"
line 1, column 2: expected a number, found "abc"
line 1, column 2: expected a number, found ""
line 3: expected 3 values (2 features and a label), found 2
line 1, column 1: expected a finite number, found "NaN"
line 1, column 2: expected a finite number, found "-inf"
line 1, column 1: expected a finite number, found "1e39""#;
        assert_eq!(texts.len(), expected.lines().count());
        for (text, expected) in texts.iter().zip(expected.lines()) {
            assert_eq!(error::<2>(text), expected);
        }
        let message = "line 1: expected 65 values (64 features and a label), found 64";
        assert_eq!(error::<64>(&["0"; 64].join(",")), message);
        let message = "line 1: expected 2 values (1 feature and a label), found 3";
        assert_eq!(error::<1>("1,2,3"), message);
    }

    #[test]
    fn text_without_data_rows_is_an_error() {
        for text in ["", "\n\n", "  \r\n\t\n", "\u{feff}", "\u{feff}\r\n \n"] {
            let e = Dataset::<2>::from_csv(text).unwrap_err();
            assert_eq!(e.to_string(), "the text has no data rows", "{text:?}");
            assert_eq!((e.line(), e.column(), e.file()), (None, None, None));
        }
        let header = Csv::new().header(true);
        for text in ["a,b,label", "\u{feff}\n a, b ,label\r\n\n"] {
            let e = Dataset::<2>::from_csv_with(text, &header).unwrap_err();
            let message = "the text has no data rows, only a header";
            assert_eq!(e.to_string(), message, "{text:?}");
        }
        // Expecting a header, empty text has neither.
        let e = Dataset::<2>::from_csv_with("\u{feff}", &header).unwrap_err();
        assert_eq!(e.to_string(), "the text has no data rows");
    }

    #[test]
    fn a_header_is_skipped_but_counted() {
        let header = Csv::new().header(true);
        let text = "\u{feff}\nx,y,label\n1,2,0\n\n3,4,1\n";
        let data = Dataset::<2>::from_csv_with(text, &header).unwrap();
        assert_eq!(data.features(), &[[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(data.labels(), &[0, 1]);
        // Line numbers count the header and blank lines.
        let e = Dataset::<2>::from_csv_with("x,y,label\n1,2,0\n\n3,y,1\n", &header).unwrap_err();
        let message = r#"line 4, column 2: expected a number, found "y""#;
        assert_eq!(e.to_string(), message);
        let e = Dataset::<2>::from_csv_with("\nx,label\n1,2,0\n", &header).unwrap_err();
        let message = "line 2: the header has 2 columns, but a row has 3 (2 features and a label)";
        assert_eq!(e.to_string(), message);
        // Read without a header, a header is a bad row.
        let message = r#"line 1, column 1: expected a number, found "x""#;
        assert_eq!(error::<2>("x,y,label\n1,2,0\n"), message);
    }

    #[test]
    fn labels_can_be_in_any_column() {
        let first = Csv::new().targets_at(0);
        let data = Dataset::<2>::from_csv_with("3,1,2\n0,4,5\n", &first).unwrap();
        assert_eq!(data.features(), &[[1.0, 2.0], [4.0, 5.0]]);
        assert_eq!(data.labels(), &[3, 0]);
        let middle = Csv::new().targets_at(1);
        let same = Dataset::<2>::from_csv_with("1,3,2\n4,0,5\n", &middle).unwrap();
        assert_eq!(same, data);
        let last = Dataset::<2>::from_csv_with("1,2,3\n", &Csv::new().targets_at(2)).unwrap();
        assert_eq!(last, Dataset::<2>::from_csv("1,2,3\n").unwrap());
        assert_eq!(Csv::new().targets_at(0).targets_last(), Csv::default());
        // Errors name the column in the text, the leftmost first.
        let bad = [
            (
                "x,3.5,2\n",
                r#"line 1, column 1: expected a number, found "x""#,
            ),
            (
                "1,3.5,y\n",
                r#"line 1, column 2: expected a class label (a whole number from 0), found "3.5""#,
            ),
            (
                "1,3,y\n",
                r#"line 1, column 3: expected a number, found "y""#,
            ),
        ];
        for (text, message) in bad {
            let e = Dataset::<2>::from_csv_with(text, &middle).unwrap_err();
            assert_eq!(e.to_string(), message);
        }
        let e = Dataset::<2>::from_csv_with("1,2,3\n", &Csv::new().targets_at(3)).unwrap_err();
        let message = "the target columns cannot start at position 3 (counting from 0): a row has \
                       3 columns (2 features and a label), so they can start at 0 to 2";
        assert_eq!(e.to_string(), message);
        assert_eq!((e.line(), e.column()), (None, None));
    }

    #[test]
    fn declared_classes_reject_labels_at_their_line_and_column() {
        let zeros = ["0"; 64].join(",");
        let text: String = (1..=12)
            .map(|line| format!("{zeros},{}\n", if line == 12 { 10 } else { line % 10 }))
            .collect();
        let ten = Csv::new().classes(10);
        let e = Dataset::<64>::from_csv_with(&text, &ten).unwrap_err();
        let message =
            "line 12, column 65: label 10 is out of range: the data set has 10 classes (0..10)";
        assert_eq!(e.to_string(), message);
        assert_eq!((e.line(), e.column()), (Some(12), Some(65)));
        let eleven = Dataset::<64>::from_csv_with(&text, &Csv::new().classes(11)).unwrap();
        assert_eq!((eleven.len(), eleven.classes()), (12, 11));
        // A label before the features is checked before them.
        let format = Csv::new().targets_at(0).classes(2);
        let e = Dataset::<1>::from_csv_with("1,0\n2,x\n", &format).unwrap_err();
        let message =
            "line 2, column 1: label 2 is out of range: the data set has 2 classes (0..2)";
        assert_eq!(e.to_string(), message);
        // Regression targets have no classes.
        let e = Dataset::<1, f32, [f32; 1]>::from_csv_with("1,2\n", &ten).unwrap_err();
        let message = "a number of classes was declared, but the targets are not class labels \
                       (1 feature and 1 target)";
        assert_eq!(e.to_string(), message);
    }

    #[test]
    fn check_classes_names_the_row() {
        let data = Dataset::<1>::from_csv("0,0\n0,3\n0,1\n0,7\n").unwrap();
        assert_eq!(data.check_classes(8), Ok(()));
        let e = data.check_classes(3).unwrap_err();
        let (index, label, classes) = (1, 3, 3);
        assert_eq!(
            e,
            Error::LabelOutOfRange {
                index,
                label,
                classes
            }
        );
        let message = "label 3 at index 1 is out of range: the network has 3 classes (0..3)";
        assert_eq!(e.to_string(), message);
    }

    #[test]
    fn new_checks_lengths_rows_and_values() {
        let e = Dataset::<1>::new(vec![[1.0], [2.0]], vec![0]).unwrap_err();
        let (what, left, right) = ("features and targets", 2, 1);
        assert_eq!(e, Error::LengthMismatch { what, left, right });
        let e = Dataset::<1>::new(vec![], vec![]).unwrap_err();
        assert_eq!(e, Error::Empty { what: "data set" });
        assert_eq!(e.to_string(), "the data set has no rows");
        let features = vec![[1.0, 2.0, 3.0], [4.0, 5.0, f32::INFINITY], [f32::NAN; 3]];
        let e = Dataset::<3>::new(features, vec![0, 1, 2]).unwrap_err();
        let (what, row, column) = ("feature", 1, 2);
        assert_eq!(e, Error::NonFiniteValue { what, row, column });
        let targets = vec![[1.0, 2.0], [3.0, f64::NEG_INFINITY]];
        let e = Dataset::<1, f64, [f64; 2]>::new(vec![[0.0], [1.0]], targets).unwrap_err();
        let (what, row, column) = ("target", 1, 1);
        assert_eq!(e, Error::NonFiniteValue { what, row, column });
        let message = "target 1 of row 1 (counting from 0) is NaN or infinite";
        assert_eq!(e.to_string(), message);
        // A row's features are checked before its target.
        let e = Dataset::<1, f64, [f64; 1]>::new(vec![[f64::NAN]], vec![[f64::NAN]]).unwrap_err();
        let (what, row, column) = ("feature", 0, 0);
        assert_eq!(e, Error::NonFiniteValue { what, row, column });
        let data = Dataset::<2, f64>::new(vec![[1.0, -2.0]], vec![5]).unwrap();
        assert_eq!((data.len(), data.classes()), (1, 6));
    }

    #[test]
    fn regression_targets_load_split_and_batch() {
        let text = "0,1,10,-10\n1,2,11,-11\n2,3,12,-12\n3,4,13,-13\n4,5,14,-14\n";
        let data = Dataset::<2, f64, [f64; 2]>::from_csv(text).unwrap();
        assert_eq!((data.len(), data.targets()[3]), (5, [13.0, -13.0]));
        assert_eq!(data.features()[4], [4.0, 5.0]);
        let first = Csv::new().targets_at(0);
        let data_first = Dataset::<2, f64, [f64; 2]>::from_csv_with("10,-10,0,1\n", &first);
        let data_first = data_first.unwrap();
        assert_eq!(data_first.features(), &[[0.0, 1.0]]);
        assert_eq!(data_first.targets(), &[[10.0, -10.0]]);

        let (a, b) = data.split_at(3).unwrap();
        assert_eq!(a.targets(), &[[10.0, -10.0], [11.0, -11.0], [12.0, -12.0]]);
        assert_eq!(b.features(), &[[3.0, 4.0], [4.0, 5.0]]);
        let batches: Vec<_> = data.batches::<2>().collect();
        assert_eq!(batches.len(), 2);
        let second = (&[[2.0, 3.0], [3.0, 4.0]], &[[12.0, -12.0], [13.0, -13.0]]);
        assert_eq!(batches[1], second);
        let (a, b) = data.split_random(2, &mut StdRng::seed_from_u64(5)).unwrap();
        assert_eq!((a.len(), b.len()), (2, 3));
        for (x, y) in a.iter().chain(b.iter()) {
            assert_eq!(y, &[x[0] + 10.0, -(x[0] + 10.0)]);
        }

        let bad = [
            (
                "1,2,3\n",
                "line 1: expected 4 values (2 features and 2 targets), found 3",
            ),
            (
                "1,2,3,NaN\n",
                r#"line 1, column 4: expected a finite number, found "NaN""#,
            ),
            (
                "1,2,x,4\n",
                r#"line 1, column 3: expected a number, found "x""#,
            ),
            (
                "1,2,3,4\n,,,\n",
                r#"line 2, column 1: expected a number, found """#,
            ),
        ];
        for (text, message) in bad {
            let e = Dataset::<2, f64, [f64; 2]>::from_csv(text).unwrap_err();
            assert_eq!(e.to_string(), message);
        }
        let e = Dataset::<1, f32, [f32; 1]>::from_csv("1\n").unwrap_err();
        let message = "line 1: expected 2 values (1 feature and 1 target), found 1";
        assert_eq!(e.to_string(), message);
    }

    #[test]
    fn splits_in_order() {
        let (a, b) = numbered(10).split_at(7).unwrap();
        assert_eq!((a.len(), a.labels()[6]), (7, 106));
        assert_eq!(b.features(), &[[7.0], [8.0], [9.0]]);
        assert_eq!(b.labels(), &[107, 108, 109]);
        let data = numbered(3);
        let (a, b) = data.split_at(1).unwrap();
        assert_eq!((a.labels(), b.labels()), (&[100][..], &[101, 102][..]));
        assert_eq!(data, numbered(3));
        for (rows, at) in [(1797, 2000), (3, 3), (3, 0), (1, 1)] {
            let e = numbered(rows).split_at(at).unwrap_err();
            let message = format!(
                "cannot split {rows} rows with {at} in the first part: each part needs at least one row"
            );
            assert_eq!(e.to_string(), message);
        }
    }

    #[test]
    fn random_split_is_reproducible_and_loses_nothing() {
        let data = numbered(20);
        let (a, b) = data
            .split_random(15, &mut StdRng::seed_from_u64(11))
            .unwrap();
        assert_eq!((a.len(), b.len()), (15, 5));
        assert_ne!(a.labels(), &data.labels()[..15], "not a random choice");
        // Every row is in one part, with its label, each part in the rows' order.
        for part in [&a, &b] {
            assert!(part.labels().windows(2).all(|w| w[0] < w[1]));
            for (x, &label) in part.iter() {
                assert_eq!(label, 100 + x[0] as usize);
            }
        }
        let mut labels: Vec<usize> = a.labels().iter().chain(b.labels()).copied().collect();
        labels.sort_unstable();
        assert_eq!(labels, data.labels());
        // The same seed splits the same way, another seed another way.
        let again = data
            .split_random(15, &mut StdRng::seed_from_u64(11))
            .unwrap();
        assert_eq!(again, (a.clone(), b.clone()));
        let other = data
            .split_random(15, &mut StdRng::seed_from_u64(12))
            .unwrap();
        assert_ne!(other.1, b);
        // The rows chosen are the same positions whatever the rows hold: reversed rows, the
        // same seed, the mirror-image labels.
        let mut reversed = numbered(20);
        reversed.features.reverse();
        reversed.targets.reverse();
        let (ra, _) = reversed
            .split_random(15, &mut StdRng::seed_from_u64(11))
            .unwrap();
        let mut mirrored: Vec<usize> = ra.labels().iter().map(|l| 219 - l).collect();
        mirrored.sort_unstable();
        assert_eq!(mirrored, a.labels());
        // A size that leaves a part empty is an error that draws nothing.
        let mut rng = StdRng::seed_from_u64(11);
        for n in [0, 20, 21] {
            let e = data.split_random(n, &mut rng).unwrap_err();
            let message = format!(
                "cannot split 20 rows with {n} in the first part: each part needs at least one row"
            );
            assert_eq!(e.to_string(), message);
        }
        assert_eq!(data.split_random(15, &mut rng).unwrap().0, a);
    }

    #[test]
    fn stratified_split_keeps_each_class_share() {
        // 21 rows, feature = the row's index: 9 of class 0, 6 of class 1, 6 of class 2.
        let labels: Vec<usize> = (0..21).map(|i| [0, 1, 0, 2, 0, 1, 2][i % 7]).collect();
        let features = (0..21).map(|i| [i as f64]).collect();
        let data = Dataset::<1, f64>::new(features, labels.clone()).unwrap();
        // 0.5 × (9, 6, 6) = (4.5, 3, 3), rounded to (5, 3, 3); 0.8 × … = (7.2, 4.8, 4.8) → (7, 5, 5).
        for (fraction, shares) in [(0.5, [5, 3, 3]), (0.8, [7, 5, 5])] {
            let mut rng = StdRng::seed_from_u64(4);
            let (a, b) = data.split_stratified(fraction, &mut rng).unwrap();
            for (class, (share, all)) in shares.into_iter().zip([9, 6, 6]).enumerate() {
                assert_eq!((count(&a, class), count(&b, class)), (share, all - share));
            }
            let mut rows = Vec::new();
            for part in [&a, &b] {
                // Rows keep their labels and their order.
                for (x, &label) in part.iter() {
                    assert_eq!(label, labels[x[0] as usize]);
                }
                assert!(part.features().windows(2).all(|w| w[0][0] < w[1][0]));
                rows.extend(part.features().iter().map(|x| x[0] as usize));
            }
            rows.sort_unstable();
            assert_eq!(rows, (0..21).collect::<Vec<_>>());
            let again = data.split_stratified(fraction, &mut StdRng::seed_from_u64(4));
            assert_eq!(again.unwrap(), (a, b));
        }
        let a = data
            .split_stratified(0.5, &mut StdRng::seed_from_u64(4))
            .unwrap()
            .0;
        let other = data
            .split_stratified(0.5, &mut StdRng::seed_from_u64(5))
            .unwrap()
            .0;
        assert_ne!(a, other, "the rows of each class are chosen at random");

        // Any label value works, without a slot for every class below it.
        let features = vec![[0.0], [1.0], [2.0], [3.0]];
        let huge = Dataset::<1, f64>::new(features, vec![usize::MAX, 0, usize::MAX, 0]).unwrap();
        let (ha, hb) = huge
            .split_stratified(0.5, &mut StdRng::seed_from_u64(1))
            .unwrap();
        assert_eq!((count(&ha, 0), count(&ha, usize::MAX)), (1, 1));
        assert_eq!((count(&hb, 0), count(&hb, usize::MAX)), (1, 1));

        let mut rng = StdRng::seed_from_u64(4);
        for fraction in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            let e = data.split_stratified(fraction, &mut rng).unwrap_err();
            let message = format!("the fraction of rows for the first part must be between 0 and 1 (both excluded), not {fraction}");
            assert_eq!(e.to_string(), message);
        }
        // One row of each class: 0.4 rounds every share to 0, and 0.6 to 1.
        let singles = Dataset::<1, f64>::new(vec![[0.0]; 3], vec![0, 1, 2]).unwrap();
        let e = singles.split_stratified(0.4, &mut rng).unwrap_err();
        let message = "a fraction of 0.4 puts 0 of the 3 rows in the first part: each part needs at least one row";
        assert_eq!(e.to_string(), message);
        let e = singles.split_stratified(0.6, &mut rng).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("a fraction of 0.6 puts 3 of the 3 rows"));
        // The errors drew nothing.
        let after = data.split_stratified(0.5, &mut rng).unwrap().0;
        assert_eq!(after, a);
    }

    #[test]
    fn data_errors_convert_into_the_crate_error() {
        let e = Dataset::<2>::from_csv("1,2,x").unwrap_err();
        let err = Error::from(e.clone());
        assert_eq!(err, Error::Data(e.clone()));
        assert_eq!(err.to_string(), e.to_string());
        assert!(core::error::Error::source(&err).is_none());
        fn load(text: &str) -> Result<Dataset<2>, Error> {
            let data = Dataset::<2>::from_csv(text)?;
            data.check_classes(2)?;
            Ok(data)
        }
        assert!(matches!(load("1,2,x"), Err(Error::Data(e)) if e.column() == Some(3)));
        let out_of_range = Error::LabelOutOfRange {
            index: 1,
            label: 2,
            classes: 2,
        };
        assert_eq!(load("1,2,0\n3,4,2").unwrap_err(), out_of_range);
        assert_eq!(load("1,2,1").unwrap().labels(), &[1]);
    }

    #[cfg(feature = "std")]
    #[test]
    fn load_csv_reads_the_digits_and_names_a_missing_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/digits.csv");
        let digits = Dataset::<64>::load_csv(path).unwrap();
        assert_eq!(digits.len(), 1797);
        let mut counts = [0; 10];
        digits.labels().iter().for_each(|&l| counts[l] += 1);
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        let pixels = || digits.features().iter().flatten();
        assert!(pixels().all(|&x| (0.0..=16.0).contains(&x)));
        let e = Dataset::<2>::load_csv("data/no-such-file.csv").unwrap_err();
        let message = e.to_string();
        assert!(
            message.starts_with("cannot read \"data/no-such-file.csv\": "),
            "{message}"
        );
        let source = core::error::Error::source(&e).unwrap().to_string();
        assert_eq!(
            message,
            format!("cannot read \"data/no-such-file.csv\": {source}")
        );
        assert_eq!(e.io_error_kind(), Some(std::io::ErrorKind::NotFound));
        assert_eq!((e.line(), e.column()), (None, None));
        assert_eq!(e.file(), Some("data/no-such-file.csv"));
        // The crate error passes the reason on as its source too.
        let err = Error::from(e.clone());
        assert_eq!(
            core::error::Error::source(&err).unwrap().to_string(),
            source
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn load_csv_errors_name_the_file() {
        let dir = std::env::temp_dir();
        let cases = [
            ("empty.csv", "", Csv::new(), " has no data rows"),
            ("bom.csv", "\u{feff}\n", Csv::new(), " has no data rows"),
            (
                "header.csv",
                "a,b,c\n",
                Csv::new().header(true),
                " has no data rows, only a header",
            ),
            (
                "label.csv",
                "1,2,0\n\n1,2,10\n",
                Csv::new().classes(10),
                ": line 3, column 3: label 10 is out of range: the data set has 10 classes (0..10)",
            ),
            (
                "value.csv",
                "1,2,0\n1,NaN,1\n",
                Csv::new(),
                r#": line 2, column 2: expected a finite number, found "NaN""#,
            ),
            (
                "count.csv",
                "1,2\n",
                Csv::new(),
                ": line 1: expected 3 values (2 features and a label), found 2",
            ),
        ];
        for (name, text, format, message) in cases {
            let path = dir.join(format!("typenet-data-{}-{name}", std::process::id()));
            std::fs::write(&path, text).unwrap();
            let e = Dataset::<2>::load_csv_with(&path, &format).unwrap_err();
            std::fs::remove_file(&path).unwrap();
            let file = path.display().to_string();
            assert_eq!(e.to_string(), format!("\"{file}\"{message}"));
            assert_eq!(e.file(), Some(file.as_str()));
            assert!(core::error::Error::source(&e).is_none());
        }
    }
}
