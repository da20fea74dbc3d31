//! Weights in and out of PyTorch in the safetensors format: a file PyTorch wrote loads and
//! reproduces PyTorch's outputs, typenet's writer writes the committed bytes (which PyTorch
//! loads with `strict=True`, checked by fixtures/interop.py), the round trip is bit-exact,
//! and every kind of bad file is a typed error that changes nothing.

use rand::{rngs::StdRng, SeedableRng};
use typenet::io::{load_weights, weights_len, weights_to_vec, write_weights, Dims, Dtype, Name};
use typenet::prelude::*;

mod fixtures {
    include!("fixtures/interop.rs");
}

network! {
    /// The twin of fixtures/interop.py's `nn.Sequential`.
    struct Interop {
        input: 4,
        hidden: dense(8),
        norm: batch_norm,
        relu,
        drop: dropout(0.2),
        out: dense(3),
        loss: softmax_cross_entropy,
    }
}

/// `state_dict()` of the trained PyTorch model, written by `safetensors.torch.save_file`.
const TORCH_FILE: &[u8] = include_bytes!("fixtures/interop.safetensors");

/// Where the bytes typenet writes for the negated network are committed.
const TYPENET_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/typenet_weights.safetensors"
);

fn assert_close(got: &[[f32; 3]; 5], expected: &[[f32; 3]; 5]) {
    for (r, (g, e)) in got.iter().zip(expected).enumerate() {
        for (c, (g, e)) in g.iter().zip(e).enumerate() {
            assert!(
                (g - e).abs() <= 1e-5,
                "row {r}, output {c}: {g} against {e}"
            );
        }
    }
}

/// The bits of every value of the network, parameters then buffers.
fn bits<T: Scalar + Into<f64>>(net: &impl Network<T>) -> Vec<u64> {
    net.as_flat().iter().map(|&v| v.into().to_bits()).collect()
}

#[test]
fn a_pytorch_state_dict_loads_and_gives_pytorchs_outputs() {
    let mut net = Interop::<f32>::zeroed();
    load_weights(&mut net, TORCH_FILE).unwrap();
    assert_close(&net.forward(&fixtures::INPUTS), &fixtures::OUTPUTS);
    // The running statistics moved in training, so evaluation really used them.
    let var = net.tensor("norm.running_var").unwrap();
    assert!(var.iter().all(|&v| v > 0.0 && v != 1.0));
}

#[test]
fn typenets_file_is_the_committed_one_and_pytorch_computes_the_same_outputs() {
    let mut net = Interop::<f32>::zeroed();
    load_weights(&mut net, TORCH_FILE).unwrap();
    for p in net.params.as_flat_mut() {
        *p = -*p;
    }
    let bytes = weights_to_vec(&net);
    if std::env::var_os("TYPENET_BLESS").is_some() {
        std::fs::write(TYPENET_FILE, &bytes).unwrap();
    }
    let committed = std::fs::read(TYPENET_FILE).unwrap();
    assert!(
        bytes == committed,
        "the writer's bytes changed: run fixtures/interop.py against a blessed file"
    );
    // fixtures/interop.py computed these from the committed file, loaded with strict=True.
    assert_close(&net.forward(&fixtures::INPUTS), &fixtures::TYPENET_OUTPUTS);
    // The same layout as PyTorch's own writer: the same length, to the byte.
    assert_eq!(bytes.len(), TORCH_FILE.len());
}

/// Values that a text format would lose: −0, subnormals, the extremes, and neighbours.
fn awkward<T: Scalar>(i: usize) -> T {
    let values = [
        -0.0,
        1e-310, // subnormal in f64, 0 in f32
        f64::MIN_POSITIVE,
        0.1,
        -1.0 / 3.0,
        1e-45,
        3.4028234663852886e38,
    ];
    T::from_f64(values[i % values.len()] * if i.is_multiple_of(3) { 1.0 } else { -1.0 })
}

fn round_trip<T: Scalar + Into<f64>>() {
    let mut net = Interop::<T>::new(&mut StdRng::seed_from_u64(3));
    for (i, p) in net.params.as_flat_mut().iter_mut().enumerate().take(20) {
        *p = awkward(i);
    }
    net.load_tensor("norm.running_mean", &[T::from_f64(-1e-40); 8])
        .unwrap();
    let bytes = weights_to_vec(&net);
    assert_eq!(bytes.len(), weights_len(&net));
    let mut copy = Interop::<T>::zeroed();
    load_weights(&mut copy, &bytes).unwrap();
    assert_eq!(bits(&copy), bits(&net));
    assert_eq!(
        weights_to_vec(&copy),
        bytes,
        "written twice, the same bytes"
    );
}

#[test]
fn the_round_trip_is_bit_exact_in_f32_and_f64() {
    round_trip::<f32>();
    round_trip::<f64>();
}

#[test]
fn writing_needs_no_heap_and_a_short_buffer_is_untouched() {
    let net = Interop::<f32>::new(&mut StdRng::seed_from_u64(4));
    let len = weights_len(&net);
    let mut short = vec![7u8; len - 1];
    assert_eq!(
        write_weights(&net, &mut short),
        Err(Error::BufferTooSmall {
            needed: len,
            len: len - 1
        })
    );
    assert!(short.iter().all(|&b| b == 7), "nothing written");
    let mut long = [7u8; 4096];
    assert_eq!(write_weights(&net, &mut long), Ok(len));
    assert!(long[len..].iter().all(|&b| b == 7));
    assert_eq!(&long[..len], &weights_to_vec(&net)[..]);
    // The header is padded with spaces so that the data starts 8-byte aligned.
    let header = u64::from_le_bytes(long[..8].try_into().unwrap()) as usize;
    assert_eq!(header % 8, 0);
    let text = std::str::from_utf8(&long[8..8 + header]).unwrap();
    assert!(text.starts_with(r#"{"__metadata__":{"format":"pt"},"hidden.bias":{"dtype":"F32","shape":[8],"data_offsets":[0,32]},"hidden.weight":{"dtype":"F32","shape":[8,4]"#));
    assert!(text.contains(r#""norm.num_batches_tracked":{"dtype":"I64","shape":[],"#));
}

// Files made by hand, to break one thing at a time.

/// One tensor of a hand-made file: name, dtype, shape, bytes.
type Entry = (String, &'static str, Vec<usize>, Vec<u8>);

/// The entries of the PyTorch fixture, as this test reads them back from a typed network:
/// every tensor in F32, and `num_batches_tracked`.
fn torch_entries() -> Vec<Entry> {
    let mut net = Interop::<f32>::zeroed();
    load_weights(&mut net, TORCH_FILE).unwrap();
    let mut entries = Vec::new();
    net.visit_tensors(|t, values| {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        entries.push((t.to_string(), "F32", t.shape.dims().to_vec(), bytes));
    });
    entries.push((
        "norm.num_batches_tracked".into(),
        "I64",
        vec![],
        20i64.to_le_bytes().to_vec(),
    ));
    entries
}

/// A safetensors file of `entries`, their data in order.
fn file(entries: &[Entry]) -> Vec<u8> {
    let mut header = String::from("{");
    let mut offset = 0;
    for (i, (name, dtype, shape, bytes)) in entries.iter().enumerate() {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let end = offset + bytes.len();
        header += &format!(
            r#"{}"{name}": {{"dtype": "{dtype}", "shape": [{}], "data_offsets": [{offset}, {end}]}}"#,
            if i > 0 { ", " } else { "" },
            dims.join(", ")
        );
        offset = end;
    }
    header.push('}');
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    for (.., bytes) in entries {
        out.extend_from_slice(bytes);
    }
    out
}

/// Loads `bytes` into a trained network, expecting an error, and checks that nothing
/// changed.
fn refused(bytes: &[u8]) -> Error {
    let mut net = Interop::<f32>::new(&mut StdRng::seed_from_u64(5));
    let before = bits(&net);
    let err = load_weights(&mut net, bytes).unwrap_err();
    assert_eq!(bits(&net), before, "{err}: the network changed");
    err
}

fn edited(edit: impl FnOnce(&mut Vec<Entry>)) -> Vec<u8> {
    let mut entries = torch_entries();
    edit(&mut entries);
    file(&entries)
}

fn position(entries: &[Entry], name: &str) -> usize {
    entries.iter().position(|e| e.0 == name).unwrap()
}

#[test]
fn a_hand_made_file_loads_in_any_order_with_or_without_the_batch_count() {
    let mut entries = torch_entries();
    entries.reverse();
    let mut net = Interop::<f32>::zeroed();
    load_weights(&mut net, &file(&entries)).unwrap();
    assert_close(&net.forward(&fixtures::INPUTS), &fixtures::OUTPUTS);
    entries.retain(|e| e.0 != "norm.num_batches_tracked");
    load_weights(&mut Interop::<f32>::zeroed(), &file(&entries)).unwrap();
}

#[test]
fn a_missing_or_extra_tensor_is_named() {
    let err = refused(&edited(|e| {
        let i = position(e, "out.bias");
        e.remove(i);
    }));
    assert_eq!(
        err,
        Error::MissingTensor {
            tensor: Name::new("out.bias")
        }
    );
    assert_eq!(err.to_string(), "the file has no tensor `out.bias`");

    let err = refused(&edited(|e| {
        e.push(("outt.bias".into(), "F32", vec![3], vec![0; 12]));
    }));
    assert_eq!(
        err.to_string(),
        "the file has a tensor `outt.bias` that the network does not have (did you mean `out.bias`?)"
    );
    let err = refused(&edited(|e| {
        e.push(("momentum".into(), "F32", vec![], vec![0; 4]))
    }));
    assert_eq!(
        err,
        Error::UnexpectedTensor {
            tensor: Name::new("momentum"),
            closest: None
        }
    );
}

#[test]
fn a_wrong_shape_names_the_tensor_and_both_shapes() {
    let err = refused(&edited(|e| {
        let i = position(e, "hidden.weight");
        e[i].2 = vec![4, 8]; // transposed: the same number of values
    }));
    assert_eq!(
        err,
        Error::TensorShape {
            tensor: Name::new("hidden.weight"),
            expected: Dims::new(&[8, 4]),
            found: Dims::new(&[4, 8]),
        }
    );
    assert_eq!(
        err.to_string(),
        "tensor `hidden.weight` has shape [4, 8] in the file, but [8, 4] in the network"
    );
    let err = refused(&edited(|e| {
        let i = position(e, "norm.num_batches_tracked");
        e[i].2 = vec![1];
    }));
    assert!(
        matches!(err, Error::TensorShape { ref tensor, .. } if *tensor == "norm.num_batches_tracked")
    );
}

#[test]
fn a_wrong_dtype_is_refused() {
    // An f64 network's file into an f32 network.
    let net = Interop::<f64>::new(&mut StdRng::seed_from_u64(6));
    let err = refused(&weights_to_vec(&net));
    assert_eq!(
        err,
        Error::TensorDtype {
            tensor: Name::new("hidden.weight"),
            expected: Dtype::F32,
            found: Dtype::F64
        }
    );
    assert_eq!(
        err.to_string(),
        "tensor `hidden.weight` is F64 in the file, but must be F32"
    );
    // And PyTorch's float32 file into an f64 network.
    let mut wide = Interop::<f64>::zeroed();
    assert!(matches!(
        load_weights(&mut wide, TORCH_FILE),
        Err(Error::TensorDtype {
            expected: Dtype::F64,
            found: Dtype::F32,
            ..
        })
    ));
    let err = refused(&edited(|e| {
        let i = position(e, "norm.num_batches_tracked");
        e[i].1 = "F64";
    }));
    assert!(matches!(
        err,
        Error::TensorDtype {
            expected: Dtype::I64,
            found: Dtype::F64,
            ..
        }
    ));
    let err = refused(&edited(|e| {
        let i = position(e, "out.bias");
        e[i].1 = "F8_E4M3";
        e[i].3.truncate(3);
    }));
    assert_eq!(
        err.to_string(),
        "tensor `out.bias` is another type in the file, but must be F32"
    );
}

#[test]
fn non_finite_values_and_negative_variances_name_the_first_bad_index() {
    let with_value = |name: &str, index: usize, value: f32| {
        edited(|e| {
            let i = position(e, name);
            e[i].3[4 * index..4 * index + 4].copy_from_slice(&value.to_le_bytes());
        })
    };
    let err = refused(&with_value("hidden.weight", 5, f32::NAN));
    assert!(matches!(
        err,
        Error::InvalidTensorValue { ref tensor, index: 5, expected: "a finite number", .. } if *tensor == "hidden.weight"
    ));
    let err = refused(&with_value("out.bias", 2, f32::NEG_INFINITY));
    assert_eq!(
        err.to_string(),
        "value 2 (counting from 0) of tensor `out.bias` is -inf, but must be a finite number"
    );
    let err = refused(&with_value("norm.running_var", 3, -0.25));
    assert_eq!(
        err.to_string(),
        "value 3 (counting from 0) of tensor `norm.running_var` is -0.25, but must be a finite number at least 0"
    );
    // A running mean may be negative.
    load_weights(
        &mut Interop::<f32>::zeroed(),
        &with_value("norm.running_mean", 3, -0.25),
    )
    .unwrap();
    let err = refused(&edited(|e| {
        let i = position(e, "norm.num_batches_tracked");
        e[i].3 = (-1i64).to_le_bytes().to_vec();
    }));
    assert!(matches!(
        err,
        Error::InvalidTensorValue {
            expected: "a count at least 0",
            ..
        }
    ));
}

#[test]
fn a_truncated_file_is_refused_wherever_it_is_cut() {
    for cut in [0, 3, 8, 20, 200, TORCH_FILE.len() - 1] {
        let err = refused(&TORCH_FILE[..cut]);
        assert!(
            matches!(err, Error::Truncated { .. } | Error::MalformedHeader { .. }),
            "cut at {cut}: {err:?}"
        );
    }
    let err = refused(&TORCH_FILE[..TORCH_FILE.len() - 1]);
    assert_eq!(
        err,
        Error::Truncated {
            needed: TORCH_FILE.len() as u64,
            len: TORCH_FILE.len() as u64 - 1
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the file is truncated: it needs {} bytes but has {}",
            TORCH_FILE.len(),
            TORCH_FILE.len() - 1
        )
    );
}

#[test]
fn load_tensor_refuses_bad_values_and_suggests_the_nearest_name() {
    let mut net = Interop::<f32>::new(&mut StdRng::seed_from_u64(7));
    let before = bits(&net);
    let err = net
        .load_tensor(
            "hidden.bias",
            &[0.0, 1.0, f32::INFINITY, 0.0, 0.0, 0.0, 0.0, f32::NAN],
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidTensorValue { index: 2, .. }));
    let err = net
        .load_tensor(
            "norm.running_var",
            &[1.0, 1.0, 1.0, 1.0, -1e-30, 1.0, 1.0, 1.0],
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "value 4 (counting from 0) of tensor `norm.running_var` is -0.000000000000000000000000000001, but must be a finite number at least 0"
    );
    let err = net.load_tensor("norm.runing_var", &[1.0; 8]).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownTensor {
            name: Name::new("norm.runing_var"),
            closest: Some(Name::new("norm.running_var"))
        }
    );
    assert_eq!(
        err.to_string(),
        "the network has no tensor `norm.runing_var` (did you mean `norm.running_var`?)"
    );
    let err = net.load_tensor("drop.p", &[0.5]).unwrap_err();
    assert_eq!(err.to_string(), "the network has no tensor `drop.p`");
    assert_eq!(bits(&net), before, "nothing written");
    // Zero variance is allowed: ε keeps the division finite.
    net.load_tensor("norm.running_var", &[0.0; 8]).unwrap();
}
