//! The 8×8 handwritten digits as the examples use them: the first 1,437 rows train, the last
//! 360 test (a sequential split, harder than a random one), pixels scaled by 1/16.

use typenet::data::Dataset;

/// The rows before the test rows.
pub const TRAIN_ROWS: usize = 1437;

/// The digits in `path` with pixels scaled to [0, 1], split into the first `TRAIN_ROWS` rows
/// and the test rows, not yet standardized.
pub fn read(path: &str) -> Result<(Dataset<64>, Dataset<64>), Box<dyn std::error::Error>> {
    let mut data = Dataset::<64>::load_csv(path)?;
    data.map_features(|pixel| pixel / 16.0);
    Ok(data.split_at(TRAIN_ROWS)?)
}

/// The training and test rows of `read`, both standardized with the training rows'
/// statistics.
pub fn load(path: &str) -> Result<(Dataset<64>, Dataset<64>), Box<dyn std::error::Error>> {
    let (mut train, mut test) = read(path)?;
    super::standardize(&mut train, [&mut test])?;
    Ok((train, test))
}
