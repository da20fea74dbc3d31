//! A network's weights: its parameters and buffers, as PyTorch's `state_dict` has them.

use super::format::{Entry, File, JsonStr};
use super::write::{file_len, write_file, Contents, Item, Parts, Values};
use super::{Dims, Dtype, Name, Nearest};
use crate::error::{Error, Number};
use crate::flat::Flat;
use crate::network::Network;
use crate::optim::StateTensor;
use crate::scalar::Scalar;
use crate::tensors::{Role, TensorInfo, Tensors};
use core::fmt;

/// PyTorch's name for the count of batches a batch-norm layer has seen.
pub(crate) const NUM_BATCHES_TRACKED: &str = "num_batches_tracked";

/// The parts of the name of `info`, with `.suffix` when `suffix` is not empty.
pub(crate) fn tensor_parts(info: &TensorInfo, suffix: &'static str) -> Parts {
    let dot = if info.layer.is_empty() { "" } else { "." };
    let suffix_dot = if suffix.is_empty() { "" } else { "." };
    [info.layer, dot, info.name, suffix_dot, suffix]
}

/// The parts of `layer.num_batches_tracked`.
fn count_parts(layer: &'static str) -> Parts {
    [layer, ".", NUM_BATCHES_TRACKED, "", ""]
}

/// Calls `visit` with the name of every batch-norm layer of `N`: the layers whose buffers
/// hold a `running_mean`.
fn visit_batch_norms<N: Network<T>, T: Scalar>(visit: &mut dyn FnMut(&'static str)) {
    N::Buffers::visit_tensors(&mut |t| {
        if t.role == Role::RunningStatistic && t.name == "running_mean" {
            visit(t.layer);
        }
    });
}

/// Every tensor a file of `N` holds, with optimizer state named by `state` (none for a
/// weights file): what a load expects and a writer writes.
pub(crate) struct Layout<N, T> {
    pub(crate) state: &'static [StateTensor],
    network: core::marker::PhantomData<fn() -> (N, T)>,
}

impl<N: Network<T>, T: Scalar> Layout<N, T> {
    pub(crate) fn new(state: &'static [StateTensor]) -> Self {
        Layout {
            state,
            network: core::marker::PhantomData,
        }
    }

    /// Calls `visit` with the name of every tensor, `num_batches_tracked` included.
    fn visit_names(&self, visit: &mut dyn FnMut(Parts)) {
        N::visit_layout(&mut |t| visit(tensor_parts(&t, "")));
        for s in self.state {
            N::Params::visit_tensors(&mut |t| visit(tensor_parts(&t, s.name)));
        }
        visit_batch_norms::<N, T>(&mut |layer| visit(count_parts(layer)));
    }

    /// Checks that `file` holds exactly this layout's tensors, with their types and shapes
    /// and values that a network can hold. `num_batches_tracked` may be missing.
    pub(crate) fn check(&self, file: File<'_>) -> Result<(), Error> {
        let mut result = Ok(());
        let mut check = |r: Result<(), Error>| {
            if result.is_ok() {
                result = r;
            }
        };
        N::visit_layout(&mut |t| {
            check(expect_floats::<T>(file, &tensor_parts(&t, ""), t.shape, rule(&t)).map(drop));
        });
        for s in self.state {
            let non_negative = if s.non_negative {
                Rule::NonNegative
            } else {
                Rule::Finite
            };
            N::Params::visit_tensors(&mut |t| {
                check(
                    expect_floats::<T>(file, &tensor_parts(&t, s.name), t.shape, non_negative)
                        .map(drop),
                );
            });
        }
        visit_batch_norms::<N, T>(&mut |layer| check(check_count(file, &count_parts(layer))));
        result?;
        for entry in file.entries() {
            let mut known = false;
            self.visit_names(&mut |parts| known |= entry.name.is(&parts));
            if !known {
                return Err(self.unexpected(entry.name));
            }
        }
        Ok(())
    }

    /// The error for a tensor in the file that the layout does not have, with the nearest
    /// name it has.
    fn unexpected(&self, name: JsonStr<'_>) -> Error {
        let name = name.to_name();
        let mut nearest = Nearest::new(name.as_str());
        self.visit_names(&mut |parts| nearest.offer(Name::from_parts(&parts)));
        Error::UnexpectedTensor {
            tensor: name,
            closest: nearest.best(),
        }
    }
}

/// What the values of a tensor must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    Finite,
    /// Finite and at least 0: a variance, a sum of squares.
    NonNegative,
}

fn rule(info: &TensorInfo) -> Rule {
    if crate::tensors::holds_variances(info) {
        Rule::NonNegative
    } else {
        Rule::Finite
    }
}

/// The values of a tensor of the network's type `T`, from their little-endian bytes (which
/// need no alignment: the file may sit anywhere in memory).
pub(crate) fn decode<T: Scalar>(data: &[u8]) -> impl Iterator<Item = T> + '_ {
    data.chunks_exact(core::mem::size_of::<T>()).map(|b| {
        if let Ok(b8) = <[u8; 8]>::try_from(b) {
            T::from_f64(f64::from_le_bytes(b8))
        } else if let Ok(b4) = <[u8; 4]>::try_from(b) {
            T::from_f64(f64::from(f32::from_le_bytes(b4)))
        } else {
            T::ZERO
        }
    })
}

/// The entry named `parts`, checked: there, of `T`'s type, of `shape`, its values following
/// `rule`.
fn expect_floats<'a, T: Scalar>(
    file: File<'a>,
    parts: &Parts,
    shape: crate::tensors::Shape,
    rule: Rule,
) -> Result<Entry<'a>, Error> {
    let name = || Name::from_parts(parts);
    let entry = file
        .find(parts)
        .ok_or_else(|| Error::MissingTensor { tensor: name() })?;
    let dtype = Dtype::of_scalar(T::NAME);
    if entry.dtype != dtype {
        return Err(Error::TensorDtype {
            tensor: name(),
            expected: dtype,
            found: entry.dtype,
        });
    }
    let dims = Dims::of(shape);
    if entry.dims != dims {
        return Err(Error::TensorShape {
            tensor: name(),
            expected: dims,
            found: entry.dims,
        });
    }
    check_values(decode::<T>(entry.data), rule).map_err(|(index, value)| {
        Error::InvalidTensorValue {
            tensor: name(),
            index,
            value,
            expected: match rule {
                Rule::Finite => "a finite number",
                Rule::NonNegative => crate::validate::FINITE_NON_NEGATIVE,
            },
        }
    })?;
    Ok(entry)
}

/// The index and value of the first value that breaks `rule`.
fn check_values<T: Scalar>(
    values: impl Iterator<Item = T>,
    rule: Rule,
) -> Result<(), (usize, Number)> {
    for (i, v) in values.enumerate() {
        if !v.is_finite() || (rule == Rule::NonNegative && v < T::ZERO) {
            return Err((i, v.to_number()));
        }
    }
    Ok(())
}

/// Checks batch norm's `num_batches_tracked` when the file has it: an `int64` of shape `[]`,
/// at least 0.
fn check_count(file: File<'_>, parts: &Parts) -> Result<(), Error> {
    let Some(entry) = file.find(parts) else {
        return Ok(());
    };
    let name = || Name::from_parts(parts);
    if entry.dtype != Dtype::I64 {
        return Err(Error::TensorDtype {
            tensor: name(),
            expected: Dtype::I64,
            found: entry.dtype,
        });
    }
    if entry.dims != Dims::SCALAR {
        return Err(Error::TensorShape {
            tensor: name(),
            expected: Dims::SCALAR,
            found: entry.dims,
        });
    }
    let value = entry
        .data
        .try_into()
        .map(i64::from_le_bytes)
        .unwrap_or_default();
    if value < 0 {
        return Err(Error::InvalidTensorValue {
            tensor: name(),
            index: 0,
            value: Number::F64(value as f64),
            expected: "a count at least 0",
        });
    }
    Ok(())
}

/// Copies the tensors of `N` from a checked `file` into the network's blocks.
pub(crate) fn copy_network<N: Network<T>, T: Scalar>(net: &mut N, file: File<'_>) {
    let params = net.params_mut().as_flat_mut();
    N::Params::visit_tensors(&mut |t| copy(file, &tensor_parts(&t, ""), &mut params[t.range()]));
    let buffers = net.buffers_mut().as_flat_mut();
    N::Buffers::visit_tensors(&mut |t| copy(file, &tensor_parts(&t, ""), &mut buffers[t.range()]));
}

/// Copies the entry named `parts` of a checked file into `into`.
pub(crate) fn copy<T: Scalar>(file: File<'_>, parts: &Parts, into: &mut [T]) {
    if let Some(entry) = file.find(parts) {
        for (slot, v) in into.iter_mut().zip(decode::<T>(entry.data)) {
            *slot = v;
        }
    }
}

/// A network's tensors and `num_batches_tracked`, for the writer.
pub(crate) struct NetworkContents<'n, N> {
    pub(crate) net: &'n N,
    /// Written as every batch-norm layer's `num_batches_tracked`.
    pub(crate) tracked: u64,
}

impl<N> NetworkContents<'_, N> {
    pub(crate) fn visit<T: Scalar>(&self, visit: &mut dyn FnMut(&Item<'_, T>))
    where
        N: Network<T>,
    {
        self.net.visit_tensors(|t, values| {
            visit(&Item {
                parts: tensor_parts(&t, ""),
                dims: Dims::of(t.shape),
                values: Values::Floats(values),
            });
        });
        visit_batch_norms::<N, T>(&mut |layer| {
            visit(&Item {
                parts: count_parts(layer),
                dims: Dims::SCALAR,
                values: Values::Count(self.tracked),
            });
        });
    }
}

impl<N: Network<T>, T: Scalar> Contents<T> for NetworkContents<'_, N> {
    fn visit_items(&self, visit: &mut dyn FnMut(&Item<'_, T>)) {
        self.visit(visit);
    }

    fn visit_metadata(&self, visit: &mut dyn FnMut(&[&str], &dyn fmt::Display)) {
        visit(&["format"], &"pt");
    }
}

/// The bytes [`write_weights`] writes for a network of type `N`: the same for every value
/// of the type.
///
/// An example is in the `typenet` crate's `io` module (networks are declared with its
/// `network!` macro).
pub fn weights_len<N: Network<T>, T: Scalar>(net: &N) -> usize {
    file_len::<T>(&NetworkContents { net, tracked: 0 })
}

/// Writes the network's parameters and buffers in the safetensors format at the start of
/// `buf`, with PyTorch's names and layouts (see [the module](crate::io)), and returns the bytes
/// written: [`weights_len`]. Every batch-norm layer's `num_batches_tracked` is written as 0:
/// typenet does not count batches, and PyTorch reads the count only for a `momentum` of
/// `None`, which typenet's batch norm does not have.
///
/// An example is in the `typenet` crate's `io` module.
///
/// # Errors
/// [`Error::BufferTooSmall`] when `buf` is shorter than [`weights_len`]; nothing is written.
pub fn write_weights<N: Network<T>, T: Scalar>(net: &N, buf: &mut [u8]) -> Result<usize, Error> {
    write_file::<T>(&NetworkContents { net, tracked: 0 }, buf)
}

/// The bytes of [`write_weights`], in a new vector.
///
/// An example is in the `typenet` crate's `io` module.
#[cfg(feature = "alloc")]
pub fn weights_to_vec<N: Network<T>, T: Scalar>(net: &N) -> alloc::vec::Vec<u8> {
    let mut bytes = alloc::vec![0; weights_len(net)];
    // The length is the one the writer needs, so it cannot fail.
    let _ = write_weights(net, &mut bytes);
    bytes
}

/// Loads the network's parameters and buffers from a safetensors file, with no allocation:
/// the file PyTorch's `safetensors.torch.save_file(model.state_dict(), …)` writes for a model
/// of the same names, or [`write_weights`]'s.
///
/// An example is in the `typenet` crate's `io` module.
///
/// # Errors
/// The first problem found, before anything is written (see [the module](crate::io#what-a-load-checks)):
/// [`Error::Truncated`], [`Error::MalformedHeader`], [`Error::TensorData`] for the file;
/// [`Error::MissingTensor`], [`Error::UnexpectedTensor`] (with the nearest name the network
/// has), [`Error::TensorDtype`], [`Error::TensorShape`] (with both shapes) and
/// [`Error::InvalidTensorValue`] (with the first bad index) for a tensor.
pub fn load_weights<N: Network<T>, T: Scalar>(net: &mut N, bytes: &[u8]) -> Result<(), Error> {
    let file = File::parse(bytes)?;
    Layout::<N, T>::new(&[]).check(file)?;
    copy_network(net, file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_decode_from_unaligned_little_endian_bytes() {
        let mut bytes = [0u8; 9];
        bytes[1..5].copy_from_slice(&1.5f32.to_le_bytes());
        bytes[5..9].copy_from_slice(&(-0.0f32).to_le_bytes());
        let v: std::vec::Vec<f32> = decode(&bytes[1..]).collect();
        assert_eq!(v[0], 1.5);
        assert_eq!(v[1].to_bits(), (-0.0f32).to_bits());
        let mut bytes = [0u8; 17];
        bytes[1..9].copy_from_slice(&0.1f64.to_le_bytes());
        bytes[9..].copy_from_slice(&f64::MAX.to_le_bytes());
        let v: std::vec::Vec<f64> = decode(&bytes[1..]).collect();
        assert_eq!(v, [0.1, f64::MAX]);
    }

    #[test]
    fn value_rules_name_the_first_bad_index() {
        assert_eq!(
            check_values([1.0f32, -2.0].into_iter(), Rule::Finite),
            Ok(())
        );
        assert_eq!(
            check_values([1.0f32, -2.0, -3.0].into_iter(), Rule::NonNegative),
            Err((1, Number::F32(-2.0)))
        );
        let err = check_values([0.0f64, 1.0, f64::NAN].into_iter(), Rule::Finite).unwrap_err();
        assert_eq!(err.0, 2);
        assert_eq!(
            check_values([f32::INFINITY].into_iter(), Rule::NonNegative),
            Err((0, Number::F32(f32::INFINITY)))
        );
    }
}
