//! IDX files, MNIST's format, read into a [`Dataset`] of class labels.
//!
//! An images file is a 16-byte big-endian header (magic `0x00000803`: unsigned bytes in three
//! dimensions; the number of images; rows; columns) and then each image's bytes, row-major. A
//! labels file is an 8-byte header (magic `0x00000801`; the number of labels) and a byte per
//! label. Everything the header declares is checked against the bytes and the data set's
//! type, and each error says which file and what is wrong.

use super::{DataError, Dataset, Kind};
use crate::Scalar;

use alloc::vec::Vec;
use core::fmt;

/// How to read a pair of IDX files: [`Idx::new`] (the default) accepts any label;
/// [`classes`](Idx::classes) makes a label the network cannot output an error at load time.
///
/// ```
/// use typenet_core::data::{Dataset, Idx};
/// // Two 1×2 images, labelled 1 and 3.
/// let images = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 102];
/// let labels = [0, 0, 8, 1, 0, 0, 0, 2, 1, 3];
/// let data = Dataset::<2>::from_idx(&images, &labels)?;
/// assert_eq!(data.features(), &[[0.0, 1.0], [0.2, 0.4]]);
/// assert_eq!(data.labels(), &[1, 3]);
/// let err = Dataset::<2>::from_idx_with(&images, &labels, &Idx::new().classes(3)).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "labels: label 3 of image 1 (counting from 0) is out of range: the data set has 3 classes (0..3)"
/// );
/// # Ok::<(), typenet_core::data::DataError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Idx {
    classes: Option<usize>,
}

impl Idx {
    /// Any class label.
    pub const fn new() -> Self {
        Idx { classes: None }
    }

    /// Labels must be below `classes`, so that a label the network cannot output is an
    /// error at load time, naming the image it labels.
    pub const fn classes(self, classes: usize) -> Self {
        Idx {
            classes: Some(classes),
        }
    }
}

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
#[cfg(feature = "std")]
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Which of the two files an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    Images,
    Labels,
}

impl Part {
    fn header_bytes(self) -> usize {
        match self {
            Part::Images => 16,
            Part::Labels => 8,
        }
    }

    fn magic(self) -> u32 {
        match self {
            Part::Images => IMAGES_MAGIC,
            Part::Labels => LABELS_MAGIC,
        }
    }

    pub(super) fn noun(self) -> &'static str {
        match self {
            Part::Images => "images",
            Part::Labels => "labels",
        }
    }
}

/// What is wrong with an IDX file.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Problem {
    /// Shorter than its header.
    Header { found: usize },
    /// A magic number that is not the part's.
    Magic { found: u32 },
    /// Images whose pixel count is not the data set's width.
    Dims {
        rows: usize,
        columns: usize,
        features: usize,
    },
    /// A length that is not what the header declares.
    Length {
        count: usize,
        item: usize,
        found: usize,
    },
    /// A header that declares no items.
    Empty,
    /// A labels file with another number of items than the images file.
    Count { labels: usize, images: usize },
    /// A label not below the classes declared.
    Label {
        index: usize,
        label: usize,
        classes: usize,
    },
    /// A gzip-compressed file, with no decompressor built in.
    #[cfg(all(feature = "std", not(feature = "gzip")))]
    Compressed,
    /// A gzip-compressed file that did not decompress.
    #[cfg(all(feature = "std", feature = "gzip"))]
    Decompress(alloc::string::String),
}

impl Problem {
    /// The problem's message, for the file of `part`.
    pub(super) fn write(&self, part: Part, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = part.noun();
        let header = part.header_bytes();
        match self {
            Problem::Header { found } => write!(
                f,
                "truncated: an IDX {noun} file starts with a {header}-byte header, but this one has {found} bytes"
            ),
            Problem::Magic { found } => {
                write!(
                    f,
                    "bad magic number 0x{found:08x}: an IDX {noun} file starts with 0x{:08x}",
                    part.magic()
                )?;
                let other = match part {
                    Part::Images => Part::Labels,
                    Part::Labels => Part::Images,
                };
                if *found == other.magic() {
                    write!(f, " (this is an IDX {} file)", other.noun())?;
                }
                Ok(())
            }
            Problem::Dims {
                rows,
                columns,
                features,
            } => write!(
                f,
                "the images are {rows} × {columns} = {} pixels, but the data set takes {features} features a row",
                rows.saturating_mul(*columns)
            ),
            Problem::Length { count, item, found } => {
                let declared = count.saturating_mul(*item).saturating_add(header);
                let what = if found < &declared { "truncated: " } else { "" };
                let items = match part {
                    Part::Images => alloc::format!("{count} images of {item} bytes"),
                    Part::Labels => alloc::format!("{count} labels of 1 byte"),
                };
                write!(
                    f,
                    "{what}the header declares {items}, {declared} bytes with the header, but the file has {found}"
                )
            }
            Problem::Empty => write!(f, "the header declares no {noun}"),
            Problem::Count { labels, images } => write!(
                f,
                "{labels} labels for {images} images: the two files must hold as many"
            ),
            Problem::Label {
                index,
                label,
                classes,
            } => write!(
                f,
                "label {label} of image {index} (counting from 0) is out of range: the data set has {classes} classes (0..{classes})"
            ),
            #[cfg(all(feature = "std", not(feature = "gzip")))]
            Problem::Compressed => f.write_str(
                "the file is gzip-compressed: build with typenet's `gzip` feature to read it, or \
                 decompress it first (`gunzip -k`)",
            ),
            #[cfg(all(feature = "std", feature = "gzip"))]
            Problem::Decompress(reason) => write!(f, "cannot decompress the gzip data: {reason}"),
        }
    }
}

fn error(part: Part, problem: Problem) -> DataError {
    DataError::new(Kind::Idx(part, problem))
}

/// The big-endian `u32` at `at` (which the caller has checked is in `bytes`).
fn word(bytes: &[u8], at: usize) -> usize {
    let mut word = [0; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_be_bytes(word) as usize
}

/// The items of an IDX file of `part` whose items are `item(header)` bytes each: the header
/// checked, and the bytes after it, as many as the header declares.
fn items(
    bytes: &[u8],
    part: Part,
    item: impl Fn(&[u8]) -> Result<usize, DataError>,
) -> Result<(usize, &[u8]), DataError> {
    let header = part.header_bytes();
    let too_short = || {
        let found = bytes.len();
        error(part, Problem::Header { found })
    };
    // The magic number first, so that a file of the other kind is named as such.
    if bytes.len() < 4 {
        return Err(too_short());
    }
    let found = word(bytes, 0) as u32;
    if found != part.magic() {
        return Err(error(part, Problem::Magic { found }));
    }
    if bytes.len() < header {
        return Err(too_short());
    }
    let count = word(bytes, 4);
    let item = item(bytes)?;
    let body = &bytes[header..];
    if count.checked_mul(item) != Some(body.len()) {
        let found = bytes.len();
        return Err(error(part, Problem::Length { count, item, found }));
    }
    if count == 0 {
        return Err(error(part, Problem::Empty));
    }
    Ok((count, body))
}

impl<const W: usize, T: Scalar> Dataset<W, T, usize> {
    /// A data set from the bytes of an IDX images file and an IDX labels file (MNIST's
    /// format), reading any label. Each pixel byte `v` becomes the feature `v / 255`, in
    /// [0, 1]; each image's `rows × columns` pixels, row-major, must be `W`.
    ///
    /// # Errors
    /// A [`DataError`] that says which file (`images: …` or `labels: …`) and what is wrong: a
    /// header cut short, a bad magic number, images of another size than `W`, a length that is
    /// not what the header declares, no images, or two files that hold different numbers of
    /// items.
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Self, DataError> {
        Self::from_idx_with(images, labels, &Idx::new())
    }

    /// As [`from_idx`](Dataset::from_idx), reading labels as `format` says.
    ///
    /// # Errors
    /// Those of [`from_idx`](Dataset::from_idx), and a label not below the classes of
    /// `format`, naming the image it labels.
    pub fn from_idx_with(images: &[u8], labels: &[u8], format: &Idx) -> Result<Self, DataError> {
        let (count, pixels) = items(images, Part::Images, |bytes| {
            let (rows, columns) = (word(bytes, 8), word(bytes, 12));
            match rows.checked_mul(columns) {
                Some(n) if n == W => Ok(W),
                _ => Err(error(
                    Part::Images,
                    Problem::Dims {
                        rows,
                        columns,
                        features: W,
                    },
                )),
            }
        })?;
        let (label_count, label_bytes) = items(labels, Part::Labels, |_| Ok(1))?;
        if label_count != count {
            let (labels, images) = (label_count, count);
            return Err(error(Part::Labels, Problem::Count { labels, images }));
        }
        let targets: Vec<usize> = label_bytes.iter().map(|&l| usize::from(l)).collect();
        if let Some(classes) = format.classes {
            if let Some(index) = targets.iter().position(|&l| l >= classes) {
                let label = targets[index];
                let problem = Problem::Label {
                    index,
                    label,
                    classes,
                };
                return Err(error(Part::Labels, problem));
            }
        }
        // v / 255 rounded once, from f64: 51 becomes 0.2 exactly as `0.2` would.
        let level: [T; 256] = core::array::from_fn(|v| T::from_f64(v as f64 / 255.0));
        let features = pixels
            .chunks_exact(W)
            .map(|image| {
                let mut row = [T::ZERO; W];
                for (x, &v) in row.iter_mut().zip(image) {
                    *x = level[usize::from(v)];
                }
                row
            })
            .collect();
        Ok(Dataset { features, targets })
    }

    /// Reads an IDX images file and an IDX labels file as [`from_idx`](Dataset::from_idx)
    /// does. A file compressed with gzip is decompressed when typenet-core's `gzip` feature
    /// is on (and is an error saying so when it is off). Every error names its file.
    ///
    /// ```
    /// # #[cfg(feature = "gzip")] {
    /// use typenet_core::data::Dataset;
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/");
    /// let images = format!("{dir}mnist10k-images-idx3-ubyte.gz");
    /// let labels = format!("{dir}mnist10k-labels-idx1-ubyte.gz");
    /// let digits = Dataset::<784>::load_idx(&images, &labels)?;
    /// assert_eq!((digits.len(), digits.classes()), (10_000, 10));
    /// let err = Dataset::<784>::load_idx(&labels, &images).unwrap_err();
    /// assert!(err.to_string().ends_with(
    ///     "labels-idx1-ubyte.gz\": bad magic number 0x00000801: an IDX images file starts \
    ///      with 0x00000803 (this is an IDX labels file)"
    /// ));
    /// # }
    /// # Ok::<(), typenet_core::data::DataError>(())
    /// ```
    #[cfg(feature = "std")]
    pub fn load_idx(
        images: impl AsRef<std::path::Path>,
        labels: impl AsRef<std::path::Path>,
    ) -> Result<Self, DataError> {
        Self::load_idx_with(images, labels, &Idx::new())
    }

    /// Reads an IDX images file and an IDX labels file as
    /// [`from_idx_with`](Dataset::from_idx_with) does, decompressing as
    /// [`load_idx`](Dataset::load_idx) does. Every error names its file.
    #[cfg(feature = "std")]
    pub fn load_idx_with(
        images: impl AsRef<std::path::Path>,
        labels: impl AsRef<std::path::Path>,
        format: &Idx,
    ) -> Result<Self, DataError> {
        use alloc::string::ToString;
        let (images, labels) = (images.as_ref(), labels.as_ref());
        let image_bytes = read(images, Part::Images)?;
        let label_bytes = read(labels, Part::Labels)?;
        Self::from_idx_with(&image_bytes, &label_bytes, format).map_err(|e| {
            let path = match &e.kind {
                Kind::Idx(Part::Labels, _) => labels,
                _ => images,
            };
            DataError {
                file: Some(path.display().to_string()),
                ..e
            }
        })
    }
}

/// The bytes of the file at `path`, decompressed if they are gzip's; errors name the file.
#[cfg(feature = "std")]
fn read(path: &std::path::Path, part: Part) -> Result<Vec<u8>, DataError> {
    use alloc::string::ToString;
    let file = || Some(path.display().to_string());
    let bytes = std::fs::read(path).map_err(|e| DataError {
        file: file(),
        place: None,
        kind: Kind::Read(super::ReadError {
            kind: e.kind(),
            message: e.to_string(),
        }),
    })?;
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    gunzip(&bytes).map_err(|problem| DataError {
        file: file(),
        ..error(part, problem)
    })
}

#[cfg(all(feature = "std", feature = "gzip"))]
fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, Problem> {
    use alloc::string::ToString;
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|e| Problem::Decompress(e.to_string()))?;
    Ok(out)
}

#[cfg(all(feature = "std", not(feature = "gzip")))]
fn gunzip(_: &[u8]) -> Result<Vec<u8>, Problem> {
    Err(Problem::Compressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec;

    /// An IDX images file of `count` images of `rows × columns`, pixel k of the file being
    /// k mod 256.
    fn images(count: u32, rows: u32, columns: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [IMAGES_MAGIC, count, rows, columns] {
            bytes.extend(word.to_be_bytes());
        }
        let pixels = (count * rows * columns) as usize;
        bytes.extend((0..pixels).map(|k| k as u8));
        bytes
    }

    fn labels(values: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for word in [LABELS_MAGIC, values.len() as u32] {
            bytes.extend(word.to_be_bytes());
        }
        bytes.extend(values);
        bytes
    }

    fn message(images: &[u8], labels: &[u8], format: &Idx) -> String {
        let e = Dataset::<6, f64>::from_idx_with(images, labels, format).unwrap_err();
        assert_eq!((e.line(), e.column(), e.file()), (None, None, None));
        e.to_string()
    }

    #[test]
    fn reads_images_and_labels_scaling_pixels_to_the_unit_interval() {
        let data = Dataset::<6, f64>::from_idx(&images(3, 2, 3), &labels(&[4, 0, 9])).unwrap();
        assert_eq!(data.len(), 3);
        assert_eq!(data.labels(), &[4, 0, 9]);
        let expected: Vec<[f64; 6]> = (0..3)
            .map(|i| core::array::from_fn(|k| (6 * i + k) as f64 / 255.0))
            .collect();
        assert_eq!(data.features(), &expected[..]);
        // The full range: 0 and 255 are exactly 0 and 1.
        let mut white = images(1, 1, 2);
        white[16..].copy_from_slice(&[0, 255]);
        let data = Dataset::<2>::from_idx(&white, &labels(&[1])).unwrap();
        assert_eq!(data.features(), &[[0.0, 1.0]]);
    }

    #[test]
    fn each_problem_of_a_file_is_an_error_that_says_which_and_what() {
        let good = (images(3, 2, 3), labels(&[1, 2, 3]));
        let any = Idx::new();
        let cases = [
            (
                images(3, 2, 3)[..10].to_vec(),
                good.1.clone(),
                "images: truncated: an IDX images file starts with a 16-byte header, but this one has 10 bytes",
            ),
            (
                good.0.clone(),
                vec![0, 0, 8],
                "labels: truncated: an IDX labels file starts with a 8-byte header, but this one has 3 bytes",
            ),
            (
                good.1.clone(),
                good.1.clone(),
                "images: bad magic number 0x00000801: an IDX images file starts with 0x00000803 (this is an IDX labels file)",
            ),
            (
                good.0.clone(),
                [&[0, 0, 9, 1][..], &good.1[4..]].concat(),
                "labels: bad magic number 0x00000901: an IDX labels file starts with 0x00000801",
            ),
            (
                images(3, 3, 3),
                good.1.clone(),
                "images: the images are 3 × 3 = 9 pixels, but the data set takes 6 features a row",
            ),
            (
                good.0[..good.0.len() - 1].to_vec(),
                good.1.clone(),
                "images: truncated: the header declares 3 images of 6 bytes, 34 bytes with the header, but the file has 33",
            ),
            (
                [&good.0[..], &[7]].concat(),
                good.1.clone(),
                "images: the header declares 3 images of 6 bytes, 34 bytes with the header, but the file has 35",
            ),
            (
                good.0.clone(),
                good.1[..10].to_vec(),
                "labels: truncated: the header declares 3 labels of 1 byte, 11 bytes with the header, but the file has 10",
            ),
            (images(0, 2, 3), labels(&[]), "images: the header declares no images"),
            (
                good.0.clone(),
                labels(&[1, 2]),
                "labels: 2 labels for 3 images: the two files must hold as many",
            ),
        ];
        for (images, labels, expected) in cases {
            assert_eq!(message(&images, &labels, &any), expected);
        }
        // Every label is read when no class count is given.
        assert!(Dataset::<6, f64>::from_idx(&good.0, &labels(&[0, 255, 3])).is_ok());
        let ten = Idx::new().classes(10);
        assert_eq!(
            message(&good.0, &labels(&[9, 0, 10]), &ten),
            "labels: label 10 of image 2 (counting from 0) is out of range: the data set has 10 classes (0..10)"
        );
        assert!(Dataset::<6, f64>::from_idx_with(&good.0, &good.1, &ten).is_ok());
        // A header whose sizes overflow is a length problem, not a crash.
        let huge = images(3, 2, 3);
        let mut huge = huge.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        let text = message(&huge, &good.1, &any);
        assert!(
            text.starts_with("images: truncated: the header declares 4294967295 images"),
            "{text}"
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn load_idx_names_the_file_that_is_wrong() {
        let dir = std::env::temp_dir();
        let path =
            |name: &str| dir.join(alloc::format!("typenet-idx-{}-{name}", std::process::id()));
        let (image_path, label_path) = (path("images"), path("labels"));
        std::fs::write(&image_path, images(2, 2, 3)).unwrap();
        std::fs::write(&label_path, labels(&[1, 2, 3])).unwrap();
        let e = Dataset::<6>::load_idx(&image_path, &label_path).unwrap_err();
        let file = label_path.display().to_string();
        assert_eq!(e.file(), Some(file.as_str()));
        assert_eq!(
            e.to_string(),
            alloc::format!("\"{file}\": 3 labels for 2 images: the two files must hold as many")
        );
        let e = Dataset::<5>::load_idx(&image_path, &label_path).unwrap_err();
        let file = image_path.display().to_string();
        assert_eq!(
            e.to_string(),
            alloc::format!("\"{file}\": the images are 2 × 3 = 6 pixels, but the data set takes 5 features a row")
        );
        // A gzip stream cut short.
        std::fs::write(&label_path, [0x1f, 0x8b, 8, 0]).unwrap();
        let e = Dataset::<6>::load_idx(&image_path, &label_path).unwrap_err();
        let text = e.to_string();
        let file = label_path.display().to_string();
        let expected = if cfg!(feature = "gzip") {
            "cannot decompress the gzip data: "
        } else {
            "the file is gzip-compressed: build with typenet's `gzip` feature"
        };
        assert!(
            text.starts_with(&alloc::format!("\"{file}\": {expected}")),
            "{text}"
        );
        std::fs::remove_file(&image_path).unwrap();
        std::fs::remove_file(&label_path).unwrap();
        let e = Dataset::<6>::load_idx(&image_path, &label_path).unwrap_err();
        assert_eq!(e.io_error_kind(), Some(std::io::ErrorKind::NotFound));
        assert_eq!(e.file(), Some(image_path.display().to_string().as_str()));
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn load_idx_reads_the_compressed_mnist_digits() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/");
        let data = Dataset::<784>::load_idx_with(
            alloc::format!("{dir}mnist10k-images-idx3-ubyte.gz"),
            alloc::format!("{dir}mnist10k-labels-idx1-ubyte.gz"),
            &Idx::new().classes(10),
        )
        .unwrap();
        let mut counts = [0; 10];
        data.labels().iter().for_each(|&l| counts[l] += 1);
        assert_eq!(
            counts,
            [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
        );
        let pixels = || data.features().iter().flatten();
        assert!(pixels().all(|&x| (0.0..=1.0).contains(&x)));
        assert!(pixels().any(|&x| x == 1.0));
    }
}
