//! Mean squared error, the loss of regression.

use super::Loss;
use crate::error::Error;
use crate::flat::Flat;
use crate::matrix::Matrix;
use crate::scalar::Scalar;
use generic_array::{ArrayLength, GenericArray};

/// The loss `mean_squared_error` of `network!`: [`mean_squared_error`] against target rows
/// `Y` (`[T; O]` or `GenericArray<T, O>`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanSquaredError;

impl<T: Scalar, O: ArrayLength, Y: Flat<T>> Loss<T, O, Y> for MeanSquaredError {
    const CLASSIFIES: bool = false;

    fn loss<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<Y, B>,
        grad: Option<&mut Matrix<B, O, T>>,
    ) -> Result<T, Error> {
        Ok(mean_squared_error(out, targets.cast_ref(), grad))
    }

    fn row_losses<B: ArrayLength>(
        &self,
        out: &Matrix<B, O, T>,
        targets: &GenericArray<Y, B>,
        losses: &mut [T],
    ) {
        let targets: &Matrix<B, O, T> = targets.cast_ref();
        let scale = T::ONE / T::from_usize(O::USIZE);
        let rows = out.rows().iter().zip(targets.rows());
        for (loss, (p, t)) in losses.iter_mut().zip(rows) {
            let squares: T = p.iter().zip(t).map(|(&p, &t)| (p - t) * (p - t)).sum();
            *loss = squares * scale;
        }
    }
}

/// Mean over all B×O elements of (ŷ − y)², like PyTorch's `nn.MSELoss()` (reduction
/// `'mean'`). When `grad` is given it receives dL/dŷ = 2(ŷ − y)/(B·O).
///
/// ```
/// use typenet_core::{loss::mean_squared_error, Matrix, dim::{U1, U2}};
/// let pred = Matrix::<U1, U2, f64>::from_fn(|_, c| [1.0, 2.0][c]);
/// let target = Matrix::<U1, U2, f64>::from_fn(|_, c| [0.0, 4.0][c]);
/// assert_eq!(mean_squared_error(&pred, &target, None), 2.5);
/// ```
pub fn mean_squared_error<B: ArrayLength, O: ArrayLength, T: Scalar>(
    prediction: &Matrix<B, O, T>,
    target: &Matrix<B, O, T>,
    grad: Option<&mut Matrix<B, O, T>>,
) -> T {
    let scale = T::ONE / T::from_usize(B::USIZE * O::USIZE);
    let pairs = prediction.as_slice().iter().zip(target.as_slice());
    let total: T = pairs.clone().map(|(&p, &t)| (p - t) * (p - t)).sum();
    if let Some(grad) = grad {
        // d/dp (p − t)² = 2(p − t)
        let two = T::from_f64(2.0) * scale;
        for (g, (&p, &t)) in grad.as_mut_slice().iter_mut().zip(pairs) {
            *g = two * (p - t);
        }
    }
    total * scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::*;
    use crate::gradcheck::{test_weights, GradCheck};

    #[test]
    fn by_hand() {
        let p = Matrix::<U2, U2, f64>::from_fn(|r, c| [[1.0, 2.0], [3.0, 4.0]][r][c]);
        let t = Matrix::<U2, U2, f64>::from_fn(|r, c| [[1.0, 0.0], [4.0, 4.0]][r][c]);
        let mut g = Matrix::zeros();
        assert_eq!(mean_squared_error(&p, &t, Some(&mut g)), (4.0 + 1.0) / 4.0);
        assert_eq!(g.as_slice(), &[0.0, 1.0, -0.5, 0.0]);
    }

    #[test]
    fn row_losses_average_to_the_loss() {
        let p = Matrix::<U2, U2, f64>::from_fn(|r, c| [[1.0, 2.0], [3.0, 4.0]][r][c]);
        let t: GenericArray<[f64; 2], U2> = [[1.0, 0.0], [4.0, 4.0]].into();
        let mut rows = [0.0; 2];
        MeanSquaredError.row_losses(&p, &t, &mut rows);
        assert_eq!(rows, [2.0, 0.5]);
        assert_eq!(MeanSquaredError.loss(&p, &t, None).unwrap(), 1.25);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let mut p: Matrix<U3, U4, f64> = test_weights(1);
        let t: Matrix<U3, U4, f64> = test_weights(2);
        let mut g = Matrix::zeros();
        mean_squared_error(&p, &t, Some(&mut g));
        GradCheck::F64
            .run(&mut p, &g, |p| mean_squared_error(p, &t, None))
            .unwrap();
    }
}
