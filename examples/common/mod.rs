//! What the examples share: command-line flags, the digits and their splits, the summary of
//! a run over several seeds, and the plots.
//!
//! Each example compiles its own copy of this module (`mod common;`) and uses only part of
//! it, so the items one example leaves unused are not dead code.
#![allow(dead_code)]

pub mod digits;
pub mod flags;
pub mod plot;

use std::fmt;
use typenet::data::{Dataset, Target};
use typenet::prelude::*;

/// The training, validation and test rows.
pub struct Splits<const W: usize, Y = usize> {
    pub train: Dataset<W, f32, Y>,
    pub validation: Dataset<W, f32, Y>,
    pub test: Dataset<W, f32, Y>,
}

impl<const W: usize, Y: Target<f32>> Splits<W, Y> {
    /// The three, standardized with the training rows' statistics.
    pub fn standardized(
        mut train: Dataset<W, f32, Y>,
        mut validation: Dataset<W, f32, Y>,
        mut test: Dataset<W, f32, Y>,
    ) -> Result<Self, typenet::Error> {
        standardize(&mut train, [&mut validation, &mut test])?;
        Ok(Splits {
            train,
            validation,
            test,
        })
    }
}

impl<const W: usize, Y: Target<f32>> fmt::Display for Splits<W, Y> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} training rows, {} validation rows, {} test rows",
            self.train.len(),
            self.validation.len(),
            self.test.len()
        )
    }
}

/// Standardizes `train` and each of `others` with the statistics of `train` alone: the
/// rows held out must not inform the preprocessing.
pub fn standardize<const W: usize, Y: Target<f32>, const N: usize>(
    train: &mut Dataset<W, f32, Y>,
    others: [&mut Dataset<W, f32, Y>; N],
) -> Result<(), typenet::Error> {
    let standardizer = Standardizer::fit(train.features())?;
    standardizer.apply(train.features_mut());
    for part in others {
        standardizer.apply(part.features_mut());
    }
    Ok(())
}

/// The mean, lowest and highest test accuracy (as fractions) of runs over several seeds.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// Runs `run` for seeds 1 to `seeds`, each returning its test accuracy.
    pub fn over_seeds(
        seeds: u64,
        mut run: impl FnMut(u64) -> Result<f64, Box<dyn std::error::Error>>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let accuracies = (1..=seeds).map(&mut run).collect::<Result<Vec<_>, _>>()?;
        Ok(Spread::of(&accuracies))
    }

    /// The spread of `accuracies`; without any, a mean of 0.
    pub fn of(accuracies: &[f64]) -> Self {
        let mean = accuracies.iter().sum::<f64>() / accuracies.len().max(1) as f64;
        let (min, max) = accuracies
            .iter()
            .fold((1.0f64, 0.0f64), |(lo, hi), &a| (lo.min(a), hi.max(a)));
        Spread { mean, min, max }
    }
}

/// As percentages: "91.1% (from 90.3% to 92.5%)".
impl fmt::Display for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1}% (from {:.1}% to {:.1}%)",
            100.0 * self.mean,
            100.0 * self.min,
            100.0 * self.max
        )
    }
}
