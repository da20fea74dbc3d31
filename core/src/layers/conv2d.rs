//! 2-D convolution over `[C, H, W]` rows: y = W ⋆ x + b, by im2col into the matrix products.

use super::spatial::{too_large, width_problem, write_shapes, zero, Axis, Plane, Problem};
use super::{Backward, Forward, Layer};
use crate::error::InvalidHyperParameter;
use crate::gemm::{gemm, Operand, Strides};
use crate::init::Init;
use crate::matrix::Matrix;
use crate::mode::Mode;
use crate::scalar::Scalar;
use crate::tensors::{Role, Shape, TensorInfo, Tensors};
use core::fmt;
use core::marker::PhantomData;
use generic_array::{ArrayLength, GenericArray};
use rand::Rng;

/// The shapes of a convolution: PyTorch's `Conv2d` arguments for one input shape.
///
/// ```
/// use typenet_core::layers::Conv2dGeometry;
/// let conv = Conv2dGeometry::new([1, 28, 28], 8, [5, 5]);
/// assert_eq!(conv.output(), Some([8, 24, 24]));
/// let padded = Conv2dGeometry { padding: [2, 2], ..conv };
/// assert_eq!(padded.output(), Some([8, 28, 28]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    /// The input's shape, `[C, H, W]`.
    pub input: [usize; 3],
    /// The output channels, OC.
    pub out_channels: usize,
    /// The kernel, `[KH, KW]`.
    pub kernel: [usize; 2],
    /// The step between windows, `[SH, SW]` (PyTorch's default: 1).
    pub stride: [usize; 2],
    /// Zero padding on both sides, `[PH, PW]` (PyTorch's default: 0).
    pub padding: [usize; 2],
}

impl Conv2dGeometry {
    /// A convolution with PyTorch's defaults: stride 1, no padding.
    pub const fn new(input: [usize; 3], out_channels: usize, kernel: [usize; 2]) -> Self {
        Conv2dGeometry {
            input,
            out_channels,
            kernel,
            stride: [1, 1],
            padding: [0, 0],
        }
    }

    /// The output's shape `[OC, OH, OW]`, OH = (H + 2·PH − KH)/SH + 1 floored as in PyTorch
    /// (OW alike); `None` when the geometry is invalid (see [`check`](Conv2dGeometry::check)).
    pub const fn output(&self) -> Option<[usize; 3]> {
        if self.check().is_err() {
            return None;
        }
        let plane = self.plane();
        Some([self.out_channels, plane.h.out, plane.w.out])
    }

    /// Whether the convolution fits: every size, channel count, kernel and stride at least
    /// 1, and the kernel no larger than the padded input. The error names the first number
    /// that is wrong.
    ///
    /// ```
    /// use typenet_core::layers::Conv2dGeometry;
    /// let err = Conv2dGeometry::new([1, 4, 4], 2, [5, 3]).check().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid conv2d kernel: 5 (expected at most the input size plus twice the padding)"
    /// );
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
            zero("conv2d input size", c * h * w, CONV_ZERO),
            zero("conv2d out_channels", self.out_channels, CONV_ZERO),
            zero("conv2d kernel", kh * kw, CONV_ZERO),
            zero("conv2d stride", sh * sw, CONV_ZERO),
            too_large("conv2d kernel", kh, h, ph, CONV_LARGE),
            too_large("conv2d kernel", kw, w, pw, CONV_LARGE),
        ])
    }

    /// The patch length C·KH·KW: the fan-in of each output.
    pub const fn patch_len(&self) -> usize {
        self.input[0] * self.kernel[0] * self.kernel[1]
    }

    pub(crate) const fn plane(&self) -> Plane {
        Plane::new(self.input, self.kernel, self.stride, self.padding)
    }
}

const CONV_ZERO: &str = "convolution sizes, channels, kernels and strides must be at least 1";
const CONV_LARGE: &str = "a convolution's kernel must not be larger than its padded input";

/// A 2-D convolution, as `conv2d(out_channels, kernel = 5, stride = 1, padding = 2)` in
/// `network!`, like PyTorch's `nn.Conv2d` (zero padding, no dilation, no groups).
///
/// A row is a `[C, H, W]` input flattened in PyTorch's order (channel, then row, then
/// column), and so is the `[OC, OH, OW]` output. The weight is stored `[OC, C, KH, KW]` like
/// PyTorch's, so weights are exchanged without reordering.
///
/// Training passes copy each row's patches into the layer's cache (im2col) and multiply
/// them with the weight matrix, so that they run on the matrix product's fast kernels;
/// evaluation and [`infer`](Layer::infer) run a direct loop that needs no scratch.
///
/// # Type parameters
/// Widths as typenum numbers, all determined by the [`Conv2dGeometry`] (the network macro
/// computes them; [`new`](Conv2d::new) checks them): `I` = C·H·W inputs, `O` = OC·OH·OW
/// outputs, `OC` output channels, `K` = C·KH·KW values per patch, `P` = OH·OW output
/// positions; and the kernel `KH`×`KW` as numbers, since the weight's shape is part of its
/// type.
///
/// ```
/// use typenet_core::layers::{Conv2d, Conv2dGeometry, Conv2dParams, Layer};
/// use typenet_core::{Flat, Init, Matrix, dim::{U1, U4, U8, U9}};
/// // One 3×3 input channel, two 2×2 kernels: 2 channels of 2×2 outputs.
/// const CONV: Conv2d<U9, U8, typenet_core::dim::U2, U4, U4, 2, 2> =
///     Conv2d::new(Conv2dGeometry::new([1, 3, 3], 2, [2, 2]), Init::He);
/// let mut params = Conv2dParams::<_, _, 2, 2, f64>::zeroed();
/// params.weight = Matrix::from_fn(|o, k| if o == 0 { 1.0 } else { [1., 0., 0., -1.][k] });
/// params.bias.copy_from_slice(&[0.5, 0.0]);
/// let x = Matrix::<U1, U9, f64>::from_fn(|_, i| i as f64);
/// let mut y = Matrix::zeros();
/// CONV.infer(&params, &[], &x, &mut y);
/// // Channel 0 sums each window (+0.5); channel 1 is top-left minus bottom-right.
/// assert_eq!(y.as_slice(), &[8.5, 12.5, 20.5, 24.5, -4., -4., -4., -4.]);
/// ```
pub struct Conv2d<I, O, OC, K, P, const KH: usize, const KW: usize> {
    /// How the weights are drawn (fan-in C·KH·KW, fan-out OC·KH·KW).
    pub init: Init,
    geometry: Conv2dGeometry,
    widths: PhantomData<(I, O, OC, K, P)>,
}

impl<I, O, OC, K, P, const KH: usize, const KW: usize> Conv2d<I, O, OC, K, P, KH, KW>
where
    I: ArrayLength,
    O: ArrayLength,
    OC: ArrayLength,
    K: ArrayLength,
    P: ArrayLength,
{
    /// A convolution of `geometry` whose weights are drawn with `init`.
    ///
    /// The constant form, which the `network!` macro uses with a geometry it has checked; at
    /// run time, use [`try_new`](Conv2d::try_new), which returns an error instead.
    ///
    /// # Panics
    /// If the geometry is invalid ([`Conv2dGeometry::check`]) or disagrees with one of the
    /// type's widths; in a constant, that is a compile error.
    pub const fn new(geometry: Conv2dGeometry, init: Init) -> Self {
        Problem::assert_none(&[Self::problem(&geometry)]);
        Conv2d {
            init,
            geometry,
            widths: PhantomData,
        }
    }

    /// [`new`](Conv2d::new), or an error naming the first number that is wrong.
    ///
    /// ```
    /// use typenet_core::layers::{Conv2d, Conv2dGeometry};
    /// use typenet_core::{Init, dim::{U2, U4, U9, U16, U18}};
    /// type Conv = Conv2d<U16, U18, U2, U4, U9, 2, 2>;
    /// assert!(Conv::try_new(Conv2dGeometry::new([1, 4, 4], 2, [2, 2]), Init::He).is_ok());
    /// let three = Conv2dGeometry::new([1, 4, 4], 3, [2, 2]);
    /// assert_eq!(Conv::try_new(three, Init::He).unwrap_err().name, "conv2d output channels OC");
    /// ```
    pub fn try_new(geometry: Conv2dGeometry, init: Init) -> Result<Self, InvalidHyperParameter> {
        match Self::problem(&geometry) {
            Some(problem) => Err(problem.error),
            None => Ok(Self::new(geometry, init)),
        }
    }

    /// The geometry's first problem, or the first width of the type it disagrees with.
    const fn problem(geometry: &Conv2dGeometry) -> Option<Problem> {
        if let Some(problem) = geometry.problem() {
            return Some(problem);
        }
        let [c, h, w] = geometry.input;
        let positions = geometry.plane().output_area();
        Problem::first(&[
            width_problem(
                "conv2d input width I",
                I::USIZE,
                c * h * w,
                "Conv2d: I must be C·H·W",
            ),
            width_problem(
                "conv2d output channels OC",
                OC::USIZE,
                geometry.out_channels,
                "Conv2d: OC must be the output channels",
            ),
            width_problem(
                "conv2d kernel height KH",
                KH,
                geometry.kernel[0],
                "Conv2d: KH×KW must be the kernel",
            ),
            width_problem(
                "conv2d kernel width KW",
                KW,
                geometry.kernel[1],
                "Conv2d: KH×KW must be the kernel",
            ),
            width_problem(
                "conv2d patch K",
                K::USIZE,
                geometry.patch_len(),
                "Conv2d: K must be C·KH·KW",
            ),
            width_problem(
                "conv2d positions P",
                P::USIZE,
                positions,
                "Conv2d: P must be OH·OW",
            ),
            width_problem(
                "conv2d output width O",
                O::USIZE,
                geometry.out_channels * positions,
                "Conv2d: O must be OC·OH·OW",
            ),
        ])
    }

    /// The shapes it was built with.
    pub const fn geometry(&self) -> Conv2dGeometry {
        self.geometry
    }
}

impl<I, O, OC, K, P, const KH: usize, const KW: usize> Clone for Conv2d<I, O, OC, K, P, KH, KW> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I, O, OC, K, P, const KH: usize, const KW: usize> Copy for Conv2d<I, O, OC, K, P, KH, KW> {}

impl<I, O, OC, K, P, const KH: usize, const KW: usize> fmt::Debug
    for Conv2d<I, O, OC, K, P, KH, KW>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conv2d")
            .field("init", &self.init)
            .field("geometry", &self.geometry)
            .finish()
    }
}

impl<I, O, OC, K, P, const KH: usize, const KW: usize> fmt::Display
    for Conv2d<I, O, OC, K, P, KH, KW>
{
    /// `conv2d [1, 28, 28] → [8, 28, 28]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.geometry;
        let plane = g.plane();
        write_shapes(
            f,
            "conv2d",
            g.input,
            [g.out_channels, plane.h.out, plane.w.out],
        )
    }
}

crate::flat_struct! { @core
    /// The parameters of a [`Conv2d`] layer: `OC` kernels of `K` = C·KH·KW values and `OC`
    /// biases.
    ///
    /// ```
    /// use typenet_core::{layers::Conv2dParams, tensors::Tensors, dim::{U8, U25}};
    /// let weight = Conv2dParams::<U8, U25, 5, 5, f32>::tensor_info("weight").unwrap();
    /// assert_eq!((weight.shape.dims(), weight.range()), (&[8, 1, 5, 5][..], 0..200));
    /// ```
    pub struct Conv2dParams[OC: ArrayLength, K: ArrayLength, const KH: usize, const KW: usize, T = f32][OC: ArrayLength, K: ArrayLength, const KH: usize, const KW: usize, T: Scalar][OC, K, KH, KW, T] (T, (OC, K)) {
        /// W, `OC`×`K`: PyTorch's `weight` `[OC, C, KH, KW]`, row-major.
        pub weight: Matrix<OC, K, T>,
        /// b, `OC` values (`bias` in PyTorch).
        pub bias: GenericArray<T, OC>,
    }
}

impl<OC: ArrayLength, K: ArrayLength, const KH: usize, const KW: usize, T: Scalar> Tensors<T>
    for Conv2dParams<OC, K, KH, KW, T>
{
    fn visit_tensors(visit: &mut dyn FnMut(TensorInfo)) {
        let channels = K::USIZE.checked_div(KH * KW).unwrap_or(0);
        let shape = Shape::rank4([OC::USIZE, channels, KH, KW]);
        visit(TensorInfo::new("weight", Role::Weight, shape, 0));
        let bias = Shape::vector(OC::USIZE);
        visit(TensorInfo::new(
            "bias",
            Role::Bias,
            bias,
            OC::USIZE * K::USIZE,
        ));
    }
}

impl<T, I, O, OC, K, P, const KH: usize, const KW: usize> Layer<T>
    for Conv2d<I, O, OC, K, P, KH, KW>
where
    T: Scalar,
    I: ArrayLength,
    O: ArrayLength,
    OC: ArrayLength,
    K: ArrayLength,
    P: ArrayLength,
{
    type Input = I;
    type Output = O;
    type Params = Conv2dParams<OC, K, KH, KW, T>;
    type Buffers = [T; 0];
    /// One row's patches (im2col), rebuilt for every row: its size does not grow with the
    /// batch.
    type Cache<B: ArrayLength> = Matrix<K, P, T>;

    /// Draws the weights with the layer's initializer (fan-in C·KH·KW, fan-out OC·KH·KW,
    /// as PyTorch counts them); biases start at zero, as for dense layers.
    fn init<R: Rng + ?Sized>(&self, params: &mut Self::Params, _: &mut [T; 0], rng: &mut R) {
        let fan_out = OC::USIZE * KH * KW;
        self.init
            .fill(params.weight.as_mut_slice(), K::USIZE, fan_out, rng);
        params.bias.fill(T::ZERO);
    }

    /// In training, each row's patches are copied into the cache and multiplied by the
    /// weights; in evaluation, [`infer`](Layer::infer) runs, so the two agree bit for bit.
    fn forward<B: ArrayLength, M: Mode>(&self, io: Forward<'_, Self, B, T>, _: &mut M) {
        if !M::TRAINING {
            return self.infer(io.params, io.buffers, io.x, io.y);
        }
        let plane = self.geometry.plane();
        let (col, weight) = (io.cache, &io.params.weight);
        for (x, y) in io.x.rows().iter().zip(io.y.rows_mut()) {
            plane.im2col(x, col.as_mut_slice());
            fill_channels(y, &io.params.bias);
            // y (OC×P) += W (OC×K) · col (K×P)
            gemm(
                (OC::USIZE, K::USIZE, P::USIZE),
                T::ONE,
                row_major(weight.as_slice(), K::USIZE),
                row_major(col.as_slice(), P::USIZE),
                T::ONE,
                y,
            );
        }
    }

    /// A direct loop that needs no scratch: for each output channel, input channel, kernel
    /// row and output row, the kernel row slides along the input row. Each output adds its
    /// terms in the order of the patch (c, i, j).
    fn infer<B: ArrayLength>(
        &self,
        params: &Self::Params,
        _: &[T; 0],
        x: &Matrix<B, I, T>,
        y: &mut Matrix<B, O, T>,
    ) {
        let plane = self.geometry.plane();
        let (h, w) = (plane.h, plane.w);
        for (x, y) in x.rows().iter().zip(y.rows_mut()) {
            fill_channels(y, &params.bias);
            let kernels = params.weight.rows().iter();
            for (out, kernel) in y.chunks_exact_mut(P::USIZE).zip(kernels) {
                let channels = x.chunks_exact(plane.input_area());
                for (channel, kernel) in channels.zip(kernel.chunks_exact(KH * KW)) {
                    for (i, taps) in kernel.chunks_exact(KW).enumerate() {
                        let taps: &[T; KW] = taps.try_into().expect("a kernel row");
                        for oh in h.inside(i) {
                            let src = &channel[h.input(oh, i) * w.size..][..w.size];
                            let dst = &mut out[oh * w.out..][..w.out];
                            slide_row(&w, taps, src, dst);
                        }
                    }
                }
            }
        }
    }

    /// Row by row: rebuilds the row's patches in the cache for dL/dW = Σ dy·colᵀ, then
    /// overwrites them with dL/dcol = Wᵀ·dy and adds those back to the inputs (col2im).
    fn backward<B: ArrayLength>(&self, io: Backward<'_, Self, B, T>) {
        let plane = self.geometry.plane();
        let (col, params, grads) = (io.cache, io.params, io.grads);
        let mut dx_rows = io.dx.map(|dx| dx.rows_mut().iter_mut());
        grads.bias.fill(T::ZERO);
        if B::USIZE == 0 {
            // No row overwrites the weights' gradient below.
            grads.weight.fill(T::ZERO);
        }
        for (b, (x, dy)) in io.x.rows().iter().zip(io.dy.rows()).enumerate() {
            plane.im2col(x, col.as_mut_slice());
            // dL/dW (OC×K) += dy (OC×P) · colᵀ (P×K); the first row overwrites.
            let beta = if b == 0 { T::ZERO } else { T::ONE };
            gemm(
                (OC::USIZE, P::USIZE, K::USIZE),
                T::ONE,
                row_major(dy, P::USIZE),
                transposed(col.as_slice(), P::USIZE),
                beta,
                grads.weight.as_mut_slice(),
            );
            // dL/db = Σ over rows and positions of dy
            for (g, dy) in grads.bias.iter_mut().zip(dy.chunks_exact(P::USIZE)) {
                *g += dy.iter().fold(T::ZERO, |s, &d| s + d);
            }
            let Some(dx) = dx_rows.as_mut().and_then(|rows| rows.next()) else {
                continue;
            };
            // dL/dcol (K×P) = Wᵀ (K×OC) · dy (OC×P), then back to the inputs
            gemm(
                (K::USIZE, OC::USIZE, P::USIZE),
                T::ONE,
                transposed(params.weight.as_slice(), K::USIZE),
                row_major(dy, P::USIZE),
                T::ZERO,
                col.as_mut_slice(),
            );
            dx.fill(T::ZERO);
            plane.col2im_add(col.as_slice(), dx);
        }
    }
}

/// A row-major operand with `cols` columns.
fn row_major<T>(data: &[T], cols: usize) -> Operand<'_, T> {
    Operand {
        data,
        strides: Strides::row_major(cols),
    }
}

/// The transpose of a row-major matrix with `cols` columns.
fn transposed<T>(data: &[T], cols: usize) -> Operand<'_, T> {
    Operand {
        data,
        strides: Strides::transposed(cols),
    }
}

/// Sets each channel of the output row `y` to its bias.
fn fill_channels<T: Scalar>(y: &mut [T], bias: &[T]) {
    let area = y.len() / bias.len().max(1);
    for (channel, &b) in y.chunks_exact_mut(area.max(1)).zip(bias) {
        channel.fill(b);
    }
}

/// `dst[o] += Σ_j taps[j] · src[o·stride + j − padding]` over the taps inside `src`, in
/// order of `j`, for one output row `dst` of axis `w`.
#[inline]
fn slide_row<T: Scalar, const KW: usize>(w: &Axis, taps: &[T; KW], src: &[T], dst: &mut [T]) {
    if w.stride != 1 {
        return slide_row_strided(w, taps, src, dst);
    }
    // With stride 1, output o reads src[o − padding ..][..KW]: every tap is inside for o in
    // [padding, size + padding − KW], where the loop over the taps unrolls and the outputs
    // vectorize; the outputs at the edges skip the taps in the padding.
    let first = w.padding.min(dst.len());
    let end = (w.size + w.padding + 1)
        .saturating_sub(KW)
        .clamp(first, dst.len());
    for (o, d) in dst.iter_mut().enumerate() {
        if o == first && first < end {
            break;
        }
        *d = edge_output(w.padding, taps, src, o, *d);
    }
    if first < end {
        let src = &src[first - w.padding..];
        for (k, d) in dst[first..end].iter_mut().enumerate() {
            let window: &[T; KW] = src[k..k + KW].try_into().expect("KW inputs");
            let mut acc = *d;
            for (&t, &v) in taps.iter().zip(window) {
                acc += t * v;
            }
            *d = acc;
        }
    }
    for (o, d) in dst.iter_mut().enumerate().skip(end.max(first)) {
        *d = edge_output(w.padding, taps, src, o, *d);
    }
}

/// Output `o` of a stride-1 row near an edge: `acc` plus the taps that are inside `src`.
#[inline]
fn edge_output<T: Scalar, const KW: usize>(
    padding: usize,
    taps: &[T; KW],
    src: &[T],
    o: usize,
    mut acc: T,
) -> T {
    for (j, &t) in taps.iter().enumerate() {
        if let Some(&v) = (o + j).checked_sub(padding).and_then(|at| src.get(at)) {
            acc += t * v;
        }
    }
    acc
}

/// [`slide_row`] for any stride: tap by tap, over the outputs it reaches inside `src`.
fn slide_row_strided<T: Scalar, const KW: usize>(
    w: &Axis,
    taps: &[T; KW],
    src: &[T],
    dst: &mut [T],
) {
    for (o, d) in dst.iter_mut().enumerate() {
        let mut acc = *d;
        for (j, &t) in taps.iter().enumerate() {
            if w.inside(j).contains(&o) {
                acc += t * src[w.input(o, j)];
            }
        }
        *d = acc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::error::Number;
    use crate::flat::Flat;
    use crate::gradcheck::test_weights;
    use crate::layers::tests::{assert_infer_is_eval_forward, check_layer_backward, train_forward};
    use rand::{rngs::StdRng, SeedableRng};
    use std::string::ToString;

    /// 2×5×5 → 8×5×5: kernel 3, padding 1 (PyTorch's "same"); 8 channels so that the
    /// products are large enough for matrixmultiply.
    const SAME: Conv2d<U50, U200, U8, U18, U25, 3, 3> = Conv2d::new(
        Conv2dGeometry {
            padding: [1, 1],
            ..Conv2dGeometry::new([2, 5, 5], 8, [3, 3])
        },
        Init::He,
    );
    /// 2×6×5 → 2×3×4: a 3×2 kernel, stride (2, 1), padding (1, 0).
    const STRIDED: Conv2d<U60, U24, U2, U12, U12, 3, 2> = Conv2d::new(
        Conv2dGeometry {
            input: [2, 6, 5],
            out_channels: 2,
            kernel: [3, 2],
            stride: [2, 1],
            padding: [1, 0],
        },
        Init::LeCun,
    );
    /// 1×7×7 → 2×3×3: kernel 3, stride 2, no padding (the last column is never read).
    const VALID: Conv2d<U49, U18, U2, U9, U9, 3, 3> = Conv2d::new(
        Conv2dGeometry {
            stride: [2, 2],
            ..Conv2dGeometry::new([1, 7, 7], 2, [3, 3])
        },
        Init::Xavier,
    );
    /// 1×4×4 → 2×3×3: kernel 2, stride 3, padding 2, so that some windows see only padding.
    const SPARSE: Conv2d<U16, U18, U2, U4, U9, 2, 2> = Conv2d::new(
        Conv2dGeometry {
            stride: [3, 3],
            padding: [2, 2],
            ..Conv2dGeometry::new([1, 4, 4], 2, [2, 2])
        },
        Init::He,
    );

    fn params<OC: ArrayLength, K: ArrayLength, const KH: usize, const KW: usize>(
        seed: u64,
    ) -> Conv2dParams<OC, K, KH, KW, f64> {
        test_weights(seed)
    }

    /// Checks the backward pass of `conv` on a batch of 3 rows, and that training (im2col and
    /// the product) and evaluation (the direct loop) agree.
    fn check<I, O, OC, K, P, const KH: usize, const KW: usize>(
        conv: Conv2d<I, O, OC, K, P, KH, KW>,
        seed: u64,
    ) where
        I: ArrayLength,
        O: ArrayLength,
        OC: ArrayLength,
        K: ArrayLength,
        P: ArrayLength,
    {
        let mut params = params::<OC, K, KH, KW>(seed);
        let mut x: Matrix<U3, I, f64> = test_weights(seed + 1);
        let (checked_params, checked_x) =
            check_layer_backward(conv, &mut params, &[], &mut x, seed + 2);
        assert_eq!(
            (checked_params, checked_x),
            (OC::USIZE * (K::USIZE + 1), 3 * I::USIZE)
        );
        let eval = assert_infer_is_eval_forward(conv, &params, &[], &x);
        let (train, _) = train_forward(conv, (&params, &[]), &x);
        for (a, b) in train.as_slice().iter().zip(eval.as_slice()) {
            assert!(
                (a - b).abs() < 1e-13,
                "{conv}: training {a}, evaluation {b}"
            );
        }
    }

    #[test]
    fn backward_matches_finite_differences_for_every_stride_and_padding() {
        check(SAME, 1);
        check(STRIDED, 2);
        check(VALID, 3);
        check(SPARSE, 4);
    }

    #[test]
    fn a_window_of_padding_gives_the_bias() {
        let params = params::<U2, U4, 2, 2>(5);
        let x: Matrix<U1, U16, f64> = test_weights(6);
        let mut y = Matrix::zeros();
        SPARSE.infer(&params, &[], &x, &mut y);
        // Window (0, 0) covers rows and columns −2 and −1.
        assert_eq!((y[(0, 0)], y[(0, 9)]), (params.bias[0], params.bias[1]));
        // Window (1, 1) covers rows and columns 1 and 2.
        let by_hand = params.bias[1]
            + (0..4)
                .map(|k| params.weight[(1, k)] * x[(0, (1 + k / 2) * 4 + 1 + k % 2)])
                .sum::<f64>();
        assert!((y[(0, 9 + 4)] - by_hand).abs() < 1e-15);
    }

    #[test]
    fn init_draws_with_the_fan_in_of_a_patch_and_zeroes_biases() {
        let mut params = Conv2dParams::<U8, U18, 3, 3, f64>::zeroed();
        params.bias.fill(1.0);
        Layer::<f64>::init(&SAME, &mut params, &mut [], &mut StdRng::seed_from_u64(3));
        let mut expected = [0.0f64; 8 * 18];
        Init::He.fill(&mut expected, 18, 72, &mut StdRng::seed_from_u64(3));
        assert_eq!(params.weight.as_slice(), &expected);
        assert!(params.bias.iter().all(|&b| b == 0.0));
    }

    #[test]
    fn tensors_have_pytorch_names_and_shapes() {
        type Params = Conv2dParams<U2, U12, 3, 2, f32>;
        let weight = Params::tensor_info("weight").unwrap();
        assert_eq!(
            (weight.role, weight.shape.dims(), weight.range()),
            (Role::Weight, &[2, 2, 3, 2][..], 0..24)
        );
        let bias = Params::tensor_info("bias").unwrap();
        assert_eq!(
            (bias.role, bias.shape.dims(), bias.range()),
            (Role::Bias, &[2][..], 24..26)
        );
        assert_eq!(Params::LEN, 26);
        assert_eq!(STRIDED.to_string(), "conv2d [2, 6, 5] → [2, 3, 4]");
        assert_eq!(STRIDED.geometry().output(), Some([2, 3, 4]));
    }

    /// What a network keeps for the layer in training (and so what the memory figures count):
    /// the output and its gradient per row, and one row's patches whatever the batch.
    #[test]
    fn the_cache_holds_one_row_of_patches() {
        type Cache<B> = crate::layers::LayerCache<Conv2d<U50, U200, U8, U18, U25, 3, 3>, B, f32>;
        assert_eq!(<Cache<U1> as Flat<f32>>::LEN, 2 * 200 + 18 * 25);
        assert_eq!(<Cache<U64> as Flat<f32>>::LEN, 2 * 64 * 200 + 18 * 25);
    }

    #[test]
    fn geometry_checks() {
        let conv = Conv2dGeometry::new([1, 4, 4], 2, [5, 5]);
        let err = conv.check().unwrap_err();
        assert_eq!((err.name, err.value), ("conv2d kernel", Number::Integer(5)));
        assert_eq!(
            Conv2dGeometry {
                padding: [1, 1],
                ..conv
            }
            .output(),
            Some([2, 2, 2])
        );
        let no_stride = Conv2dGeometry {
            stride: [1, 0],
            ..conv
        };
        let err = no_stride.check().unwrap_err();
        assert_eq!((err.name, err.expected), ("conv2d stride", "at least 1"));
        assert!(Conv2dGeometry::new([0, 4, 4], 2, [1, 1]).output().is_none());
        assert!(Conv2dGeometry::new([1, 4, 4], 0, [1, 1]).output().is_none());
    }

    #[test]
    #[should_panic(expected = "Conv2d: P must be OH·OW")]
    fn new_rejects_widths_that_disagree_with_the_geometry() {
        // Stride 2 gives 2×2 positions, not the type's 9.
        let geometry = Conv2dGeometry {
            stride: [2, 2],
            ..Conv2dGeometry::new([1, 4, 4], 2, [2, 2])
        };
        let geometry = core::hint::black_box(geometry);
        let _ = Conv2d::<U16, U18, U2, U4, U9, 2, 2>::new(geometry, Init::He);
    }
}
