//! Two threads for the large products (feature `threads`): the result split in two halves,
//! the second computed on a worker thread while the calling thread computes the first. Each
//! half is an ordinary single-threaded call of the kernel chosen for the whole product
//! (matrixmultiply or the packed kernel), so the result is the same, bit for bit, as one
//! call's.
//!
//! The worker is started once and then waits for work: starting a thread for each product
//! cost tens of microseconds, the time of a product of a million multiply-adds. Handing it a
//! half borrows the operands across threads, which the type system cannot see ends in time:
//! hence the one `unsafe` block here, whose reason is that [`Handoff`] waits for the worker
//! before the borrows end, on return and on unwinding alike.
#![allow(unsafe_code)]

use super::{matrixmultiply, one_thread, Kernel, Operand};
use crate::Scalar;
use std::boxed::Box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};

/// Below this many multiply-adds a product stays on one thread: handing half of it over and
/// waiting for it costs a few microseconds.
const LEAST_MULTIPLY_ADDS: usize = 1 << 20;
/// The first half's rows or columns are a multiple of this, so that both halves fill the
/// kernels' tiles (8 to 16 wide), and a product is split only when each half gets one.
const TILE: usize = 16;

/// `c ← alpha·a·b + beta·c` through `kernel`, as [`one_thread`], on two threads when the
/// product is large enough to pay for the second.
pub(crate) fn gemm<T: Scalar>(
    kernel: Kernel,
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: &mut [T],
) {
    let single = |c: &mut [T]| one_thread(kernel, (m, k, n), alpha, a, b, beta, c);
    if m * k * n < LEAST_MULTIPLY_ADDS || m.max(n) < 2 * TILE {
        return single(c);
    }
    // Each half packs the operand it shares in full, so share the smaller one: split the rows
    // of c (sharing b, k×n) when n ≤ m, its columns (sharing a, m×k) otherwise.
    if n <= m {
        let top = (m / 2).next_multiple_of(TILE);
        let (c_top, c_bottom) = c.split_at_mut(top * n);
        let a_bottom = Operand {
            data: &a.data[top * a.strides.row..],
            strides: a.strides,
        };
        let bottom = || one_thread(kernel, (m - top, k, n), alpha, a_bottom, b, beta, c_bottom);
        on_two_threads(
            || one_thread(kernel, (top, k, n), alpha, a, b, beta, c_top),
            bottom,
        );
    } else {
        let left = (n / 2).next_multiple_of(TILE);
        let (c_left, c_right) = matrixmultiply::Columns::split(c, (m, n), left);
        let b_right = Operand {
            data: &b.data[left * b.strides.col..],
            strides: b.strides,
        };
        let right = || c_right.gemm(kernel, k, alpha, a, b_right, beta);
        on_two_threads(|| c_left.gemm(kernel, k, alpha, a, b, beta), right);
    }
}

/// A job for the worker: a half product, whose borrows [`Handoff`] outlives.
type Job = Box<dyn FnOnce() + Send>;

/// The worker thread's mailbox.
struct Worker {
    /// Whether a caller is using the worker; a second caller meanwhile computes alone.
    taken: AtomicBool,
    state: Mutex<State>,
    /// Signalled when a job arrives and when it is done.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    job: Option<Job>,
    done: bool,
    panicked: bool,
}

impl Worker {
    /// The worker, started on first use; `None` if the system refused a thread.
    fn get() -> Option<&'static Worker> {
        static WORKER: OnceLock<Option<&'static Worker>> = OnceLock::new();
        *WORKER.get_or_init(|| {
            let worker: &'static Worker = Box::leak(Box::new(Worker {
                taken: AtomicBool::new(false),
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
            }));
            let thread = std::thread::Builder::new().name("typenet-gemm".into());
            thread.spawn(|| worker.run()).ok().map(|_| worker)
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs each job as it arrives, for the life of the program.
    fn run(&self) {
        let mut state = self.lock();
        loop {
            match state.job.take() {
                Some(job) => {
                    drop(state);
                    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    state = self.lock();
                    (state.done, state.panicked) = (true, run.is_err());
                    self.changed.notify_all();
                }
                None => {
                    state = self
                        .changed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner)
                }
            }
        }
    }
}

/// A job handed to the worker; dropping it waits until the worker has finished the job, so
/// that what the job borrows outlives it however the caller leaves.
struct Handoff(&'static Worker);

impl Handoff {
    /// Waits for the job and says whether it panicked.
    fn wait(&self) -> bool {
        let mut state = self.0.lock();
        while !state.done {
            state = self
                .0
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.panicked
    }
}

impl Drop for Handoff {
    fn drop(&mut self) {
        self.wait();
        self.0.taken.store(false, Ordering::Release);
    }
}

/// Runs `second` on the worker and `first` here, and returns when both are done; both here,
/// one after the other, when the worker is busy or missing.
fn on_two_threads(first: impl FnOnce(), second: impl FnOnce() + Send) {
    let worker = match Worker::get() {
        Some(worker) if !worker.taken.swap(true, Ordering::Acquire) => worker,
        _ => {
            first();
            return second();
        }
    };
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(second);
    // SAFETY: only the lifetime changes. The job borrows from this call's caller, and the
    // `Handoff` made before the worker can see the job waits, when dropped, until the worker
    // has finished it: at the end of this function or while unwinding from `first`.
    let job: Job = unsafe { core::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    let handoff = Handoff(worker);
    {
        let mut state = worker.lock();
        (state.job, state.done) = (Some(job), false);
        worker.changed.notify_all();
    }
    first();
    let panicked = handoff.wait();
    drop(handoff);
    assert!(!panicked, "a matrix product panicked on the worker thread");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gemm::Strides;
    use std::vec::Vec;

    /// Values in [-1, 1) from a fixed sequence.
    fn values(len: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1 << 23) as f32 - 1.0
            })
            .collect()
    }

    /// Both halves together write what one call writes, bit for bit, in each operand layout a
    /// dense layer uses, split by rows and by columns, with `beta` zero and one, through each
    /// kernel this CPU runs.
    #[test]
    fn two_threads_match_one_bit_for_bit() {
        for (m, k, n) in [(203, 160, 150), (150, 160, 203)] {
            assert!(m * k * n >= LEAST_MULTIPLY_ADDS);
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            let layouts = [
                (Strides::row_major(k), Strides::row_major(n)),
                (Strides::row_major(k), Strides::transposed(k)),
                (Strides::transposed(m), Strides::row_major(n)),
            ];
            let kernels = [Kernel::Matrixmultiply, Kernel::Packed];
            let kernels = kernels.into_iter().filter(|&kernel| kernel.available());
            for (kernel, (sa, sb)) in kernels.flat_map(|kernel| layouts.map(|l| (kernel, l))) {
                for beta in [0.0, 1.0] {
                    let a = Operand {
                        data: &a,
                        strides: sa,
                    };
                    let b = Operand {
                        data: &b,
                        strides: sb,
                    };
                    let (mut one, mut two) = (values(m * n, 3), values(m * n, 3));
                    one_thread(kernel, (m, k, n), 0.5, a, b, beta, &mut one);
                    gemm(kernel, (m, k, n), 0.5, a, b, beta, &mut two);
                    let bits = |c: &[f32]| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(
                        bits(&one),
                        bits(&two),
                        "{kernel:?} {m}×{k}×{n}, {sa:?} {sb:?}, beta {beta}"
                    );
                }
            }
        }
    }
}
