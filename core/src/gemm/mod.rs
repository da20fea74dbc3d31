//! Matrix products on row-major slices: built-in loops for small shapes and for builds
//! without `alloc`; for the rest, matrixmultiply or, on x86_64 processors with AVX2 and FMA
//! (with `std`, which detects them), a packed kernel of the crate's own (`packed`).
//!
//! [`gemm`] computes `c ← alpha·a·b + beta·c` for an m×k `a`, a k×n `b` and a row-major
//! m×n `c`, where `a` and `b` are read through strides, so a transposed operand costs
//! nothing. With `beta` zero `c` is overwritten, as BLAS does.

#[cfg(feature = "alloc")]
mod matrixmultiply;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
pub(crate) mod packed;
#[cfg(feature = "threads")]
mod threads;

use crate::scalar::Scalar;

/// The strides of one operand: element (r, c) lives at `r * row + c * col`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strides {
    pub row: usize,
    pub col: usize,
}

impl Strides {
    /// A row-major `rows`×`cols` matrix.
    pub fn row_major(cols: usize) -> Self {
        Strides { row: cols, col: 1 }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(cols: usize) -> Self {
        Strides { row: 1, col: cols }
    }
}

/// Whether a `rows`×`cols` matrix read through `s` lies within `len` values.
pub(crate) fn fits(len: usize, (rows, cols): (usize, usize), s: Strides) -> bool {
    rows == 0 || cols == 0 || (rows - 1) * s.row + (cols - 1) * s.col < len
}

/// The code that computes a product.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// The built-in loops (`rows_times_b`, `rows_dot_rows`).
    Loops,
    /// matrixmultiply's `sgemm` or `dgemm` (feature `alloc`).
    Matrixmultiply,
    /// The crate's own packed kernel (x86_64 with AVX2 and FMA, feature `std`).
    Packed,
}

impl Kernel {
    /// Whether this build, on this CPU, has the kernel.
    pub fn available(self) -> bool {
        match self {
            Kernel::Loops => true,
            Kernel::Matrixmultiply => cfg!(feature = "alloc"),
            #[cfg(all(feature = "std", target_arch = "x86_64"))]
            Kernel::Packed => packed::available(),
            #[cfg(not(all(feature = "std", target_arch = "x86_64")))]
            Kernel::Packed => false,
        }
    }
}

/// The faster kernel for this product, as measured on every product shape of the benchmark
/// workloads and convolutions (`benches/kernels.rs`, the kernels alternating in one run; see
/// BENCHMARKS.md).
///
/// matrixmultiply's packing costs a heap allocation per call and it computes in 16×16 tiles,
/// so the built-in loops win on tiny products and on results of a few rows when `a` is
/// row-major (the forward pass and input gradient of a small batch).
///
/// Above those, the packed kernel, where the CPU has AVX2 and FMA but not AVX-512
/// ([`packed::preferred`]): 6–11% faster than matrixmultiply's
/// AVX2 kernel on the large products in f32 and 13–20% in f64, and up to 40% on thin ones
/// (a 10-wide output layer), since its packing buffer is reused and it packs transposed
/// operands in registers. Its tiles are 6 rows high, though, against matrixmultiply's 8:
/// a·b with at most 16 rows (a convolution's forward pass, 8 or 16 channels) wastes a third
/// or a ninth of its work and stays with matrixmultiply (f32 6.2 µs against 7.9 at 8 rows,
/// 10.4 against 11.5 at 16). In f64, whose tiles are 8 columns wide, the same goes for a·bᵀ
/// with under 16 rows or columns (a 10-wide output layer's forward pass: 260 µs against 278
/// at batch 256).
// Without the packed kernel, `T` and `sb` are not asked about.
#[cfg_attr(
    not(all(feature = "std", target_arch = "x86_64")),
    allow(clippy::extra_unused_type_parameters)
)]
fn choose<T: Scalar>((m, k, n): (usize, usize, usize), sa: Strides, sb: Strides) -> Kernel {
    let few_rows = m <= 4 && sa.col == 1;
    if !Kernel::Matrixmultiply.available() || m * k * n < 8 * 8 * 8 || few_rows {
        return Kernel::Loops;
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if packed::preferred() {
        let narrow = if sb.col == 1 {
            sa.col == 1 && m <= 16
        } else {
            T::PACKED.matrixmultiply_on_narrow_nt && sa.col == 1 && m.min(n) < 16
        };
        if !narrow {
            return Kernel::Packed;
        }
    }
    let _ = sb;
    Kernel::Matrixmultiply
}

/// One input of a product: its scalars, read through its strides.
#[derive(Clone, Copy)]
pub(crate) struct Operand<'a, T> {
    pub data: &'a [T],
    pub strides: Strides,
}

/// `c ← alpha·a·b + beta·c` for an m×k `a`, a k×n `b` and a row-major m×n `c`.
pub(crate) fn gemm<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: &mut [T],
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        return c
            .chunks_exact_mut(n)
            .take(m)
            .for_each(|c_row| scale(c_row, beta));
    }
    let kernel = choose::<T>((m, k, n), a.strides, b.strides);
    #[cfg(feature = "threads")]
    if kernel != Kernel::Loops {
        return threads::gemm(kernel, (m, k, n), alpha, a, b, beta, c);
    }
    one_thread(kernel, (m, k, n), alpha, a, b, beta, c)
}

/// The product through `kernel`, on the calling thread; the loops where the kernel is missing
/// from this build.
fn one_thread<T: Scalar>(
    kernel: Kernel,
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: Operand<'_, T>,
    b: Operand<'_, T>,
    beta: T,
    c: &mut [T],
) {
    match kernel {
        #[cfg(feature = "alloc")]
        Kernel::Matrixmultiply => return matrixmultiply::gemm((m, k, n), alpha, a, b, beta, c),
        #[cfg(all(feature = "std", target_arch = "x86_64"))]
        Kernel::Packed => return packed::gemm((m, k, n), alpha, a, b, beta, c),
        _ => {}
    }
    let (sa, sb) = (a.strides, b.strides);
    let (a, b) = (a.data, b.data);
    if sb.col == 1 {
        rows_times_b((m, k, n), alpha, a, sa, b, sb.row, beta, c);
    } else {
        // b is transposed: the only other form `Matrix` asks for, always with a row-major a.
        debug_assert!(sa.col == 1 && sb.row == 1, "unsupported operand layout");
        rows_dot_rows((m, k, n), alpha, a, sa.row, b, sb.col, beta, c);
    }
}

/// `c ← alpha·a·b + beta·c` through the chosen `kernel`, for benchmarks that time the kernels
/// side by side: `a` is m×k with element (r, c) at `r·a_strides.0 + c·a_strides.1`, `b`
/// likewise k×n, `c` row-major m×n. Returns `false`, changing nothing, when the kernel is not
/// available, a slice is too short, or the loops are asked for a·b with `b` transposed and `a`
/// not row-major (a layout they do not take). Not part of the API.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn gemm_with_kernel<T: Scalar>(
    kernel: Kernel,
    (m, k, n): (usize, usize, usize),
    alpha: T,
    (a, a_strides): (&[T], (usize, usize)),
    (b, b_strides): (&[T], (usize, usize)),
    beta: T,
    c: &mut [T],
) -> bool {
    let strides = |(row, col)| Strides { row, col };
    let (sa, sb) = (strides(a_strides), strides(b_strides));
    let loops_take = sb.col == 1 || (sa.col == 1 && sb.row == 1);
    let usable = kernel.available()
        && (kernel != Kernel::Loops || loops_take)
        && fits(a.len(), (m, k), sa)
        && fits(b.len(), (k, n), sb)
        && fits(c.len(), (m, n), Strides::row_major(n));
    if !usable {
        return false;
    }
    let (a, b) = (
        Operand {
            data: a,
            strides: sa,
        },
        Operand {
            data: b,
            strides: sb,
        },
    );
    if m == 0 || n == 0 || k == 0 {
        gemm((m, k, n), alpha, a, b, beta, c);
        return true;
    }
    one_thread(kernel, (m, k, n), alpha, a, b, beta, c);
    true
}

/// `c ← beta·c`, where zero overwrites.
#[inline(always)]
fn scale<T: Scalar>(c_row: &mut [T], beta: T) {
    if beta == T::ZERO {
        c_row.fill(T::ZERO);
    } else if beta != T::ONE {
        c_row.iter_mut().for_each(|x| *x *= beta);
    }
}

/// Row i of c gets Σₚ a(i, p)·(row p of b), for a b whose columns are adjacent (`b_row`
/// between rows): the inner loop runs along rows of b and c, which the compiler vectorizes.
#[allow(clippy::too_many_arguments)]
fn rows_times_b<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: &[T],
    sa: Strides,
    b: &[T],
    b_row: usize,
    beta: T,
    c: &mut [T],
) {
    for (i, c_row) in c.chunks_exact_mut(n).take(m).enumerate() {
        scale(c_row, beta);
        for p in 0..k {
            // Row p starts `b_row` after row p − 1 and is `n` long. Rows may overlap: a
            // transposed k×n operand with k = 1 has strides (1, 1).
            let b_row = &b[p * b_row..][..n];
            let aip = alpha * a[i * sa.row + p * sa.col];
            for (cij, &bpj) in c_row.iter_mut().zip(b_row) {
                *cij += aip * bpj;
            }
        }
    }
}

/// c(i, j) gets the dot product of row i of a and row j of a b stored transposed (rows
/// `a_row` and `b_row` apart), both contiguous.
#[allow(clippy::too_many_arguments)]
fn rows_dot_rows<T: Scalar>(
    (m, k, n): (usize, usize, usize),
    alpha: T,
    a: &[T],
    a_row: usize,
    b: &[T],
    b_row: usize,
    beta: T,
    c: &mut [T],
) {
    for (a_row, c_row) in a.chunks_exact(a_row).zip(c.chunks_exact_mut(n)).take(m) {
        for (b_row, cij) in b.chunks_exact(b_row).zip(c_row.iter_mut()) {
            let d = alpha * dot(&a_row[..k], &b_row[..k]);
            *cij = if beta == T::ZERO { d } else { beta * *cij + d };
        }
    }
}

/// A dot product with eight independent partial sums, so that it vectorizes.
fn dot<T: Scalar>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut tail = T::ZERO;
    for (&a, &b) in xr.iter().zip(yr) {
        tail += a * b;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail
}
