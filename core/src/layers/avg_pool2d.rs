//! 2-D average pooling over `[C, H, W]` rows: each output is the mean of its window.

use super::spatial::{Pool2dGeometry, Problem};
use super::{Backward, Forward, Layer};
use crate::error::InvalidHyperParameter;
use crate::matrix::Matrix;
use crate::mode::Mode;
use crate::scalar::Scalar;
use core::fmt;
use core::marker::PhantomData;
use generic_array::ArrayLength;
use rand::Rng;

/// Average pooling, as `avg_pool2d(2)` in `network!`, like PyTorch's `nn.AvgPool2d` with its
/// defaults (`count_include_pad = True`, no ceil mode): each output is the sum of its window
/// divided by KH·KW, padding counting as zeros.
///
/// # Type parameters
/// `I` = C·H·W inputs and `O` = C·OH·OW outputs (typenum numbers), checked against the
/// [`Pool2dGeometry`] by [`new`](AvgPool2d::new).
///
/// ```
/// use typenet_core::layers::{AvgPool2d, Layer, Pool2dGeometry};
/// use typenet_core::{Matrix, dim::{U1, U4, U16}};
/// const POOL: AvgPool2d<U16, U4> = AvgPool2d::new(Pool2dGeometry::new([1, 4, 4], [2, 2]));
/// let x = Matrix::<U1, U16, f64>::from_fn(|_, i| i as f64);
/// let mut y = Matrix::zeros();
/// POOL.infer(&[], &[], &x, &mut y);
/// assert_eq!(y.as_slice(), &[2.5, 4.5, 10.5, 12.5]);
/// ```
pub struct AvgPool2d<I, O> {
    geometry: Pool2dGeometry,
    widths: PhantomData<(I, O)>,
}

impl<I: ArrayLength, O: ArrayLength> AvgPool2d<I, O> {
    /// Average pooling over `geometry`.
    ///
    /// The constant form, which the `network!` macro uses with a geometry it has checked; at
    /// run time, use [`try_new`](AvgPool2d::try_new), which returns an error instead.
    ///
    /// # Panics
    /// If the geometry is invalid ([`Pool2dGeometry::check`]) or disagrees with `I` or `O`;
    /// in a constant, that is a compile error.
    pub const fn new(geometry: Pool2dGeometry) -> Self {
        Problem::assert_none(&[geometry.problem_with(I::USIZE, O::USIZE)]);
        AvgPool2d {
            geometry,
            widths: PhantomData,
        }
    }

    /// [`new`](AvgPool2d::new), or an error naming the first number that is wrong.
    pub fn try_new(geometry: Pool2dGeometry) -> Result<Self, InvalidHyperParameter> {
        match geometry.problem_with(I::USIZE, O::USIZE) {
            Some(problem) => Err(problem.error),
            None => Ok(Self::new(geometry)),
        }
    }

    /// The shapes it was built with.
    pub const fn geometry(&self) -> Pool2dGeometry {
        self.geometry
    }
}

impl<I, O> Clone for AvgPool2d<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I, O> Copy for AvgPool2d<I, O> {}

impl<I, O> fmt::Debug for AvgPool2d<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AvgPool2d").field(&self.geometry).finish()
    }
}

impl<I, O> fmt::Display for AvgPool2d<I, O> {
    /// `avg_pool2d [8, 28, 28] → [8, 14, 14]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.geometry.write_layer(f, "avg_pool2d")
    }
}

impl<T: Scalar, I: ArrayLength, O: ArrayLength> Layer<T> for AvgPool2d<I, O> {
    type Input = I;
    type Output = O;
    type Params = [T; 0];
    type Buffers = [T; 0];
    type Cache<B: ArrayLength> = [T; 0];

    fn init<R: Rng + ?Sized>(&self, _: &mut [T; 0], _: &mut [T; 0], _: &mut R) {}

    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        self.infer(io.params, io.buffers, io.x, io.y);
    }

    /// Sums each window over its rows of inputs, then divides by KH·KW.
    fn infer<B: ArrayLength>(
        &self,
        _: &[T; 0],
        _: &[T; 0],
        x: &Matrix<B, I, T>,
        y: &mut Matrix<B, O, T>,
    ) {
        let plane = self.geometry.plane();
        let (h, w) = (plane.h, plane.w);
        let count = T::from_usize(h.kernel * w.kernel);
        let (inputs, outputs) = (plane.input_area(), plane.output_area());
        for (x, y) in x.rows().iter().zip(y.rows_mut()) {
            for (channel, out) in x.chunks_exact(inputs).zip(y.chunks_exact_mut(outputs)) {
                out.fill(T::ZERO);
                for i in 0..h.kernel {
                    for j in 0..w.kernel {
                        let ow_inside = w.inside(j);
                        for oh in h.inside(i) {
                            let src = &channel[h.input(oh, i) * w.size..][..w.size];
                            let dst = &mut out[oh * w.out..][..w.out];
                            for ow in ow_inside.clone() {
                                dst[ow] += src[w.input(ow, j)];
                            }
                        }
                    }
                }
                out.iter_mut().for_each(|y| *y /= count);
            }
        }
    }

    /// Each input gets dy/(KH·KW) from every window it is in.
    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        let Some(dx) = io.dx else { return };
        let plane = self.geometry.plane();
        let (h, w) = (plane.h, plane.w);
        let count = T::from_usize(h.kernel * w.kernel);
        let (inputs, outputs) = (plane.input_area(), plane.output_area());
        for (dy, dx) in io.dy.rows().iter().zip(dx.rows_mut()) {
            dx.fill(T::ZERO);
            for (dy, dx) in dy.chunks_exact(outputs).zip(dx.chunks_exact_mut(inputs)) {
                for i in 0..h.kernel {
                    for j in 0..w.kernel {
                        let ow_inside = w.inside(j);
                        for oh in h.inside(i) {
                            let dst = &mut dx[h.input(oh, i) * w.size..][..w.size];
                            let src = &dy[oh * w.out..][..w.out];
                            for ow in ow_inside.clone() {
                                dst[w.input(ow, j)] += src[ow] / count;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::layers::spatial::geometries;
    use crate::layers::tests::check_parameterless;
    use std::string::ToString;

    const HALVE: AvgPool2d<U32, U8> = AvgPool2d::new(geometries::HALVE);
    const OVERLAP: AvgPool2d<U50, U18> = AvgPool2d::new(geometries::OVERLAP);
    /// A 2×3 window, stride (1, 2), padding (1, 1) on 1×3×7 → 1×4×4.
    const WIDE: AvgPool2d<U21, U16> = AvgPool2d::new(Pool2dGeometry {
        stride: [1, 2],
        padding: [1, 1],
        ..Pool2dGeometry::new([1, 3, 7], [2, 3])
    });

    #[test]
    fn backward_matches_finite_differences_for_every_stride_and_padding() {
        check_parameterless(HALVE, 1);
        check_parameterless(OVERLAP, 2);
        check_parameterless(WIDE, 3);
    }

    #[test]
    fn padding_counts_in_the_divisor() {
        // All ones: a corner window of OVERLAP covers 2×2 inputs and 5 padding zeros.
        let x = Matrix::<U1, U50, f64>::from_fn(|_, _| 1.0);
        let mut y = Matrix::zeros();
        Layer::<f64>::infer(&OVERLAP, &[], &[], &x, &mut y);
        assert_eq!(y[(0, 0)], 4.0 / 9.0);
        assert_eq!(y[(0, 4)], 1.0);
        assert_eq!(OVERLAP.to_string(), "avg_pool2d [2, 5, 5] → [2, 3, 3]");
    }

    #[test]
    #[should_panic(expected = "pooling padding must be at most half the kernel")]
    fn new_rejects_too_much_padding() {
        let geometry = Pool2dGeometry {
            padding: [2, 0],
            ..Pool2dGeometry::new([1, 4, 4], [3, 3])
        };
        let _ = AvgPool2d::<U16, U4>::new(core::hint::black_box(geometry));
    }
}
