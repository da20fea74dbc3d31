//! The loaders against random and mutated bytes: thousands of cases from a seeded generator,
//! each loaded as weights (`f32` and `f64`), as a checkpoint and for its metadata. None may
//! panic; a refused load leaves the network as it was, and an accepted one holds only finite
//! values.

use rand::rngs::StdRng;
use rand::{Rng, RngExt, SeedableRng};
use std::panic::{catch_unwind, AssertUnwindSafe};
use typenet::io::{checkpoint_to_vec, load_checkpoint, load_weights, metadata, weights_to_vec};
use typenet::prelude::*;
use typenet::schedule::StepDecay;

network! {
    struct Net {
        input: 3,
        hidden: dense(4),
        norm: batch_norm,
        relu,
        out: dense(2),
        loss: softmax_cross_entropy,
    }
}

const B: usize = 4;

/// Valid files to mutate: weights in both types, a checkpoint, and PyTorch's file of
/// another network.
fn seeds() -> Vec<Vec<u8>> {
    let mut rng = StdRng::seed_from_u64(1);
    let mut net = Net::<f32>::new(&mut rng);
    let mut training = Training::<Net, _, B>::new(Adam::new(0.01).unwrap());
    let x: [[f32; 3]; B] = core::array::from_fn(|i| [i as f32, 1.0 - i as f32, 0.5]);
    for _ in 0..3 {
        training
            .step(&mut net, &x, &[0, 1, 1, 0], &mut rng)
            .unwrap();
    }
    let schedule = StepDecay::new(0.01, 2, 0.5).unwrap();
    vec![
        weights_to_vec(&net),
        weights_to_vec(&Net::<f64>::new(&mut rng)),
        checkpoint_to_vec(&net, &training, &schedule, &[("note", "x")]).unwrap(),
        include_bytes!("fixtures/interop.safetensors").to_vec(),
    ]
}

/// Bytes that JSON and the format give meaning to.
const SIGNIFICANT: &[u8] = b"{}[]\":,0123456789-.eE \\u/_tfnF3I6U8";

fn mutate(bytes: &mut Vec<u8>, rng: &mut StdRng) {
    let len = bytes.len();
    let at = |rng: &mut StdRng| {
        if len == 0 {
            0
        } else {
            rng.random_range(0..len)
        }
    };
    // The header is where the structure is: aim most mutations there.
    let prefix = bytes.get(..8).and_then(|b| b.try_into().ok());
    let header = (u64::from_le_bytes(prefix.unwrap_or([0; 8])) as usize)
        .saturating_add(8)
        .min(len);
    let in_header = |rng: &mut StdRng| {
        if header == 0 {
            0
        } else {
            rng.random_range(0..header)
        }
    };
    match rng.random_range(0..10) {
        0 if len > 0 => {
            let i = at(rng);
            bytes[i] ^= 1 << rng.random_range(0..8);
        }
        1 | 2 if header > 0 => {
            let i = in_header(rng);
            bytes[i] = SIGNIFICANT[rng.random_range(0..SIGNIFICANT.len())];
        }
        3 => bytes.truncate(at(rng)),
        4 => {
            let i = in_header(rng);
            let n = rng.random_range(1..8);
            let junk: Vec<u8> = (0..n)
                .map(|_| SIGNIFICANT[rng.random_range(0..SIGNIFICANT.len())])
                .collect();
            bytes.splice(i..i, junk);
        }
        5 if len > 0 => {
            let i = in_header(rng);
            let end = (i + rng.random_range(1..16)).min(len);
            bytes.drain(i..end);
        }
        6 if len >= 8 => {
            // Another header length: near the real one, or anything.
            let n = if rng.random_bool(0.5) {
                (header as u64 - 8)
                    .wrapping_add(rng.random_range(0..16))
                    .wrapping_sub(8)
            } else {
                rng.next_u64()
            };
            bytes[..8].copy_from_slice(&n.to_le_bytes());
        }
        7 if len > 0 => {
            // A copy of one part of the header over another: duplicated keys, nesting.
            let (i, j) = (in_header(rng), in_header(rng));
            let n = rng.random_range(1..24).min(len - i.max(j));
            let part = bytes[i..i + n].to_vec();
            bytes[j..j + n].copy_from_slice(&part);
        }
        8 if len > header => {
            // A value in the data: NaN, ∞, a negative number or just noise.
            let i = rng.random_range(header..len);
            bytes[i] = [0xff, 0x7f, 0x80, rng.random()][rng.random_range(0..4)];
        }
        _ => {
            // A number of the header changed or made longer, up to 2⁶⁴ and past it: shapes
            // whose product overflows, offsets past the end.
            let digits: Vec<usize> = (0..header).filter(|&i| bytes[i].is_ascii_digit()).collect();
            if let Some(&i) = digits.get(rng.random_range(0..digits.len().max(1))) {
                bytes[i] = b'0' + rng.random_range(1..10);
                let more: Vec<u8> = (0..rng.random_range(0..20))
                    .map(|_| b'0' + rng.random_range(0..10))
                    .collect();
                bytes.splice(i + 1..i + 1, more);
            }
        }
    }
}

/// A header of random tokens under a correct length, or plain noise.
fn random_file(rng: &mut StdRng) -> Vec<u8> {
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"hidden.weight\"",
        "\"dtype\"",
        "\"F32\"",
        "\"I64\"",
        "\"shape\"",
        "\"data_offsets\"",
        "\"__metadata__\"",
        "\"step\"",
        "0",
        "4",
        "8",
        "16",
        "18446744073709551615",
        "-1",
        "1e3",
        "null",
        "true",
        " ",
        "\\u00e9",
        "\"\\ud800\"",
    ];
    if rng.random_bool(0.3) {
        let n = rng.random_range(0..64);
        return (0..n).map(|_| rng.random()).collect();
    }
    let mut header = String::new();
    for _ in 0..rng.random_range(0..40) {
        header.push_str(TOKENS[rng.random_range(0..TOKENS.len())]);
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend((0..rng.random_range(0..64)).map(|_| rng.random::<u8>()));
    out
}

/// Loads `bytes` every way; panics (caught by the caller) on a broken promise.
fn load_every_way(bytes: &[u8], rng: &mut StdRng) -> usize {
    let mut accepted = 0;
    let mut net = Net::<f32>::new(rng);
    let before = net.clone();
    match load_weights(&mut net, bytes) {
        Ok(()) => {
            assert!(net.as_flat().iter().all(|v| v.is_finite()));
            accepted += 1;
        }
        Err(e) => {
            assert_eq!(net.as_flat(), before.as_flat(), "{e}");
            let _ = e.to_string();
        }
    }
    let mut wide = Net::<f64>::new(rng);
    let before = wide.clone();
    match load_weights(&mut wide, bytes) {
        Ok(()) => accepted += 1,
        Err(e) => assert_eq!(wide.as_flat(), before.as_flat(), "{e}"),
    }
    let mut training = Training::<Net, _, B>::new(Adam::new(0.01).unwrap());
    let mut schedule = StepDecay::new(0.01, 2, 0.5).unwrap();
    let before = net.clone();
    match load_checkpoint(&mut net, &mut training, &mut schedule, bytes) {
        Ok(()) => accepted += 1,
        Err(e) => {
            assert_eq!(net.as_flat(), before.as_flat(), "{e}");
            assert_eq!(training.steps(), 0);
            assert_eq!(schedule, StepDecay::new(0.01, 2, 0.5).unwrap());
            let _ = e.to_string();
        }
    }
    let _ = metadata(bytes, "note");
    accepted
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let seeds = seeds();
    for s in &seeds[..3] {
        assert!(
            load_every_way(s, &mut StdRng::seed_from_u64(0)) >= 1,
            "a seed file loads"
        );
    }
    let mut rng = StdRng::seed_from_u64(20240613);
    let (mut cases, mut accepted, mut panics) = (0, 0, Vec::new());
    for case in 0..8000 {
        let bytes = if case % 4 == 3 {
            random_file(&mut rng)
        } else {
            let mut bytes = seeds[case % seeds.len()].clone();
            for _ in 0..rng.random_range(1..4) {
                mutate(&mut bytes, &mut rng);
            }
            bytes
        };
        let mut net_rng = StdRng::seed_from_u64(case as u64);
        match catch_unwind(AssertUnwindSafe(|| load_every_way(&bytes, &mut net_rng))) {
            Ok(n) => accepted += n,
            Err(_) => panics.push(bytes),
        }
        cases += 1;
    }
    assert!(
        panics.is_empty(),
        "{} of {cases} cases panicked; the first: {:?}",
        panics.len(),
        String::from_utf8_lossy(&panics[0])
    );
    // Some mutations leave a loadable file (a changed value, a changed padding byte); most
    // do not. Both kinds were exercised.
    assert!(
        accepted > 50 && accepted < cases,
        "{accepted} accepted of {cases}"
    );
}
