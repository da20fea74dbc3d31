//! Three Gaussian blobs in the plane: the small classification problem that the
//! babysitting and learning-rate search tests share.

use rand::{rngs::StdRng, RngExt, SeedableRng};

/// `n` rows of three Gaussian blobs (standard deviation `spread`) centred on the unit
/// circle at 0°, 120° and 240°; row i is of class i mod 3, so any prefix is balanced.
pub fn blobs(n: usize, spread: f64, seed: u64) -> (Vec<[f32; 2]>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut gauss = || {
        // Box–Muller: two uniforms in (0, 1] to one standard normal.
        let (u, v): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random::<f64>());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for i in 0..n {
        let class = i % 3;
        let angle = class as f64 * std::f64::consts::TAU / 3.0;
        x.push([
            (angle.cos() + spread * gauss()) as f32,
            (angle.sin() + spread * gauss()) as f32,
        ]);
        y.push(class);
    }
    (x, y)
}
