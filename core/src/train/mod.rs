//! Training: one step ([`Training`]), and the course's training practice around it
//! ([`Trainer`]): epochs of shuffled (or stratified, or hard-example) minibatches, a
//! validation set, learning-rate schedules, early stopping and a history of every epoch.
//!
//! [`Training`] bundles what a run owns besides the network — the optimizer, and one
//! [`Flat`](crate::Flat) block ([`StepBlocks`]) with the gradients, the optimizer's state
//! and the cache — so that one step is one call, on the stack, on the heap or in a `static`.
//! [`Trainer`] holds a `Training` and runs it over a data set; without a heap it needs an
//! order buffer lent by the caller ([`Trainer::fit_in`]).

mod babysit;
mod early_stopping;
mod lr_policy;
#[cfg(feature = "alloc")]
mod lr_search;
mod progress;
mod sampler;
mod samples;
mod trainer;
mod training;

#[cfg(feature = "alloc")]
pub use babysit::{dead_relus, grad_norms, overfit_tiny_subset, update_ratios};
pub use babysit::{
    initial_loss, initial_loss_with, overfit_tiny_subset_in, visit_dead_relus, visit_grad_norms,
    visit_update_ratios, DeadUnits, GradNorm, Health, InitialLoss, Overfit, UpdateRatio,
};
pub use early_stopping::{EarlyStopping, Monitor};
pub use lr_policy::{ConstantLr, LrPolicy, PerEpoch, PerStep};
#[cfg(feature = "alloc")]
pub use lr_search::{LrSearch, LrSearchReport, LrTrial, Stage};
#[cfg(feature = "alloc")]
pub use sampler::{HardExamples, Stratified};
pub use sampler::{Sampler, Shuffle};
pub use samples::{Samples, TargetKind};
#[cfg(feature = "alloc")]
pub use trainer::FitReport;
pub use trainer::{EpochReport, FitBuffers, FitSummary, Stop, Trainer};
#[cfg(feature = "alloc")]
pub use training::BoxedTraining;
pub use training::{BlocksOf, Clip, StepBlocks, StepStats, Training};
