//! Labelled data sets of fixed-width rows: CSV loading, splitting, shuffling, batching and
//! standardization.

use crate::Scalar;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use rand::RngExt;

/// A labelled data set of fixed-width rows: features `[T; W]` and a class label each.
///
/// # Type parameters
/// `W` features per row, `T` scalar (`f32` unless given).
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
/// # Ok::<(), typenet_core::data::DataError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<const W: usize, T = f32> {
    features: Vec<[T; W]>,
    labels: Vec<usize>,
}

impl<const W: usize, T: Scalar> Dataset<W, T> {
    /// A data set from rows and their labels, which must be as many.
    pub fn new(features: Vec<[T; W]>, labels: Vec<usize>) -> Result<Self, crate::Error> {
        if features.len() != labels.len() {
            return Err(crate::Error::LengthMismatch {
                what: "features and labels",
                left: features.len(),
                right: labels.len(),
            });
        }
        Ok(Dataset { features, labels })
    }

    /// Parses comma-separated text without a header: on each non-blank line, `W` finite
    /// numbers and then the class label, a whole number from 0. Spaces around values and
    /// `\r\n` line endings and a leading byte-order mark are accepted; blank lines are
    /// skipped but still counted in the line numbers of errors.
    pub fn from_csv(text: &str) -> Result<Self, DataError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for (i, line) in text.lines().enumerate() {
            if !line.trim().is_empty() {
                let (row, label) = parse_line(line).map_err(|(column, kind)| DataError {
                    place: Some((i + 1, column)),
                    kind,
                })?;
                features.push(row);
                labels.push(label);
            }
        }
        Ok(Dataset { features, labels })
    }

    /// Reads and parses a CSV file as [`from_csv`](Dataset::from_csv) does; an error in
    /// reading names the file.
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
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| {
            let path = std::string::ToString::to_string(&path.display());
            let kind = Kind::Read(path, source);
            DataError { place: None, kind }
        })?;
        Self::from_csv(&text)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The rows' features.
    pub fn features(&self) -> &[[T; W]] {
        &self.features
    }

    /// The rows' class labels.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// The number of classes: the largest label plus one, or 0 without rows.
    pub fn classes(&self) -> usize {
        self.labels.iter().max().map_or(0, |&m| m.saturating_add(1))
    }

    /// The first `n` rows and the rest, in their current order (shuffle first for a random
    /// split). Fails when `n` is greater than the number of rows.
    pub fn split_at(mut self, n: usize) -> Result<(Self, Self), DataError> {
        if n > self.len() {
            let kind = Kind::Split(self.len(), n);
            return Err(DataError { place: None, kind });
        }
        let (features, labels) = (self.features.split_off(n), self.labels.split_off(n));
        Ok((self, Dataset { features, labels }))
    }

    /// Replaces every feature value `x` with `f(x)`, e.g. to scale pixels into `0..=1`.
    pub fn map_features(&mut self, mut f: impl FnMut(T) -> T) {
        for x in self.features.iter_mut().flatten() {
            *x = f(*x);
        }
    }

    /// Puts the rows in a uniformly random order (Fisher–Yates), each keeping its label.
    /// The order depends only on the generator's output, so a seeded generator repeats it.
    pub fn shuffle<R: rand::Rng + ?Sized>(&mut self, rng: &mut R) {
        for i in (1..self.len()).rev() {
            let j = rng.random_range(0..=i);
            self.features.swap(i, j);
            self.labels.swap(i, j);
        }
    }

    /// Consecutive full batches of `B` rows with their labels, borrowed without copying.
    ///
    /// The last `len() % B` rows are not yielded; [`shuffle`](Dataset::shuffle) before each
    /// epoch so that different rows are left out each time. `B = 0` is rejected when the
    /// program is built (`cargo build`, not `cargo check`).
    pub fn batches<const B: usize>(&self) -> impl Iterator<Item = (&[[T; W]; B], &[usize; B])> {
        const { assert!(B > 0, "a batch needs at least one row") };
        chunks(&self.features).zip(chunks(&self.labels))
    }
}

/// The full chunks of `B` items, as arrays. (`<[X]>::as_chunks` says the same in its types,
/// but needs Rust 1.88.)
fn chunks<const B: usize, X>(items: &[X]) -> impl Iterator<Item = &[X; B]> {
    // Every chunk has exactly `B` items, so every conversion succeeds.
    items.chunks_exact(B).filter_map(|c| c.try_into().ok())
}

const LABEL: &str = "a class label (a whole number from 0)";

/// One row's features and label, or the column (if any) and kind of its first error.
fn parse_line<const W: usize, T: Scalar>(
    line: &str,
) -> Result<([T; W], usize), (Option<usize>, Kind)> {
    let found = line.split(',').count();
    if found != W + 1 {
        return Err((None, Kind::Count(W, found)));
    }
    let bad =
        |column: usize, expected, found: &str| (Some(column), Kind::Value(expected, found.into()));
    let mut row = [T::ZERO; W];
    let mut fields = line.split(',').map(str::trim).enumerate();
    for (x, (k, field)) in row.iter_mut().zip(&mut fields) {
        *x = match field.parse::<T>() {
            Ok(v) if v.is_finite() => v,
            Ok(_) => return Err(bad(k + 1, "a finite number", field)),
            Err(_) => return Err(bad(k + 1, "a number", field)),
        };
    }
    let label = fields.next().map_or("", |(_, field)| field);
    Ok((row, label.parse().map_err(|_| bad(W + 1, LABEL, label))?))
}

// Lives with the other normalizers; re-exported so that `data::Standardizer` still works.
pub use crate::normalize::Standardizer;

/// A data file that could not be read, naming the line (1-based) and column (1-based) where
/// it can.
///
/// ```
/// use typenet_core::data::Dataset;
/// let err = Dataset::<2>::from_csv("1,2,0\n1,x,0\n").unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2, column 2: expected a number, found "x""#);
/// assert_eq!((err.line(), err.column()), (Some(2), Some(2)));
/// let err = Dataset::<64>::from_csv("1,2,3\n").unwrap_err();
/// assert_eq!(err.to_string(), "line 1: expected 65 values (64 features and a label), found 3");
/// assert_eq!((err.line(), err.column()), (Some(1), None));
/// ```
#[derive(Debug)]
pub struct DataError {
    /// The line and, if known, the column.
    place: Option<(usize, Option<usize>)>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// What a field should have held, and what it held.
    Value(&'static str, String),
    /// The number of features expected, and of fields found.
    Count(usize, usize),
    /// The number of rows, and where the split was asked for.
    Split(usize, usize),
    /// The file, and why it could not be read.
    #[cfg(feature = "std")]
    Read(String, std::io::Error),
}

impl DataError {
    /// The line, counting from 1, where the error is.
    pub fn line(&self) -> Option<usize> {
        self.place.map(|(line, _)| line)
    }

    /// The column (comma-separated field), counting from 1, where the error is.
    pub fn column(&self) -> Option<usize> {
        self.place.and_then(|(_, column)| column)
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Some((line, Some(column))) => write!(f, "line {line}, column {column}: ")?,
            Some((line, None)) => write!(f, "line {line}: ")?,
            None => {}
        }
        let s = |n: usize| if n == 1 { "" } else { "s" };
        match &self.kind {
            Kind::Value(expected, found) => write!(f, "expected {expected}, found {found:?}"),
            Kind::Count(w, found) => {
                let (v, w) = (w + 1, *w);
                write!(
                    f,
                    "expected {v} value{} ({w} feature{} and a label), found {found}",
                    s(v),
                    s(w)
                )
            }
            Kind::Split(rows, at) => write!(f, "cannot split {rows} rows at {at}"),
            #[cfg(feature = "std")]
            Kind::Read(path, source) => write!(f, "cannot read \"{path}\": {source}"),
        }
    }
}

impl core::error::Error for DataError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match &self.kind {
            #[cfg(feature = "std")]
            Kind::Read(_, source) => Some(source),
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

    #[test]
    fn parses_values_and_labels() {
        let data = Dataset::<3, f64>::from_csv("0.5, -1,2e3,7\n0,0,16,0\n").unwrap();
        assert_eq!(data.features(), &[[0.5, -1.0, 2000.0], [0.0, 0.0, 16.0]]);
        assert_eq!(data.labels(), &[7, 0]);
        assert_eq!((data.len(), data.classes()), (2, 8));
        let empty = Dataset::<3>::from_csv("").unwrap();
        assert_eq!((empty.is_empty(), empty.classes()), (true, 0));
        let mut pixels = Dataset::<2>::from_csv("16,8,0\n0,4,1\n").unwrap();
        pixels.map_features(|x| x / 16.0);
        assert_eq!(pixels.features(), &[[1.0, 0.5], [0.0, 0.25]]);
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
    fn new_rejects_unequal_lengths() {
        let e = Dataset::<1>::new(vec![[1.0], [2.0]], vec![0]).unwrap_err();
        let (what, left, right) = ("features and labels", 2, 1);
        assert_eq!(e, crate::Error::LengthMismatch { what, left, right });
    }

    #[test]
    fn splits_in_order() {
        let (a, b) = numbered(10).split_at(7).unwrap();
        assert_eq!((a.len(), a.labels()[6]), (7, 106));
        assert_eq!(b.features(), &[[7.0], [8.0], [9.0]]);
        assert_eq!(b.labels(), &[107, 108, 109]);
        let (a, b) = numbered(3).split_at(3).unwrap();
        assert_eq!((a.len(), b.len()), (3, 0));
        let e = numbered(1797).split_at(2000).unwrap_err();
        assert_eq!(e.to_string(), "cannot split 1797 rows at 2000");
    }

    #[test]
    fn shuffle_is_a_reproducible_permutation_that_keeps_labels() {
        let mut data = numbered(50);
        data.shuffle(&mut StdRng::seed_from_u64(7));
        for (row, &label) in data.features().iter().zip(data.labels()) {
            assert_eq!(label, 100 + row[0] as usize);
        }
        let mut labels = data.labels().to_vec();
        assert_ne!(labels, numbered(50).labels(), "the order did not change");
        labels.sort_unstable();
        assert_eq!(labels, numbered(50).labels());
        let mut again = numbered(50);
        again.shuffle(&mut StdRng::seed_from_u64(7));
        assert_eq!(again, data);
        again.shuffle(&mut StdRng::seed_from_u64(8));
        assert_ne!(again, data);
    }

    #[test]
    fn batches_are_full_and_in_order() {
        let data = numbered(10);
        let batches: Vec<_> = data.batches::<3>().collect();
        assert_eq!(batches.len(), 3);
        assert_eq!(batches[0], (&[[0.0], [1.0], [2.0]], &[100, 101, 102]));
        assert_eq!(batches[2], (&[[6.0], [7.0], [8.0]], &[106, 107, 108]));
        assert_eq!(data.batches::<10>().count(), 1);
        assert_eq!(data.batches::<11>().count(), 0);
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
        assert!(core::error::Error::source(&e).is_some());
        assert_eq!((e.line(), e.column()), (None, None));
    }
}
