//! Heap allocations while training, counted by a global allocator that wraps the system's.
//!
//! typenet's own code (forward and backward passes, losses, clipping, optimizer updates,
//! inference) never allocates: every block it works in exists before training starts. What
//! allocates are the products of 8·8·8 multiply-adds or more when `alloc` is on (except
//! results of at most 4 rows with a row-major `a`), which pack their operands into a buffer:
//!
//! - on x86_64 processors with AVX2 and FMA (with `std`), most go to typenet's own packed
//!   kernel, whose buffer belongs to the thread: it grows on the first product of a new
//!   size and is kept, so the first step allocates and later ones allocate nothing;
//! - the rest go to matrixmultiply, which allocates its buffer on every call and frees it
//!   before returning (its API takes no buffer from the caller). Measured per training step
//!   with Adam where all go there (with AVX-512; the bytes depend on the kernel
//!   matrixmultiply picks for the CPU):
//!
//! | network, batch | allocations per step | bytes per step |
//! | --- | --- | --- |
//! | 2 → 8 tanh → 2, batch 4 | 0 | 0 |
//! | 64 → 128 relu → 10, batch 32 | 5 (one per product) | 106,752 |
//! | 1024 → 1024 relu → 10, batch 256 | 5 (one per product) | 3,418,624 |
//!
//! The first step makes as many as any later one, and every allocation is freed within the
//! step. Built without `alloc` (`cargo test -p typenet --test allocations
//! --no-default-features`) every product goes to the built-in kernel and every count here is
//! zero.
//!
//! Counting is per thread, while a test's closure runs: the test harness allocates on its own
//! threads at any time. typenet starts no threads, nor does matrixmultiply (its `threading`
//! feature is off).

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use typenet::prelude::*;

/// What the heap was asked for while counting.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Heap {
    /// `alloc` and `alloc_zeroed` calls.
    allocations: usize,
    reallocations: usize,
    frees: usize,
    /// Bytes asked for by the allocations.
    bytes: usize,
    /// The smallest alignment asked for, `usize::MAX` when nothing was allocated.
    smallest_align: usize,
}

impl Heap {
    const NOTHING: Heap = Heap {
        allocations: 0,
        reallocations: 0,
        frees: 0,
        bytes: 0,
        smallest_align: usize::MAX,
    };
}

thread_local! {
    // Const-initialized and without a destructor: reading them never allocates, so the
    // allocator may.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static HEAP: Cell<Heap> = const { Cell::new(Heap::NOTHING) };
}

/// The system's allocator, counting the calls made on a thread while it counts.
struct CountingAllocator;

impl CountingAllocator {
    fn record(update: impl FnOnce(&mut Heap)) {
        // `try_with`: an allocator must not panic, not even while a thread ends.
        if COUNTING.try_with(Cell::get) == Ok(true) {
            let _ = HEAP.try_with(|heap| {
                let mut counts = heap.get();
                update(&mut counts);
                heap.set(counts);
            });
        }
    }

    fn record_allocation(layout: Layout) {
        Self::record(|heap| {
            heap.allocations += 1;
            heap.bytes += layout.size();
            heap.smallest_align = heap.smallest_align.min(layout.align());
        });
    }
}

// SAFETY: every call is passed on to `System` unchanged; counting touches only this
// thread's cells.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::record_allocation(layout);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::record_allocation(layout);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::record(|heap| heap.reallocations += 1);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::record(|heap| heap.frees += 1);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with what it asked of the heap on this thread.
fn counted<R>(f: impl FnOnce() -> R) -> (R, Heap) {
    HEAP.with(|heap| heap.set(Heap::NOTHING));
    COUNTING.with(|on| on.set(true));
    let result = f();
    COUNTING.with(|on| on.set(false));
    (result, HEAP.with(Cell::get))
}

/// Whether the packed kernel, which keeps its buffer, computes the products.
fn packed_kernel() -> bool {
    cfg!(feature = "std") && typenet::Kernel::Packed.available()
}

/// With `alloc`, at most one allocation (or growth of the packed kernel's buffer) per
/// product, each freed before the call returned but the packed kernel's buffer; without it,
/// none at all.
fn assert_at_most_one_buffer_per_product(heap: Heap, products: usize, what: &str) {
    if !cfg!(feature = "alloc") {
        assert_eq!(
            heap,
            Heap::NOTHING,
            "{what}: without alloc nothing allocates"
        );
        return;
    }
    assert!(
        heap.allocations + heap.reallocations <= products,
        "{what}: {heap:?}, more allocations than the {products} products"
    );
    if packed_kernel() {
        // The thread's packing buffer, if this allocated it, is kept.
        assert!(heap.allocations - heap.frees <= 1, "{what}: {heap:?}");
    } else {
        assert_eq!(heap.frees, heap.allocations, "{what}: something was kept");
        assert_eq!(heap.reallocations, 0, "{what}: {heap:?}");
    }
    // matrixmultiply's AVX kernels ask for 32- or 64-byte aligned packing buffers; typenet's
    // f32 blocks would be aligned to 4.
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") && heap.allocations > 0 {
        assert!(heap.smallest_align >= 32, "{what}: {heap:?}");
    }
}

network! {
    /// XOR: every product at batch 4 is smaller than 8·8·8 multiply-adds.
    struct Xor {
        input: 2,
        dense(8), tanh,
        dense(2),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// The digits classifier's shape.
    struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

/// Random inputs in [0, 1) and labels below `classes`.
fn batch<const W: usize, const B: usize>(
    classes: usize,
    rng: &mut StdRng,
) -> ([[f32; W]; B], [usize; B]) {
    let x = core::array::from_fn(|_| core::array::from_fn(|_| rng.random()));
    let y = core::array::from_fn(|_| rng.random_range(0..classes));
    (x, y)
}

#[test]
fn a_tiny_networks_steps_and_inference_allocate_nothing_in_any_build() {
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Xor::<f32>::new(&mut rng);
    let x = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let y = [0, 1, 1, 0];
    let mut training = Training::<Xor, _, 4>::new(Adam::new(0.05).unwrap())
        .clip_grad_norm(1.0)
        .unwrap();
    let (first, heap) = counted(|| training.step(&mut net, &x, &y, &mut rng));
    assert_eq!(heap, Heap::NOTHING, "the first step");
    let (loss, heap) = counted(|| {
        (0..200)
            .map(|_| training.step(&mut net, &x, &y, &mut rng).map(|s| s.loss))
            .last()
    });
    assert_eq!(heap, Heap::NOTHING, "200 more steps");
    // It trained: the loss fell.
    assert!(loss.unwrap().unwrap() < first.unwrap().loss / 2.0);
    let (classes, heap) = counted(|| net.predict(&x));
    assert_eq!(heap, Heap::NOTHING, "inference");
    assert_eq!(classes.unwrap(), y);
}

/// 64 → 128 relu → 10 at batch 32. Its five products per step — forward x·W₁ᵀ (32×64×128)
/// and h·W₂ᵀ (32×128×10); backward dy₂ᵀ·h (10×32×128), dy₂·W₂ (32×10×128) and dy₁ᵀ·x
/// (128×32×64) — all go to the packed kernel or to matrixmultiply with `alloc`: measured,
/// one allocation each through matrixmultiply, none after the first step through the packed
/// kernel.
#[test]
fn a_digits_sized_step_allocates_only_packing_buffers() {
    const B: usize = 32;
    let mut rng = StdRng::seed_from_u64(2);
    let mut net = Digits::<f32>::new(&mut rng);
    let (x, y) = batch::<64, B>(10, &mut rng);
    let mut training = Training::<Digits, _, B>::new(Adam::new(1e-3).unwrap())
        .clip_grad_norm(1.0)
        .unwrap();

    let (stats, first) = counted(|| training.step(&mut net, &x, &y, &mut rng));
    stats.unwrap();
    assert_at_most_one_buffer_per_product(first, 5, "the first step");
    const STEPS: usize = 10;
    let (_, steps) = counted(|| {
        for _ in 0..STEPS {
            training.step(&mut net, &x, &y, &mut rng).unwrap();
        }
    });
    assert_at_most_one_buffer_per_product(steps, 5 * STEPS, "ten steps");
    if packed_kernel() {
        assert_eq!(steps, Heap::NOTHING, "the packing buffer is reused");
    } else {
        assert_eq!(
            steps.allocations,
            STEPS * first.allocations,
            "every step allocates as the first did: nothing is set up lazily and kept"
        );
    }

    // The phases apart, in the training run's own blocks.
    let mut optimizer = training.optimizer().clone();
    let blocks = training.blocks_mut();
    let (_, forward) = counted(|| net.training_loss(&x, &y, &mut blocks.cache, &mut rng));
    assert_at_most_one_buffer_per_product(forward, 2, "the forward pass and the loss");
    let (_, forward_backward) =
        counted(|| net.loss_and_grad(&x, &y, &mut blocks.cache, &mut blocks.grads, &mut rng));
    assert_at_most_one_buffer_per_product(forward_backward, 5, "forward and backward");
    let (_, update) =
        counted(|| optimizer.step(net.params_mut(), &blocks.grads, &mut blocks.state));
    assert_eq!(update, Heap::NOTHING, "Adam's update computes no product");
    // One row at a time every product has a single row: the built-in kernel's, in every build.
    let (_, inference) = counted(|| net.predict(&[x[0]]));
    assert_eq!(inference, Heap::NOTHING, "inference of one row");
}

#[cfg(feature = "alloc")]
network! {
    /// A wide layer, at a batch where every product is matrixmultiply's.
    struct Large {
        input: 1024,
        dense(1024), relu,
        dense(10),
        loss: softmax_cross_entropy,
    }
}

/// 1024 → 1024 relu → 10 at batch 256 (its blocks on the heap): the same five products as
/// the digits network, each allocating a packing buffer through matrixmultiply (measured, 5
/// allocations and 3,418,624 bytes per step with AVX-512, all freed), or growing the packed
/// kernel's buffer in the first step only.
#[cfg(feature = "alloc")]
#[test]
fn a_large_step_allocates_at_most_one_packing_buffer_per_product() {
    const B: usize = 256;
    let mut rng = StdRng::seed_from_u64(3);
    let mut net = Large::<f32>::new_boxed(&mut rng);
    let x: Box<[[f32; 1024]; B]> = (0..B)
        .map(|_| core::array::from_fn(|_| rng.random()))
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let y: [usize; B] = core::array::from_fn(|_| rng.random_range(0..10));
    let mut training = Training::<Large, _, B, f32, _>::new_boxed(Adam::new(1e-3).unwrap());
    let (_, first) = counted(|| training.step(&mut net, &x, &y, &mut rng).unwrap());
    let (_, second) = counted(|| training.step(&mut net, &x, &y, &mut rng).unwrap());
    assert_at_most_one_buffer_per_product(first, 5, "the first large step");
    assert_at_most_one_buffer_per_product(second, 5, "the second large step");
    if packed_kernel() {
        assert_eq!(second, Heap::NOTHING, "the packing buffer is reused");
    } else {
        assert_eq!(first, second);
    }
}
