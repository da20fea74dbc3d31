//! What convolutions and pooling share: the arithmetic of a window sliding over one axis, the
//! geometry of pooling, and the im2col copies between a `[C, H, W]` row and its patches.

use crate::error::{InvalidHyperParameter, Number};
use crate::scalar::Scalar;
use core::fmt;
use core::ops::Range;

/// The number of positions of a window of `kernel` sliding by `stride` over `size` values
/// padded by `padding` on both sides: (size + 2·padding − kernel)/stride + 1, floored as
/// PyTorch does; `None` when the window is larger than the padded input or a number is 0.
pub(crate) const fn positions(
    size: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
) -> Option<usize> {
    let padded = size + 2 * padding;
    if size == 0 || kernel == 0 || stride == 0 || kernel > padded {
        None
    } else {
        Some((padded - kernel) / stride + 1)
    }
}

/// What is wrong with a layer's geometry: the error its `try_new` returns, and the message
/// its `new` panics with (a compile error in a constant).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Problem {
    pub error: InvalidHyperParameter,
    pub message: &'static str,
}

impl Problem {
    /// `value` of `name`, which should be `expected`; `message` says it in a sentence.
    pub const fn new(
        name: &'static str,
        value: usize,
        expected: &'static str,
        message: &'static str,
    ) -> Self {
        let error = InvalidHyperParameter {
            name,
            value: Number::Integer(value as u64),
            expected,
        };
        Problem { error, message }
    }

    /// The first problem of `checks`, in order.
    pub const fn first(checks: &[Option<Problem>]) -> Option<Problem> {
        let mut i = 0;
        while i < checks.len() {
            if let Some(problem) = checks[i] {
                return Some(problem);
            }
            i += 1;
        }
        None
    }

    /// Panics with the message of the first of `checks`, if any.
    pub const fn assert_none(checks: &[Option<Problem>]) {
        if let Some(problem) = Problem::first(checks) {
            panic!("{}", problem.message);
        }
    }
}

/// A problem when `found` differs from `width`, the layer's typenum width named `name`.
pub(crate) const fn width_problem(
    name: &'static str,
    width: usize,
    found: usize,
    message: &'static str,
) -> Option<Problem> {
    if width == found {
        None
    } else {
        Some(Problem::new(
            name,
            width,
            "the number its geometry gives",
            message,
        ))
    }
}

/// One axis of a window sliding over a padded input: `size` inputs, `out` positions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Axis {
    pub size: usize,
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    pub out: usize,
}

impl Axis {
    /// The axis, with no positions when the window does not fit.
    pub const fn new(size: usize, kernel: usize, stride: usize, padding: usize) -> Self {
        let out = match positions(size, kernel, stride, padding) {
            Some(n) => n,
            None => 0,
        };
        Axis {
            size,
            kernel,
            stride,
            padding,
            out,
        }
    }

    /// The positions `o` whose window's element `k` falls inside the input, that is
    /// 0 ≤ o·stride + k − padding < size.
    #[inline]
    pub fn inside(&self, k: usize) -> Range<usize> {
        let first = (self.padding.saturating_sub(k)).div_ceil(self.stride);
        // o·stride ≤ size − 1 + padding − k
        let end = match (self.size + self.padding).checked_sub(k + 1) {
            Some(last) => (last / self.stride + 1).min(self.out),
            None => 0,
        };
        first.min(end)..end
    }

    /// The inputs window `o` covers, padding left out.
    #[inline]
    pub fn window(&self, o: usize) -> Range<usize> {
        let start = o * self.stride;
        let end = (start + self.kernel).min(self.size + self.padding);
        start.max(self.padding) - self.padding..end.saturating_sub(self.padding)
    }

    /// The input index of element `k` of window `o` (which must be inside).
    #[inline(always)]
    pub fn input(&self, o: usize, k: usize) -> usize {
        o * self.stride + k - self.padding
    }
}

/// The two axes of a window over `[C, H, W]` rows, and the channels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plane {
    pub channels: usize,
    pub h: Axis,
    pub w: Axis,
}

impl Plane {
    /// The plane of a valid geometry (the caller checked it with [`positions`]).
    pub const fn new(
        input: [usize; 3],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Self {
        Plane {
            channels: input[0],
            h: Axis::new(input[1], kernel[0], stride[0], padding[0]),
            w: Axis::new(input[2], kernel[1], stride[1], padding[1]),
        }
    }

    /// Values per channel of the input, H·W.
    pub const fn input_area(&self) -> usize {
        self.h.size * self.w.size
    }

    /// Positions per channel of the output, OH·OW.
    pub const fn output_area(&self) -> usize {
        self.h.out * self.w.out
    }

    /// Writes the patches of one input row `x` (`[C, H, W]`) into `col`, a (C·KH·KW)×(OH·OW)
    /// row-major matrix: row (c, i, j) holds, for every output position, the input under
    /// kernel element (i, j) of channel c, or 0 in the padding.
    pub fn im2col<T: Scalar>(&self, x: &[T], col: &mut [T]) {
        let (h, w, area) = (self.h, self.w, self.output_area());
        let mut rows = col.chunks_exact_mut(area);
        for channel in x.chunks_exact(self.input_area()).take(self.channels) {
            for i in 0..h.kernel {
                for j in 0..w.kernel {
                    let Some(row) = rows.next() else { return };
                    let (oh_inside, ow_inside) = (h.inside(i), w.inside(j));
                    if ow_inside.is_empty() {
                        row.fill(T::ZERO);
                        continue;
                    }
                    let first = w.input(ow_inside.start, j);
                    for (oh, out) in row.chunks_exact_mut(w.out).enumerate() {
                        if !oh_inside.contains(&oh) {
                            out.fill(T::ZERO);
                            continue;
                        }
                        let src = &channel[h.input(oh, i) * w.size + first..];
                        // The padding at both ends, if any (without a call for nothing).
                        if ow_inside.start > 0 || ow_inside.end < out.len() {
                            out[..ow_inside.start].fill(T::ZERO);
                            out[ow_inside.end..].fill(T::ZERO);
                        }
                        let out = &mut out[ow_inside.clone()];
                        if w.stride == 1 {
                            copy_run(out, src);
                        } else {
                            let src = src.iter().step_by(w.stride);
                            out.iter_mut().zip(src).for_each(|(o, &s)| *o = s);
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of [`im2col`](Plane::im2col): adds each patch value of `col` to the input
    /// it was copied from, in `dx` (one `[C, H, W]` row). Padding receives nothing.
    pub fn col2im_add<T: Scalar>(&self, col: &[T], dx: &mut [T]) {
        let (h, w, area) = (self.h, self.w, self.output_area());
        let mut rows = col.chunks_exact(area);
        for channel in dx.chunks_exact_mut(self.input_area()).take(self.channels) {
            for i in 0..h.kernel {
                for j in 0..w.kernel {
                    let Some(row) = rows.next() else { return };
                    let ow_inside = w.inside(j);
                    if ow_inside.is_empty() {
                        continue;
                    }
                    let first = w.input(ow_inside.start, j);
                    for oh in h.inside(i) {
                        let dst = &mut channel[h.input(oh, i) * w.size + first..];
                        let src = &row[oh * w.out..][ow_inside.clone()];
                        if w.stride == 1 {
                            dst.iter_mut().zip(src).for_each(|(d, &s)| *d += s);
                        } else {
                            let dst = dst.iter_mut().step_by(w.stride);
                            dst.zip(src).for_each(|(d, &s)| *d += s);
                        }
                    }
                }
            }
        }
    }
}

/// `dst ← src[..dst.len()]`, for the short runs of im2col (an output row), where a call to
/// `memmove` costs more than the copy: eight values at a time, then one by one.
#[inline(always)]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    let src = &src[..dst.len()];
    let (mut dst8, mut src8) = (dst.chunks_exact_mut(8), src.chunks_exact(8));
    for (d, s) in (&mut dst8).zip(&mut src8) {
        let s: &[T; 8] = s.try_into().expect("chunks of 8");
        *<&mut [T; 8]>::try_from(d).expect("chunks of 8") = *s;
    }
    for (d, &s) in dst8.into_remainder().iter_mut().zip(src8.remainder()) {
        *d = s;
    }
}

/// Where a pooling window slides over `[C, H, W]` rows: PyTorch's `MaxPool2d` and
/// `AvgPool2d` arguments for one input shape.
///
/// ```
/// use typenet_core::layers::Pool2dGeometry;
/// let pool = Pool2dGeometry::new([8, 28, 28], [2, 2]);
/// assert_eq!((pool.stride, pool.padding), ([2, 2], [0, 0]));
/// assert_eq!(pool.output(), Some([8, 14, 14]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pool2dGeometry {
    /// The input's shape, `[C, H, W]`.
    pub input: [usize; 3],
    /// The window, `[KH, KW]`.
    pub kernel: [usize; 2],
    /// The step between windows, `[SH, SW]` (PyTorch's default: the kernel).
    pub stride: [usize; 2],
    /// Implicit padding on both sides, `[PH, PW]`, at most half the kernel (PyTorch's rule).
    pub padding: [usize; 2],
}

impl Pool2dGeometry {
    /// A window of `kernel` with PyTorch's defaults: stride equal to the kernel, no padding.
    pub const fn new(input: [usize; 3], kernel: [usize; 2]) -> Self {
        Pool2dGeometry {
            input,
            kernel,
            stride: kernel,
            padding: [0, 0],
        }
    }

    /// The output's shape `[C, OH, OW]`, OH = (H + 2·PH − KH)/SH + 1 floored (and OW
    /// alike); `None` when the geometry is invalid (see [`check`](Pool2dGeometry::check)).
    pub const fn output(&self) -> Option<[usize; 3]> {
        if self.check().is_err() {
            return None;
        }
        let plane = self.plane();
        Some([self.input[0], plane.h.out, plane.w.out])
    }

    /// Whether the window fits: every size, kernel and stride at least 1, padding at most
    /// half the kernel, and the window no larger than the padded input. The error names the
    /// first number that is wrong.
    ///
    /// ```
    /// use typenet_core::layers::Pool2dGeometry;
    /// let pool = Pool2dGeometry { padding: [2, 0], ..Pool2dGeometry::new([1, 4, 4], [3, 3]) };
    /// let err = pool.check().unwrap_err();
    /// assert_eq!(err.to_string(), "invalid pooling padding: 2 (expected at most half the kernel)");
    /// ```
    pub const fn check(&self) -> Result<(), InvalidHyperParameter> {
        match self.problem() {
            Some(problem) => Err(problem.error),
            None => Ok(()),
        }
    }

    const fn problem(&self) -> Option<Problem> {
        let ([c, h, w], [kh, kw], [sh, sw], [ph, pw]) =
            (self.input, self.kernel, self.stride, self.padding);
        Problem::first(&[
            zero("pooling input size", c * h * w, POOL_ZERO),
            zero("pooling kernel", kh * kw, POOL_ZERO),
            zero("pooling stride", sh * sw, POOL_ZERO),
            over_half("pooling padding", ph, kh),
            over_half("pooling padding", pw, kw),
            too_large("pooling kernel", kh, h, ph, POOL_LARGE),
            too_large("pooling kernel", kw, w, pw, POOL_LARGE),
        ])
    }

    /// The problems of the geometry against a layer's widths `I` = C·H·W and `O` = C·OH·OW.
    pub(crate) const fn problem_with(&self, input: usize, output: usize) -> Option<Problem> {
        if let Some(problem) = self.problem() {
            return Some(problem);
        }
        let [c, h, w] = self.input;
        let plane = self.plane();
        Problem::first(&[
            width_problem("pooling input width I", input, c * h * w, POOL_INPUT),
            width_problem(
                "pooling output width O",
                output,
                c * plane.output_area(),
                POOL_OUTPUT,
            ),
        ])
    }

    pub(crate) const fn plane(&self) -> Plane {
        Plane::new(self.input, self.kernel, self.stride, self.padding)
    }

    /// A pooling layer as `name [C, H, W] → [C, H′, W′]`.
    pub(crate) fn write_layer(&self, f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
        let plane = self.plane();
        let output = [plane.channels, plane.h.out, plane.w.out];
        write_shapes(f, name, self.input, output)
    }
}

const POOL_ZERO: &str = "pooling sizes, kernels and strides must be at least 1";
const POOL_LARGE: &str = "a pooling window must not be larger than its padded input";
const POOL_INPUT: &str = "the pooling layer's input width is not C·H·W of its geometry";
const POOL_OUTPUT: &str = "the pooling layer's output width is not C·OH·OW of its geometry";

/// A problem when `n` is 0.
pub(crate) const fn zero(name: &'static str, n: usize, message: &'static str) -> Option<Problem> {
    if n == 0 {
        Some(Problem::new(name, n, "at least 1", message))
    } else {
        None
    }
}

/// A problem when a pooling `padding` is more than half its `kernel` (PyTorch's rule).
const fn over_half(name: &'static str, padding: usize, kernel: usize) -> Option<Problem> {
    if 2 * padding > kernel {
        let message = "pooling padding must be at most half the kernel";
        Some(Problem::new(
            name,
            padding,
            "at most half the kernel",
            message,
        ))
    } else {
        None
    }
}

/// A problem when `kernel` is larger than `size` padded by `padding` on both sides.
pub(crate) const fn too_large(
    name: &'static str,
    kernel: usize,
    size: usize,
    padding: usize,
    message: &'static str,
) -> Option<Problem> {
    if kernel > size + 2 * padding {
        let expected = "at most the input size plus twice the padding";
        Some(Problem::new(name, kernel, expected, message))
    } else {
        None
    }
}

/// `[C, H, W]` as `name [C, H, W] → [C′, H′, W′]`.
pub(crate) fn write_shapes(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    input: [usize; 3],
    output: [usize; 3],
) -> fmt::Result {
    let [c, h, w] = input;
    let [oc, oh, ow] = output;
    write!(f, "{name} [{c}, {h}, {w}] → [{oc}, {oh}, {ow}]")
}

/// Window geometries the pooling layers' tests share.
#[cfg(test)]
pub(super) mod geometries {
    use super::Pool2dGeometry;

    /// LeNet's pooling: 2×2 windows side by side, on 2×4×4 → 2×2×2.
    pub const HALVE: Pool2dGeometry = Pool2dGeometry::new([2, 4, 4], [2, 2]);
    /// Overlapping, padded windows: kernel 3, stride 2, padding 1 on 2×5×5 → 2×3×3.
    pub const OVERLAP: Pool2dGeometry = Pool2dGeometry {
        stride: [2, 2],
        padding: [1, 1],
        ..Pool2dGeometry::new([2, 5, 5], [3, 3])
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn positions_floor_as_pytorch() {
        assert_eq!(positions(28, 5, 1, 2), Some(28));
        assert_eq!(positions(14, 5, 1, 0), Some(10));
        assert_eq!(positions(7, 2, 2, 0), Some(3)); // 7 → 3, one column left over
        assert_eq!(positions(4, 5, 1, 0), None);
        assert_eq!(positions(4, 5, 1, 1), Some(2));
        assert_eq!(positions(4, 0, 1, 0), None);
        assert_eq!(positions(4, 2, 0, 0), None);
    }

    /// `inside` against the definition, over many axes.
    #[test]
    fn inside_is_the_positions_that_read_the_input() {
        for size in 1..7 {
            for kernel in 1..5 {
                for stride in 1..4 {
                    for padding in 0..3 {
                        let Some(out) = positions(size, kernel, stride, padding) else {
                            continue;
                        };
                        let axis = Axis {
                            size,
                            kernel,
                            stride,
                            padding,
                            out,
                        };
                        for k in 0..kernel {
                            let expected: Vec<usize> = (0..out)
                                .filter(|&o| {
                                    let i = (o * stride + k) as isize - padding as isize;
                                    0 <= i && i < size as isize
                                })
                                .collect();
                            let found: Vec<usize> = axis.inside(k).collect();
                            assert_eq!(found, expected, "{axis:?} k {k}");
                        }
                        for o in 0..out {
                            let expected: Vec<usize> = (0..kernel)
                                .filter(|&k| axis.inside(k).contains(&o))
                                .map(|k| axis.input(o, k))
                                .collect();
                            let found: Vec<usize> = axis.window(o).collect();
                            assert_eq!(found, expected, "{axis:?} window {o}");
                        }
                    }
                }
            }
        }
    }

    /// im2col by hand for a 1×3×3 input, kernel 2×2, stride 1, padding 1 (4×4 outputs).
    #[test]
    fn im2col_by_hand_and_col2im_is_its_adjoint() {
        let plane = Plane::new([1, 3, 3], [2, 2], [1, 2], [1, 1]);
        assert_eq!((plane.h.out, plane.w.out), (4, 2));
        let x: Vec<f64> = (1..=9).map(f64::from).collect();
        let mut col = [0.0; 4 * 8];
        plane.im2col(&x, &mut col);
        // Kernel element (0, 0) reads x[oh − 1, 2·ow − 1].
        assert_eq!(col[..8], [0., 0., 0., 2., 0., 5., 0., 8.]);
        // Kernel element (1, 1) reads x[oh, 2·ow].
        assert_eq!(col[24..], [1., 3., 4., 6., 7., 9., 0., 0.]);
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for any c.
        let c: Vec<f64> = (0..32).map(|k| f64::from(k * 7 % 11) - 5.0).collect();
        let mut back = [0.0; 9];
        plane.col2im_add(&c, &mut back);
        let left: f64 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
        let right: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
        assert_eq!(left, right);
    }

    #[test]
    fn pool_geometry_checks() {
        let ok = Pool2dGeometry::new([2, 5, 5], [2, 2]);
        assert_eq!(ok.output(), Some([2, 2, 2]));
        let padded = Pool2dGeometry {
            padding: [1, 1],
            ..ok
        };
        assert_eq!(padded.output(), Some([2, 3, 3]));
        let too_much = Pool2dGeometry {
            padding: [2, 1],
            ..ok
        };
        let err = too_much.check().unwrap_err();
        assert_eq!(
            (err.name, err.value),
            ("pooling padding", Number::Integer(2))
        );
        let large = Pool2dGeometry::new([2, 5, 5], [6, 1]);
        let err = large.check().unwrap_err();
        assert_eq!(
            (err.name, err.value),
            ("pooling kernel", Number::Integer(6))
        );
        assert!(Pool2dGeometry::new([2, 5, 0], [1, 1]).output().is_none());
    }
}
