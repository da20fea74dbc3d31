//! The memory figures are the sizes of the real blocks: each constant against `size_of` of
//! the block it names (and the parameters against a count by hand), the totals against the
//! blocks a `Training` and a `forward_with` actually use, the budget's message word for
//! word, and README's table against the constants.

use core::mem::size_of;
use typenet::memory::{inference_budget, training_budget, InferenceMemory, TrainingMemory};
use typenet::prelude::*;
use typenet::train::StepBlocks;

network! {
    /// The digits example's network.
    pub struct Digits {
        input: 64,
        hidden: dense(128), relu,
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// With buffers (batch norm) and a cache with masks (dropout).
    pub struct Regularized {
        input: 64,
        hidden: dense(128),
        norm: batch_norm,
        relu,
        dropout(0.5),
        output: dense(10),
        loss: softmax_cross_entropy,
    }
}

network! {
    /// Convolutions, per-channel batch norm and both pools: [1, 12, 12] → [4, 12, 12] →
    /// [4, 6, 6] → [8, 4, 4] → [8, 2, 2] → 10.
    pub struct Conv {
        input: [1, 12, 12],
        conv1: conv2d(4, kernel = 3, padding = 1), norm: batch_norm, relu, max_pool2d(2),
        conv2: conv2d(8, kernel = 3), relu, avg_pool2d(2),
        flatten,
        output: dense(10),
        loss: softmax_cross_entropy,
        budget: 512 KiB for training with adam at batch 8,
        budget: 16 KiB for inference at batch 1,
    }
}

/// 64·128 + 128 weights and biases, then 128·10 + 10.
const DIGITS_PARAMETERS: usize = 64 * 128 + 128 + 128 * 10 + 10;

#[test]
fn the_network_figures_are_its_blocks_sizes() {
    assert_eq!(Digits::<f32>::PARAMETER_BYTES, DIGITS_PARAMETERS * 4);
    assert_eq!(Digits::<f64>::PARAMETER_BYTES, DIGITS_PARAMETERS * 8);
    assert_eq!(Digits::<f32>::BUFFER_BYTES, 0);
    assert_eq!(Digits::<f32>::GRADIENT_BYTES, size_of::<DigitsGrads<f32>>());
    assert_eq!(Digits::<f32>::NETWORK_BYTES, size_of::<Digits<f32>>());
    assert_eq!(Digits::<f32>::NETWORK_BYTES, DIGITS_PARAMETERS * 4);

    // Batch norm adds a weight and a bias (parameters) and a running mean and variance
    // (buffers) of 128 each.
    type R = Regularized<f32>;
    assert_eq!(R::PARAMETER_BYTES, (DIGITS_PARAMETERS + 2 * 128) * 4);
    assert_eq!(R::BUFFER_BYTES, 2 * 128 * 4);
    assert_eq!(R::BUFFER_BYTES, size_of::<RegularizedBuffers<f32>>());
    assert_eq!(R::GRADIENT_BYTES, R::PARAMETER_BYTES);
    assert_eq!(R::NETWORK_BYTES, size_of::<R>());
    assert_eq!(R::NETWORK_BYTES, R::PARAMETER_BYTES + R::BUFFER_BYTES);
}

/// Every figure of training `N` with `O` at batch `B` against the blocks of a `Training`.
fn training_figures_are_the_blocks<N: Network<f32>, O: Optimizer<f32>, const B: usize>(
    state_copies: usize,
) where
    Const<B>: Batch,
{
    type M<N, O, const B: usize> = TrainingMemory<N, O, B>;
    let blocks = StepBlocks::<N, O, B>::zeroed_boxed();
    assert_eq!(M::<N, O, B>::PARAMETER_BYTES, N::PARAMETER_BYTES);
    assert_eq!(M::<N, O, B>::BUFFER_BYTES, N::BUFFER_BYTES);
    assert_eq!(M::<N, O, B>::GRADIENT_BYTES, size_of_val(&blocks.grads));
    assert_eq!(
        M::<N, O, B>::OPTIMIZER_STATE_BYTES,
        size_of_val(&blocks.state)
    );
    assert_eq!(
        M::<N, O, B>::OPTIMIZER_STATE_BYTES,
        state_copies * N::PARAMETER_BYTES
    );
    assert_eq!(M::<N, O, B>::CACHE_BYTES, size_of_val(&blocks.cache));
    assert_eq!(M::<N, O, B>::CACHE_BYTES, size_of::<N::Cache<B>>());
    assert_eq!(M::<N, O, B>::INPUT_BYTES, size_of_val(&blocks.inputs));
    assert_eq!(M::<N, O, B>::INPUT_BYTES, B * N::INPUTS * 4);
    assert_eq!(M::<N, O, B>::STEP_BYTES, size_of_val(&*blocks));
    // The blocks are packed: nothing but the four parts.
    assert_eq!(
        M::<N, O, B>::STEP_BYTES,
        M::<N, O, B>::GRADIENT_BYTES
            + M::<N, O, B>::OPTIMIZER_STATE_BYTES
            + M::<N, O, B>::CACHE_BYTES
            + M::<N, O, B>::INPUT_BYTES
    );
    assert_eq!(
        M::<N, O, B>::TOTAL_BYTES,
        size_of::<N>() + size_of::<StepBlocks<N, O, B>>()
    );
}

#[test]
fn the_training_figures_are_the_step_blocks_sizes() {
    training_figures_are_the_blocks::<Digits, Sgd, 32>(0);
    training_figures_are_the_blocks::<Digits, Momentum, 32>(1);
    training_figures_are_the_blocks::<Digits, RmsProp, 8>(1);
    training_figures_are_the_blocks::<Digits, Adagrad, 8>(1);
    training_figures_are_the_blocks::<Digits, Adam, 32>(2);
    training_figures_are_the_blocks::<Regularized, AdamW, 8>(2);
    training_figures_are_the_blocks::<Regularized, Sgd, 1>(0);
}

#[test]
fn the_figures_cover_convolutions_and_pools() {
    // conv1 4·(1·3·3) + 4, norm 4 + 4, conv2 8·(4·3·3) + 8, output 10·32 + 10.
    let parameters = 40 + 8 + 296 + 330;
    assert_eq!(Conv::<f32>::PARAMETER_BYTES, parameters * 4);
    assert_eq!(Conv::<f32>::BUFFER_BYTES, 2 * 4 * 4);
    assert_eq!(Conv::<f32>::NETWORK_BYTES, size_of::<Conv<f32>>());
    training_figures_are_the_blocks::<Conv, Adam, 8>(2);
    training_figures_are_the_blocks::<Conv, Sgd, 1>(0);
    // The network's two `budget:` lines hold these totals to 512 KiB and 16 KiB when it
    // compiles.
    type I<const B: usize> = InferenceMemory<Conv, B>;
    let net = Conv::<f32>::zeroed();
    let mut scratch = typenet::InferenceScratch::<Conv, 2>::zeroed();
    net.infer(&[[0.0; 144]; 2], &mut scratch);
    assert_eq!(I::<2>::SCRATCH_BYTES, size_of_val(&scratch));
    assert_eq!(
        I::<2>::TOTAL_BYTES,
        size_of_val(&net) + size_of_val(&scratch)
    );
    // Each row adds the widest output of each half of the layers: conv1's and norm's 576.
    assert_eq!(I::<2>::SCRATCH_BYTES - I::<1>::SCRATCH_BYTES, 2 * 576 * 4);
}

#[test]
fn the_inference_figures_are_the_network_and_the_scratch_infer_uses() {
    type I<const B: usize> = InferenceMemory<Regularized, B>;
    let net = Regularized::<f32>::zeroed();
    let mut scratch = typenet::InferenceScratch::<Regularized, 4>::zeroed();
    net.infer(&[[0.0; 64]; 4], &mut scratch);
    assert_eq!(I::<4>::SCRATCH_BYTES, size_of_val(&scratch));
    assert_eq!(I::<4>::PARAMETER_BYTES, Regularized::<f32>::PARAMETER_BYTES);
    assert_eq!(I::<4>::BUFFER_BYTES, Regularized::<f32>::BUFFER_BYTES);
    assert_eq!(
        I::<4>::TOTAL_BYTES,
        size_of_val(&net) + size_of_val(&scratch)
    );
    // Each row adds two buffers of 128 floats (hidden, relu and output in one; norm and
    // dropout in the other), where the training cache adds 1,300: an output and its
    // gradient for every layer (128 four times, then 10), batch norm's normalized input and
    // dropout's mask (128 each).
    assert_eq!(I::<8>::SCRATCH_BYTES - I::<4>::SCRATCH_BYTES, 4 * 256 * 4);
    type Cache<const B: usize> = <Regularized as Network<f32>>::Cache<B>;
    assert_eq!(size_of::<Cache<8>>() - size_of::<Cache<4>>(), 4 * 1300 * 4);
}

#[test]
fn a_budget_names_the_total_the_budget_and_the_three_largest_parts() {
    assert_eq!(
        training_budget::<Digits, Adam, 8, f32>(1 << 20, "1 MiB", "Adam").exceeded(),
        None
    );
    let adam = TrainingMemory::<Digits, Adam, 8>::TOTAL_BYTES;
    assert_eq!(
        training_budget::<Digits, Adam, 8, f32>(adam as u64, "x", "Adam").exceeded(),
        None,
        "a network that needs exactly the budget fits"
    );
    let over = training_budget::<Digits, Adam, 8, f32>(adam as u64 - 1, "x", "Adam");
    assert!(over.exceeded().is_some());
    // 9,610 parameters of 4 bytes; Adam keeps two copies.
    assert_eq!(
        training_budget::<Digits, Adam, 8, f32>(48 * 1024, "48 KiB", "Adam").exceeded(),
        Some(
            "this network needs 172,832 bytes to train with Adam at batch 8, over the budget \
             of 49,152 (48 KiB): optimizer state 76,880, parameters 38,440, gradients 38,440"
        )
    );
    assert_eq!(adam, 172_832);
    assert_eq!(
        inference_budget::<Digits, 1, f32>(4096, "4 KiB").exceeded(),
        Some(
            "this network needs 39,464 bytes for inference at batch 1, over the budget of \
             4,096 (4 KiB): parameters 38,440, scratch 1,024"
        )
    );
}

/// README's table of the digits network's figures, from the constants.
fn readme_table() -> String {
    let rows = [
        (
            "training with SGD at batch 32",
            TrainingMemory::<Digits, Sgd, 32>::TOTAL_BYTES,
            TrainingMemory::<Digits, Sgd, 32>::OPTIMIZER_STATE_BYTES,
            TrainingMemory::<Digits, Sgd, 32>::CACHE_BYTES,
        ),
        (
            "training with Adam at batch 32",
            TrainingMemory::<Digits, Adam, 32>::TOTAL_BYTES,
            TrainingMemory::<Digits, Adam, 32>::OPTIMIZER_STATE_BYTES,
            TrainingMemory::<Digits, Adam, 32>::CACHE_BYTES,
        ),
        (
            "inference at batch 1",
            InferenceMemory::<Digits, 1>::TOTAL_BYTES,
            0,
            InferenceMemory::<Digits, 1>::SCRATCH_BYTES,
        ),
    ];
    let mut table = String::from(
        "| 64 → 128 relu → 10, `f32` | total | network | gradients | optimizer state | cache or scratch | inputs |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let network = Digits::<f32>::NETWORK_BYTES;
    for (i, (what, total, state, cache)) in rows.into_iter().enumerate() {
        let training = i < 2;
        let grads = if training {
            Digits::<f32>::GRADIENT_BYTES
        } else {
            0
        };
        let inputs = if training { 32 * 64 * 4 } else { 0 };
        assert_eq!(total, network + grads + state + cache + inputs, "{what}");
        table.push_str(&format!(
            "| {what} | {} | {} | {} | {} | {} | {} |\n",
            grouped(total),
            grouped(network),
            grouped(grads),
            grouped(state),
            grouped(cache),
            grouped(inputs),
        ));
    }
    table
}

fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn the_readme_table_is_the_constants() {
    let table = readme_table();
    let readme = include_str!("../README.md");
    assert!(
        readme.contains(&table),
        "README's memory table differs from the constants; it should read:\n{table}"
    );
}
