//! 2-D max pooling over `[C, H, W]` rows: each output is the largest input of its window.

use super::spatial::{write_shapes, Plane, Pool2dGeometry};
use super::{Backward, Forward, Layer};
use crate::mode::Mode;
use crate::{Matrix, Scalar};
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
    /// # Panics
    /// If the geometry is invalid ([`Pool2dGeometry::check`]) or disagrees with `I` or `O`;
    /// in a constant, as the network macro builds layers, that is a compile error.
    pub const fn new(geometry: Pool2dGeometry) -> Self {
        geometry.assert_widths(I::USIZE, O::USIZE);
        MaxPool2d {
            geometry,
            widths: PhantomData,
        }
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
        let plane = self.geometry.plane();
        let output = [plane.channels, plane.h.out, plane.w.out];
        write_shapes(f, "max_pool2d", self.geometry.input, output)
    }
}

/// The index, within its channel, of the first largest input of window (`oh`, `ow`), or of
/// its last NaN (PyTorch's rule: a value wins when it is greater or NaN).
#[inline]
fn window_max<T: Scalar>(plane: &Plane, channel: &[T], oh: usize, ow: usize) -> usize {
    let (h, w) = (plane.h, plane.w);
    let (mut best, mut max) = (usize::MAX, T::from_f64(f64::NEG_INFINITY));
    for i in 0..h.kernel {
        if !h.inside(i).contains(&oh) {
            continue;
        }
        let row = h.input(oh, i) * w.size;
        for j in 0..w.kernel {
            if !w.inside(j).contains(&ow) {
                continue;
            }
            let at = row + w.input(ow, j);
            let v = channel[at];
            if best == usize::MAX || v > max || v.is_nan() {
                (best, max) = (at, v);
            }
        }
    }
    best
}

impl<T: Scalar, I: ArrayLength, O: ArrayLength> Layer<T> for MaxPool2d<I, O> {
    type Input = I;
    type Output = O;
    type Params = [T; 0];
    type Buffers = [T; 0];
    type Cache<B: ArrayLength> = [T; 0];

    fn init<R: Rng + ?Sized>(&self, _: &mut [T; 0], _: &mut [T; 0], _: &mut R) {}

    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        self.infer(io.params, io.buffers, io.x, io.y);
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

    /// Each window's gradient goes to the input its forward pass picked, found again in `x`.
    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        let Some(dx) = io.dx else { return };
        let plane = self.geometry.plane();
        let (inputs, outputs) = (plane.input_area(), plane.output_area());
        let rows = io.x.rows().iter().zip(io.dy.rows()).zip(dx.rows_mut());
        for ((x, dy), dx) in rows {
            dx.fill(T::ZERO);
            let channels = x.chunks_exact(inputs).zip(dx.chunks_exact_mut(inputs));
            for ((channel, dx), dy) in channels.zip(dy.chunks_exact(outputs)) {
                for (oh, dy) in dy.chunks_exact(plane.w.out).enumerate() {
                    for (ow, &d) in dy.iter().enumerate() {
                        dx[window_max(&plane, channel, oh, ow)] += d;
                    }
                }
            }
        }
    }
}
