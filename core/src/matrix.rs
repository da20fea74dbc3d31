//! `Matrix<R, C, T>`: a row-major matrix whose dimensions are typenum numbers, and the
//! matrix products that forward and backward passes need.

use crate::flat::Flat;
use crate::gemm::{gemm, Operand, Strides};
use crate::scalar::Scalar;
use core::fmt;
use core::ops::{Index, IndexMut};
use generic_array::{ArrayLength, GenericArray};

crate::flat_struct! { @core
    /// A row-major `R`×`C` matrix of `T`, stored inline as `R` rows of `C` scalars.
    ///
    /// Products only compile when their inner dimensions agree:
    ///
    /// ```
    /// use typenet_core::{Matrix, dim::{U2, U3, U4}};
    /// let a = Matrix::<U2, U3, f64>::from_fn(|r, c| (r + c) as f64);
    /// let b = Matrix::<U3, U4, f64>::from_fn(|r, c| (r * c) as f64);
    /// let ab: Matrix<U2, U4, f64> = a.matmul(&b);
    /// assert_eq!(ab[(1, 3)], 1.0 * 0.0 + 2.0 * 3.0 + 3.0 * 6.0);
    /// ```
    ///
    /// ```compile_fail
    /// use typenet_core::{Matrix, dim::{U2, U3, U4}};
    /// let a = Matrix::<U2, U3, f64>::zeros();
    /// let b = Matrix::<U4, U2, f64>::zeros();
    /// let _ = a.matmul(&b); // 2×3 times 4×2: the inner dimensions differ
    /// ```
    ///
    /// # Type parameters
    /// `R` rows, `C` columns, `T` the scalar (`f32` by default).
    pub struct Matrix[R: ArrayLength, C: ArrayLength, T = f32][R: ArrayLength, C: ArrayLength, T: Scalar][R, C, T] (T, (R, C)) {
        rows: GenericArray<GenericArray<T, C>, R>,
    }
}

impl<R: ArrayLength, C: ArrayLength, T: Scalar> Matrix<R, C, T> {
    /// The number of rows.
    pub const ROWS: usize = R::USIZE;
    /// The number of columns.
    pub const COLS: usize = C::USIZE;

    /// The all-zero matrix.
    pub fn zeros() -> Self {
        Self::zeroed()
    }

    /// The matrix whose element (r, c) is `f(r, c)`.
    pub fn from_fn(mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut m = Self::zeros();
        for (r, row) in m.rows.iter_mut().enumerate() {
            for (c, x) in row.iter_mut().enumerate() {
                *x = f(r, c);
            }
        }
        m
    }

    /// The rows, each a `GenericArray` of `C` scalars.
    pub fn rows(&self) -> &[GenericArray<T, C>] {
        &self.rows
    }

    /// The rows, mutably.
    pub fn rows_mut(&mut self) -> &mut [GenericArray<T, C>] {
        &mut self.rows
    }

    /// The elements in row-major order.
    pub fn as_slice(&self) -> &[T] {
        self.as_flat()
    }

    /// The elements in row-major order, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.as_flat_mut()
    }

    /// Sets every element to `value`.
    pub fn fill(&mut self, value: T) {
        self.as_mut_slice().fill(value);
    }

    /// The transpose, as a new matrix.
    pub fn transpose(&self) -> Matrix<C, R, T> {
        Matrix::from_fn(|r, c| self[(c, r)])
    }

    /// `self ← alpha·a·b + beta·self` for `a`: R×K and `b`: K×C. With `beta` zero,
    /// `self` is overwritten (even if it held NaN).
    pub fn gemm<K: ArrayLength>(
        &mut self,
        alpha: T,
        a: &Matrix<R, K, T>,
        b: &Matrix<K, C, T>,
        beta: T,
    ) {
        let a = Operand {
            data: a.as_slice(),
            strides: Strides::row_major(K::USIZE),
        };
        let b = Operand {
            data: b.as_slice(),
            strides: Strides::row_major(C::USIZE),
        };
        self.product(alpha, a, b, K::USIZE, beta);
    }

    /// `self ← alpha·a·bᵀ + beta·self` for `a`: R×K and `b`: C×K.
    pub fn gemm_nt<K: ArrayLength>(
        &mut self,
        alpha: T,
        a: &Matrix<R, K, T>,
        b: &Matrix<C, K, T>,
        beta: T,
    ) {
        let a = Operand {
            data: a.as_slice(),
            strides: Strides::row_major(K::USIZE),
        };
        let b = Operand {
            data: b.as_slice(),
            strides: Strides::transposed(K::USIZE),
        };
        self.product(alpha, a, b, K::USIZE, beta);
    }

    /// `self ← alpha·aᵀ·b + beta·self` for `a`: K×R and `b`: K×C.
    pub fn gemm_tn<K: ArrayLength>(
        &mut self,
        alpha: T,
        a: &Matrix<K, R, T>,
        b: &Matrix<K, C, T>,
        beta: T,
    ) {
        let a = Operand {
            data: a.as_slice(),
            strides: Strides::transposed(R::USIZE),
        };
        let b = Operand {
            data: b.as_slice(),
            strides: Strides::row_major(C::USIZE),
        };
        self.product(alpha, a, b, K::USIZE, beta);
    }

    /// The three forms above, once their operands' strides are known.
    fn product(&mut self, alpha: T, a: Operand<'_, T>, b: Operand<'_, T>, k: usize, beta: T) {
        let shape = (R::USIZE, k, C::USIZE);
        gemm(shape, alpha, a, b, beta, self.as_mut_slice());
    }

    /// `self · rhs`, as a new matrix.
    pub fn matmul<N: ArrayLength>(&self, rhs: &Matrix<C, N, T>) -> Matrix<R, N, T> {
        let mut out = Matrix::zeros();
        out.gemm(T::ONE, self, rhs, T::ZERO);
        out
    }

    /// `self · rhsᵀ`, as a new matrix.
    pub fn matmul_t<N: ArrayLength>(&self, rhs: &Matrix<N, C, T>) -> Matrix<R, N, T> {
        let mut out = Matrix::zeros();
        out.gemm_nt(T::ONE, self, rhs, T::ZERO);
        out
    }

    /// `selfᵀ · rhs`, as a new matrix.
    pub fn t_matmul<N: ArrayLength>(&self, rhs: &Matrix<R, N, T>) -> Matrix<C, N, T> {
        let mut out = Matrix::zeros();
        out.gemm_tn(T::ONE, self, rhs, T::ZERO);
        out
    }
}

impl<R: ArrayLength, C: ArrayLength, T: Scalar> Index<(usize, usize)> for Matrix<R, C, T> {
    type Output = T;
    fn index(&self, (r, c): (usize, usize)) -> &T {
        &self.rows[r][c]
    }
}

impl<R: ArrayLength, C: ArrayLength, T: Scalar> IndexMut<(usize, usize)> for Matrix<R, C, T> {
    fn index_mut(&mut self, (r, c): (usize, usize)) -> &mut T {
        &mut self.rows[r][c]
    }
}

impl<R: ArrayLength, C: ArrayLength, T: Scalar> Clone for Matrix<R, C, T> {
    fn clone(&self) -> Self {
        Self {
            __marker: crate::flat::Marker::NEW,
            rows: self.rows.clone(),
        }
    }
}

impl<R: ArrayLength, C: ArrayLength, T: Scalar> PartialEq for Matrix<R, C, T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<R: ArrayLength, C: ArrayLength, T: Scalar> Default for Matrix<R, C, T> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<R: ArrayLength, C: ArrayLength, T: Scalar> fmt::Debug for Matrix<R, C, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matrix<{}×{}, {}> ", R::USIZE, C::USIZE, T::NAME)?;
        f.debug_list()
            .entries(self.rows.iter().map(|row| row.as_slice()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;

    fn naive<T: Scalar>(a: &[T], b: &[T], m: usize, k: usize, n: usize) -> alloc_free::Buf<T> {
        let mut out = alloc_free::Buf::new(m * n);
        for i in 0..m {
            for j in 0..n {
                let mut s = T::ZERO;
                for p in 0..k {
                    s += a[i * k + p] * b[p * n + j];
                }
                out.0[i * n + j] = s;
            }
        }
        out
    }

    // A fixed-capacity buffer, so that the tests also run without `alloc`.
    mod alloc_free {
        pub struct Buf<T>(pub [T; 4096]);
        impl<T: crate::scalar::Scalar> Buf<T> {
            pub fn new(len: usize) -> Self {
                assert!(len <= 4096);
                Buf([T::ZERO; 4096])
            }
        }
    }

    #[test]
    fn products_match_a_hand_worked_case() {
        let a = Matrix::<U2, U3, f64>::from_fn(|r, c| [[1., 2., 3.], [4., 5., 6.]][r][c]);
        let b = Matrix::<U3, U2, f64>::from_fn(|r, c| [[7., 8.], [9., 10.], [11., 12.]][r][c]);
        let ab: Matrix<U2, U2, f64> = a.matmul(&b);
        assert_eq!(ab.as_slice(), &[58., 64., 139., 154.]);
        let bt = b.transpose();
        assert_eq!(a.matmul_t(&bt), ab);
        let at = a.transpose();
        assert_eq!(at.t_matmul(&b), ab);
    }

    // Shapes on both sides of the small/large kernel switch, with beta both zero and not.
    fn check_forms<M: ArrayLength, K: ArrayLength, N: ArrayLength>() {
        let a = Matrix::<M, K, f64>::from_fn(|r, c| ((r * 7 + c * 3) % 11) as f64 - 5.0);
        let b = Matrix::<K, N, f64>::from_fn(|r, c| ((r * 5 + c * 2) % 13) as f64 - 6.0);
        let want = naive(a.as_slice(), b.as_slice(), M::USIZE, K::USIZE, N::USIZE);
        let want = &want.0[..M::USIZE * N::USIZE];
        let mut c = Matrix::<M, N, f64>::from_fn(|_, _| f64::NAN);
        c.gemm(1.0, &a, &b, 0.0);
        assert_eq!(c.as_slice(), want, "A·B");
        c.fill(1.0);
        c.gemm_nt(2.0, &a, &b.transpose(), 3.0);
        for (x, w) in c.as_slice().iter().zip(want) {
            assert_eq!(*x, 2.0 * w + 3.0, "A·Bᵀ");
        }
        c.fill(f64::NAN);
        c.gemm_tn(1.0, &a.transpose(), &b, 0.0);
        assert_eq!(c.as_slice(), want, "Aᵀ·B");
    }

    #[test]
    fn every_form_agrees_with_the_definition() {
        check_forms::<U1, U5, U3>();
        // One-wide inner or outer dimensions: a transposed operand with one row or one
        // column has equal strides, which once sent it down the wrong loop.
        check_forms::<U3, U1, U5>();
        check_forms::<U1, U1, U1>();
        check_forms::<U4, U6, U1>();
        check_forms::<U1, U7, U1>();
        check_forms::<U3, U17, U9>();
        check_forms::<U33, U40, U31>();
    }

    #[test]
    fn flat_views_are_row_major() {
        let rows = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let m: &Matrix<U3, U2, f32> = rows.cast_ref();
        assert_eq!(m[(2, 1)], 6.0);
        assert_eq!(m.rows()[1].as_slice(), &[3.0, 4.0]);
        assert_eq!(Matrix::<U3, U2, f32>::ROWS * Matrix::<U3, U2, f32>::COLS, 6);
    }
}
