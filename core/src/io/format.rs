//! The safetensors format, read without a heap: the 8-byte header length, the JSON header,
//! the data. [`File::parse`] checks the whole file once (every byte of the header, every
//! entry's offsets against the data), so that the loaders can then walk it freely.
//!
//! The JSON reader is small and bounded: it reads the one shape of document the format
//! allows (an object of tensor entries and an optional `__metadata__` object of strings),
//! skips unknown values to a fixed depth, checks every number for overflow, and never
//! indexes past a slice's end.

use super::Name;
use crate::Error;
use core::fmt;

/// The largest header accepted, as the reference implementation limits it: 100 MB.
const MAX_HEADER: u64 = 100_000_000;

/// How deeply unknown JSON values may nest before the header is refused.
const MAX_DEPTH: usize = 16;

/// The element type of a tensor in a safetensors file.
///
/// ```
/// use typenet_core::io::Dtype;
/// assert_eq!(Dtype::F32.to_string(), "F32");
/// assert_eq!(Dtype::I64.size(), Some(8));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dtype {
    /// Booleans, one byte each.
    Bool,
    /// Unsigned 8-bit integers.
    U8,
    /// Signed 8-bit integers.
    I8,
    /// Signed 16-bit integers.
    I16,
    /// Unsigned 16-bit integers.
    U16,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    BF16,
    /// Signed 32-bit integers.
    I32,
    /// Unsigned 32-bit integers.
    U32,
    /// IEEE single precision: PyTorch's `float32`.
    F32,
    /// IEEE double precision: PyTorch's `float64`.
    F64,
    /// Signed 64-bit integers: PyTorch's `int64` (batch norm's `num_batches_tracked`).
    I64,
    /// Unsigned 64-bit integers.
    U64,
    /// A type typenet does not read (8-bit floats, say).
    Other,
}

impl Dtype {
    /// The bytes of one element, when known.
    pub const fn size(self) -> Option<usize> {
        Some(match self {
            Dtype::Bool | Dtype::U8 | Dtype::I8 => 1,
            Dtype::I16 | Dtype::U16 | Dtype::F16 | Dtype::BF16 => 2,
            Dtype::I32 | Dtype::U32 | Dtype::F32 => 4,
            Dtype::F64 | Dtype::I64 | Dtype::U64 => 8,
            Dtype::Other => return None,
        })
    }

    /// The name the format gives it (`"F32"`).
    pub const fn name(self) -> &'static str {
        match self {
            Dtype::Bool => "BOOL",
            Dtype::U8 => "U8",
            Dtype::I8 => "I8",
            Dtype::I16 => "I16",
            Dtype::U16 => "U16",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::I32 => "I32",
            Dtype::U32 => "U32",
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
            Dtype::I64 => "I64",
            Dtype::U64 => "U64",
            Dtype::Other => "another type",
        }
    }

    const KNOWN: [Dtype; 13] = [
        Dtype::Bool,
        Dtype::U8,
        Dtype::I8,
        Dtype::I16,
        Dtype::U16,
        Dtype::F16,
        Dtype::BF16,
        Dtype::I32,
        Dtype::U32,
        Dtype::F32,
        Dtype::F64,
        Dtype::I64,
        Dtype::U64,
    ];

    /// The dtype of the `f32` or `f64` scalar named `name` (`Scalar::NAME`).
    pub(crate) fn of_scalar(name: &str) -> Dtype {
        if name == "f64" {
            Dtype::F64
        } else {
            Dtype::F32
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many of a tensor's dimensions [`Dims`] keeps.
const KEPT: usize = 4;

/// A tensor's dimensions as a file gives them, outermost first: `[8, 4]`, or `[]` for a
/// single number. The first four are kept (typenet's tensors have at most four: a
/// convolution's weight); a tensor of higher rank prints its first four and `…`. Each is
/// kept as a `u32`, so that an error holding two of them stays small: a dimension above
/// 4,294,967,295, which no tensor in memory has, is kept as that number.
///
/// ```
/// use typenet_core::io::Dims;
/// assert_eq!(Dims::new(&[8, 4]).to_string(), "[8, 4]");
/// assert_eq!(Dims::new(&[]).to_string(), "[]");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dims {
    dims: [u32; KEPT],
    rank: u8,
}

impl Dims {
    /// The dimensions `dims` (the first four kept, the rank counted up to 255).
    pub fn new(dims: &[u64]) -> Self {
        let mut d = Dims::SCALAR;
        for &n in dims {
            d.push(n);
        }
        d
    }

    /// No dimensions: a single number.
    pub const SCALAR: Dims = Dims {
        dims: [0; KEPT],
        rank: 0,
    };

    /// The dimensions of a typenet tensor's shape.
    pub fn of(shape: crate::tensors::Shape) -> Self {
        let mut d = Dims::SCALAR;
        for &n in shape.dims() {
            d.push(n as u64);
        }
        d
    }

    fn push(&mut self, n: u64) {
        if let Some(slot) = self.dims.get_mut(usize::from(self.rank)) {
            *slot = u32::try_from(n).unwrap_or(u32::MAX);
        }
        self.rank = self.rank.saturating_add(1);
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        usize::from(self.rank)
    }

    /// The dimensions kept (at most four).
    ///
    /// ```
    /// use typenet_core::io::Dims;
    /// assert_eq!(Dims::new(&[8, 1, 5, 5, 2]).dims().collect::<Vec<_>>(), [8, 1, 5, 5]);
    /// assert_eq!(Dims::new(&[8, 1, 5, 5, 2]).to_string(), "[8, 1, 5, 5, …]");
    /// ```
    pub fn dims(&self) -> impl Iterator<Item = u64> + '_ {
        self.dims[..self.rank().min(KEPT)]
            .iter()
            .map(|&n| u64::from(n))
    }
}

impl fmt::Display for Dims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, n) in self.dims().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}")?;
        }
        if usize::from(self.rank) > KEPT {
            f.write_str(", …")?;
        }
        f.write_str("]")
    }
}

/// A JSON string as it stands in the header, between its quotes, escapes undecoded.
/// Checked when it was read: its escapes are valid.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JsonStr<'a> {
    raw: &'a [u8],
}

impl<'a> JsonStr<'a> {
    /// Its characters, escapes decoded (a lone surrogate as U+FFFD).
    pub(crate) fn chars(self) -> impl Iterator<Item = char> + 'a {
        let mut rest = self.raw;
        core::iter::from_fn(move || {
            let (&first, tail) = rest.split_first()?;
            if first != b'\\' {
                // The header is UTF-8 (checked): decode one character.
                let len = utf8_len(first);
                let (c, tail) = rest.split_at_checked(len).unwrap_or((rest, &[]));
                rest = tail;
                return core::str::from_utf8(c)
                    .ok()
                    .and_then(|s| s.chars().next())
                    .or(Some('\u{fffd}'));
            }
            let (&escape, tail) = tail.split_first()?;
            rest = tail;
            Some(match escape {
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let high = hex4(rest)?;
                    rest = rest.get(4..)?;
                    if (0xd800..0xdc00).contains(&high) {
                        // A surrogate pair, if a low surrogate follows.
                        let low = rest
                            .strip_prefix(b"\\u")
                            .and_then(hex4)
                            .filter(|low| (0xdc00..0xe000).contains(low));
                        match low {
                            Some(low) => {
                                rest = rest.get(6..)?;
                                let c = 0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00);
                                char::from_u32(c).unwrap_or('\u{fffd}')
                            }
                            None => '\u{fffd}',
                        }
                    } else {
                        char::from_u32(high).unwrap_or('\u{fffd}')
                    }
                }
                other => char::from(other), // `"`, `\` and `/` stand for themselves
            })
        })
    }

    /// Whether it reads as the parts one after the other.
    pub(crate) fn is(self, parts: &[&str]) -> bool {
        self.chars().eq(parts.iter().flat_map(|p| p.chars()))
    }

    /// The text itself, when it has no escapes (it then borrows from the file).
    pub(crate) fn as_plain_str(self) -> Option<&'a str> {
        if self.raw.contains(&b'\\') {
            None
        } else {
            core::str::from_utf8(self.raw).ok()
        }
    }

    /// Its text in a [`Name`] (cut if long).
    pub(crate) fn to_name(self) -> Name {
        let mut name = Name::EMPTY;
        for c in self.chars() {
            name.push_char(c);
        }
        name
    }
}

/// The length of the UTF-8 sequence that starts with `first`.
fn utf8_len(first: u8) -> usize {
    match first {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

/// Four hexadecimal digits at the start of `bytes`.
fn hex4(bytes: &[u8]) -> Option<u32> {
    let digits = bytes.get(..4)?;
    digits.iter().try_fold(0u32, |acc, &d| {
        let v = (d as char).to_digit(16)?;
        Some(acc * 16 + v)
    })
}

/// One tensor of the header: its name, type, dimensions, element count and bytes in the
/// data (checked against the data's length and the type's size).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) name: JsonStr<'a>,
    pub(crate) dtype: Dtype,
    pub(crate) dims: Dims,
    /// The tensor's bytes in the data.
    pub(crate) data: &'a [u8],
}

/// A safetensors file checked from end to end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct File<'a> {
    /// The JSON header, without its length.
    header: &'a [u8],
    /// What follows the header.
    data: &'a [u8],
}

impl<'a> File<'a> {
    /// Checks `bytes` as a safetensors file: the header's length, the header's JSON, each
    /// entry's type, dimensions and offsets.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the file is shorter than its header says,
    /// [`Error::MalformedHeader`] (with the byte where reading stopped) for a header that is
    /// not the format's JSON, [`Error::TensorData`] for an entry whose bytes are not in the
    /// data or do not match its type and shape.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let Some((length, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(Error::Truncated {
                needed: 8,
                len: bytes.len() as u64,
            });
        };
        let n = u64::from_le_bytes(*length);
        if n > MAX_HEADER {
            return Err(Error::MalformedHeader {
                at: 0,
                expected: "a header length of at most 100 MB",
            });
        }
        let Some((header, data)) = rest.split_at_checked(n as usize) else {
            return Err(Error::Truncated {
                needed: 8 + n,
                len: bytes.len() as u64,
            });
        };
        if let Err(e) = core::str::from_utf8(header) {
            return Err(Error::MalformedHeader {
                at: 8 + e.valid_up_to(),
                expected: "UTF-8 text",
            });
        }
        let file = File { header, data };
        // Read every entry once: the syntax, and each entry against the data.
        let mut scan = file.scan();
        while scan.next_item()?.is_some() {}
        Ok(file)
    }

    /// The entries, in the header's order. The file was checked, so this yields every one.
    pub(crate) fn entries(self) -> impl Iterator<Item = Entry<'a>> {
        let mut scan = self.scan();
        core::iter::from_fn(move || loop {
            match scan.next_item() {
                Ok(Some(Item::Tensor(entry))) => return Some(entry),
                Ok(Some(Item::Metadata(_, _))) => continue,
                _ => return None,
            }
        })
    }

    /// The `__metadata__` entries, in the header's order.
    pub(crate) fn metadata(self) -> impl Iterator<Item = (JsonStr<'a>, JsonStr<'a>)> {
        let mut scan = self.scan();
        core::iter::from_fn(move || loop {
            match scan.next_item() {
                Ok(Some(Item::Metadata(key, value))) => return Some((key, value)),
                Ok(Some(Item::Tensor(_))) => continue,
                _ => return None,
            }
        })
    }

    /// The entry named by `parts`, if any.
    pub(crate) fn find(self, parts: &[&str]) -> Option<Entry<'a>> {
        self.entries().find(|e| e.name.is(parts))
    }

    /// The metadata value of the key named by `parts`, if any.
    pub(crate) fn find_metadata(self, parts: &[&str]) -> Option<JsonStr<'a>> {
        self.metadata()
            .find(|(key, _)| key.is(parts))
            .map(|(_, v)| v)
    }

    fn scan(self) -> Scan<'a> {
        Scan {
            cursor: Cursor {
                bytes: self.header,
                pos: 0,
            },
            data: self.data,
            state: ScanState::Start,
            metadata_seen: false,
        }
    }
}

/// What the header's top-level object holds, one at a time.
enum Item<'a> {
    Tensor(Entry<'a>),
    Metadata(JsonStr<'a>, JsonStr<'a>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScanState {
    Start,
    /// Between top-level members.
    Top,
    /// Inside `__metadata__`, before its first member.
    MetadataStart,
    /// Inside `__metadata__`, after a member.
    Metadata,
    Done,
}

/// A walk through the header, member by member.
struct Scan<'a> {
    cursor: Cursor<'a>,
    data: &'a [u8],
    state: ScanState,
    metadata_seen: bool,
}

impl<'a> Scan<'a> {
    fn next_item(&mut self) -> Result<Option<Item<'a>>, Error> {
        loop {
            let c = &mut self.cursor;
            match self.state {
                ScanState::Start => {
                    c.expect(b'{', "`{` opening the header")?;
                    if c.peek_after_ws() == Some(b'}') {
                        c.pos += 1;
                        self.state = ScanState::Done;
                        c.end()?;
                        return Ok(None);
                    }
                    self.state = ScanState::Top;
                    // The first member follows without a comma.
                    if let Some(item) = self.member()? {
                        return Ok(Some(item));
                    }
                }
                ScanState::Top => {
                    match c.next_non_ws() {
                        Some(b',') => {}
                        Some(b'}') => {
                            self.state = ScanState::Done;
                            c.end()?;
                            return Ok(None);
                        }
                        _ => return Err(c.error_before("`,` or `}` after a tensor")),
                    }
                    if let Some(item) = self.member()? {
                        return Ok(Some(item));
                    }
                }
                ScanState::MetadataStart | ScanState::Metadata => {
                    let first = self.state == ScanState::MetadataStart;
                    match c.next_non_ws() {
                        Some(b'}') => {
                            self.state = ScanState::Top;
                            continue;
                        }
                        Some(b',') if !first => {}
                        Some(b'"') if first => c.pos -= 1,
                        _ => return Err(c.error_before("`,` or `}` in `__metadata__`")),
                    }
                    let key = c.string()?;
                    c.expect(b':', "`:` after a metadata key")?;
                    let value = c.string()?;
                    self.state = ScanState::Metadata;
                    return Ok(Some(Item::Metadata(key, value)));
                }
                ScanState::Done => return Ok(None),
            }
        }
    }

    /// One top-level member: a tensor entry, or the start of `__metadata__` (then `None`,
    /// and the scan goes on inside it).
    fn member(&mut self) -> Result<Option<Item<'a>>, Error> {
        let c = &mut self.cursor;
        let name_at = c.pos;
        let name = c.string()?;
        c.expect(b':', "`:` after a tensor's name")?;
        if name.is(&["__metadata__"]) {
            if self.metadata_seen {
                return Err(Error::MalformedHeader {
                    at: 8 + name_at,
                    expected: "one `__metadata__`",
                });
            }
            self.metadata_seen = true;
            c.expect(b'{', "`{` opening `__metadata__`")?;
            self.state = ScanState::MetadataStart;
            return Ok(None);
        }
        let entry = self.tensor(name)?;
        Ok(Some(Item::Tensor(entry)))
    }

    /// The object of one tensor: `{"dtype": .., "shape": [..], "data_offsets": [b, e]}` in
    /// any order, unknown members skipped.
    fn tensor(&mut self, name: JsonStr<'a>) -> Result<Entry<'a>, Error> {
        let c = &mut self.cursor;
        c.expect(b'{', "`{` opening a tensor's entry")?;
        let (mut dtype, mut dims, mut count, mut offsets) = (None, None, None, None);
        let mut first = true;
        loop {
            match c.next_non_ws() {
                Some(b'}') if !first => break,
                Some(b',') if !first => {}
                Some(b'"') if first => c.pos -= 1,
                _ => return Err(c.error_before("a member of a tensor's entry")),
            }
            first = false;
            let key = c.string()?;
            c.expect(b':', "`:` after a key")?;
            if key.is(&["dtype"]) {
                let at = c.pos;
                let text = c.string()?;
                let found = Dtype::KNOWN
                    .into_iter()
                    .find(|d| text.is(&[d.name()]))
                    .unwrap_or(Dtype::Other);
                if dtype.replace(found).is_some() {
                    return Err(Error::MalformedHeader {
                        at: 8 + at,
                        expected: "one `dtype`",
                    });
                }
            } else if key.is(&["shape"]) {
                let at = c.pos;
                let mut d = Dims::SCALAR;
                let mut n: Option<u64> = Some(1);
                c.array(|c| {
                    let dim = c.uint()?;
                    d.push(dim);
                    n = n.and_then(|n| n.checked_mul(dim));
                    Ok(())
                })?;
                if dims.replace(d).is_some() {
                    return Err(Error::MalformedHeader {
                        at: 8 + at,
                        expected: "one `shape`",
                    });
                }
                count = Some(n);
            } else if key.is(&["data_offsets"]) {
                let at = c.pos;
                let mut values = [0u64; 2];
                let mut k = 0;
                c.array(|c| {
                    let v = c.uint()?;
                    if let Some(slot) = values.get_mut(k) {
                        *slot = v;
                    }
                    k += 1;
                    Ok(())
                })?;
                if k != 2 || offsets.replace(values).is_some() {
                    return Err(Error::MalformedHeader {
                        at: 8 + at,
                        expected: "one `data_offsets` of two numbers",
                    });
                }
            } else {
                c.skip_value(0)?;
            }
        }
        let end_at = c.pos;
        let (Some(dtype), Some(dims), Some(count), Some([begin, end])) =
            (dtype, dims, count, offsets)
        else {
            return Err(Error::MalformedHeader {
                at: 8 + end_at,
                expected: "`dtype`, `shape` and `data_offsets` in every tensor's entry",
            });
        };
        let bad = |problem| Error::TensorData {
            tensor: name.to_name(),
            begin,
            end,
            problem,
        };
        if begin > end {
            return Err(bad("its data ends before it begins"));
        }
        if end > self.data.len() as u64 {
            return Err(Error::Truncated {
                needed: 8 + self.cursor.bytes.len() as u64 + end,
                len: 8 + (self.cursor.bytes.len() + self.data.len()) as u64,
            });
        }
        let bytes = count.and_then(|n| n.checked_mul(dtype.size()? as u64));
        if dtype.size().is_some() && bytes.is_none() {
            return Err(bad("its shape has more elements than any file holds"));
        }
        if bytes.is_some_and(|b| b != end - begin) {
            return Err(bad(
                "its data's length is not its shape's number of elements times its type's size",
            ));
        }
        Ok(Entry {
            name,
            dtype,
            dims,
            data: &self.data[begin as usize..end as usize],
        })
    }
}

/// A position in the header's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// The error for a header that does not go on as `expected` at the current byte.
    fn error(&self, expected: &'static str) -> Error {
        Error::MalformedHeader {
            at: 8 + self.pos,
            expected,
        }
    }

    /// The error for the byte just read.
    fn error_before(&self, expected: &'static str) -> Error {
        Error::MalformedHeader {
            at: 8 + self.pos.saturating_sub(1),
            expected,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek_after_ws(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes.get(self.pos).copied()
    }

    fn next_non_ws(&mut self) -> Option<u8> {
        let b = self.peek_after_ws()?;
        self.pos += 1;
        Some(b)
    }

    fn expect(&mut self, byte: u8, expected: &'static str) -> Result<(), Error> {
        if self.peek_after_ws() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    /// Nothing but whitespace left (the format pads the header with spaces).
    fn end(&mut self) -> Result<(), Error> {
        match self.peek_after_ws() {
            None => Ok(()),
            Some(_) => Err(self.error("nothing after the header's closing `}`")),
        }
    }

    /// A string, its escapes checked.
    fn string(&mut self) -> Result<JsonStr<'a>, Error> {
        self.expect(b'"', "a string")?;
        let start = self.pos;
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(self.error("the string's closing `\"`"));
            };
            match b {
                b'"' => break,
                b'\\' => {
                    let escape = self.bytes.get(self.pos + 1).copied();
                    match escape {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.pos += 2;
                        }
                        Some(b'u')
                            if hex4(self.bytes.get(self.pos + 2..).unwrap_or(&[])).is_some() =>
                        {
                            self.pos += 6;
                        }
                        _ => return Err(self.error("a valid escape")),
                    }
                }
                0..0x20 => return Err(self.error("no control characters in a string")),
                _ => self.pos += 1,
            }
        }
        let raw = &self.bytes[start..self.pos];
        self.pos += 1;
        Ok(JsonStr { raw })
    }

    /// A whole number without sign, fraction or exponent, as the format writes sizes.
    fn uint(&mut self) -> Result<u64, Error> {
        self.skip_ws();
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(&d @ b'0'..=b'9') = self.bytes.get(self.pos) {
            if self.pos > start && self.bytes[start] == b'0' {
                return Err(self.error("no leading zeros in a number"));
            }
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(d - b'0')))
                .ok_or_else(|| self.error("a number below 2⁶⁴"))?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("a whole number"));
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(self.pos) {
            return Err(self.error("a whole number"));
        }
        Ok(value)
    }

    /// An array, calling `element` at each element.
    fn array(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.expect(b'[', "`[`")?;
        if self.peek_after_ws() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            element(self)?;
            match self.next_non_ws() {
                Some(b',') => {}
                Some(b']') => return Ok(()),
                _ => return Err(self.error_before("`,` or `]` in an array")),
            }
        }
    }

    /// Any JSON value, nested at most [`MAX_DEPTH`] deep.
    fn skip_value(&mut self, depth: usize) -> Result<(), Error> {
        if depth >= MAX_DEPTH {
            return Err(self.error("values nested less deeply"));
        }
        match self.peek_after_ws() {
            Some(b'"') => self.string().map(drop),
            Some(b'[') => self.array(|c| c.skip_value(depth + 1)),
            Some(b'{') => {
                self.pos += 1;
                if self.peek_after_ws() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.string()?;
                    self.expect(b':', "`:` after a key")?;
                    self.skip_value(depth + 1)?;
                    match self.next_non_ws() {
                        Some(b',') => {}
                        Some(b'}') => return Ok(()),
                        _ => return Err(self.error_before("`,` or `}` in an object")),
                    }
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("a value")),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Error> {
        if self
            .bytes
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(word))
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error("a value"))
        }
    }

    /// Any JSON number, skipped.
    fn number(&mut self) -> Result<(), Error> {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
        let text = core::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or("");
        if text.parse::<f64>().is_ok() && !text.starts_with('+') && !text.starts_with('.') {
            Ok(())
        } else {
            self.pos = start;
            Err(self.error("a number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// A file of `header` padded to 8 bytes, then `data`.
    pub(crate) fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.as_bytes().to_vec();
        while !h.len().is_multiple_of(8) {
            h.push(b' ');
        }
        let mut out = (h.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn reads_entries_and_metadata_in_any_order() {
        let bytes = file(
            r#"{ "b": {"shape": [2], "data_offsets": [0, 8], "dtype": "F32", "extra": [1, {"x": null}]},
                "__metadata__": {"format": "pt", "k\"ey": "v\u00e9"},
                "n\u00e9": {"dtype": "I64", "shape": [], "data_offsets": [8, 16]} }"#,
            &[0; 16],
        );
        let f = File::parse(&bytes).unwrap();
        let entries: Vec<_> = f.entries().collect();
        assert_eq!(entries.len(), 2);
        assert!(entries[0].name.is(&["b"]));
        assert_eq!(entries[0].dtype, Dtype::F32);
        assert_eq!(entries[0].dims, Dims::new(&[2]));
        assert!(entries[1].name.is(&["n", "é"]));
        assert_eq!(entries[1].dims, Dims::SCALAR);
        assert_eq!(entries[1].data.len(), 8);
        let metadata: Vec<_> = f.metadata().collect();
        assert_eq!(metadata.len(), 2);
        assert_eq!(metadata[0].1.as_plain_str(), Some("pt"));
        assert!(metadata[1].0.is(&["k\"ey"]));
        assert_eq!(metadata[1].1.as_plain_str(), None);
        assert!(metadata[1].1.is(&["vé"]));
        assert!(f.find(&["b"]).is_some() && f.find(&["c"]).is_none());
        assert!(f.find_metadata(&["format"]).is_some());
    }

    #[test]
    fn decodes_surrogate_pairs_and_marks_lone_ones() {
        let bytes = file(r#"{"__metadata__": {"a": "\ud83d\ude00\ud800x"}}"#, &[]);
        let f = File::parse(&bytes).unwrap();
        let (_, v) = f.metadata().next().unwrap();
        assert!(v.chars().eq("😀\u{fffd}x".chars()));
    }

    #[test]
    fn an_empty_header_is_a_file_without_tensors() {
        let bytes = file("{}", &[]);
        assert_eq!(File::parse(&bytes).unwrap().entries().count(), 0);
        let bytes = file(r#"{"__metadata__":{}}"#, &[]);
        assert_eq!(File::parse(&bytes).unwrap().metadata().count(), 0);
    }

    fn malformed(header: &str, data: &[u8]) -> (usize, &'static str) {
        match File::parse(&file(header, data)) {
            Err(Error::MalformedHeader { at, expected }) => (at, expected),
            other => panic!("{header}: {other:?}"),
        }
    }

    #[test]
    fn malformed_headers_say_where_and_what() {
        assert_eq!(malformed("[]", &[]), (8, "`{` opening the header"));
        assert_eq!(malformed("{\"a\" 1}", &[]).1, "`:` after a tensor's name");
        assert_eq!(
            malformed("{\"a\": {}}", &[]).1,
            "a member of a tensor's entry"
        );
        assert_eq!(
            malformed(r#"{"a": {"dtype": "F32"}}"#, &[]).1,
            "`dtype`, `shape` and `data_offsets` in every tensor's entry"
        );
        assert_eq!(
            malformed(
                r#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 0]}}"#,
                &[]
            )
            .1,
            "a whole number"
        );
        assert_eq!(
            malformed(
                r#"{"a": {"dtype": "F32", "shape": [01], "data_offsets": [0, 4]}}"#,
                &[]
            )
            .1,
            "no leading zeros in a number"
        );
        assert_eq!(
            malformed(r#"{"a": {"dtype": "F32", "shape": [99999999999999999999], "data_offsets": [0, 4]}}"#, &[]).1,
            "a number below 2⁶⁴"
        );
        assert_eq!(
            malformed("{} x", &[]).1,
            "nothing after the header's closing `}`"
        );
        assert_eq!(malformed("{\"a\\q\": 1}", &[]).1, "a valid escape");
        assert_eq!(
            malformed("{\"a\n\": 1}", &[]).1,
            "no control characters in a string"
        );
        assert_eq!(
            malformed(r#"{"__metadata__": {}, "__metadata__": {}}"#, &[]).1,
            "one `__metadata__`"
        );
        assert_eq!(
            malformed(r#"{"__metadata__": {"a": 1}}"#, &[]).1,
            "a string"
        );
        let deep = std::format!(
            r#"{{"a": {{"dtype": "F32", "shape": [], "data_offsets": [0, 4], "x": {}1{}}}}}"#,
            "[".repeat(40),
            "]".repeat(40)
        );
        assert_eq!(malformed(&deep, &[0; 4]).1, "values nested less deeply");
    }

    #[test]
    fn offsets_are_checked_against_the_data() {
        let entry = |offsets: &str| {
            std::format!(
                r#"{{"a": {{"dtype": "F32", "shape": [2, 1], "data_offsets": {offsets}}}}}"#
            )
        };
        assert!(File::parse(&file(&entry("[0, 8]"), &[0; 8])).is_ok());
        assert!(matches!(
            File::parse(&file(&entry("[0, 8]"), &[0; 7])),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            File::parse(&file(&entry("[8, 0]"), &[0; 8])),
            Err(Error::TensorData {
                problem: "its data ends before it begins",
                ..
            })
        ));
        assert!(matches!(
            File::parse(&file(&entry("[0, 4]"), &[0; 8])),
            Err(Error::TensorData {
                begin: 0,
                end: 4,
                ..
            })
        ));
        let huge =
            r#"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}"#;
        assert!(matches!(
            File::parse(&file(huge, &[])),
            Err(Error::TensorData { .. })
        ));
        // A type typenet does not know still has its offsets checked.
        let other = r#"{"a": {"dtype": "F8_E4M3", "shape": [3], "data_offsets": [0, 3]}}"#;
        let bytes = file(other, &[0; 3]);
        let f = File::parse(&bytes).unwrap();
        assert_eq!(f.entries().next().unwrap().dtype, Dtype::Other);
    }

    #[test]
    fn short_files_are_truncated() {
        assert_eq!(
            File::parse(&[1, 0, 0]).unwrap_err(),
            Error::Truncated { needed: 8, len: 3 }
        );
        let mut bytes = file("{}", &[]);
        bytes.truncate(12);
        assert_eq!(
            File::parse(&bytes).unwrap_err(),
            Error::Truncated {
                needed: 16,
                len: 12
            }
        );
        let too_long = u64::MAX.to_le_bytes();
        assert!(matches!(
            File::parse(&too_long),
            Err(Error::MalformedHeader { at: 0, .. })
        ));
    }
}
