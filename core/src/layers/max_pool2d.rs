//! 2-D max pooling over `[C, H, W]` rows: each output is the largest input of its window.

use super::spatial::{Plane, Pool2dGeometry, Problem};
use super::{Backward, Forward, Layer};
use crate::error::InvalidHyperParameter;
use crate::matrix::Matrix;
use crate::mode::Mode;
use crate::scalar::Scalar;
use core::fmt;
use core::marker::PhantomData;
use generic_array::ArrayLength;
use rand::Rng;

/// Max pooling, as `max_pool2d(2)` in `network!`, like PyTorch's `nn.MaxPool2d` (no
/// dilation, no ceil mode). Padding counts as −∞. The gradient of a window goes to its
/// first largest input in row-major order, as in PyTorch; a NaN counts as the largest.
///
/// # Type parameters
/// `I` = C·H·W inputs and `O` = C·OH·OW outputs (typenum numbers), checked against the
/// [`Pool2dGeometry`] by [`new`](MaxPool2d::new).
///
/// ```
/// use typenet_core::layers::{Layer, MaxPool2d, Pool2dGeometry};
/// use typenet_core::{Matrix, dim::{U1, U4, U16}};
/// const POOL: MaxPool2d<U16, U4> = MaxPool2d::new(Pool2dGeometry::new([1, 4, 4], [2, 2]));
/// let x = Matrix::<U1, U16, f64>::from_fn(|_, i| [1., 2., 5., 0., 3., 4., 1., 1., 0., 0., 9., 9., 0., -1., 9., 8.][i]);
/// let mut y = Matrix::zeros();
/// POOL.infer(&[], &[], &x, &mut y);
/// assert_eq!(y.as_slice(), &[4., 5., 0., 9.]);
/// ```
pub struct MaxPool2d<I, O> {
    geometry: Pool2dGeometry,
    widths: PhantomData<(I, O)>,
}

impl<I: ArrayLength, O: ArrayLength> MaxPool2d<I, O> {
    /// Max pooling over `geometry`.
    ///
    /// The constant form, which the `network!` macro uses with a geometry it has checked; at
    /// run time, use [`try_new`](MaxPool2d::try_new), which returns an error instead.
    ///
    /// # Panics
    /// If the geometry is invalid ([`Pool2dGeometry::check`]) or disagrees with `I` or `O`,
    /// or a channel has more than 2²⁴ values (its positions are kept as `f32`s); in a
    /// constant, that is a compile error.
    pub const fn new(geometry: Pool2dGeometry) -> Self {
        Problem::assert_none(&[Self::problem(&geometry)]);
        MaxPool2d {
            geometry,
            widths: PhantomData,
        }
    }

    /// [`new`](MaxPool2d::new), or an error naming the first number that is wrong.
    ///
    /// ```
    /// use typenet_core::layers::{MaxPool2d, Pool2dGeometry};
    /// use typenet_core::dim::{U4, U16};
    /// assert!(MaxPool2d::<U16, U4>::try_new(Pool2dGeometry::new([1, 4, 4], [2, 2])).is_ok());
    /// let err = MaxPool2d::<U16, U4>::try_new(Pool2dGeometry::new([1, 4, 4], [3, 3])).unwrap_err();
    /// assert_eq!(err.name, "pooling output width O");
    /// ```
    pub fn try_new(geometry: Pool2dGeometry) -> Result<Self, InvalidHyperParameter> {
        match Self::problem(&geometry) {
            Some(problem) => Err(problem.error),
            None => Ok(Self::new(geometry)),
        }
    }

    const fn problem(geometry: &Pool2dGeometry) -> Option<Problem> {
        let area = geometry.input[1] * geometry.input[2];
        let too_large = if area > 1 << 24 {
            let message = "MaxPool2d: a channel of more than 2^24 values is not supported";
            Some(Problem::new(
                "max pooling channel size",
                area,
                "at most 2^24",
                message,
            ))
        } else {
            None
        };
        Problem::first(&[geometry.problem_with(I::USIZE, O::USIZE), too_large])
    }

    /// The shapes it was built with.
    pub const fn geometry(&self) -> Pool2dGeometry {
        self.geometry
    }
}

impl<I, O> Clone for MaxPool2d<I, O> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I, O> Copy for MaxPool2d<I, O> {}

impl<I, O> fmt::Debug for MaxPool2d<I, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MaxPool2d").field(&self.geometry).finish()
    }
}

impl<I, O> fmt::Display for MaxPool2d<I, O> {
    /// `max_pool2d [8, 28, 28] → [8, 14, 14]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.geometry.write_layer(f, "max_pool2d")
    }
}

/// The index, within its channel, of the first largest input of window (`oh`, `ow`), or of
/// its last NaN (PyTorch's rule: a value wins when it is greater or NaN).
#[inline]
fn window_max<T: Scalar>(plane: &Plane, channel: &[T], oh: usize, ow: usize) -> usize {
    let (rows, cols) = (plane.h.window(oh), plane.w.window(ow));
    let width = plane.w.size;
    let mut best = rows.start * width + cols.start;
    let mut max = channel[best];
    for r in rows {
        let row = &channel[r * width..][cols.clone()];
        for (c, &v) in (cols.start..).zip(row) {
            // Selects rather than branches: on real data the branch is a coin toss.
            let take = v > max || v.is_nan();
            best = if take { r * width + c } else { best };
            max = if take { v } else { max };
        }
    }
    best
}

impl<T: Scalar, I: ArrayLength, O: ArrayLength> Layer<T> for MaxPool2d<I, O> {
    type Input = I;
    type Output = O;
    type Params = [T; 0];
    type Buffers = [T; 0];
    /// Where each output came from: the index of its input within its channel, as a number
    /// (exact, since [`new`](MaxPool2d::new) caps a channel at 2²⁴ values).
    type Cache<B: ArrayLength> = Matrix<B, O, T>;

    fn init<R: Rng + ?Sized>(&self, _: &mut [T; 0], _: &mut [T; 0], _: &mut R) {}

    /// Picks each window's largest input, as [`infer`](Layer::infer) does, and keeps where
    /// it was for the backward pass (in either mode, so that a backward pass may follow an
    /// evaluation pass too).
    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        let plane = self.geometry.plane();
        let (inputs, outputs) = (plane.input_area(), plane.output_area());
        let rows = io.x.rows().iter().zip(io.y.rows_mut());
        for ((x, y), picks) in rows.zip(io.cache.rows_mut()) {
            let channels = x.chunks_exact(inputs).zip(y.chunks_exact_mut(outputs));
            for ((channel, y), picks) in channels.zip(picks.chunks_exact_mut(outputs)) {
                let windows = y
                    .chunks_exact_mut(plane.w.out)
                    .zip(picks.chunks_exact_mut(plane.w.out));
                for (oh, (y, picks)) in windows.enumerate() {
                    for (ow, (y, pick)) in y.iter_mut().zip(picks).enumerate() {
                        let at = window_max(&plane, channel, oh, ow);
                        *y = channel[at];
                        *pick = T::from_usize(at);
                    }
                }
            }
        }
    }

    fn infer<B: ArrayLength>(
        &self,
        _: &[T; 0],
        _: &[T; 0],
        x: &Matrix<B, I, T>,
        y: &mut Matrix<B, O, T>,
    ) {
        let plane = self.geometry.plane();
        let (inputs, outputs) = (plane.input_area(), plane.output_area());
        for (x, y) in x.rows().iter().zip(y.rows_mut()) {
            for (channel, out) in x.chunks_exact(inputs).zip(y.chunks_exact_mut(outputs)) {
                for (oh, out) in out.chunks_exact_mut(plane.w.out).enumerate() {
                    for (ow, y) in out.iter_mut().enumerate() {
                        *y = channel[window_max(&plane, channel, oh, ow)];
                    }
                }
            }
        }
    }

    /// Each window's gradient goes to the input its forward pass picked.
    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        let Some(dx) = io.dx else { return };
        let plane = self.geometry.plane();
        let (inputs, outputs) = (plane.input_area(), plane.output_area());
        let rows = io.cache.rows().iter().zip(io.dy.rows()).zip(dx.rows_mut());
        for ((picks, dy), dx) in rows {
            dx.fill(T::ZERO);
            let channels = picks.chunks_exact(outputs).zip(dx.chunks_exact_mut(inputs));
            for ((picks, dx), dy) in channels.zip(dy.chunks_exact(outputs)) {
                for (&at, &d) in picks.iter().zip(dy) {
                    dx[at.to_f64() as usize] += d;
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

    const HALVE: MaxPool2d<U32, U8> = MaxPool2d::new(geometries::HALVE);
    const OVERLAP: MaxPool2d<U50, U18> = MaxPool2d::new(geometries::OVERLAP);
    /// A 2×3 window, stride (1, 2), on 1×3×7 → 1×2×3 (the last column is never read).
    const WIDE: MaxPool2d<U21, U6> = MaxPool2d::new(Pool2dGeometry {
        stride: [1, 2],
        ..Pool2dGeometry::new([1, 3, 7], [2, 3])
    });

    #[test]
    fn backward_matches_finite_differences_for_every_stride_and_padding() {
        check_parameterless(HALVE, 1);
        check_parameterless(OVERLAP, 2);
        check_parameterless(WIDE, 3);
    }

    /// An evaluation pass (a backward pass may follow one too), then the backward pass.
    fn pool_and_backward(x: [f64; 32]) -> ([f64; 8], [f64; 32]) {
        let x = Matrix::<U1, U32, f64>::from_fn(|_, i| x[i]);
        let (mut y, mut picks) = (Matrix::zeros(), Matrix::zeros());
        let io = Forward {
            params: &[],
            buffers: &[],
            x: &x,
            y: &mut y,
            cache: &mut picks,
        };
        HALVE.forward(io, &mut crate::mode::Eval);
        let dy = Matrix::<U1, U8, f64>::from_fn(|_, i| (i + 1) as f64);
        let mut dx = Matrix::zeros();
        HALVE.backward(Backward {
            params: &[],
            x: &x,
            y: &y,
            cache: &mut picks,
            dy: &dy,
            grads: &mut [],
            dx: Some(&mut dx),
        });
        let (mut ys, mut dxs) = ([0.0; 8], [0.0; 32]);
        ys.copy_from_slice(y.as_slice());
        dxs.copy_from_slice(dx.as_slice());
        (ys, dxs)
    }

    #[test]
    fn ties_send_the_gradient_to_the_first_maximum_in_row_major_order() {
        let mut x = [0.0; 32];
        // Window (0, 0) of channel 0: all four equal. Window (0, 1): a tie on its bottom row.
        x[..4].copy_from_slice(&[1.0, 1.0, 2.0, 0.5]);
        x[4..8].copy_from_slice(&[1.0, 1.0, 3.0, 3.0]);
        let (y, dx) = pool_and_backward(x);
        assert_eq!(y[..2], [1.0, 3.0]);
        assert_eq!(dx[..8], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0]);
        // All-zero windows elsewhere: the top-left input of each gets the gradient.
        assert_eq!((dx[8], dx[10], dx[16]), (3.0, 4.0, 5.0));
    }

    #[test]
    fn nan_wins_and_infinities_are_values() {
        let mut x = [0.0; 32];
        x[..2].copy_from_slice(&[f64::INFINITY, f64::NAN]);
        x[2..4].copy_from_slice(&[f64::NEG_INFINITY, f64::NEG_INFINITY]);
        x[6..8].copy_from_slice(&[f64::NEG_INFINITY, f64::NEG_INFINITY]);
        let (y, dx) = pool_and_backward(x);
        assert!(y[0].is_nan());
        assert_eq!(y[1], f64::NEG_INFINITY);
        assert_eq!((dx[1], dx[0], dx[2]), (1.0, 0.0, 2.0));
    }

    #[test]
    fn geometry_and_display() {
        assert_eq!(HALVE.to_string(), "max_pool2d [2, 4, 4] → [2, 2, 2]");
        assert_eq!(OVERLAP.geometry().output(), Some([2, 3, 3]));
    }

    #[test]
    #[should_panic(expected = "output width is not C·OH·OW")]
    fn new_rejects_widths_that_disagree_with_the_geometry() {
        let geometry = core::hint::black_box(Pool2dGeometry::new([2, 4, 4], [2, 2]));
        let _ = MaxPool2d::<U32, U16>::new(geometry);
    }
}
