//! A packed matrix product of the crate's own for x86_64 processors with AVX2 and FMA: one of
//! the modules allowed `unsafe`, for the SIMD intrinsics (run only after a run-time check of
//! the CPU) and the raw pointers into the packed panels and into `c`.
//!
//! The loops are Goto's and BLIS's: `b` is cut into blocks of `nc` columns and `kc` rows,
//! each packed into panels `nr` columns wide; `a` into blocks of `mc` rows and `kc` columns,
//! each packed into panels `mr` rows high. A tile kernel then computes each `mr`×`nr` tile of
//! `c` from one panel of each, with every accumulator in a register. Packing reads any
//! strides, so a·b, a·bᵀ and aᵀ·b all run the same kernel; panels at the edges are padded
//! with zeros, and their tiles are computed into a local tile and copied out.
//!
//! The packing buffer belongs to the thread and grows to the largest product it has seen,
//! so a product allocates nothing once the first of its size has run.
//!
//! Every element of `c` adds its k terms in the same order wherever its tile lies, and the
//! edge tiles round as the full ones do, so a result split in parts (`gemm::threads`) is the
//! same, bit for bit, as one call's.
#![allow(unsafe_code)]

use super::{fits, Operand, Strides};
use crate::scalar::{PackedKernel, Scalar};
use core::arch::x86_64::*;
use core::cell::RefCell;
use std::is_x86_feature_detected;
use std::vec::Vec;

/// The largest tile a kernel computes, in elements (6×16 for f32).
const MAX_TILE: usize = 96;

/// Whether the products should go to these kernels by default: where they run, but not on a
/// CPU with AVX-512, where matrixmultiply runs its AVX-512 kernel. The packed kernel was
/// measured only against matrixmultiply's AVX2 kernel (BENCHMARKS.md), so that choice stays
/// with the kernel measured level with MKL on such a CPU until a run there says otherwise.
pub(crate) fn preferred() -> bool {
    available() && !is_x86_feature_detected!("avx512f")
}

/// Whether this CPU runs the kernels (AVX2 and FMA).
pub(crate) fn available() -> bool {
    crate::simd::cpu_has_avx2_fma()
}

/// The f32 kernel: 6×16 tiles, each row two 8-lane registers (12 accumulators).
pub(crate) const F32: PackedKernel<f32> = PackedKernel {
    mr: 6,
    nr: 16,
    kc: 256,
    mc: 72,
    nc: 3072,
    tile: tile_f32,
    pack_lanes: pack_lanes_f32,
    matrixmultiply_on_narrow_nt: false,
};

/// The f64 kernel: 6×8 tiles, each row two 4-lane registers (12 accumulators).
pub(crate) const F64: PackedKernel<f64> = PackedKernel {
    mr: 6,
    nr: 8,
    kc: 256,
    mc: 72,
    nc: 1536,
    tile: tile_f64,
    pack_lanes: pack_lanes_f64,
    // Measured (benches/kernels.rs): its 8-wide tiles waste a third of a 10-wide result.
    matrixmultiply_on_narrow_nt: true,
};

/// One tile kernel: `c ← alpha·(a panel · b panel) + beta·c` for an `mr`×`nr` tile of `c`
/// whose rows are `c_row` apart, from `k` steps of packed panels. `beta` zero overwrites
/// without reading `c`. The sum is rounded before `beta·c` is added, never fused with it,
/// so that edge tiles (finished in scalar code) round the same way.
macro_rules! tile_kernel {
    ($name:ident, $t:ty, $lanes:literal, $zero:ident, $splat:ident, $broadcast:ident,
     $load:ident, $store:ident, $fmadd:ident, $mul:ident, $add:ident) => {
        /// # Safety
        /// The CPU has AVX2 and FMA; `a` holds `k`×6 and `b` `k`×(2·lanes) values; the tile
        /// at `c` is valid for reads and writes and aliases neither.
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $name(
            k: usize,
            alpha: $t,
            mut a: *const $t,
            mut b: *const $t,
            beta: $t,
            c: *mut $t,
            c_row: usize,
        ) {
            // The tile's rows are usually far apart in memory (a row of c or more): fetch
            // them while the sum runs rather than stall on them at the end.
            for i in 0..6 {
                let row = c.add(i * c_row).cast::<i8>();
                _mm_prefetch::<_MM_HINT_T0>(row);
                _mm_prefetch::<_MM_HINT_T0>(row.add(2 * $lanes * size_of::<$t>() - 1));
            }
            let mut acc = [[$zero(); 2]; 6];
            for _ in 0..k {
                let (b0, b1) = ($load(b), $load(b.add($lanes)));
                for (i, row) in acc.iter_mut().enumerate() {
                    let ai = $broadcast(&*a.add(i));
                    row[0] = $fmadd(ai, b0, row[0]);
                    row[1] = $fmadd(ai, b1, row[1]);
                }
                a = a.add(6);
                b = b.add(2 * $lanes);
            }
            let (alpha, scale) = ($splat(alpha), $splat(beta));
            for (i, row) in acc.iter().enumerate() {
                for (half, &sum) in row.iter().enumerate() {
                    let at = c.add(i * c_row + half * $lanes);
                    let sum = $mul(alpha, sum);
                    let out = if beta == 0.0 {
                        sum
                    } else {
                        $add($mul(scale, $load(at)), sum)
                    };
                    $store(at, out);
                }
            }
        }
    };
}

tile_kernel!(
    tile_f32,
    f32,
    8,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_broadcast_ss,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_mul_ps,
    _mm256_add_ps
);
tile_kernel!(
    tile_f64,
    f64,
    4,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_broadcast_sd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_fmadd_pd,
    _mm256_mul_pd,
    _mm256_add_pd
);

/// 64 bytes, aligned to a cache line: the unit of the packing buffer.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u64; 8]);

std::thread_local! {
    /// This thread's packing buffer: packed `a` first, then packed `b`.
    static BUFFER: RefCell<Vec<Line>> = const { RefCell::new(Vec::new()) };
}

/// `c ← alpha·a·b + beta·c` for an m×k `a` and a k×n `b`, with a row-major m×n `c`.
///
/// # Panics
/// If a slice is too short for its shape and strides (a bug check, as in
/// `matrixmultiply::gemm`), or if the CPU lacks AVX2 or FMA (callers check [`available`]).
pub(crate) fn gemm<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: &mut [T],
) {
    assert!(
        fits(c.len(), (m, n), Strides::row_major(n)),
        "packed gemm: result shorter than its shape"
    );
    // SAFETY: `c` holds the m×n matrix (checked above) and is borrowed mutably.
    unsafe { call((m, k, n), alpha, a, b, beta, c.as_mut_ptr(), n) }
}

/// The product into a row-major m×n `c` at `c` whose rows are `c_row` apart.
///
/// # Safety
/// Every element of that `c` must be valid for reads and writes, and nothing else may read or
/// write them during the call.
pub(crate) unsafe fn call<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: *mut T,
    c_row: usize,
) {
    assert!(available(), "packed gemm: the CPU lacks AVX2 or FMA");
    assert!(
        fits(a.data.len(), (m, k), a.strides) && fits(b.data.len(), (k, n), b.strides),
        "packed gemm: operand shorter than its shape"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        // No terms: c ← beta·c, where zero overwrites.
        for i in 0..m {
            for j in 0..n {
                let cij = c.add(i * c_row + j);
                *cij = if beta == T::ZERO {
                    T::ZERO
                } else {
                    beta * *cij
                };
            }
        }
        return;
    }
    let product = Product {
        shape: (m, k, n),
        alpha,
        a,
        b,
        beta,
        c,
        c_row,
    };
    // A product on this thread while its buffer is in use cannot happen (nothing here calls
    // out), nor can one after the thread's locals are gone; a fresh buffer covers both.
    let used = BUFFER.try_with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => product.run(&mut buffer),
        Err(_) => product.run(&mut Vec::new()),
    });
    if used.is_err() {
        product.run(&mut Vec::new());
    }
}

/// One call's arguments.
struct Product<'a, T> {
    shape: (usize, usize, usize),
    alpha: T,
    a: Operand<'a, T>,
    b: Operand<'a, T>,
    beta: T,
    c: *mut T,
    c_row: usize,
}

impl<T: Scalar> Product<'_, T> {
    /// The blocked loops, packing into `buffer` (grown as needed).
    fn run(&self, buffer: &mut Vec<Line>) {
        let kernel = T::PACKED;
        let (mr, nr) = (kernel.mr, kernel.nr);
        let (m, k, n) = self.shape;
        // Blocks no larger than the product, rounded up to whole panels.
        let kc = kernel.kc.min(k);
        let mc = kernel.mc.min(m.next_multiple_of(mr));
        let nc = kernel.nc.min(n.next_multiple_of(nr));
        // Each with slack for `pack_lanes_f32`'s last overlapping store.
        let a_len = (mc.next_multiple_of(mr) * kc + 8).next_multiple_of(64);
        let b_len = nc.next_multiple_of(nr) * kc + 8;
        let lines = ((a_len + b_len) * size_of::<T>()).div_ceil(size_of::<Line>());
        if buffer.len() < lines {
            buffer.resize(lines, Line([0; 8]));
        }
        // Any bit pattern is a valid f32 or f64 (`Scalar` is sealed to those), and a line is
        // aligned for both.
        let packed_a = buffer.as_mut_ptr().cast::<T>();
        // SAFETY: the buffer holds `a_len + b_len` values.
        let packed_b = unsafe { packed_a.add(a_len) };
        for jc in (0..n).step_by(nc) {
            let cols = nc.min(n - jc);
            for pc in (0..k).step_by(kc) {
                let depth = kc.min(k - pc);
                // SAFETY: the block is within `b` (checked in `call`) and its panels within
                // the buffer's `b_len` values.
                unsafe { pack(self.b, (pc, jc), (depth, cols), nr, true, packed_b) };
                // Later blocks of k add to what the first wrote.
                let beta = if pc == 0 { self.beta } else { T::ONE };
                for ic in (0..m).step_by(mc) {
                    let rows = mc.min(m - ic);
                    // SAFETY: as for `b`, within `a_len`.
                    unsafe { pack(self.a, (ic, pc), (rows, depth), mr, false, packed_a) };
                    let block = Block {
                        at: (ic, jc),
                        size: (rows, cols, depth),
                        packed: (packed_a, packed_b),
                        beta,
                    };
                    // SAFETY: the block lies within `c`, which the caller vouches for.
                    unsafe { self.tiles(&block) };
                }
            }
        }
    }

    /// Every tile of one block of `c`, from its packed panels.
    ///
    /// # Safety
    /// The block's panels are packed, and its part of `c` lies within the caller's `c`.
    unsafe fn tiles(&self, block: &Block<T>) {
        let kernel = T::PACKED;
        let (mr, nr) = (kernel.mr, kernel.nr);
        let (rows, cols, depth) = block.size;
        let (packed_a, packed_b) = block.packed;
        for jr in (0..cols).step_by(nr) {
            let b = packed_b.add(jr * depth);
            for ir in (0..rows).step_by(mr) {
                let a = packed_a.add(ir * depth);
                let c = self.c.add((block.at.0 + ir) * self.c_row + block.at.1 + jr);
                let (tile_rows, tile_cols) = (mr.min(rows - ir), nr.min(cols - jr));
                if tile_rows == mr && tile_cols == nr {
                    (kernel.tile)(depth, self.alpha, a, b, block.beta, c, self.c_row);
                    continue;
                }
                let mut tile = [T::ZERO; MAX_TILE];
                let local = tile.as_mut_ptr();
                (kernel.tile)(depth, self.alpha, a, b, T::ZERO, local, nr);
                for i in 0..tile_rows {
                    for j in 0..tile_cols {
                        let (cij, sum) = (c.add(i * self.c_row + j), tile[i * nr + j]);
                        *cij = if block.beta == T::ZERO {
                            sum
                        } else {
                            block.beta * *cij + sum
                        };
                    }
                }
            }
        }
    }
}

/// One block of `c`: where it starts, its rows, columns and depth (k), its packed panels,
/// and the `beta` its first block of k uses.
struct Block<T> {
    at: (usize, usize),
    size: (usize, usize, usize),
    packed: (*mut T, *mut T),
    beta: T,
}

/// Packs the `rows`×`cols` block of `x` at `(row, col)` into panels `width` wide at `out`:
/// panels of `width` columns for `b` (`across`), each row of the panel contiguous; panels of
/// `width` rows for `a`, each column contiguous. The last panel is padded with zeros.
/// Compiled for AVX2 like the tile kernels, so that its copies and transposes use the wide
/// registers.
///
/// # Safety
/// The CPU has AVX2 and FMA; the block lies within `x`'s data (as its strides place it), and
/// `out` is valid for writes of `rows`×`cols` rounded up to whole panels.
#[target_feature(enable = "avx2,fma")]
unsafe fn pack<T: Scalar>(
    x: Operand<'_, T>,
    (row, col): (usize, usize),
    (rows, cols): (usize, usize),
    width: usize,
    across: bool,
    out: *mut T,
) {
    // Seen as panels along the "wide" side: `lanes` of them (columns of b, rows of a), each
    // `depth` long (the k side), with `lane` and `step` their strides in `x`.
    let (lanes, depth, lane, step) = if across {
        (cols, rows, x.strides.col, x.strides.row)
    } else {
        (rows, cols, x.strides.row, x.strides.col)
    };
    let first = x
        .data
        .as_ptr()
        .add(row * x.strides.row + col * x.strides.col);
    for start in (0..lanes).step_by(width) {
        let panel = out.add(start * depth);
        let used = width.min(lanes - start);
        let source = first.add(start * lane);
        if lane == 1 {
            // Each step of k reads `used` adjacent values: copy them, then the padding. The
            // copies are short (a panel's width), so whole panels copy a fixed-size array
            // rather than call `memcpy`.
            match (used == width, width) {
                (true, 16) => adjacent_lanes::<T, 16>(source, step, depth, panel),
                (true, 8) => adjacent_lanes::<T, 8>(source, step, depth, panel),
                (true, 6) => adjacent_lanes::<T, 6>(source, step, depth, panel),
                _ => {
                    for p in 0..depth {
                        let (from, to) = (source.add(p * step), panel.add(p * width));
                        (0..width).for_each(|l| {
                            *to.add(l) = if l < used { *from.add(l) } else { T::ZERO }
                        });
                    }
                }
            }
        } else if step == 1 {
            (T::PACKED.pack_lanes)(source, lane, used, depth, width, panel);
        } else {
            strided_lanes(source, (lane, step), used, depth, width, panel);
        }
    }
}

/// One full panel `W` lanes wide from lanes adjacent to each other: each step of k copies
/// `W` adjacent values.
///
/// # Safety
/// As for [`pack`].
#[inline(always)]
unsafe fn adjacent_lanes<T: Scalar, const W: usize>(
    source: *const T,
    step: usize,
    depth: usize,
    panel: *mut T,
) {
    for p in 0..depth {
        let run = source.add(p * step).cast::<[T; W]>().read_unaligned();
        panel.add(p * W).cast::<[T; W]>().write_unaligned(run);
    }
}

/// One panel `width` lanes wide, each lane read along k (`step` apart) and written `width`
/// apart, element by element.
///
/// # Safety
/// As for [`pack`]: `used` lanes of `depth` values from `source`, `width`·`depth` values at
/// `panel`.
#[inline(always)]
unsafe fn strided_lanes<T: Scalar>(
    source: *const T,
    (lane, step): (usize, usize),
    used: usize,
    depth: usize,
    width: usize,
    panel: *mut T,
) {
    for l in 0..width {
        if l < used {
            let from = source.add(l * lane);
            (0..depth).for_each(|p| *panel.add(p * width + l) = *from.add(p * step));
        } else {
            (0..depth).for_each(|p| *panel.add(p * width + l) = T::ZERO);
        }
    }
}

/// f64 panels from lanes adjacent along k: four lanes by four steps of k at a time, read as
/// four runs and transposed in registers, as [`pack_lanes_f32`] does with eight. A panel
/// wider than a group is written group by group, so no store may reach past the panel's row.
///
/// # Safety
/// As for [`pack`], with 8 values of slack after the panel.
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_lanes_f64(
    source: *const f64,
    lane: usize,
    used: usize,
    depth: usize,
    width: usize,
    panel: *mut f64,
) {
    let whole = depth - depth % 4;
    for group in (0..width).step_by(4) {
        let lanes = used.saturating_sub(group).min(4);
        let from = source.add(group * lane);
        for p in (0..whole).step_by(4) {
            let mut r = [_mm256_setzero_pd(); 4];
            for (l, row) in r.iter_mut().enumerate().take(lanes) {
                *row = _mm256_loadu_pd(from.add(l * lane + p));
            }
            let t = [
                _mm256_unpacklo_pd(r[0], r[1]),
                _mm256_unpackhi_pd(r[0], r[1]),
                _mm256_unpacklo_pd(r[2], r[3]),
                _mm256_unpackhi_pd(r[2], r[3]),
            ];
            let columns = [
                _mm256_permute2f128_pd::<0x20>(t[0], t[2]),
                _mm256_permute2f128_pd::<0x20>(t[1], t[3]),
                _mm256_permute2f128_pd::<0x31>(t[0], t[2]),
                _mm256_permute2f128_pd::<0x31>(t[1], t[3]),
            ];
            for (q, column) in columns.into_iter().enumerate() {
                let to = panel.add((p + q) * width + group);
                // A panel 6 wide ends in a group of two: store only those, since the next
                // step's first values are already written.
                match width - group {
                    4.. => _mm256_storeu_pd(to, column),
                    2 => _mm_storeu_pd(to, _mm256_castpd256_pd128(column)),
                    rest => {
                        let mut values = [0.0; 4];
                        _mm256_storeu_pd(values.as_mut_ptr(), column);
                        core::ptr::copy_nonoverlapping(values.as_ptr(), to, rest);
                    }
                }
            }
        }
    }
    let tail = source.add(whole);
    strided_lanes(
        tail,
        (lane, 1),
        used,
        depth - whole,
        width,
        panel.add(whole * width),
    );
}

/// f32 panels from lanes adjacent along k (a·bᵀ's b, a·b's and a·bᵀ's a): eight lanes by
/// eight steps of k at a time, read as eight runs and transposed in registers. A panel of
/// fewer than eight lanes (a 6-row panel of a, one group) still stores eight values a step;
/// the two extra land where the next step, the next panel or the buffer's slack will be
/// written. Wider panels are whole groups of eight.
///
/// # Safety
/// As for [`pack`], with 8 values of slack after the panel.
#[target_feature(enable = "avx2,fma")]
unsafe fn pack_lanes_f32(
    source: *const f32,
    lane: usize,
    used: usize,
    depth: usize,
    width: usize,
    panel: *mut f32,
) {
    debug_assert!(
        width <= 8 || width.is_multiple_of(8),
        "f32 panels are 6 or 16 wide"
    );
    let whole = depth - depth % 8;
    for group in (0..width).step_by(8) {
        let lanes = used.saturating_sub(group).min(8);
        let from = source.add(group * lane);
        for p in (0..whole).step_by(8) {
            let mut rows = [_mm256_setzero_ps(); 8];
            for (l, row) in rows.iter_mut().enumerate().take(lanes) {
                *row = _mm256_loadu_ps(from.add(l * lane + p));
            }
            for (q, column) in transpose8(rows).into_iter().enumerate() {
                _mm256_storeu_ps(panel.add((p + q) * width + group), column);
            }
        }
    }
    // The last steps of k, fewer than eight, element by element.
    let tail = source.add(whole);
    strided_lanes(
        tail,
        (lane, 1),
        used,
        depth - whole,
        width,
        panel.add(whole * width),
    );
}

/// The transpose of an 8×8 block of f32, one row a register.
#[target_feature(enable = "avx2,fma")]
fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
    let t = [
        _mm256_unpacklo_ps(r[0], r[1]),
        _mm256_unpackhi_ps(r[0], r[1]),
        _mm256_unpacklo_ps(r[2], r[3]),
        _mm256_unpackhi_ps(r[2], r[3]),
        _mm256_unpacklo_ps(r[4], r[5]),
        _mm256_unpackhi_ps(r[4], r[5]),
        _mm256_unpacklo_ps(r[6], r[7]),
        _mm256_unpackhi_ps(r[6], r[7]),
    ];
    let s = [
        _mm256_shuffle_ps::<0x44>(t[0], t[2]),
        _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
        _mm256_shuffle_ps::<0x44>(t[1], t[3]),
        _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
        _mm256_shuffle_ps::<0x44>(t[4], t[6]),
        _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
        _mm256_shuffle_ps::<0x44>(t[5], t[7]),
        _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
    ];
    [
        _mm256_permute2f128_ps::<0x20>(s[0], s[4]),
        _mm256_permute2f128_ps::<0x20>(s[1], s[5]),
        _mm256_permute2f128_ps::<0x20>(s[2], s[6]),
        _mm256_permute2f128_ps::<0x20>(s[3], s[7]),
        _mm256_permute2f128_ps::<0x31>(s[0], s[4]),
        _mm256_permute2f128_ps::<0x31>(s[1], s[5]),
        _mm256_permute2f128_ps::<0x31>(s[2], s[6]),
        _mm256_permute2f128_ps::<0x31>(s[3], s[7]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Values in [-1, 1) from a fixed sequence.
    fn values<T: Scalar>(len: usize, seed: u64) -> Vec<T> {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                T::from_f64((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
            })
            .collect()
    }

    /// The three layouts of `Matrix`'s products: a·b, a·bᵀ, aᵀ·b.
    fn layouts((m, k, n): (usize, usize, usize)) -> [(Strides, Strides); 3] {
        [
            (Strides::row_major(k), Strides::row_major(n)),
            (Strides::row_major(k), Strides::transposed(k)),
            (Strides::transposed(m), Strides::row_major(n)),
        ]
    }

    /// Checks the kernel against a plain triple loop in f64, within a tolerance relative to
    /// Σ|a||b| (plus |beta·c|) of each element, with `c` starting as NaN when `beta` is 0.
    fn check<T: Scalar>(shape: (usize, usize, usize), alpha: f64, beta: f64, eps: f64) {
        let (m, k, n) = shape;
        let (a, b) = (values::<T>(m * k, 1), values::<T>(k * n, 2));
        for (sa, sb) in layouts(shape) {
            let start: Vec<T> = if beta == 0.0 {
                std::vec![T::from_f64(f64::NAN); m * n]
            } else {
                values(m * n, 3)
            };
            let mut c = start.clone();
            let operand = |data, strides| Operand { data, strides };
            let (alpha_t, beta_t) = (T::from_f64(alpha), T::from_f64(beta));
            gemm(
                shape,
                alpha_t,
                operand(&a, sa),
                operand(&b, sb),
                beta_t,
                &mut c,
            );
            for i in 0..m {
                for j in 0..n {
                    let (mut sum, mut size) = (0.0, 0.0);
                    for p in 0..k {
                        let x = a[i * sa.row + p * sa.col].to_f64();
                        let y = b[p * sb.row + j * sb.col].to_f64();
                        (sum, size) = (sum + x * y, size + (x * y).abs());
                    }
                    let old = if beta == 0.0 {
                        0.0
                    } else {
                        beta * start[i * n + j].to_f64()
                    };
                    let want = alpha * sum + old;
                    let got = c[i * n + j].to_f64();
                    let bound = eps * (alpha.abs() * size + old.abs() + 1.0);
                    assert!(
                        (got - want).abs() <= bound,
                        "{shape:?} {sa:?} {sb:?} alpha {alpha} beta {beta}: \
                         c({i}, {j}) = {got}, want {want}"
                    );
                }
            }
        }
    }

    const SIDES: [usize; 10] = [1, 2, 5, 6, 7, 15, 16, 17, 33, 300];

    /// Every shape from the sides above (skipping those with two sides of 300, for time),
    /// in every layout, with alpha and beta each 0, 1 or another value.
    fn many_shapes<T: Scalar>(eps: f64) {
        if !available() {
            return;
        }
        for m in SIDES {
            for k in SIDES {
                for n in SIDES {
                    if [m, k, n].iter().filter(|&&s| s == 300).count() > 1 {
                        continue;
                    }
                    check::<T>((m, k, n), 1.0, 0.0, eps);
                }
            }
        }
        for shape in [(7, 33, 17), (6, 16, 16), (13, 5, 35)] {
            for alpha in [0.0, 1.0, -0.75] {
                for beta in [0.0, 1.0, 0.5] {
                    check::<T>(shape, alpha, beta, eps);
                }
            }
        }
    }

    #[test]
    fn f32_matches_a_triple_loop_on_many_shapes() {
        many_shapes::<f32>(1e-5);
    }

    #[test]
    fn f64_matches_a_triple_loop_on_many_shapes() {
        many_shapes::<f64>(1e-13);
    }

    /// k over `kc` (several blocks of k, the later ones adding to c), n over `nc` and m over
    /// `mc` (several blocks of c), each with edges.
    #[test]
    fn products_larger_than_one_block() {
        if !available() {
            return;
        }
        check::<f32>((F32.mc + 5, F32.kc * 2 + 3, 19), 0.5, 0.0, 1e-5);
        check::<f32>((7, 5, F32.nc + 21), 1.0, 0.5, 1e-5);
        check::<f64>((F64.mc + 5, F64.kc + 3, F64.nc + 9), -1.5, 1.0, 1e-13);
    }

    /// A product in parts, as `gemm::threads` splits it, is the same bit for bit as one call,
    /// whether its rows or its columns are split, at any row or column.
    fn parts_match_the_whole<T: Scalar>() {
        let (m, k, n) = (37, 300, 45);
        let (a, b) = (values::<T>(m * k, 4), values::<T>(k * n, 5));
        let start = values::<T>(m * n, 6);
        let bits = |c: &[T]| c.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
        for (sa, sb) in layouts((m, k, n)) {
            let a_op = Operand {
                data: &a,
                strides: sa,
            };
            let b_op = Operand {
                data: &b,
                strides: sb,
            };
            let half = T::from_f64(0.5);
            let mut whole = start.clone();
            gemm((m, k, n), half, a_op, b_op, T::ONE, &mut whole);
            let top = 13;
            let mut rows = start.clone();
            gemm((top, k, n), half, a_op, b_op, T::ONE, &mut rows[..top * n]);
            let a_bottom = Operand {
                data: &a[top * sa.row..],
                strides: sa,
            };
            gemm(
                (m - top, k, n),
                half,
                a_bottom,
                b_op,
                T::ONE,
                &mut rows[top * n..],
            );
            assert_eq!(bits(&whole), bits(&rows), "rows split, {sa:?} {sb:?}");
            let left = 19;
            let mut columns = start.clone();
            let b_right = Operand {
                data: &b[left * sb.col..],
                strides: sb,
            };
            let c = columns.as_mut_ptr();
            // SAFETY: each part writes its own columns of `columns`, rows `n` apart.
            unsafe {
                call((m, k, left), half, a_op, b_op, T::ONE, c, n);
                call(
                    (m, k, n - left),
                    half,
                    a_op,
                    b_right,
                    T::ONE,
                    c.add(left),
                    n,
                );
            }
            assert_eq!(bits(&whole), bits(&columns), "columns split, {sa:?} {sb:?}");
        }
    }

    #[test]
    fn parts_match_the_whole_bit_for_bit() {
        if available() {
            parts_match_the_whole::<f32>();
            parts_match_the_whole::<f64>();
        }
    }
}
