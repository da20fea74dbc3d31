//! Checkpoints: a network, its optimizer's state and progress, its learning-rate schedule's
//! and the step count in one safetensors file, from which a run resumes bit for bit.

use super::format::{File, JsonStr};
use super::weights::{copy, copy_network, tensor_parts, Layout, NetworkContents};
use super::write::{file_len, write_file, Contents, Item, Values};
use super::{Dims, Key, Name, Resume};
use crate::dim::{Batch, Const};
use crate::error::{Error, Number};
use crate::flat::Flat;
use crate::network::Network;
use crate::optim::Optimizer;
use crate::scalar::Scalar;
use crate::tensors::Tensors;
use crate::train::{LrPolicy, Sampler, StepBlocks, Trainer, Training};
use core::borrow::BorrowMut;
use core::fmt;

/// The metadata key of the step count.
const STEP: &str = "step";
/// The prefix of the optimizer's progress (`optimizer.lr`, `optimizer.step`).
const OPTIMIZER: &str = "optimizer";
/// The prefix of the schedule's progress (`schedule.last_epoch`).
const SCHEDULE: &str = "schedule";

/// The parts of `prefix.key` (`optimizer.step`).
fn key_parts(prefix: &'static str, key: Key) -> ([&'static str; 2 * Key::DEPTH + 1], usize) {
    let mut parts = [""; 2 * Key::DEPTH + 1];
    parts[0] = prefix;
    let mut len = 1;
    for segment in key.segments() {
        parts[len] = ".";
        parts[len + 1] = segment;
        len += 2;
    }
    (parts, len)
}

/// Stops compilation when an optimizer's [`STATE_TENSORS`](Optimizer::STATE_TENSORS) do not
/// account for its state block: one copy of the parameters per name.
const fn assert_state_names(state: usize, params: usize, names: usize) {
    assert!(
        state == params * names,
        "the optimizer's STATE_TENSORS must name one tensor per copy of the parameters its state holds"
    );
}

/// What a checkpoint holds, borrowed for the writer.
struct CheckpointContents<'a, N, O, L, T> {
    net: &'a N,
    optimizer: &'a O,
    state: &'a [T],
    steps: u64,
    lr: &'a L,
    extra: &'a [(&'a str, &'a str)],
}

impl<N, O, L, T> Contents<T> for CheckpointContents<'_, N, O, L, T>
where
    N: Network<T>,
    O: Optimizer<T> + Resume,
    L: Resume,
    T: Scalar,
{
    fn visit_items(&self, visit: &mut dyn FnMut(&Item<'_, T>)) {
        // Every training step updates batch norm's statistics once: the count PyTorch keeps.
        NetworkContents {
            net: self.net,
            tracked: self.steps,
        }
        .visit(visit);
        for (k, s) in O::STATE_TENSORS.iter().enumerate() {
            let copy = k * N::PARAMETERS;
            N::Params::visit_tensors(&mut |t| {
                let r = t.range();
                let values = self.state.get(copy + r.start..copy + r.end).unwrap_or(&[]);
                visit(&Item {
                    parts: tensor_parts(&t, s.name),
                    dims: Dims::of(t.shape),
                    values: Values::Floats(values),
                });
            });
        }
    }

    fn visit_metadata(&self, visit: &mut dyn FnMut(&[&str], &dyn fmt::Display)) {
        visit(&["format"], &"pt");
        visit(&[STEP], &self.steps);
        self.optimizer.save_progress(&mut |key, value| {
            let (parts, len) = key_parts(OPTIMIZER, key);
            visit(&parts[..len], &value);
        });
        self.lr.save_progress(&mut |key, value| {
            let (parts, len) = key_parts(SCHEDULE, key);
            visit(&parts[..len], &value);
        });
        for (key, value) in self.extra {
            visit(&[key], value);
        }
    }
}

/// Whether `key` is one typenet writes itself: `format`, `step`, or under `optimizer.` or
/// `schedule.`.
fn is_own_key(key: &str) -> bool {
    matches!(key, "format" | STEP)
        || [OPTIMIZER, SCHEDULE].iter().any(|p| {
            key.strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('.'))
        })
}

/// Checks the caller's metadata: no key of typenet's own, each key once.
fn check_extra(extra: &[(&str, &str)]) -> Result<(), Error> {
    for (i, (key, _)) in extra.iter().enumerate() {
        if is_own_key(key) {
            return Err(Error::InvalidMetadata {
                key: Name::new(key),
                expected:
                    "a key other than typenet's own (`format`, `step`, `optimizer.…`, `schedule.…`)",
            });
        }
        if extra[..i].iter().any(|(k, _)| k == key) {
            return Err(Error::InvalidMetadata {
                key: Name::new(key),
                expected: "each key once",
            });
        }
    }
    Ok(())
}

fn contents<'a, N, O, const B: usize, T, S, L>(
    net: &'a N,
    training: &'a Training<N, O, B, T, S>,
    lr: &'a L,
    extra: &'a [(&'a str, &'a str)],
) -> CheckpointContents<'a, N, O, L, T>
where
    N: Network<T>,
    O: Optimizer<T> + Resume,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: Resume,
{
    const {
        assert_state_names(
            <O::State<N::Params> as Flat<T>>::LEN,
            N::PARAMETERS,
            O::STATE_TENSORS.len(),
        )
    };
    CheckpointContents {
        net,
        optimizer: training.optimizer(),
        state: training.blocks().state.as_flat(),
        steps: training.steps(),
        lr,
        extra,
    }
}

/// The bytes [`write_checkpoint`] writes for these values.
///
/// An example is in the `typenet` crate's `io` module (networks are declared with its
/// `network!` macro).
pub fn checkpoint_len<N, O, const B: usize, T, S, L>(
    net: &N,
    training: &Training<N, O, B, T, S>,
    lr: &L,
    extra: &[(&str, &str)],
) -> usize
where
    N: Network<T>,
    O: Optimizer<T> + Resume,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: Resume,
{
    file_len::<T>(&contents(net, training, lr, extra))
}

/// Writes a checkpoint at the start of `buf` and returns its length: the network's tensors
/// as [`write_weights`](super::write_weights) writes them (with `num_batches_tracked` set to
/// the step count), the optimizer's state tensors named after their parameter
/// (`hidden.weight.exp_avg`), and in the metadata, as text that reads back to the same
/// bits, the step count (`step`), the optimizer's progress (`optimizer.lr`,
/// `optimizer.step`), the learning-rate policy's (`schedule.last_epoch`, …) and `extra`, the
/// caller's own keys and values.
///
/// `lr` is whatever moves the learning rate: a [`Schedule`](crate::schedule::Schedule), a
/// trainer's [`LrPolicy`], or [`ConstantLr`](crate::train::ConstantLr) for none.
///
/// # What the caller keeps
/// Hyper-parameters are not saved: the program that resumes builds the network, optimizer
/// and schedule as it built them first. The random source is the caller's too: a checkpoint
/// cannot save one it does not own, and `rand`'s `StdRng` has no portable state. Either use
/// a generator whose position can be read and set — `rand`'s `ChaCha12Rng` (feature
/// `chacha`), the same generator, has `get_word_pos` and `set_word_pos` — and save its
/// seed, stream and position in `extra`, or derive each epoch's generator from a seed and
/// the epoch, which the step count gives back. A [`Trainer`]'s early-stopping watch and
/// sampler are not saved either: a resumed `fit` starts them afresh.
///
/// An example is in the `typenet` crate's `io` module.
///
/// # Errors
/// [`Error::BufferTooSmall`] when `buf` is shorter than [`checkpoint_len`], and
/// [`Error::InvalidMetadata`] for an `extra` key that is typenet's own or given twice;
/// nothing is written then.
pub fn write_checkpoint<N, O, const B: usize, T, S, L>(
    net: &N,
    training: &Training<N, O, B, T, S>,
    lr: &L,
    extra: &[(&str, &str)],
    buf: &mut [u8],
) -> Result<usize, Error>
where
    N: Network<T>,
    O: Optimizer<T> + Resume,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: Resume,
{
    check_extra(extra)?;
    write_file::<T>(&contents(net, training, lr, extra), buf)
}

/// The bytes of [`write_checkpoint`], in a new vector.
///
/// An example is in the `typenet` crate's `io` module.
///
/// # Errors
/// [`Error::InvalidMetadata`] for an `extra` key that is typenet's own or given twice.
#[cfg(feature = "alloc")]
pub fn checkpoint_to_vec<N, O, const B: usize, T, S, L>(
    net: &N,
    training: &Training<N, O, B, T, S>,
    lr: &L,
    extra: &[(&str, &str)],
) -> Result<alloc::vec::Vec<u8>, Error>
where
    N: Network<T>,
    O: Optimizer<T> + Resume,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: Resume,
{
    check_extra(extra)?;
    let contents = contents(net, training, lr, extra);
    let mut bytes = alloc::vec![0; file_len::<T>(&contents)];
    write_file::<T>(&contents, &mut bytes)?;
    Ok(bytes)
}

/// The value of `text` in the kind of `like`.
fn parse(text: JsonStr<'_>, like: Number) -> Option<Number> {
    let text = text.as_plain_str()?;
    match like {
        Number::F32(_) => text.parse().ok().map(Number::F32),
        Number::F64(_) => text.parse().ok().map(Number::F64),
        Number::Integer(_) => text.parse().ok().map(Number::Integer),
    }
}

/// A copy of `target` with the progress saved under `prefix` in `file`.
fn restored<R: Resume + Clone>(
    file: File<'_>,
    prefix: &'static str,
    target: &R,
) -> Result<R, Error> {
    let mut trial = target.clone();
    let mut result = Ok(());
    target.save_progress(&mut |key, like| {
        if result.is_err() {
            return;
        }
        let (parts, len) = key_parts(prefix, key);
        let parts = &parts[..len];
        let name = || Name::from_parts(parts);
        result = match file.find_metadata(parts) {
            None => Err(Error::MissingMetadata { key: name() }),
            Some(text) => match parse(text, like) {
                None => Err(Error::InvalidMetadata {
                    key: name(),
                    expected: match like {
                        Number::Integer(_) => "a whole number",
                        _ => "a number",
                    },
                }),
                Some(value) => {
                    trial
                        .load_progress(key, value)
                        .map_err(|e| Error::InvalidMetadata {
                            key: name(),
                            expected: e.expected,
                        })
                }
            },
        };
    });
    result?;
    // A key under the prefix that the value does not have: a checkpoint of another
    // optimizer or schedule.
    for (key, _) in file.metadata() {
        let under_prefix = key
            .chars()
            .take(prefix.len() + 1)
            .eq(prefix.chars().chain(['.']));
        if under_prefix {
            let mut known = false;
            target.save_progress(&mut |k, _| {
                let (parts, len) = key_parts(prefix, k);
                known |= key.is(&parts[..len]);
            });
            if !known {
                return Err(Error::InvalidMetadata {
                    key: key.to_name(),
                    expected: "only values this optimizer or schedule keeps (the checkpoint is of another kind)",
                });
            }
        }
    }
    Ok(trial)
}

/// Restores a run from a checkpoint that [`write_checkpoint`] wrote: the network's
/// parameters and buffers, the optimizer's state and progress, the learning-rate policy's
/// progress and the step count. `net`, `training` and `lr` are built as the run built them
/// first (the same types and hyper-parameters); training then continues exactly as the
/// saved run would have, given the same random numbers (see [`write_checkpoint`]).
///
/// No allocation: `bytes` can be a file in flash.
///
/// An example is in the `typenet` crate's `io` module.
///
/// # Errors
/// Everything [`load_weights`](super::load_weights) finds wrong, for the optimizer's state
/// tensors too (a missing `hidden.weight.exp_avg`, a negative `exp_avg_sq`);
/// [`Error::MissingMetadata`] for a value of progress that is not there, and
/// [`Error::InvalidMetadata`] for one that does not read as its kind or that the optimizer
/// or schedule refuses. Nothing is changed then.
pub fn load_checkpoint<N, O, const B: usize, T, S, L>(
    net: &mut N,
    training: &mut Training<N, O, B, T, S>,
    lr: &mut L,
    bytes: &[u8],
) -> Result<(), Error>
where
    N: Network<T>,
    O: Optimizer<T> + Resume + Clone,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: Resume + Clone,
{
    const {
        assert_state_names(
            <O::State<N::Params> as Flat<T>>::LEN,
            N::PARAMETERS,
            O::STATE_TENSORS.len(),
        )
    };
    let file = File::parse(bytes)?;
    Layout::<N, T>::new(O::STATE_TENSORS).check(file)?;
    let steps = match file.find_metadata(&[STEP]) {
        None => {
            return Err(Error::MissingMetadata {
                key: Name::new(STEP),
            })
        }
        Some(text) => match parse(text, Number::Integer(0)) {
            Some(Number::Integer(n)) => n,
            _ => {
                return Err(Error::InvalidMetadata {
                    key: Name::new(STEP),
                    expected: "a whole number",
                })
            }
        },
    };
    let optimizer = restored(file, OPTIMIZER, training.optimizer())?;
    let schedule = restored(file, SCHEDULE, lr)?;
    // Everything is checked: from here on nothing fails.
    copy_network(net, file);
    let state = training.blocks_mut().state.as_flat_mut();
    for (k, s) in O::STATE_TENSORS.iter().enumerate() {
        let at = k * N::PARAMETERS;
        N::Params::visit_tensors(&mut |t| {
            let r = t.range();
            if let Some(into) = state.get_mut(at + r.start..at + r.end) {
                copy(file, &tensor_parts(&t, s.name), into);
            }
        });
    }
    *training.optimizer_mut() = optimizer;
    training.set_steps(steps);
    *lr = schedule;
    Ok(())
}

/// The value of the metadata entry `key` of a safetensors file (a checkpoint's `extra`, say),
/// borrowed from `bytes`; `None` when the file has no such key.
///
/// ```
/// use typenet_core::io::metadata;
/// let header = br#"{"__metadata__":{"format":"pt","rng":"12"}}    "#;
/// let mut file = (header.len() as u64).to_le_bytes().to_vec();
/// file.extend_from_slice(header);
/// assert_eq!(metadata(&file, "rng")?, Some("12"));
/// assert_eq!(metadata(&file, "seed")?, None);
/// # Ok::<(), typenet_core::Error>(())
/// ```
///
/// # Errors
/// A file that is not safetensors (see [`load_weights`](super::load_weights)), or
/// [`Error::InvalidMetadata`] for a value written with JSON escapes, which cannot be
/// borrowed as it stands.
pub fn metadata<'a>(bytes: &'a [u8], key: &str) -> Result<Option<&'a str>, Error> {
    let file = File::parse(bytes)?;
    match file.find_metadata(&[key]) {
        None => Ok(None),
        Some(value) => value
            .as_plain_str()
            .map(Some)
            .ok_or(Error::InvalidMetadata {
                key: Name::new(key),
                expected: "a value without JSON escapes",
            }),
    }
}

impl<N, O, const B: usize, T, S, L, M> Trainer<N, O, B, T, S, L, M>
where
    N: Network<T>,
    O: Optimizer<T> + Resume + Clone,
    T: Scalar,
    Const<B>: Batch,
    S: BorrowMut<StepBlocks<N, O, B, T>>,
    L: LrPolicy<T> + Resume + Clone,
    M: Sampler<N::Target>,
{
    /// [`write_checkpoint`] of `net` with this trainer's training run and learning-rate
    /// policy.
    ///
    /// An example is in the `typenet` crate's `io` module.
    ///
    /// # Errors
    /// As [`write_checkpoint`].
    pub fn write_checkpoint(
        &self,
        net: &N,
        extra: &[(&str, &str)],
        buf: &mut [u8],
    ) -> Result<usize, Error> {
        write_checkpoint(net, self.training(), self.lr_policy_ref(), extra, buf)
    }

    /// [`checkpoint_to_vec`] of `net` with this trainer's training run and learning-rate
    /// policy.
    ///
    /// An example is in the `typenet` crate's `io` module.
    ///
    /// # Errors
    /// As [`checkpoint_to_vec`].
    #[cfg(feature = "alloc")]
    pub fn checkpoint_to_vec(
        &self,
        net: &N,
        extra: &[(&str, &str)],
    ) -> Result<alloc::vec::Vec<u8>, Error> {
        checkpoint_to_vec(net, self.training(), self.lr_policy_ref(), extra)
    }

    /// [`load_checkpoint`] into `net` and this trainer's training run and learning-rate
    /// policy: the next [`fit`](Trainer::fit) goes on where the saved run stopped.
    ///
    /// An example is in the `typenet` crate's `io` module.
    ///
    /// # Errors
    /// As [`load_checkpoint`]; nothing is changed then.
    pub fn load_checkpoint(&mut self, net: &mut N, bytes: &[u8]) -> Result<(), Error> {
        let mut lr = self.lr_policy_ref().clone();
        load_checkpoint(net, self.training_mut(), &mut lr, bytes)?;
        *self.lr_policy_mut() = lr;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_keys_are_refused_as_extra() {
        assert!(check_extra(&[("rng.seed", "1"), ("epoch", "3")]).is_ok());
        for key in ["step", "format", "optimizer.lr", "schedule.x"] {
            let err = check_extra(&[(key, "1")]).unwrap_err();
            assert!(matches!(err, Error::InvalidMetadata { key: k, .. } if k == key));
        }
        assert!(check_extra(&[("optimizerx", "1")]).is_ok());
        assert!(matches!(
            check_extra(&[("a", "1"), ("a", "2")]),
            Err(Error::InvalidMetadata {
                expected: "each key once",
                ..
            })
        ));
    }

    #[test]
    fn keys_join_under_their_prefix() {
        let (parts, len) = key_parts(SCHEDULE, Key::new("last_epoch").under("1"));
        assert_eq!(&parts[..len], ["schedule", ".", "1", ".", "last_epoch"]);
    }
}
