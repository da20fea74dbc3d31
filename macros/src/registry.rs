//! The one table of everything `network!` knows by name: layers, initializers, losses, and
//! the optimizers a memory budget names.
//!
//! Each row maps a name to its type in `typenet-core` and says how the macro composes it:
//! its width rule, its options (with their checks and defaults), and which blocks it has.
//! Error messages and "did you mean" hints come from the same rows. Adding a layer kind to
//! the macro is one row in [`LAYERS`]; its behaviour lives in core.

use proc_macro2::TokenStream;
use quote::quote;

/// How a layer's output width follows from its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WidthRule {
    /// Takes its output width (`dense(128)`), optionally with the input (`dense(64 -> 128)`).
    InOut,
    /// Keeps the width of the layer before it (activations, dropout, batch norm), and its
    /// image shape when it has one.
    Keeps,
    /// Takes an image and its output channels (`conv2d(8, kernel = 5)`), optionally with the
    /// input channels (`conv2d(1 -> 8, …)`); its output size follows from its window.
    Conv,
    /// Takes an image and keeps its channels; its output size follows from its window.
    Pool,
    /// Turns an image into the flat row it already is at run time: a step of the macro's
    /// shape tracking only, with no layer of its own.
    Flatten,
}

/// What values an option takes, and the rule the macro checks on a literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// An initializer name from [`INITS`].
    Init,
    /// A number in [0, 1): a probability of dropping.
    Probability,
    /// A number in [0, 1].
    UnitInterval,
    /// A finite number greater than 0.
    Positive,
    /// A window's size or stride: a whole number from 1 (square) or a pair `(height, width)`.
    Size,
    /// A window's zero padding: a whole number from 0 or a pair `(height, width)`.
    Padding,
}

impl OptionKind {
    /// The rule as the error message states it.
    pub fn rule(self) -> &'static str {
        match self {
            OptionKind::Init => "an initializer name",
            OptionKind::Probability => "a number in [0, 1)",
            OptionKind::UnitInterval => "a number in [0, 1]",
            OptionKind::Positive => "a number greater than 0",
            OptionKind::Size => "a whole number from 1, or a pair `(height, width)` of them",
            OptionKind::Padding => "a whole number from 0, or a pair `(height, width)` of them",
        }
    }

    /// A value that obeys the rule, for the "e.g." of an error message.
    pub fn example(self) -> &'static str {
        match self {
            OptionKind::Init => "he",
            OptionKind::Probability => "0.5",
            OptionKind::UnitInterval => "0.1",
            OptionKind::Positive => "1e-5",
            OptionKind::Size => "2",
            OptionKind::Padding => "1",
        }
    }

    /// Whether a literal value obeys the rule.
    pub fn accepts(self, value: f64) -> bool {
        match self {
            OptionKind::Init => false,
            OptionKind::Probability => (0.0..1.0).contains(&value),
            OptionKind::UnitInterval => (0.0..=1.0).contains(&value),
            OptionKind::Positive => value.is_finite() && value > 0.0,
            // Read as whole numbers or pairs by `check_shapes`, never as one number.
            OptionKind::Size | OptionKind::Padding => false,
        }
    }
}

/// One option of a layer, e.g. `p` of `dropout(p = 0.5)`.
pub struct OptionSpec {
    pub name: &'static str,
    pub kind: OptionKind,
    /// Whether it may be written without its name (`dropout(0.5)`).
    pub positional: bool,
    /// Its value when not written, as tokens; `None` for a required option. `init` has no
    /// literal default: it follows from the layers after the dense layer. A window's option
    /// may default to another by its name (a pool's `stride` to its `kernel`).
    pub default: Option<&'static str>,
    /// What it means, for the field documentation.
    pub doc: &'static str,
}

/// One kind of layer.
pub struct LayerKind {
    /// Its name in `network!`.
    pub name: &'static str,
    /// A short description for generated documentation.
    pub doc: &'static str,
    pub width: WidthRule,
    pub options: &'static [OptionSpec],
    /// Whether it has trainable parameters (a field in the network's parameter block).
    pub params: bool,
    /// Whether it has buffers (a field in the network's buffer block).
    pub buffers: bool,
    /// Its core type, given `::typenet::__private` and its widths (`[in, out]` for
    /// [`WidthRule::InOut`]; `[width]` for [`WidthRule::Keeps`], or `[width, channels]` over
    /// an image; `[in, out, out channels, patch, positions, kh, kw]` for [`WidthRule::Conv`],
    /// the last two numbers and the others typenum types; `[in, out]` for [`WidthRule::Pool`]).
    pub ty: fn(&TokenStream, &[TokenStream]) -> TokenStream,
    /// Its configuration value, given the type and its option values in table order. A layer
    /// with a window ([`WidthRule::Conv`], [`WidthRule::Pool`]) gets its input `[C, H, W]` and
    /// output channels first, then its `kernel`, `stride` and `padding` resolved as
    /// `[height, width]` pairs, then its other options.
    pub config: fn(&TokenStream, &TokenStream, &[TokenStream]) -> TokenStream,
}

pub const LAYERS: &[LayerKind] = &[
    LayerKind {
        name: "dense",
        doc: "a dense layer",
        width: WidthRule::InOut,
        options: &[OptionSpec {
            name: "init",
            kind: OptionKind::Init,
            positional: false,
            default: None,
            doc: "the weights' initializer",
        }],
        params: true,
        buffers: false,
        ty: |p, w| {
            let (i, o) = (&w[0], &w[1]);
            quote!(#p::layers::Dense<#i, #o>)
        },
        config: |_, ty, v| {
            let init = &v[0];
            quote!(<#ty>::new(#init))
        },
    },
    activation("relu", "ReLU", |p, w| {
        let w = &w[0];
        quote!(#p::layers::Elementwise<#p::layers::Relu, #w>)
    }),
    activation("tanh", "tanh", |p, w| {
        let w = &w[0];
        quote!(#p::layers::Elementwise<#p::layers::Tanh, #w>)
    }),
    activation("sigmoid", "the logistic sigmoid", |p, w| {
        let w = &w[0];
        quote!(#p::layers::Elementwise<#p::layers::Sigmoid, #w>)
    }),
    LayerKind {
        name: "dropout",
        doc: "inverted dropout",
        width: WidthRule::Keeps,
        options: &[OptionSpec {
            name: "p",
            kind: OptionKind::Probability,
            positional: true,
            default: None,
            doc: "the probability of dropping a unit",
        }],
        params: false,
        buffers: false,
        ty: |p, w| {
            let w = &w[0];
            quote!(#p::layers::Dropout<#w>)
        },
        config: |_, ty, v| {
            let p = &v[0];
            quote!(<#ty>::new(#p))
        },
    },
    LayerKind {
        name: "batch_norm",
        doc: "batch normalization",
        width: WidthRule::Keeps,
        options: &[
            OptionSpec {
                name: "eps",
                kind: OptionKind::Positive,
                positional: false,
                default: Some("1e-5"),
                doc: "the ε added to the variance",
            },
            OptionSpec {
                name: "momentum",
                kind: OptionKind::UnitInterval,
                positional: false,
                default: Some("0.1"),
                doc: "the weight of each new batch in the running statistics",
            },
        ],
        params: true,
        buffers: true,
        // Over an image, per channel (PyTorch's BatchNorm2d); over a row, per feature.
        ty: |p, w| match w {
            [w, channels] => quote!(#p::layers::BatchNorm2d<#w, #channels>),
            _ => {
                let w = &w[0];
                quote!(#p::layers::BatchNorm<#w>)
            }
        },
        config: |_, ty, v| {
            let (eps, momentum) = (&v[0], &v[1]);
            quote!(<#ty>::new(#eps, #momentum))
        },
    },
    LayerKind {
        name: "conv2d",
        doc: "a 2-D convolution",
        width: WidthRule::Conv,
        options: &[
            window_option("kernel", true, None, "the kernel's size"),
            window_option("stride", false, Some("1"), "the stride"),
            OptionSpec {
                name: "padding",
                kind: OptionKind::Padding,
                positional: false,
                default: Some("0"),
                doc: "the zero padding on each side",
            },
            OptionSpec {
                name: "init",
                kind: OptionKind::Init,
                positional: false,
                default: None,
                doc: "the weights' initializer",
            },
        ],
        params: true,
        buffers: false,
        ty: |p, w| {
            let (i, o, oc, k, positions, kh, kw) =
                (&w[0], &w[1], &w[2], &w[3], &w[4], &w[5], &w[6]);
            quote!(#p::layers::Conv2d<#i, #o, #oc, #k, #positions, #kh, #kw>)
        },
        config: |p, ty, v| {
            let (input, out_channels, kernel, stride, padding, init) =
                (&v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
            quote!(<#ty>::new(
                #p::layers::Conv2dGeometry {
                    input: #input,
                    out_channels: #out_channels,
                    kernel: #kernel,
                    stride: #stride,
                    padding: #padding,
                },
                #init,
            ))
        },
    },
    pool("max_pool2d", "2-D max pooling", |p, w| {
        let (i, o) = (&w[0], &w[1]);
        quote!(#p::layers::MaxPool2d<#i, #o>)
    }),
    pool("avg_pool2d", "2-D average pooling", |p, w| {
        let (i, o) = (&w[0], &w[1]);
        quote!(#p::layers::AvgPool2d<#i, #o>)
    }),
    LayerKind {
        name: "flatten",
        doc: "flattening",
        width: WidthRule::Flatten,
        options: &[],
        params: false,
        buffers: false,
        // Never expanded: `check` leaves `flatten` out of the plan's layers.
        ty: |_, _| quote!(),
        config: |_, _, _| quote!(),
    },
];

const fn window_option(
    name: &'static str,
    positional: bool,
    default: Option<&'static str>,
    doc: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        kind: OptionKind::Size,
        positional,
        default,
        doc,
    }
}

/// A pool's options, as PyTorch's: the stride defaults to the kernel.
const POOL_OPTIONS: &[OptionSpec] = &[
    window_option("kernel", true, None, "the window's size"),
    window_option("stride", true, Some("kernel"), "the stride"),
    OptionSpec {
        name: "padding",
        kind: OptionKind::Padding,
        positional: false,
        default: Some("0"),
        doc: "the padding on each side",
    },
];

/// A pooling layer.
const fn pool(
    name: &'static str,
    doc: &'static str,
    ty: fn(&TokenStream, &[TokenStream]) -> TokenStream,
) -> LayerKind {
    LayerKind {
        name,
        doc,
        width: WidthRule::Pool,
        options: POOL_OPTIONS,
        params: false,
        buffers: false,
        ty,
        config: |p, ty, v| {
            let (input, kernel, stride, padding) = (&v[0], &v[2], &v[3], &v[4]);
            quote!(<#ty>::new(#p::layers::Pool2dGeometry {
                input: #input,
                kernel: #kernel,
                stride: #stride,
                padding: #padding,
            }))
        },
    }
}

const fn activation(
    name: &'static str,
    doc: &'static str,
    ty: fn(&TokenStream, &[TokenStream]) -> TokenStream,
) -> LayerKind {
    LayerKind {
        name,
        doc,
        width: WidthRule::Keeps,
        options: &[],
        params: false,
        buffers: false,
        ty,
        config: |_, ty, _| quote!(<#ty>::NEW),
    }
}

/// Initializers: the name in `network!` and the `Init` variant in core.
pub const INITS: &[(&str, &str)] = &[
    ("lecun", "LeCun"),
    ("xavier", "Xavier"),
    ("xavier_sigmoid", "XavierSigmoid"),
    ("he", "He"),
    ("zeros", "Zeros"),
];

/// One loss.
pub struct LossKind {
    pub name: &'static str,
    /// Its core type (a unit struct) in `typenet_core::loss`.
    pub ty: &'static str,
    /// Whether targets are class indices (`usize`); otherwise they are rows like the output.
    pub classifies: bool,
    /// What it computes, for the generated documentation.
    pub doc: &'static str,
}

pub const LOSSES: &[LossKind] = &[
    LossKind {
        name: "softmax_cross_entropy",
        ty: "SoftmaxCrossEntropy",
        classifies: true,
        doc: "softmax cross-entropy of the outputs (logits) against class indices",
    },
    LossKind {
        name: "mean_squared_error",
        ty: "MeanSquaredError",
        classifies: false,
        doc: "mean squared error of the outputs against target rows",
    },
];

/// One optimizer, as a `budget: … for training with NAME …` names it. Only its core type
/// is here: what its state costs follows from that type's `State`, in core.
pub struct OptimizerKind {
    pub name: &'static str,
    /// Its core type in `typenet_core::optim`, generic over the scalar.
    pub ty: &'static str,
    /// How the budget's error message names it.
    pub display: &'static str,
}

pub const OPTIMIZERS: &[OptimizerKind] = &[
    optimizer("sgd", "Sgd", "SGD"),
    optimizer("momentum", "Momentum", "momentum"),
    // Nesterov's look-ahead is a flag of `Momentum`: the same state.
    optimizer("nesterov", "Momentum", "Nesterov momentum"),
    optimizer("adam", "Adam", "Adam"),
    optimizer("adamw", "AdamW", "AdamW"),
    optimizer("rmsprop", "RmsProp", "RMSprop"),
    optimizer("adagrad", "Adagrad", "Adagrad"),
];

const fn optimizer(name: &'static str, ty: &'static str, display: &'static str) -> OptimizerKind {
    OptimizerKind { name, ty, display }
}

/// The units of a budget's size, and how many bytes each is.
pub const UNITS: &[(&str, u64)] = &[("B", 1), ("KiB", 1 << 10), ("MiB", 1 << 20)];

pub fn optimizer_by_name(name: &str) -> Option<&'static OptimizerKind> {
    OPTIMIZERS.iter().find(|k| k.name == name)
}

pub fn optimizer_names() -> Vec<&'static str> {
    OPTIMIZERS.iter().map(|k| k.name).collect()
}

pub fn unit(name: &str) -> Option<u64> {
    UNITS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, bytes)| *bytes)
}

pub fn unit_names() -> Vec<&'static str> {
    UNITS.iter().map(|(n, _)| *n).collect()
}

pub fn layer(name: &str) -> Option<&'static LayerKind> {
    LAYERS.iter().find(|k| k.name == name)
}

pub fn loss(name: &str) -> Option<&'static LossKind> {
    LOSSES.iter().find(|k| k.name == name)
}

pub fn init(name: &str) -> Option<&'static str> {
    INITS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

pub fn layer_names() -> Vec<&'static str> {
    LAYERS.iter().map(|k| k.name).collect()
}

pub fn loss_names() -> Vec<&'static str> {
    LOSSES.iter().map(|k| k.name).collect()
}

pub fn init_names() -> Vec<&'static str> {
    INITS.iter().map(|(n, _)| *n).collect()
}

/// How a layer with the option `spec` is written with `value`: `dropout(0.5)` for a
/// positional option, `batch_norm(eps = 1e-5)` otherwise.
pub fn written_with(kind: &LayerKind, spec: &OptionSpec, value: &str) -> String {
    let name = kind.name;
    if spec.positional {
        format!("{name}({value})")
    } else {
        format!("{name}({} = {value})", spec.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_snake_case() {
        let mut names = layer_names();
        names.extend(loss_names());
        names.extend(init_names());
        names.extend(optimizer_names());
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert!(names.iter().all(|n| n
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')));
    }

    #[test]
    fn positional_options_come_first_and_required_ones_are_positional_or_init() {
        for kind in LAYERS {
            let first_named = kind.options.iter().position(|o| !o.positional);
            if let Some(i) = first_named {
                assert!(
                    kind.options[i..].iter().all(|o| !o.positional),
                    "{}",
                    kind.name
                );
            }
            for o in kind.options {
                assert!(
                    o.default.is_some() || o.positional || o.kind == OptionKind::Init,
                    "{}: a required option must be positional",
                    kind.name
                );
            }
        }
    }

    #[test]
    fn every_example_obeys_its_rule() {
        for kind in LAYERS {
            for spec in kind.options {
                let example = spec.kind.example();
                let ok = match spec.kind {
                    OptionKind::Init => init(example).is_some(),
                    // Whole numbers or pairs, read by `check_shapes`.
                    OptionKind::Size => example.parse::<usize>().is_ok_and(|n| n >= 1),
                    OptionKind::Padding => example.parse::<usize>().is_ok(),
                    rule => rule.accepts(example.parse().unwrap()),
                };
                assert!(ok, "{}: {example}", kind.name);
            }
        }
    }

    #[test]
    fn option_rules() {
        assert!(OptionKind::Probability.accepts(0.0));
        assert!(!OptionKind::Probability.accepts(1.0));
        assert!(!OptionKind::Probability.accepts(1.2));
        assert!(OptionKind::UnitInterval.accepts(1.0));
        assert!(!OptionKind::Positive.accepts(0.0));
        assert!(!OptionKind::Positive.accepts(f64::NAN));
    }
}

/// The tables of layers in the crate's documentation and the README must say what [`LAYERS`]
/// says: the same layers, each option by its name and default, every initializer and loss.
#[cfg(test)]
mod documented {
    use super::*;

    const README: &str = include_str!("../../README.md");
    const FACADE: &str = include_str!("../../src/lib.rs");

    /// The rows of the first table whose header starts with `| layer |`, split into cells
    /// (`\|` inside a cell is not a separator). Rustdoc's `/// ` prefix is dropped.
    fn layer_rows(text: &str) -> Vec<Vec<String>> {
        let lines: Vec<&str> = text
            .lines()
            .map(|l| l.trim_start().trim_start_matches("///").trim())
            .collect();
        let start = lines
            .iter()
            .position(|l| l.starts_with("| layer |"))
            .expect("a table of layers");
        lines[start + 2..]
            .iter()
            .take_while(|l| l.starts_with('|'))
            .map(|l| cells(l))
            .collect()
    }

    fn cells(row: &str) -> Vec<String> {
        let mut cells = vec![String::new()];
        let mut chars = row.trim_matches('|').chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.next_if_eq(&'|').is_some() => cells.last_mut().unwrap().push('|'),
                '|' => cells.push(String::new()),
                c => cells.last_mut().unwrap().push(c),
            }
        }
        cells.iter().map(|c| c.trim().to_string()).collect()
    }

    /// The layer names a first cell shows: `dense(out)`, `dense(in -> out)` is `dense`.
    fn names_in(cell: &str) -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(|code| {
                code.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect()
            })
            .collect()
    }

    fn check_table(source: &str, text: &str) {
        let rows = layer_rows(text);
        let mut documented: Vec<String> = rows.iter().flat_map(|r| names_in(&r[0])).collect();
        documented.dedup();
        let mut known: Vec<String> = layer_names().iter().map(|n| n.to_string()).collect();
        documented.sort();
        known.sort();
        assert_eq!(documented, known, "{source}: the table's layers");
        for kind in LAYERS {
            let row = rows
                .iter()
                .find(|r| names_in(&r[0]).iter().any(|n| n == kind.name))
                .unwrap();
            let options = &row[1];
            for spec in kind.options {
                let written = match spec.default {
                    Some(default) => format!("`{} = {default}`", spec.name),
                    None if spec.kind == OptionKind::Init => format!("`{} = ", spec.name),
                    None => format!("`{}`", spec.name),
                };
                assert!(
                    options.contains(&written),
                    "{source}: `{}` row lacks {written}: {options}",
                    kind.name
                );
                if spec.kind == OptionKind::Init {
                    for init in init_names() {
                        assert!(options.contains(init), "{source}: {init} in {options}");
                    }
                }
            }
            if kind.options.is_empty() {
                assert_eq!(
                    options, "none",
                    "{source}: `{}` takes no options",
                    kind.name
                );
            }
        }
        for loss in loss_names() {
            assert!(
                text.contains(&format!("`{loss}`")) || text.contains(&format!("loss: {loss}")),
                "{source} never names the loss `{loss}`"
            );
        }
    }

    #[test]
    fn the_readme_table_lists_every_layer_and_option() {
        check_table("README.md", README);
    }

    #[test]
    fn the_crate_docs_table_lists_every_layer_and_option() {
        check_table("src/lib.rs", FACADE);
    }

    #[test]
    fn a_row_splits_at_bars_that_are_not_escaped() {
        assert_eq!(
            cells("| `dense(out)` | `init = a \\| b` | y |"),
            ["`dense(out)`", "`init = a | b`", "y"]
        );
        assert_eq!(
            names_in("`dense(out)`, `dense(in -> out)`"),
            ["dense", "dense"]
        );
    }
}
