//! Centering, standardization and PCA and ZCA whitening compute what numpy computes, in f64
//! and in f32: the statistics fitted on a training set (mean, population standard deviation,
//! population covariance, the covariance's eigenvalues and axes, the whitening matrices) and
//! the training and test rows transformed with them. The expected values are in
//! `tests/fixtures/numpy_normalize.rs`, written by `fixtures/normalize.py` from numpy's
//! float64 results (see `fixtures/README.md`); no Python is needed here.
//!
//! Tolerances ([`Tolerance`]): f64 within 1e-9 and f32 within 1e-4 (at least 1e-6), relative
//! to the largest magnitude in each array. The f32 run fits on the fixture's rows rounded to
//! f32 and is compared with numpy's float64 results from the unrounded rows: the generator
//! checks that numpy's own results move by less than 1e-5 under that rounding. Each test
//! reports the largest relative difference it saw (`cargo test --test normalize_parity --
//! --nocapture`); measured: 1.9e-14 in f64 and 1.1e-6 in f32. Wrong conventions miss by
//! more (computed with numpy): a covariance divided by n − 1 by 2.6e-2 in the eigenvalues, a
//! sample standard deviation by 1.3e-2, ε added outside the square root by 1.2e-5 in the
//! PCA test rows (4.6e-2 with `LARGE_EPS`, which f32 catches too), and no ε by 2.6e-5.

mod common;
mod fixtures {
    include!("fixtures/numpy_normalize.rs");
}

use common::{Comparisons, Tolerance};
use fixtures::*;
use typenet::normalize::{Center, Normalizer, Standardizer, Whitening, WhiteningKind};
use typenet::Scalar;

/// The fixture's rows in `T`, rounded.
fn rows<T: Scalar, const W: usize>(rows: &[[f64; W]]) -> Vec<[T; W]> {
    rows.iter().map(|row| row.map(T::from_f64)).collect()
}

/// A fixture array in `T`, flat.
fn expected<T: Scalar>(values: &[f64]) -> Vec<T> {
    values.iter().copied().map(T::from_f64).collect()
}

/// `rows` transformed by `normalizer`, flat.
fn applied<T: Scalar, const W: usize>(
    normalizer: &dyn Normalizer<W, T>,
    rows: &[[T; W]],
) -> Vec<T> {
    let mut rows = rows.to_vec();
    normalizer.apply(&mut rows);
    rows.into_flattened()
}

/// Every comparison in precision `T`; returns the largest relative difference.
fn parity<T: Scalar>(tol: Tolerance) -> f64 {
    let (train, test) = (rows::<T, 5>(&TRAIN), rows::<T, 5>(&TEST));
    let mut c = Comparisons::new(T::NAME, tol);

    let center = Center::fit(&train).unwrap();
    c.check("Center mean", center.mean(), &expected(&MEAN));
    let centred: Vec<f64> = TEST
        .iter()
        .flat_map(|r| (0..5).map(|k| r[k] - MEAN[k]))
        .collect();
    c.check(
        "centred test rows",
        &applied(&center, &test),
        &expected(&centred),
    );

    let scaler = Standardizer::fit(&train).unwrap();
    c.check("Standardizer mean", scaler.mean(), &expected(&MEAN));
    c.check("std_dev", scaler.std_dev(), &expected(&STD));
    c.check("scale", scaler.scale(), &expected(&STD));
    let want = STANDARDIZED_TRAIN.as_flattened();
    c.check(
        "standardized train",
        &applied(&scaler, &train),
        &expected(want),
    );
    let want = STANDARDIZED_TEST.as_flattened();
    c.check(
        "standardized test",
        &applied(&scaler, &test),
        &expected(want),
    );

    for kind in [WhiteningKind::Pca, WhiteningKind::Zca] {
        let (white, matrix, want_train, want_test, large_eps_test) = match kind {
            WhiteningKind::Pca => (
                Whitening::pca(&train, EPS),
                PCA_MATRIX,
                PCA_TRAIN,
                PCA_TEST,
                PCA_TEST_LARGE_EPS,
            ),
            WhiteningKind::Zca => (
                Whitening::zca(&train, EPS),
                ZCA_MATRIX,
                ZCA_TRAIN,
                ZCA_TEST,
                ZCA_TEST_LARGE_EPS,
            ),
        };
        let white = white.unwrap();
        let name = |what: &str| format!("{kind:?} {what}");
        c.check(&name("mean"), white.mean(), &expected(&MEAN));
        c.check(
            &name("eigenvalues"),
            white.eigenvalues(),
            &expected(&EIGENVALUES),
        );
        let components = white.components().as_flattened();
        c.check(
            &name("components"),
            components,
            &expected(COMPONENTS.as_flattened()),
        );
        // The covariance, put back together from its eigendecomposition: U·Λ·Uᵀ.
        let u = |k: usize, i: usize| white.components()[k][i].to_f64();
        let covariance: Vec<T> = (0..25)
            .map(|ij| {
                let (i, j) = (ij / 5, ij % 5);
                let terms = (0..5).map(|k| white.eigenvalues()[k].to_f64() * u(k, i) * u(k, j));
                T::from_f64(terms.sum())
            })
            .collect();
        c.check(
            &name("U·Λ·Uᵀ"),
            &covariance,
            &expected(COVARIANCE.as_flattened()),
        );
        let flat_matrix = white.matrix().as_flattened();
        c.check(
            &name("matrix"),
            flat_matrix,
            &expected(matrix.as_flattened()),
        );
        let train_rows = applied(&white, &train);
        c.check(
            &name("train"),
            &train_rows,
            &expected(want_train.as_flattened()),
        );
        let test_rows = applied(&white, &test);
        c.check(
            &name("test"),
            &test_rows,
            &expected(want_test.as_flattened()),
        );
        // One row at a time, as at prediction time: the same values.
        let one_by_one: Vec<T> = test.iter().flat_map(|row| white.normalized(row)).collect();
        assert_eq!(one_by_one, test_rows, "{kind:?}: rows one by one");

        let large = match kind {
            WhiteningKind::Pca => Whitening::pca(&train, LARGE_EPS),
            WhiteningKind::Zca => Whitening::zca(&train, LARGE_EPS),
        };
        let large_rows = applied(&large.unwrap(), &test);
        let want = large_eps_test.as_flattened();
        c.check(&name("test, large ε"), &large_rows, &expected(want));
    }
    println!("{}: largest relative difference {:.1e}", T::NAME, c.worst);
    c.worst
}

#[test]
fn normalizers_match_numpy_in_f64() {
    parity::<f64>(Tolerance::F64);
}

#[test]
fn normalizers_match_numpy_in_f32() {
    parity::<f32>(Tolerance::F32);
}
