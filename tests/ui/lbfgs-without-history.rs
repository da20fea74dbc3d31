use typenet::optim::Lbfgs;

fn main() {
    // A history of 0 pairs cannot hold the curvature L-BFGS learns from.
    let _ = Lbfgs::<f64, 0>::new(1.0);
}
