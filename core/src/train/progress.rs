//! The trainer's progress bar: indicatif's, on standard error, only where that is a
//! terminal; nothing at all without the `progress` feature.

use super::trainer::EpochReport;
use crate::scalar::Scalar;

/// A bar over all the steps of a run, with the epoch and the last loss in its message.
pub(crate) struct Progress {
    #[cfg(feature = "progress")]
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A bar for `epochs` epochs of `steps` steps, when `show` is set.
    pub fn new(show: bool, epochs: usize, steps: usize) -> Self {
        #[cfg(feature = "progress")]
        {
            let total = (epochs as u64).saturating_mul(steps as u64);
            // indicatif draws nothing when standard error is not a terminal.
            let bar = show.then(|| {
                let bar = indicatif::ProgressBar::new(total);
                let style = indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} steps, eta {eta} {msg}",
                )
                .map(|s| s.progress_chars("=> "));
                if let Ok(style) = style {
                    bar.set_style(style);
                }
                bar
            });
            Progress { bar }
        }
        #[cfg(not(feature = "progress"))]
        {
            let _ = (show, epochs, steps);
            Progress {}
        }
    }

    /// After each step.
    pub fn step(&mut self, epoch: usize, step: usize, loss: f64) {
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if step % 16 == 1 {
                bar.set_message(alloc::format!("epoch {epoch}, loss {loss:.4}"));
            }
        }
        #[cfg(not(feature = "progress"))]
        let _ = (epoch, step, loss);
    }

    /// After each epoch.
    pub fn epoch<T: Scalar>(&mut self, report: &EpochReport<T>) {
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            let validation = report.validation.map_or(alloc::string::String::new(), |v| {
                alloc::format!(", validation loss {:.4}", v.loss.to_f64())
            });
            bar.set_message(alloc::format!(
                "epoch {}: loss {:.4}{validation}",
                report.epoch,
                report.train_loss.to_f64()
            ));
        }
        #[cfg(not(feature = "progress"))]
        let _ = report;
    }

    /// At the end of the run.
    pub fn finish(&mut self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
