//! The scalars of a run's progress that a checkpoint keeps besides tensors: an optimizer's
//! step count and learning rate, a schedule's position.

use crate::error::{InvalidHyperParameter, Number};
use crate::validate::rejected;
use core::fmt;

/// The name of one scalar of progress, as segments joined by dots: `step`, or `0.last_epoch`
/// for the first schedule of a [`Sequential`](crate::schedule::Sequential). Built from
/// static pieces, so it needs no heap.
///
/// ```
/// use typenet_core::io::Key;
/// let key = Key::new("last_epoch").under("0");
/// assert_eq!(key.to_string(), "0.last_epoch");
/// assert_eq!((key.first(), key.rest()), ("0", Key::new("last_epoch")));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    parts: [&'static str; Key::DEPTH],
    len: usize,
}

impl Key {
    /// The most segments a key has; [`under`](Key::under) drops the last ones beyond.
    pub const DEPTH: usize = 6;

    /// A key of one segment.
    pub const fn new(name: &'static str) -> Self {
        let mut parts = [""; Key::DEPTH];
        parts[0] = name;
        Key { parts, len: 1 }
    }

    /// The same key one level down, under `prefix`: `step` under `0` is `0.step`.
    #[must_use]
    pub fn under(self, prefix: &'static str) -> Self {
        let mut parts = [""; Key::DEPTH];
        parts[0] = prefix;
        let len = (self.len + 1).min(Key::DEPTH);
        parts[1..len].copy_from_slice(&self.parts[..len - 1]);
        Key { parts, len }
    }

    /// The first segment.
    pub fn first(&self) -> &'static str {
        self.parts[0]
    }

    /// The key without its first segment (empty for a key of one).
    pub fn rest(&self) -> Self {
        let mut parts = [""; Key::DEPTH];
        let len = self.len.saturating_sub(1);
        parts[..len].copy_from_slice(&self.parts[1..=len]);
        Key { parts, len }
    }

    /// The segments.
    pub fn segments(&self) -> &[&'static str] {
        &self.parts[..self.len]
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.segments().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(part)?;
        }
        Ok(())
    }
}

/// A value whose progress a checkpoint saves and restores: the scalars that change as
/// training runs (a step count, a learning rate, a schedule's position), never its
/// hyper-parameters, which the program that resumes builds again as it built them first.
///
/// Every optimizer and schedule implements it, as do the trainer's learning-rate policies.
/// A checkpoint asks a freshly built value for its keys and the kind of each value
/// (`Number::F32`, `F64` or `Integer`), reads each from the file in that kind, and restores
/// it with [`load_progress`](Resume::load_progress).
///
/// ```
/// use typenet_core::io::{Key, Resume};
/// use typenet_core::optim::{Adam, Optimizer};
/// use typenet_core::{Flat, Number};
/// let mut adam = Adam::new(0.01f64)?;
/// adam.step(&mut [1.0f64], &[0.5], &mut Flat::zeroed());
/// let mut saved = Vec::new();
/// adam.save_progress(&mut |key, value| saved.push((key.to_string(), value)));
/// assert_eq!(saved, [("lr".to_string(), Number::F64(0.01)), ("step".to_string(), Number::Integer(1))]);
/// let mut fresh = Adam::new(0.01f64)?;
/// fresh.load_progress(Key::new("step"), Number::Integer(1))?;
/// assert_eq!(fresh.steps(), 1);
/// # Ok::<(), typenet_core::InvalidHyperParameter>(())
/// ```
pub trait Resume {
    /// Calls `visit` with each scalar of progress: its key and its value.
    fn save_progress(&self, visit: &mut dyn FnMut(Key, Number));

    /// Sets the scalar saved under `key` to `value`, which has the kind
    /// [`save_progress`](Resume::save_progress) gives it. A key it does not have is ignored.
    ///
    /// # Errors
    /// A value it cannot take (a learning rate of 0, say), naming the scalar; nothing is
    /// changed then.
    fn load_progress(&mut self, key: Key, value: Number) -> Result<(), InvalidHyperParameter>;
}

/// The value as a count, or an error naming `name`.
pub(crate) fn count(name: &'static str, value: Number) -> Result<u64, InvalidHyperParameter> {
    match value {
        Number::Integer(n) => Ok(n),
        other => Err(rejected(name, other, "a whole number")),
    }
}

/// The value as an `f64`, checked by `ok`.
pub(crate) fn float(
    name: &'static str,
    value: Number,
    ok: impl Fn(f64) -> bool,
    expected: &'static str,
) -> Result<f64, InvalidHyperParameter> {
    match value {
        Number::F64(x) if ok(x) => Ok(x),
        other => Err(rejected(name, other, expected)),
    }
}

/// The value as a `T`, for a learning rate: what the optimizer's `set_lr` then checks.
pub(crate) fn scalar<T: crate::scalar::Scalar>(
    name: &'static str,
    value: Number,
) -> Result<T, InvalidHyperParameter> {
    match (value, T::NAME) {
        (Number::F32(x), "f32") => Ok(T::from_f64(f64::from(x))),
        (Number::F64(x), "f64") => Ok(T::from_f64(x)),
        (other, _) => Err(rejected(name, other, "a number of the optimizer's type")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn keys_nest_and_unnest() {
        let key = Key::new("lr").under("1").under("0");
        assert_eq!(key.to_string(), "0.1.lr");
        assert_eq!(key.segments(), ["0", "1", "lr"]);
        assert_eq!(key.rest().rest(), Key::new("lr"));
        assert_eq!(Key::new("lr").rest().segments(), [] as [&str; 0]);
        // Past the depth, the last segments are dropped rather than anything panicking.
        let mut deep = Key::new("x");
        for _ in 0..10 {
            deep = deep.under("s");
        }
        assert_eq!(deep.segments().len(), Key::DEPTH);
    }
}
