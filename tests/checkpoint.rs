//! Checkpoints: a run saved after 3 epochs and resumed in fresh objects ends, after 3 more,
//! with the very bits of a run of 6 epochs that never stopped, for several optimizers and
//! learning-rate policies; a checkpoint is written and read with PyTorch's names, bit for
//! bit, and a wrong one is refused with nothing changed.

mod blobs;

use blobs::blobs;
use rand::rngs::ChaCha12Rng;
use rand::SeedableRng;
use typenet::io::{
    checkpoint_len, load_checkpoint, load_weights, metadata, write_checkpoint, Name, Resume,
};
use typenet::prelude::*;
use typenet::schedule::StepDecay;
use typenet::train::{ConstantLr, LrPolicy, StepBlocks};

network! {
    /// Batch norm (buffers) and dropout (random numbers) make resuming harder to get right.
    struct Net {
        input: 2,
        hidden: dense(8),
        norm: batch_norm,
        relu,
        drop: dropout(0.1),
        out: dense(3),
        loss: softmax_cross_entropy,
    }
}

const B: usize = 8;
type Run<O, L> = Trainer<Net, O, B, f32, StepBlocks<Net, O, B, f32>, L>;

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// Everything a run leaves that the next epoch reads.
fn fingerprint<O: Optimizer<f32>, L: LrPolicy<f32>>(net: &Net, run: &Run<O, L>) -> Vec<u32> {
    let mut all = bits(net.as_flat());
    all.extend(bits(run.training().blocks().state.as_flat()));
    all.push(run.training().optimizer().lr().to_bits());
    all.push(run.training().steps() as u32);
    all
}

/// Trains 6 epochs straight, and 3 + checkpoint + 3 in fresh objects, and compares every
/// bit. Returns the checkpoint.
fn resumes_exactly<O, L>(make: impl Fn() -> Run<O, L>, validate: bool) -> Vec<u8>
where
    O: Optimizer<f32> + Resume + Clone,
    L: LrPolicy<f32> + Resume + Clone,
{
    // 90 rows in batches of 8: the last batch of each epoch wraps around.
    let (x, y) = blobs(90, 0.5, 1);
    let data = Samples::new(&x, &y).unwrap();
    let validation = validate.then(|| Samples::new(&x[..30], &y[..30]).unwrap());

    let mut rng = ChaCha12Rng::seed_from_u64(11);
    let mut net = Net::new(&mut rng);
    let mut straight = make().epochs(6);
    straight.fit(&mut net, data, validation, &mut rng).unwrap();

    let bytes = {
        let mut rng = ChaCha12Rng::seed_from_u64(11);
        let mut net = Net::new(&mut rng);
        let mut first = make().epochs(3);
        first.fit(&mut net, data, validation, &mut rng).unwrap();
        let position = rng.get_word_pos().to_string();
        first
            .checkpoint_to_vec(&net, &[("rng.word_pos", &position)])
            .unwrap()
    };

    // A new program: other initial values, which the checkpoint overwrites.
    let mut resumed = Net::new(&mut ChaCha12Rng::seed_from_u64(99));
    let mut second = make().epochs(3);
    second.load_checkpoint(&mut resumed, &bytes).unwrap();
    let mut rng = ChaCha12Rng::seed_from_u64(11);
    let position = metadata(&bytes, "rng.word_pos").unwrap().unwrap();
    rng.set_word_pos(position.parse().unwrap());
    second
        .fit(&mut resumed, data, validation, &mut rng)
        .unwrap();

    assert_eq!(fingerprint(&resumed, &second), fingerprint(&net, &straight));
    bytes
}

fn adam_with_cosine() -> Run<Adam, PerEpochCosine> {
    let lr = 0.02;
    Trainer::new(Training::new(Adam::new(lr).unwrap()))
        .schedule_per_epoch(CosineAnnealing::new(lr, 4, 0.001).unwrap())
}
type PerEpochCosine = typenet::train::PerEpoch<CosineAnnealing>;

#[test]
fn adam_with_a_schedule_per_epoch_resumes_bit_for_bit() {
    let bytes = resumes_exactly(adam_with_cosine, false);
    // 12 steps an epoch, 3 epochs; Adam's t and the schedule's epoch count, as PyTorch names them.
    assert_eq!(metadata(&bytes, "step").unwrap(), Some("36"));
    assert_eq!(metadata(&bytes, "optimizer.step").unwrap(), Some("36"));
    assert_eq!(metadata(&bytes, "schedule.last_epoch").unwrap(), Some("3"));
    let lr: f32 = metadata(&bytes, "optimizer.lr")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    let schedule_lr: f64 = metadata(&bytes, "schedule.lr")
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(lr, schedule_lr as f32);
    assert!(lr < 0.02);
}

#[test]
fn momentum_with_a_warmup_then_decay_per_step_resumes_bit_for_bit() {
    resumes_exactly(
        || {
            let momentum = Momentum::new(0.05, 0.9).unwrap().annealed(0.5, 20).unwrap();
            let warmup = LinearWarmup::new(0.05, 0.1, 10).unwrap();
            let schedule = warmup.then(10, StepDecay::new(0.05, 15, 0.5).unwrap());
            Trainer::new(Training::new(momentum)).schedule_per_step(schedule)
        },
        false,
    );
}

#[test]
fn adam_w_with_reduce_on_plateau_resumes_bit_for_bit() {
    resumes_exactly(
        || {
            let plateau = ReduceOnPlateau::new(0.02).unwrap().with_patience(0);
            Trainer::new(Training::new(AdamW::new(0.02).unwrap())).reduce_on_plateau(plateau)
        },
        true,
    );
}

#[test]
fn rmsprop_and_adagrad_without_a_schedule_resume_bit_for_bit() {
    resumes_exactly(
        || Trainer::new(Training::new(RmsProp::new(0.01).unwrap())),
        false,
    );
    let adagrad = || {
        let opt = Adagrad::new(0.1).unwrap().with_lr_decay(0.01).unwrap();
        Trainer::new(Training::new(opt))
    };
    resumes_exactly(adagrad, false);
}

/// Whether a checkpoint holds a tensor named `name`.
fn names(bytes: &[u8], name: &str) -> bool {
    bytes.windows(name.len()).any(|w| w == name.as_bytes())
}

#[test]
fn amsgrad_and_rmsprop_with_momentum_centered_resume_bit_for_bit() {
    let amsgrad = || Trainer::new(Training::new(Adam::new(0.02).unwrap().amsgrad()));
    let bytes = resumes_exactly(amsgrad, false);
    assert!(names(&bytes, "\"hidden.weight.max_exp_avg_sq\""));
    let adam_w = || Trainer::new(Training::new(AdamW::new(0.02).unwrap().amsgrad()));
    resumes_exactly(adam_w, false);
    let rms_prop = || {
        let opt = RmsProp::new(0.01).unwrap().centered();
        Trainer::new(Training::new(opt.with_momentum(0.9).unwrap()))
    };
    let bytes = resumes_exactly(rms_prop, false);
    for name in ["square_avg", "momentum_buffer", "grad_avg"] {
        assert!(names(&bytes, &format!("\"out.bias.{name}\"")), "{name}");
    }
    let momentum = || {
        Trainer::new(Training::new(
            RmsProp::new(0.01).unwrap().with_momentum(0.5).unwrap(),
        ))
    };
    let bytes = resumes_exactly(momentum, false);
    assert!(!names(&bytes, "grad_avg"));
}

#[test]
fn the_weights_alone_do_not_resume_the_run() {
    // The control: without the optimizer's state and progress the runs part, so the test
    // above can fail.
    let bytes = resumes_exactly(adam_with_cosine, false);
    let (x, y) = blobs(90, 0.5, 1);
    let data = Samples::new(&x, &y).unwrap();
    let mut full = Net::zeroed();
    let mut with_state = adam_with_cosine().epochs(1);
    with_state.load_checkpoint(&mut full, &bytes).unwrap();
    let mut weights_only = full.clone();
    let mut without_state = adam_with_cosine().epochs(1);
    with_state
        .fit(&mut full, data, None, &mut ChaCha12Rng::seed_from_u64(5))
        .unwrap();
    without_state
        .fit(
            &mut weights_only,
            data,
            None,
            &mut ChaCha12Rng::seed_from_u64(5),
        )
        .unwrap();
    assert_ne!(bits(full.as_flat()), bits(weights_only.as_flat()));
}

/// A `Training` driven by hand, with a schedule of its own, in `f64`.
type Hand = Training<Net<f64>, Momentum<f64>, B, f64>;

fn hand_run(steps: usize) -> (Net<f64>, Hand, StepDecay<f64>) {
    let (x, y) = blobs(8, 0.5, 2);
    let x: [[f64; 2]; B] = core::array::from_fn(|i| x[i].map(f64::from));
    let y: [usize; B] = y.try_into().unwrap();
    let mut rng = ChaCha12Rng::seed_from_u64(3);
    let mut net = Net::<f64>::new(&mut rng);
    let mut training = Hand::new(Momentum::new(0.1, 0.9).unwrap());
    let mut schedule = StepDecay::new(0.1, 3, 0.5).unwrap();
    for _ in 0..steps {
        training.step(&mut net, &x, &y, &mut rng).unwrap();
        schedule.step();
        schedule.apply(training.optimizer_mut()).unwrap();
    }
    (net, training, schedule)
}

#[test]
fn a_checkpoint_goes_into_a_callers_buffer_and_round_trips_bit_for_bit() {
    let (net, training, schedule) = hand_run(7);
    let len = checkpoint_len(&net, &training, &schedule, &[]);
    let mut buf = [0u8; 8192];
    assert_eq!(
        write_checkpoint(&net, &training, &schedule, &[], &mut buf),
        Ok(len)
    );
    let bytes = &buf[..len];
    assert_eq!(
        metadata(bytes, "optimizer.buffer_started").unwrap(),
        Some("1")
    );

    let (mut net2, mut training2, mut schedule2) = hand_run(0);
    load_checkpoint(&mut net2, &mut training2, &mut schedule2, bytes).unwrap();
    assert_eq!(net2.as_flat(), net.as_flat());
    assert_eq!(
        training2.blocks().state.as_flat(),
        training.blocks().state.as_flat()
    );
    assert_eq!(training2.steps(), 7);
    assert_eq!(training2.optimizer().steps(), 7);
    assert_eq!(training2.optimizer().lr(), 0.025);
    assert_eq!(schedule2, schedule);
    let mut again = [0u8; 8192];
    write_checkpoint(&net2, &training2, &schedule2, &[], &mut again).unwrap();
    assert_eq!(&again[..len], bytes);

    let mut short = [0u8; 64];
    assert_eq!(
        write_checkpoint(&net, &training, &schedule, &[], &mut short),
        Err(Error::BufferTooSmall {
            needed: len,
            len: 64
        })
    );
}

/// Everything a load could change, to show that a refused one changed nothing.
fn snapshot(net: &Net, training: &Training<Net, Adam, B>) -> (Vec<u32>, Vec<u32>, u64, u64, f32) {
    let opt = training.optimizer();
    let state = training.blocks().state.as_flat();
    (
        bits(net.as_flat()),
        bits(state),
        training.steps(),
        opt.steps(),
        opt.lr(),
    )
}

#[test]
fn a_wrong_checkpoint_is_refused_and_changes_nothing() {
    let bytes = resumes_exactly(adam_with_cosine, false);
    let mut net = Net::new(&mut ChaCha12Rng::seed_from_u64(4));
    let mut training = Training::<Net, _, B>::new(Adam::new(0.5).unwrap());
    let before = snapshot(&net, &training);
    let mut cosine = CosineAnnealing::new(0.02, 4, 0.001).unwrap();

    // Another schedule's progress (one that keeps other values).
    let mut plateau = ReduceOnPlateau::new(0.02).unwrap();
    let err = load_checkpoint(&mut net, &mut training, &mut plateau, &bytes).unwrap_err();
    assert!(matches!(err, Error::MissingMetadata { ref key } if *key == "schedule.best"));
    assert_eq!(
        err.to_string(),
        "the checkpoint has no value `schedule.best`"
    );
    let err = load_checkpoint(&mut net, &mut training, &mut ConstantLr, &bytes).unwrap_err();
    assert!(matches!(err, Error::InvalidMetadata { ref key, .. } if *key == "schedule.last_epoch"));
    assert_eq!(snapshot(&net, &training), before);

    // Another optimizer's state.
    let mut momentum = Training::<Net, _, B>::new(Momentum::new(0.1, 0.9).unwrap());
    let err = load_checkpoint(&mut net, &mut momentum, &mut cosine, &bytes).unwrap_err();
    assert_eq!(
        err,
        Error::MissingTensor {
            tensor: Name::new("hidden.weight.momentum_buffer")
        }
    );

    // A weights file has no optimizer state, and a checkpoint is not a weights file.
    let err = load_checkpoint(
        &mut net,
        &mut training,
        &mut cosine,
        include_bytes!("fixtures/typenet_weights.safetensors"),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        Error::TensorShape { .. } | Error::MissingTensor { .. }
    ));
    let err = load_weights(&mut net, &bytes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the file has a tensor `hidden.bias.exp_avg` that the network does not have (did you mean `hidden.bias`?)"
    );

    // A negative second moment, and a step count that is not a number.
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    let with = |from: &str, to: &str| {
        assert!(header.contains(from), "{from}");
        let edited = header.replacen(from, to, 1);
        let mut out = (edited.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(edited.as_bytes());
        out.extend_from_slice(&bytes[8 + header_len..]);
        out
    };
    let bad_step = with("\"step\":\"36\"", "\"step\":\"3x\"");
    let err = load_checkpoint(&mut net, &mut training, &mut cosine, &bad_step).unwrap_err();
    assert_eq!(err.to_string(), "the value `step` must be a whole number");
    let bad_lr = with("\"optimizer.lr\":\"", "\"optimizer.lr\":\"-");
    let err = load_checkpoint(&mut net, &mut training, &mut cosine, &bad_lr).unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidMetadata {
            expected: "a finite number greater than 0",
            ..
        }
    ));

    let mut negative = bytes.clone();
    let at = header.find("\"out.bias.exp_avg_sq\"").unwrap();
    let offsets = header[at..].split("data_offsets\":[").nth(1).unwrap();
    let begin: usize = offsets.split(',').next().unwrap().parse().unwrap();
    let value = 8 + header_len + begin + 4; // the second value
    negative[value..value + 4].copy_from_slice(&(-1.0f32).to_le_bytes());
    let err = load_checkpoint(&mut net, &mut training, &mut cosine, &negative).unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 1 (counting from 0) of tensor `out.bias.exp_avg_sq` is -1, but must be a finite number at least 0"
    );

    let err = load_checkpoint(
        &mut net,
        &mut training,
        &mut cosine,
        &bytes[..bytes.len() - 3],
    )
    .unwrap_err();
    assert!(matches!(err, Error::Truncated { .. }));
    assert_eq!(snapshot(&net, &training), before);
    assert_eq!(cosine, CosineAnnealing::new(0.02, 4, 0.001).unwrap());
}

#[test]
fn extra_metadata_may_not_shadow_typenets_own() {
    let (net, training, schedule) = hand_run(1);
    let mut buf = [0u8; 8192];
    for key in ["step", "optimizer.lr", "schedule.anything", "format"] {
        let err =
            write_checkpoint(&net, &training, &schedule, &[(key, "1")], &mut buf).unwrap_err();
        assert!(matches!(err, Error::InvalidMetadata { key: ref k, .. } if *k == key));
    }
    let len = write_checkpoint(
        &net,
        &training,
        &schedule,
        &[("note", "a \"quoted\" value")],
        &mut buf,
    )
    .unwrap();
    // Escaped in the file, so not borrowed as it stands.
    assert!(matches!(
        metadata(&buf[..len], "note"),
        Err(Error::InvalidMetadata { .. })
    ));
}
