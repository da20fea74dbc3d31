#![doc = include_str!("../README.md")]
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use typenet_core::*;

/// Declares a network whose shapes are types.
///
/// ```text
/// network! {
///     /// Doc comments and lint attributes (`allow`, `warn`, `deny`, `forbid`, `expect`),
///     /// also inside `cfg_attr`, go to the network struct; other attributes are refused.
///     pub struct Name<H> {                     // optional type parameters stand for widths; no `where`
///         input: 64,                           // first: the width of one input row
///         hidden: dense(128), relu,            // `name: kind(arguments)`; names are optional
///         dropout(0.5),                        // unnamed layers are `dropout1`, `dense2`, …
///         dense(H, init = xavier), tanh,       // `init =` overrides the derived initializer
///         norm: batch_norm(momentum = 0.1),    // options by name, with defaults
///         dense(H -> 10),                      // `in -> out` states the input width too
///         loss: softmax_cross_entropy,         // last: or `mean_squared_error`
///     }
/// }
/// ```
///
/// | layer | arguments | what it is |
/// | --- | --- | --- |
/// | `dense(out)`, `dense(in -> out)` | `init = lecun \| xavier \| xavier_sigmoid \| he \| zeros` | y = x·Wᵀ + b, W stored `[out, in]` like `nn.Linear` |
/// | `relu`, `tanh`, `sigmoid` | none | elementwise activations |
/// | `dropout(p)` | `p` in [0, 1) | inverted dropout: kept units scaled by 1/(1−p) in training, identity in evaluation |
/// | `batch_norm` | `eps = 1e-5`, `momentum = 0.1` | `nn.BatchNorm1d`: batch statistics in training, running ones in evaluation; over an image, `nn.BatchNorm2d` (per channel) |
/// | `conv2d(out, kernel)`, `conv2d(in -> out, kernel)` | `kernel`, `stride = 1`, `padding = 0`, `init = lecun`, `xavier`, `xavier_sigmoid`, `he`, `zeros` | `nn.Conv2d`: weight stored `[out, in, kh, kw]` |
/// | `max_pool2d(kernel)`, `avg_pool2d(kernel)` | `kernel`, `stride = kernel`, `padding = 0` | `nn.MaxPool2d`, `nn.AvgPool2d` (padding counted in the average) |
/// | `flatten` | none | an image as the row it already is: needed before a `dense` |
///
/// Convolutional networks take an image input, `input: [channels, height, width]`. Window
/// sizes are square (`kernel = 5`) or `(height, width)` pairs (`kernel = (5, 3)`). At run time
/// an image is the row of its C·H·W values in PyTorch's order (channel, then row, then
/// column), so activations and dropout work on it as on any row. The macro computes every
/// layer's `[C, H, W]` (the generated documentation shows them) and refuses, at the argument
/// responsible, a size that does not work out: a stride that leaves a remainder PyTorch would
/// drop, a kernel larger than its padded input, a pool window larger than its input. Channels
/// and image sizes are numbers, not width parameters.
///
/// ```text
/// network! {
///     pub struct LeNet {
///         input: [1, 28, 28],
///         conv1: conv2d(8, kernel = 5, padding = 2), relu, max_pool2d(2),  // [8, 14, 14]
///         conv2: conv2d(16, kernel = 5), relu, max_pool2d(2),              // [16, 5, 5]
///         flatten,                                                         // 400
///         hidden: dense(120), relu,
///         output: dense(10),
///         loss: softmax_cross_entropy,
///     }
/// }
/// ```
///
/// A dense or convolutional layer's initializer follows from the first activation after it (He for `relu`,
/// Xavier for `tanh`, Xavier×4 for `sigmoid`, LeCun when none). A literal width, a whole
/// number from 1 to 4294967295 (2³² − 1), becomes a typenum number; a width may also be a
/// width parameter or a typenum type (`U128`, not `U0`). Rows at the boundary are native
/// arrays such as `[T; 64]`. A layer label may be a raw identifier: `r#type: dense(8)` names
/// its tensors `type.weight` and `type.bias`, as PyTorch does.
///
/// It generates, for `Name`:
/// - `Name<H, T = f32>`: the network, holding `params: NameParams<H, T>` (one field per layer
///   with parameters) and `buffers: NameBuffers<H, T>` (one per layer with buffers);
/// - `NameGrads<H, T>`: an alias of `NameParams`, since gradients mirror the parameters;
/// - `NameCache<H, const B: usize, T>`: each layer's output, its gradient and the layer's own
///   cache, for a batch of `B` rows;
/// - `impl Network<T>`, which provides every method (see [`Network`]), the straight-line
///   chains of its layers behind them (hidden methods), plus `Clone` and `Debug`;
/// - `NameLayers<H>`, hidden: each layer's configuration, which those chains read.
///
/// The caller's module cannot change what the generated code means (a `type usize` there, a
/// width parameter named `x`, a network named `T`), and each layer adds the same amount of
/// code, so that a network of hundreds of layers checks in time proportional to its depth.
///
/// Mistakes the macro can see stop the build at the offending layer, with one error each:
///
/// ```compile_fail
/// typenet::network! {
///     struct Net {
///         input: 64,
///         hidden: dense(128), relu,
///         output: dense(100 -> 10), // error: layer `output` takes 100 inputs, but the layer before it, `hidden`, produces 128
///         loss: softmax_cross_entropy,
///     }
/// }
/// ```
///
/// and the types catch the rest, such as a batch of the wrong width:
///
/// ```compile_fail
/// use typenet::prelude::*;
/// network! { struct Net { input: 64, dense(10), loss: softmax_cross_entropy } }
/// let net = Net::<f32>::zeroed();
/// net.forward(&[[0.0f32; 63]; 4]); // expected an array with a size of 64, found one with a size of 63
/// ```
pub use typenet_macros::network;

/// Training: one step ([`Training`](train::Training)) and the trainer around it
/// ([`Trainer`](train::Trainer)); everything of `typenet_core::train`, with examples that
/// declare networks.
///
/// One step is one call on a `Training`, which holds the optimizer and one block with the
/// gradients, the optimizer's state and the cache:
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use typenet::prelude::*;
///
/// network! {
///     struct Xor { input: 2, dense(8), tanh, dense(2), loss: softmax_cross_entropy }
/// }
///
/// let mut rng = StdRng::seed_from_u64(7);
/// let mut net = Xor::<f32>::new(&mut rng);
/// let mut training = Training::<Xor, _, 4>::new(Momentum::new(0.2, 0.9)?);
/// let (x, labels) = ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]);
/// for _ in 0..500 {
///     training.step(&mut net, &x, &labels, &mut rng)?;
/// }
/// assert_eq!(net.predict(&x)?, labels);
/// assert_eq!(training.steps(), 500);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A `Trainer` runs a `Training` over a data set for epochs, with validation, schedules and
/// early stopping:
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use typenet::prelude::*;
///
/// network! {
///     struct Xor { input: 2, dense(8), tanh, dense(2), loss: softmax_cross_entropy }
/// }
///
/// let x = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// let labels = [0, 1, 1, 0];
/// let data = Samples::new(&x, &labels)?;
/// let mut rng = StdRng::seed_from_u64(7);
/// let mut net = Xor::<f32>::new(&mut rng);
/// let mut trainer = Trainer::new(Training::<Xor, _, 2>::new(Momentum::new(0.2, 0.9)?))
///     .epochs(300)
///     .early_stopping(EarlyStopping::new(20));
/// let report = trainer.fit(&mut net, data, Some(data), &mut rng)?;
/// assert_eq!(report.history.len(), report.summary.epochs);
/// println!("{}", report.summary.stop);
/// assert_eq!(net.predict(&x)?, labels);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod train {
    pub use typenet_core::train::*;
}

/// What a network needs in memory, in bytes, as constants; everything of
/// `typenet_core::memory`, with an example that declares a network.
///
/// ```
/// use typenet::memory::{training_budget, InferenceMemory, TrainingMemory};
/// use typenet::prelude::*;
/// use typenet::train::StepBlocks;
///
/// network! {
///     struct Digits { input: 64, hidden: dense(128), relu, output: dense(10), loss: softmax_cross_entropy }
/// }
///
/// // 64·128 + 128 weights and biases, then 128·10 + 10, of 4 bytes.
/// assert_eq!(Digits::<f32>::PARAMETER_BYTES, 38_440);
/// type AdamAt8 = TrainingMemory<Digits, Adam, 8>;
/// assert_eq!(AdamAt8::OPTIMIZER_STATE_BYTES, 2 * 38_440);
/// assert_eq!(AdamAt8::STEP_BYTES, core::mem::size_of::<StepBlocks<Digits, Adam, 8>>());
/// assert_eq!(AdamAt8::TOTAL_BYTES, Digits::<f32>::NETWORK_BYTES + AdamAt8::STEP_BYTES);
/// // Inference needs the network and two buffers of 128 floats: 38,440 + 1,024.
/// assert_eq!(InferenceMemory::<Digits, 1>::TOTAL_BYTES, 39_464);
///
/// // The inference pass in that scratch gives `forward`'s outputs, and `predict`'s classes.
/// use typenet::rand::{rngs::StdRng, SeedableRng};
/// use typenet::InferenceScratch;
/// let net = Digits::<f32>::new(&mut StdRng::seed_from_u64(1));
/// let x = [[0.5; 64]];
/// let mut scratch = InferenceScratch::<Digits, 1>::zeroed();
/// assert_eq!(core::mem::size_of_val(&scratch), 1_024);
/// assert_eq!(net.infer(&x, &mut scratch), &net.forward(&x));
/// assert_eq!(net.predict_with(&x, &mut scratch).unwrap(), net.predict(&x).unwrap());
///
/// // A trained network's bytes, kept aligned for the scalar (in a `static` of
/// // `include_bytes!` on a device), viewed as the network without copying.
/// #[repr(C, align(8))]
/// struct Aligned([u8; Digits::<f32>::NETWORK_BYTES]);
/// let mut flash = Box::new(Aligned([0; Digits::<f32>::NETWORK_BYTES]));
/// flash.0.copy_from_slice(net.as_bytes());
/// let view: &Digits = Digits::view_bytes(&flash.0).unwrap();
/// assert_eq!(view.infer(&x, &mut scratch), &net.forward(&x));
/// assert!(Digits::<f32>::view_bytes(&flash.0[1..]).is_err());
///
/// // What a `budget: 48 KiB for training with adam at batch 8` compiles to.
/// let budget = training_budget::<Digits, Adam, 8, f32>(48 * 1024, "48 KiB", "Adam");
/// assert_eq!(
///     budget.exceeded(),
///     Some("this network needs 172,832 bytes to train with Adam at batch 8, over the budget of 49,152 (48 KiB): optimizer state 76,880, parameters 38,440, gradients 38,440"),
/// );
/// ```
pub mod memory {
    pub use typenet_core::memory::*;
}

/// Weights and checkpoints in the safetensors format, with PyTorch's names and layouts,
/// without a heap; everything of `typenet_core::io`, with examples that declare networks.
///
/// Weights go into a caller's buffer and come back from any `&[u8]` (an `include_bytes!` of
/// a file in flash, say), with no allocation; every tensor is checked before anything is
/// written:
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// use typenet::io::{load_weights, weights_len, write_weights, Name};
/// use typenet::prelude::*;
///
/// network! {
///     struct Net { input: 4, hidden: dense(8), norm: batch_norm, relu, out: dense(3), loss: softmax_cross_entropy }
/// }
///
/// let net = Net::<f32>::new(&mut StdRng::seed_from_u64(1));
/// let mut buf = [0u8; 2048]; // 1068 bytes are needed
/// let len = write_weights(&net, &mut buf)?;
/// assert_eq!(len, weights_len(&net));
/// let mut copy = Net::<f32>::zeroed();
/// load_weights(&mut copy, &buf[..len])?;
/// assert_eq!(copy.as_flat(), net.as_flat());
///
/// // Another network's file is refused, naming the tensor, and nothing is written.
/// network! {
///     struct Wider { input: 4, hidden: dense(9), norm: batch_norm, relu, out: dense(3), loss: softmax_cross_entropy }
/// }
/// let err = load_weights(&mut Wider::<f32>::zeroed(), &buf[..len]).unwrap_err();
/// assert_eq!(err.to_string(), "tensor `hidden.weight` has shape [8, 4] in the file, but [9, 4] in the network");
/// # Ok::<(), Error>(())
/// ```
///
/// A checkpoint adds the optimizer's state and progress, the schedule's and the step count;
/// a run resumed from it goes on exactly as if it had not stopped, given the same random
/// numbers, which the caller keeps (here, a `ChaCha12Rng`'s position saved in the
/// checkpoint's metadata):
///
/// ```
/// use rand::{rngs::ChaCha12Rng, SeedableRng};
/// use typenet::io::metadata;
/// use typenet::prelude::*;
///
/// network! {
///     struct Xor { input: 2, dense(8), tanh, dense(2), loss: softmax_cross_entropy }
/// }
/// let x = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// let labels = [0, 1, 1, 0];
/// let data = Samples::new(&x, &labels)?;
/// let trainer = || -> Result<_, Error> {
///     let training = Training::<Xor, _, 2>::new(Adam::new(0.05)?);
///     Ok(Trainer::new(training).epochs(20).schedule_per_epoch(CosineAnnealing::new(0.05, 40, 0.0)?))
/// };
///
/// // Train 20 epochs and save.
/// let mut rng = ChaCha12Rng::seed_from_u64(3);
/// let mut net = Xor::<f32>::new(&mut rng);
/// let mut first = trainer()?;
/// first.fit(&mut net, data, None, &mut rng)?;
/// let position = rng.get_word_pos().to_string();
/// let bytes = first.checkpoint_to_vec(&net, &[("rng", &position)])?;
///
/// // Later, in another program: build everything as before, load, and train on.
/// let mut resumed = Xor::<f32>::zeroed();
/// let mut second = trainer()?;
/// second.load_checkpoint(&mut resumed, &bytes)?;
/// let mut resumed_rng = ChaCha12Rng::seed_from_u64(3);
/// resumed_rng.set_word_pos(metadata(&bytes, "rng")?.unwrap().parse()?);
/// second.fit(&mut resumed, data, None, &mut resumed_rng)?;
///
/// // The first run, trained on without stopping, ends with the very same network.
/// first.fit(&mut net, data, None, &mut rng)?;
/// assert_eq!(resumed.as_flat(), net.as_flat());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod io {
    pub use typenet_core::io::*;
}

/// The names most programs need: `use typenet::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "alloc")]
    pub use crate::data::Dataset;
    pub use crate::dim::{Batch, Const};
    pub use crate::dim::{
        U1, U10, U1024, U128, U16, U2, U256, U3, U32, U4, U5, U512, U6, U64, U7, U8, U9,
    };
    pub use crate::mode::{Eval, Train};
    pub use crate::network;
    pub use crate::normalize::{Center, Normalizer, Standardizer};
    #[cfg(feature = "alloc")]
    pub use crate::normalize::{Whitening, WhiteningKind};
    pub use crate::optim::{Adagrad, Adam, AdamW, Momentum, Optimizer, RmsProp, Sgd, WeightDecay};
    pub use crate::schedule::{CosineAnnealing, LinearWarmup, ReduceOnPlateau, Schedule};
    pub use crate::tensors::{Role, TensorInfo, Tensors};
    pub use crate::train::{EarlyStopping, Samples, Trainer, Training};
    pub use crate::{
        Error, Evaluation, Flat, Init, InvalidHyperParameter, Matrix, Network, Scalar,
    };
}

/// What the code that `network!` generates names. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use typenet_core::dim::*;
    pub use typenet_core::flat::{flat_clone, prefix, prefix_mut, Marker, Widest};
    pub use typenet_core::flat_struct;
    // Layers and losses by module, so that a new one needs no line here.
    pub use typenet_core::layers::{
        self, Backward, BuffersOf, Forward, Layer, LayerCache, ParamsOf,
    };
    pub use typenet_core::loss;
    pub use typenet_core::mode::Mode;
    pub use typenet_core::rand::Rng;
    pub use typenet_core::tensors::{LayerTensors, TensorInfo, Tensors};
    pub use typenet_core::{memory, optim};
    pub use typenet_core::{ActivationsOf, InputGradSlot, PingPong, TrainingBatch};
    pub use typenet_core::{Flat, Init, InputOf, LayerOutput, Network, OutputOf, Scalar};
}
