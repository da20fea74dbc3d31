//! Softmax cross-entropy over class-index labels, the loss of classifiers.

use super::{Classifier, Loss};
use crate::error::Error;
use crate::math::exp_for_f32;
use crate::matrix::Matrix;
use crate::scalar::Scalar;
use generic_array::{ArrayLength, GenericArray};

/// The loss `softmax_cross_entropy` of `network!`: [`softmax_cross_entropy`] of the outputs
/// (logits) against class indices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SoftmaxCrossEntropy;

impl<T: Scalar, O: ArrayLength> Loss<T, O, usize> for SoftmaxCrossEntropy {
    const CLASSIFIES: bool = true;

    fn loss<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<usize, B>,
        grad: Option<&mut Matrix<B, O, T>>,
    ) -> Result<T, Error> {
        softmax_cross_entropy(out, targets, grad)
    }

    fn row_losses<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<usize, B>,
        losses: &mut [T],
    ) {
        for ((loss, z), &label) in losses.iter_mut().zip(out.rows()).zip(targets) {
            // As in `softmax_cross_entropy`; a label out of range (which `loss` refuses)
            // gets an infinite loss rather than a panic.
            *loss = match label < O::USIZE {
                true => row_loss(z, label),
                false => T::from_f64(f64::INFINITY),
            };
        }
    }

    fn correct<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<usize, B>,
    ) -> usize {
        let predicted = argmax(out);
        predicted
            .iter()
            .zip(targets)
            .filter(|(p, t)| p == t)
            .count()
    }
}

// Not listed in the error for a regressor's `predict`: that the network's loss is not a
// classifier is the whole message.
#[diagnostic::do_not_recommend]
impl Classifier for SoftmaxCrossEntropy {}

/// softmax(z) of each row: eᶻⁱ / Σⱼ eᶻʲ, shifted by the row's maximum so that large logits
/// do not overflow. Rows sum to 1.
///
/// ```
/// use typenet_core::{loss::softmax, Matrix, dim::{U1, U2}};
/// let p = softmax(&Matrix::<U1, U2, f64>::from_fn(|_, c| [0.0, 2f64.ln()][c]));
/// assert!((p[(0, 1)] - 2.0 / 3.0).abs() < 1e-15);
/// ```
pub fn softmax<B: ArrayLength, O: ArrayLength, T: Scalar>(
    logits: &Matrix<B, O, T>,
) -> Matrix<B, O, T> {
    let mut out = log_softmax(logits);
    out.as_mut_slice().iter_mut().for_each(|v| *v = v.exp());
    out
}

/// log softmax(z) of each row: zᵢ − logsumexp(z), computed stably.
pub fn log_softmax<B: ArrayLength, O: ArrayLength, T: Scalar>(
    logits: &Matrix<B, O, T>,
) -> Matrix<B, O, T> {
    let mut out = logits.clone();
    for row in out.rows_mut() {
        let max = row.iter().fold(row[0], |m, &v| m.max_nan(v));
        let log_sum = row.iter().map(|&v| (v - max).exp()).sum::<T>().ln();
        row.iter_mut().for_each(|v| *v = (*v - max) - log_sum);
    }
    out
}

/// Mean over the batch of −log softmax(zᵦ)\[yᵦ\] for logits `z` and class labels `y`, like
/// PyTorch's `F.cross_entropy`. When `grad` is given it receives dL/dz =
/// (softmax(z) − onehot(y)) / B.
///
/// Stable for large logits (each row is shifted by its maximum). A label outside `0..O` is
/// an [`Error::LabelOutOfRange`], reported before anything is written.
///
/// ```
/// use typenet_core::{loss::softmax_cross_entropy, Matrix, dim::{U1, U2}};
/// let z = Matrix::<U1, U2, f64>::from_fn(|_, c| [0.0, 0.0][c]);
/// let loss = softmax_cross_entropy(&z, &[1].into(), None).unwrap();
/// assert!((loss - 2f64.ln()).abs() < 1e-15);
/// assert!(softmax_cross_entropy(&z, &[2].into(), None).is_err());
/// ```
pub fn softmax_cross_entropy<B: ArrayLength, O: ArrayLength, T: Scalar>(
    logits: &Matrix<B, O, T>,
    labels: &GenericArray<usize, B>,
    grad: Option<&mut Matrix<B, O, T>>,
) -> Result<T, Error> {
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= O::USIZE) {
        return Err(Error::LabelOutOfRange {
            index,
            label,
            classes: O::USIZE,
        });
    }
    let inv_batch = T::ONE / T::from_usize(B::USIZE);
    let total = match grad {
        Some(grad) => {
            let (z, g) = (logits.as_slice(), grad.as_mut_slice());
            loss_and_grad(z, O::USIZE, labels, g, inv_batch)
        }
        None => logits
            .rows()
            .iter()
            .zip(labels.iter())
            .fold(T::ZERO, |total, (z, &label)| total + row_loss(z, label)),
    };
    Ok(total * inv_batch)
}

/// The largest of a row of logits, NaN if one is.
#[inline(always)]
fn row_max<T: Scalar>(z: &[T]) -> T {
    z.iter().fold(z[0], |m, &v| m.max_nan(v))
}

/// −log softmax(z)\[y\] = logsumexp(z) − z\[y\] = (max − z\[y\]) + ln Σ exp(z − max), in that
/// order so that large logits cancel before the small logarithm is added.
#[inline(always)]
fn row_term<T: Scalar>(max: T, z_label: T, sum_exp: T) -> T {
    (max - z_label) + sum_exp.ln()
}

/// −log softmax(z)\[label\] of one row of logits `z`.
fn row_loss<T: Scalar>(z: &[T], label: usize) -> T {
    let max = row_max(z);
    let sum_exp: T = z.iter().map(|&v| exp_shifted(v - max)).sum();
    row_term(max, z[label], sum_exp)
}

crate::simd::dispatched! {
    /// Σ over the rows of `z` (`width` logits each) of −log softmax(z)\[label\] for the rows'
    /// `labels`, and s·(softmax(z) − onehot(label)) of each row in `grad`, for the scale `s`.
    /// Each exponential is taken once and kept in `grad` until its row's sum is known; all of
    /// them in one pass, so that those of different rows overlap (a row of ten logits alone
    /// left the vector units waiting on each other's results).
    fn loss_and_grad<T: Scalar>(
        z: &[T],
        width: usize,
        labels: &[usize],
        grad: &mut [T],
        scale: T,
    ) -> T {
        if width == 0 {
            return T::ZERO;
        }
        for (z, g) in z.chunks_exact(width).zip(grad.chunks_exact_mut(width)) {
            let max = row_max(z);
            for (g, &v) in g.iter_mut().zip(z) {
                *g = v - max;
            }
        }
        for g in grad.iter_mut() {
            *g = exp_shifted(*g);
        }
        let mut total = T::ZERO;
        let rows = z.chunks_exact(width).zip(labels);
        for ((z, &label), g) in rows.zip(grad.chunks_exact_mut(width)) {
            let sum_exp: T = g.iter().copied().sum();
            total += row_term(row_max(z), z[label], sum_exp);
            // dL/dzᵢ = (softmax(z)ᵢ − [i = y])·s
            for (i, g) in g.iter_mut().enumerate() {
                let p = *g / sum_exp;
                *g = (p - if i == label { T::ONE } else { T::ZERO }) * scale;
            }
        }
        total
    }
}

/// eˣ of a logit less the row's maximum: in `f32`, [`exp_for_f32`], which vectorizes (it
/// rounds to libm's `expf` but for one argument in 11,000, by one ulp); in `f64`, libm.
#[inline(always)]
fn exp_shifted<T: Scalar>(x: T) -> T {
    if core::mem::size_of::<T>() == 4 {
        T::from_f64(exp_for_f32(x.to_f64()))
    } else {
        x.exp()
    }
}

/// The index of each row's largest value (the first one on ties): a classifier's predictions.
pub fn argmax<B: ArrayLength, O: ArrayLength, T: Scalar>(
    scores: &Matrix<B, O, T>,
) -> GenericArray<usize, B> {
    let mut out = GenericArray::<usize, B>::default();
    for (o, row) in out.iter_mut().zip(scores.rows()) {
        let mut best = 0;
        for (i, &v) in row.iter().enumerate() {
            if v > row[best] {
                best = i;
            }
        }
        *o = best;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::flat::Flat;
    use crate::gradcheck::GradCheck;

    fn logits() -> Matrix<U3, U4, f64> {
        Matrix::from_fn(|r, c| {
            [
                [0.5, -1.0, 2.0, 0.1],
                [1.5, 1.4, -0.3, 0.0],
                [-2.0, 0.3, 0.9, 3.0],
            ][r][c]
        })
    }

    #[test]
    fn both_copies_agree() {
        use crate::simd::tests::{assert_same_bits, awkward_values};
        // Logits of every size, a row of NaN and a row of −∞ among them.
        let mut z = Matrix::<U37, U10, f32>::zeroed();
        z.as_mut_slice().copy_from_slice(&awkward_values(370, 7));
        let labels: GenericArray<usize, U37> =
            core::array::from_fn::<usize, 37, _>(|b| b % 10).into();
        assert_same_bits(|| {
            let mut grad = Matrix::zeroed();
            let loss = softmax_cross_entropy(&z, &labels, Some(&mut grad)).unwrap();
            let mut out = grad.as_slice().to_vec();
            out.push(loss);
            let mut rows = [0.0; 37];
            SoftmaxCrossEntropy.row_losses(&z, &labels, &mut rows);
            out.extend(rows);
            out
        });
    }

    #[test]
    fn matches_pytorch() {
        // torch.nn.functional.cross_entropy(torch.tensor(logits), torch.tensor([2, 0, 1])),
        // float64.
        let loss = softmax_cross_entropy(&logits(), &[2, 0, 1].into(), None).unwrap();
        assert!((loss - 1.3539000326725719).abs() < 1e-12, "{loss}");
    }

    #[test]
    fn row_losses_average_to_the_loss() {
        let labels = [2, 0, 1].into();
        let mut rows = [0.0; 3];
        SoftmaxCrossEntropy.row_losses(&logits(), &labels, &mut rows);
        let mean = rows.iter().sum::<f64>() / 3.0;
        assert!((mean - 1.3539000326725719).abs() < 1e-12, "{rows:?}");
        // Row 2 (label 1, logit 0.3, far below the 3.0 of class 3) is the hardest.
        assert!(rows[2] > rows[0] && rows[2] > rows[1], "{rows:?}");
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let labels = [2, 0, 1].into();
        let mut z = logits();
        let mut grad = Matrix::zeros();
        softmax_cross_entropy(&z, &labels, Some(&mut grad)).unwrap();
        let report = GradCheck::F64
            .run(&mut z, &grad, |z| {
                softmax_cross_entropy(z, &labels, None).unwrap()
            })
            .unwrap();
        assert_eq!(report.checked, 12);
    }

    #[test]
    fn stable_for_huge_logits() {
        let z = Matrix::<U2, U3, f32>::from_fn(|r, c| {
            [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]][r][c]
        });
        let mut grad = Matrix::zeros();
        let loss = softmax_cross_entropy(&z, &[0, 0].into(), Some(&mut grad)).unwrap();
        // Row 0 is certain and right (0), row 1 certain and wrong by 2000: mean 1000.
        assert_eq!(loss, 1000.0);
        assert_eq!(grad.as_slice(), &[0.0, 0.0, 0.0, -0.5, 0.0, 0.5]);
    }

    #[test]
    fn out_of_range_label_is_an_error_and_writes_nothing() {
        let mut grad = Matrix::<U3, U4, f64>::zeros();
        grad.fill(7.0);
        let err = softmax_cross_entropy(&logits(), &[1, 4, 0].into(), Some(&mut grad));
        assert_eq!(
            err,
            Err(Error::LabelOutOfRange {
                index: 1,
                label: 4,
                classes: 4
            })
        );
        assert!(grad.as_flat().iter().all(|&g| g == 7.0));
    }

    #[test]
    fn argmax_takes_the_first_of_ties() {
        let z = Matrix::<U2, U3, f64>::from_fn(|r, c| [[0.0, 2.0, 2.0], [5.0, 1.0, -1.0]][r][c]);
        assert_eq!(argmax(&z).as_slice(), &[1, 0]);
    }
}
