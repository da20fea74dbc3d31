//! Weight initializers of the course: LeCun, Xavier/Glorot (and ×4 for sigmoid), He.
//! Biases start at zero.

use crate::scalar::Scalar;
use rand::Rng;

/// How a dense layer's weights are drawn, from its fan-in `d_in` and fan-out `d_out`.
///
/// ```
/// use typenet_core::Init;
/// assert_eq!(Init::He.std_dev(50, 10), 0.2);
/// assert_eq!(Init::Xavier.uniform_bound(4, 2), Some(1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Init {
    /// N(0, 1/d_in): keeps the variance of a linear layer's output equal to its input's.
    LeCun,
    /// U(−a, a) with a = √(6/(d_in + d_out)): Glorot and Bengio's choice for tanh.
    Xavier,
    /// Xavier's bound times 4, for sigmoid, whose slope at 0 is ¼ of tanh's.
    XavierSigmoid,
    /// N(0, 2/d_in): He et al.'s choice for ReLU, which zeroes half of its inputs.
    He,
    /// All zeros (for tests and for layers that must start as the identity of a sum).
    Zeros,
}

impl Init {
    /// The first initializer that the layers after a dense layer suggest (He for ReLU,
    /// Xavier for tanh, …), or LeCun's when none does.
    ///
    /// ```
    /// use typenet_core::Init;
    /// assert_eq!(Init::suggested_by(&[None, Some(Init::He)]), Init::He);
    /// assert_eq!(Init::suggested_by(&[]), Init::LeCun);
    /// ```
    pub const fn suggested_by(after: &[Option<Init>]) -> Init {
        let mut i = 0;
        while i < after.len() {
            if let Some(init) = after[i] {
                return init;
            }
            i += 1;
        }
        Init::LeCun
    }

    /// The standard deviation of the weights this initializer draws.
    pub fn std_dev(self, d_in: usize, d_out: usize) -> f64 {
        match (self, self.uniform_bound(d_in, d_out)) {
            // The variance of U(−a, a) is a²/3.
            (_, Some(a)) => a / libm::sqrt(3.0),
            (Init::LeCun, _) => libm::sqrt(1.0 / d_in as f64),
            (Init::He, _) => libm::sqrt(2.0 / d_in as f64),
            _ => 0.0,
        }
    }

    /// The bound `a` of a uniform initializer U(−a, a); `None` for the others.
    pub fn uniform_bound(self, d_in: usize, d_out: usize) -> Option<f64> {
        let xavier = libm::sqrt(6.0 / (d_in + d_out) as f64);
        match self {
            Init::Xavier => Some(xavier),
            Init::XavierSigmoid => Some(4.0 * xavier),
            _ => None,
        }
    }

    /// Fills `weights` (a layer with fan-in `d_in` and fan-out `d_out`) with fresh draws.
    pub fn fill<T: Scalar, R: Rng + ?Sized>(
        self,
        weights: &mut [T],
        d_in: usize,
        d_out: usize,
        rng: &mut R,
    ) {
        match (self, self.uniform_bound(d_in, d_out)) {
            (Init::Zeros, _) => weights.fill(T::ZERO),
            (_, Some(a)) => {
                for w in weights {
                    *w = T::from_f64(a * (2.0 * unit(rng) - 1.0));
                }
            }
            (_, None) => {
                let s = self.std_dev(d_in, d_out);
                for w in weights {
                    *w = T::from_f64(s * standard_normal(rng));
                }
            }
        }
    }
}

/// A uniform draw from [0, 1) with 53 random bits.
pub(crate) fn unit<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw by the Box–Muller transform.
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - unit(rng); // in (0, 1], so that ln is finite
    let u2 = unit(rng);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(core::f64::consts::TAU * u2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    /// Mean and variance of 512×256 = 131,072 draws; the sample variance of n normal draws
    /// has a relative standard error of √(2/n) ≈ 0.4%, so 3% is far outside chance.
    fn moments(init: Init, d_in: usize, d_out: usize) -> (f64, f64, f64) {
        let mut w = [0.0f32; 512 * 256];
        init.fill(&mut w, d_in, d_out, &mut StdRng::seed_from_u64(1));
        let n = w.len() as f64;
        let mean = w.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let max = w.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
        (mean, var, max)
    }

    #[test]
    fn sample_variances_match_the_formulas() {
        let (d_in, d_out) = (256, 512);
        let cases = [
            (Init::LeCun, 1.0 / 256.0),
            (Init::He, 2.0 / 256.0),
            (Init::Xavier, 2.0 / 768.0),
            (Init::XavierSigmoid, 32.0 / 768.0),
        ];
        for (init, want) in cases {
            let (mean, var, _) = moments(init, d_in, d_out);
            assert!(
                (var / want - 1.0).abs() < 0.03,
                "{init:?}: variance {var}, want {want}"
            );
            assert!(
                mean.abs() < 4.0 * (want / 131072.0f64).sqrt(),
                "{init:?}: mean {mean}"
            );
            assert!((init.std_dev(d_in, d_out).powi(2) / want - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn uniform_draws_stay_inside_their_bound() {
        let (_, _, max) = moments(Init::Xavier, 256, 512);
        let bound = Init::Xavier.uniform_bound(256, 512).unwrap();
        assert!(
            max <= bound && max > 0.99 * bound,
            "max {max}, bound {bound}"
        );
    }

    #[test]
    fn zeros_are_zeros() {
        let mut w = [1.0f64; 8];
        Init::Zeros.fill(&mut w, 4, 2, &mut StdRng::seed_from_u64(1));
        assert_eq!(w, [0.0; 8]);
    }
}
