//! The safetensors writer, without a heap: the header's JSON is printed twice, once to
//! count its bytes and once into the caller's buffer, and the tensors are taken in the
//! order of their names by repeated scans rather than by sorting a list.

use super::{Dims, Dtype};
use crate::{Error, Scalar};
use core::cmp::Ordering;
use core::fmt::{self, Write};

/// The parts of a name written one after the other (`["hidden", ".", "weight", "", ""]`):
/// tensor names are made of static pieces, so no name is ever built.
pub(crate) type Parts = [&'static str; 5];

/// The values of one tensor to write.
pub(crate) enum Values<'a, T> {
    /// Floats of the network's scalar type.
    Floats(&'a [T]),
    /// One `int64`: batch norm's `num_batches_tracked`.
    Count(u64),
}

/// One tensor to write.
pub(crate) struct Item<'a, T> {
    pub(crate) parts: Parts,
    pub(crate) dims: Dims,
    pub(crate) values: Values<'a, T>,
}

impl<T: Scalar> Item<'_, T> {
    fn dtype(&self) -> Dtype {
        match self.values {
            Values::Floats(_) => Dtype::of_scalar(T::NAME),
            Values::Count(_) => Dtype::I64,
        }
    }

    fn bytes(&self) -> usize {
        match self.values {
            Values::Floats(v) => core::mem::size_of_val(v),
            Values::Count(_) => 8,
        }
    }
}

/// What a file holds: its tensors, visited in any order, and its metadata.
pub(crate) trait Contents<T: Scalar> {
    /// Calls `visit` with every tensor.
    fn visit_items(&self, visit: &mut dyn FnMut(&Item<'_, T>));
    /// Calls `visit` with every metadata entry: its key's parts and its value.
    fn visit_metadata(&self, visit: &mut dyn FnMut(&[&str], &dyn fmt::Display));
}

/// `a` against `b`, comparing the names the parts spell.
fn compare(a: &Parts, b: &Parts) -> Ordering {
    let a = a.iter().flat_map(|s| s.bytes());
    a.cmp(b.iter().flat_map(|s| s.bytes()))
}

/// Calls `visit` with the tensors of `contents` in the order of their names.
fn in_name_order<T: Scalar>(contents: &dyn Contents<T>, visit: &mut dyn FnMut(&Item<'_, T>)) {
    let mut last: Option<Parts> = None;
    loop {
        // The smallest name after the last one written.
        let mut next: Option<Parts> = None;
        contents.visit_items(&mut |item| {
            let after_last = last.is_none_or(|l| compare(&item.parts, &l) == Ordering::Greater);
            if after_last && next.is_none_or(|n| compare(&item.parts, &n) == Ordering::Less) {
                next = Some(item.parts);
            }
        });
        let Some(name) = next else { return };
        let mut done = false;
        contents.visit_items(&mut |item| {
            if !done && compare(&item.parts, &name) == Ordering::Equal {
                done = true;
                visit(item);
            }
        });
        last = Some(name);
    }
}

/// Where bytes go: a buffer, or nowhere when only counting them. Writing past the
/// buffer's end is a formatting error, never a panic.
struct Sink<'b> {
    buf: Option<&'b mut [u8]>,
    pos: usize,
}

impl Sink<'_> {
    fn bytes(&mut self, bytes: &[u8]) -> fmt::Result {
        if let Some(buf) = self.buf.as_deref_mut() {
            let slot = buf
                .get_mut(self.pos..self.pos + bytes.len())
                .ok_or(fmt::Error)?;
            slot.copy_from_slice(bytes);
        }
        self.pos += bytes.len();
        Ok(())
    }

    /// A JSON string of the parts, escaped.
    fn string(&mut self, parts: &[&str]) -> fmt::Result {
        self.bytes(b"\"")?;
        for c in parts.iter().flat_map(|p| p.chars()) {
            match c {
                '"' => self.bytes(b"\\\"")?,
                '\\' => self.bytes(b"\\\\")?,
                c if (c as u32) < 0x20 => write!(self, "\\u{:04x}", c as u32)?,
                c => self.write_char(c)?,
            }
        }
        self.bytes(b"\"")
    }
}

impl Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.bytes(s.as_bytes())
    }
}

/// The header's JSON, unpadded: metadata first, then the tensors in the order of their
/// names, their data in the same order from offset 0.
fn header<T: Scalar>(contents: &dyn Contents<T>, sink: &mut Sink<'_>) -> fmt::Result {
    sink.bytes(b"{\"__metadata__\":{")?;
    let mut result = Ok(());
    let mut first = true;
    contents.visit_metadata(&mut |key, value| {
        if result.is_ok() {
            result = (|| {
                if !first {
                    sink.bytes(b",")?;
                }
                first = false;
                sink.string(key)?;
                sink.bytes(b":")?;
                // Values are numbers and plain words: nothing to escape, but escape anyway.
                let mut text = DisplayBuf::new();
                write!(text, "{value}")?;
                sink.string(&[text.as_str()?])
            })();
        }
    });
    result?;
    sink.bytes(b"}")?;
    let mut offset = 0usize;
    in_name_order(contents, &mut |item| {
        if result.is_ok() {
            result = (|| {
                sink.bytes(b",")?;
                sink.string(&item.parts)?;
                write!(sink, ":{{\"dtype\":\"{}\",\"shape\":[", item.dtype())?;
                for (i, d) in item.dims.dims().enumerate() {
                    if i > 0 {
                        sink.bytes(b",")?;
                    }
                    write!(sink, "{d}")?;
                }
                let end = offset + item.bytes();
                write!(sink, "],\"data_offsets\":[{offset},{end}]}}")?;
                offset = end;
                Ok(())
            })();
        }
    });
    result?;
    sink.bytes(b"}")
}

/// A metadata value's text, printed into a small buffer so that it can be escaped.
struct DisplayBuf {
    bytes: [u8; 128],
    len: usize,
}

impl DisplayBuf {
    fn new() -> Self {
        DisplayBuf {
            bytes: [0; 128],
            len: 0,
        }
    }

    fn as_str(&self) -> Result<&str, fmt::Error> {
        core::str::from_utf8(&self.bytes[..self.len]).map_err(|_| fmt::Error)
    }
}

impl Write for DisplayBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let slot = self
            .bytes
            .get_mut(self.len..self.len + s.len())
            .ok_or(fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// The header's length padded with spaces to a multiple of 8, so that the data starts
/// aligned, as the format allows.
fn padded_header_len<T: Scalar>(contents: &dyn Contents<T>) -> usize {
    let mut count = Sink { buf: None, pos: 0 };
    // Counting cannot fail: there is no buffer to run past.
    let _ = header(contents, &mut count);
    count.pos.next_multiple_of(8)
}

/// The bytes a file of `contents` takes.
pub(crate) fn file_len<T: Scalar>(contents: &dyn Contents<T>) -> usize {
    let mut data = 0;
    contents.visit_items(&mut |item| data += item.bytes());
    8 + padded_header_len(contents) + data
}

/// Writes a file of `contents` at the start of `buf` and returns its length.
///
/// # Errors
/// [`Error::BufferTooSmall`] when `buf` is shorter than the file; nothing is written then.
pub(crate) fn write_file<T: Scalar>(
    contents: &dyn Contents<T>,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let needed = file_len(contents);
    let Some(buf) = buf.get_mut(..needed) else {
        return Err(Error::BufferTooSmall {
            needed,
            len: buf.len(),
        });
    };
    let header_len = padded_header_len(contents);
    let (length, rest) = buf.split_at_mut(8);
    length.copy_from_slice(&(header_len as u64).to_le_bytes());
    let (head, data) = rest.split_at_mut(header_len);
    head.fill(b' ');
    let mut sink = Sink {
        buf: Some(head),
        pos: 0,
    };
    let written = header(contents, &mut sink);
    let mut sink = Sink {
        buf: Some(data),
        pos: 0,
    };
    let mut result = written;
    in_name_order(contents, &mut |item| {
        if result.is_err() {
            return;
        }
        result = match item.values {
            Values::Floats(values) => values.iter().try_for_each(|v| match T::NAME {
                "f64" => sink.bytes(&v.to_f64().to_le_bytes()),
                _ => sink.bytes(&(v.to_f64() as f32).to_le_bytes()),
            }),
            Values::Count(n) => sink.bytes(&i64::try_from(n).unwrap_or(i64::MAX).to_le_bytes()),
        };
    });
    // The lengths were counted by the same code, so this cannot fail; should it ever, the
    // caller gets an error rather than a half-written file taken for a whole one.
    result.map_err(|_| Error::BufferTooSmall {
        needed,
        len: needed,
    })?;
    Ok(needed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::format::File;

    /// Two tensors given out of order, a count, and metadata that needs escaping.
    struct Fake;

    impl Contents<f32> for Fake {
        fn visit_items(&self, visit: &mut dyn FnMut(&Item<'_, f32>)) {
            visit(&Item {
                parts: ["b", ".", "w", "", ""],
                dims: Dims::new(&[1, 2]),
                values: Values::Floats(&[1.0, -0.0]),
            });
            visit(&Item {
                parts: ["a", "", "", "", ""],
                dims: Dims::SCALAR,
                values: Values::Count(3),
            });
        }

        fn visit_metadata(&self, visit: &mut dyn FnMut(&[&str], &dyn fmt::Display)) {
            visit(&["k\"ey"], &"a\\b\n");
        }
    }

    #[test]
    fn writes_sorted_padded_little_endian_bytes() {
        let len = file_len(&Fake);
        let mut buf = [0xaa; 256];
        assert_eq!(write_file(&Fake, &mut buf), Ok(len));
        let header = r#"{"__metadata__":{"k\"ey":"a\\b\u000a"},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"b.w":{"dtype":"F32","shape":[1,2],"data_offsets":[8,16]}}"#;
        let padded = header.len().next_multiple_of(8);
        assert_eq!(len, 8 + padded + 16);
        assert_eq!(buf[..8], (padded as u64).to_le_bytes());
        assert_eq!(&buf[8..8 + header.len()], header.as_bytes());
        assert!(buf[8 + header.len()..8 + padded].iter().all(|&b| b == b' '));
        let data = &buf[8 + padded..len];
        assert_eq!(data[..8], 3i64.to_le_bytes());
        assert_eq!(data[8..12], 1.0f32.to_le_bytes());
        assert_eq!(data[12..16], (-0.0f32).to_le_bytes());
        assert_eq!(buf[len], 0xaa);
        // The reader takes it back, escapes and all.
        let file = File::parse(&buf[..len]).unwrap();
        let (key, value) = file.metadata().next().unwrap();
        assert!(key.is(&["k\"ey"]) && value.is(&["a\\b\n"]));
        assert_eq!(file.entries().count(), 2);
        let mut short = [0u8; 40];
        assert_eq!(
            write_file(&Fake, &mut short),
            Err(Error::BufferTooSmall {
                needed: len,
                len: 40
            })
        );
        assert!(short.iter().all(|&b| b == 0));
    }
}
