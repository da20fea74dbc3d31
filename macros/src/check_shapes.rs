//! Image shapes: an input written `[C, H, W]`, and what convolutions, pools and `flatten` make
//! of it. At run time an image is the flat row of its C·H·W values in PyTorch's order, so the
//! rest of the macro sees widths as before; this module computes every layer's `[C, H, W]`
//! and reports a size that does not work out at the argument that makes it so, with the
//! arithmetic in decimal.

use crate::check::{Errors, OptionValue, MAX_WIDTH};
use crate::parse::{Layer, Value, Width};
use crate::registry::{LayerKind, OptionKind, OptionSpec, WidthRule};
use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Lit, LitInt, Token};

/// `[channels, height, width]`.
pub type Image = [u64; 3];

/// A convolution's or pool's window, each as `[height, width]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub kernel: [u64; 2],
    pub stride: [u64; 2],
    pub padding: [u64; 2],
}

/// A checked layer's shapes, besides its flat widths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shapes {
    /// The image the layer takes, when its input is one.
    pub input: Option<Image>,
    /// The image the layer produces, when its output is one.
    pub output: Option<Image>,
    /// The window of a convolution or pool.
    pub window: Option<Window>,
    /// The image that a `flatten` before this layer turned into its input row.
    pub flattened: Option<Image>,
}

/// What a layer does to the shape flowing through the network.
pub enum Outcome {
    /// `flatten`: the image becomes its row; no layer of its own.
    Flatten,
    /// A mistake, reported (or, after an earlier one, nothing to compare): what the layer
    /// produces is unknown.
    Broken,
    Shaped(Shapes),
}

/// What flows into a layer: `None` after a broken layer; otherwise the flat width, and the
/// image it is when it is one.
pub type Incoming<'a> = Option<(&'a Width, Option<Image>)>;

/// The arguments of a layer that shape checking reads.
pub struct Args<'a> {
    /// The layer's name, for messages.
    pub field: &'a str,
    pub declared_input: Option<&'a Width>,
    pub output: Option<&'a Width>,
    pub options: &'a [Option<OptionValue>],
}

/// `[1, 28, 28]` as an image with its flat width (spanned at the brackets); `None` when the
/// value is not bracketed, `Some(None)` after an error at it.
pub fn input_image(value: &Value, errors: &mut Errors) -> Option<Option<(Image, Width)>> {
    let mut trees = value.tokens.clone().into_iter();
    let group = match (trees.next(), trees.next()) {
        (Some(TokenTree::Group(group)), None) if group.delimiter() == Delimiter::Bracket => group,
        _ => return None,
    };
    let shape = "an image input is written `[channels, height, width]`, e.g. `[1, 28, 28]`";
    // Anything else in brackets (`[u8; 4]`) is left to be reported as a width.
    let sizes = Punctuated::<Expr, Token![,]>::parse_terminated
        .parse2(group.stream())
        .ok()?;
    if sizes.len() != 3 {
        errors.push(Error::new(group.span(), shape));
        return Some(None);
    }
    let mut image = [0; 3];
    for (size, expr) in image.iter_mut().zip(&sizes) {
        let number = match expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(lit), ..
            }) => lit.base10_parse::<u64>().ok().filter(|&n| n >= 1),
            _ => None,
        };
        let Some(number) = number else {
            errors.push(Error::new_spanned(
                expr,
                "each size of an image input is a whole number from 1: `network!` computes \
                 every layer's size from them (generic sizes are not supported)",
            ));
            return Some(None);
        };
        *size = number;
    }
    let values = image.iter().try_fold(1u64, |all, &n| all.checked_mul(n));
    match values.filter(|&n| n <= MAX_WIDTH) {
        Some(n) => Some(Some((image, number(n, group.span())))),
        None => {
            let [c, h, w] = image;
            errors.push(Error::new(
                group.span(),
                format!("the image has {c} × {h} × {w} values; a width is at most {MAX_WIDTH}"),
            ));
            Some(None)
        }
    }
}

/// A width of `n`, spanned at `span`.
pub fn number(n: u64, span: Span) -> Width {
    Width::Literal(LitInt::new(&n.to_string(), span))
}

/// `[1, 28, 28]` for messages and documentation.
pub fn text(image: Image) -> String {
    let [c, h, w] = image;
    format!("[{c}, {h}, {w}]")
}

/// A window option's value: `5`, or `(5, 3)` for height and width, each a whole number at
/// least 1 (at least 0 for padding).
pub fn pair(value: &Value, spec: &OptionSpec, layer: &str) -> Result<[u64; 2], Error> {
    let min = u64::from(spec.kind == OptionKind::Size);
    let whole = |expr: &Expr| match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit.base10_parse::<u64>().ok(),
        _ => None,
    };
    let read = match value.read::<Expr>() {
        Ok(Expr::Tuple(tuple)) if tuple.elems.len() == 2 => {
            match (whole(&tuple.elems[0]), whole(&tuple.elems[1])) {
                (Some(h), Some(w)) => Some([h, w]),
                _ => None,
            }
        }
        Ok(expr) => whole(&expr).map(|n| [n, n]),
        Err(_) => None,
    };
    let name = spec.name;
    let rule = spec.kind.rule();
    match read {
        Some([h, w]) if h >= min && w >= min && h.max(w) <= MAX_WIDTH => Ok([h, w]),
        Some(_) => Err(Error::new_spanned(
            value,
            format!(
                "`{name}` of `{layer}` must be {rule} up to {MAX_WIDTH}, but it is {}",
                quote::ToTokens::to_token_stream(value)
            ),
        )),
        None => Err(Error::new_spanned(
            value,
            format!("`{name}` of `{layer}` must be {rule}, e.g. `{name} = 2` or `{name} = (2, 3)`"),
        )),
    }
}

/// The shapes of one layer, given what flows into it.
pub fn layer(
    layer: &Layer,
    kind: &LayerKind,
    args: &Args,
    incoming: Incoming,
    producer: &str,
    errors: &mut Errors,
) -> Outcome {
    match kind.width {
        WidthRule::Flatten => {
            if let Some((label, _)) = &layer.label {
                errors.push(Error::new_spanned(
                    label,
                    "`flatten` only reshapes, with no layer of its own: it takes no name",
                ));
            }
            Outcome::Flatten
        }
        WidthRule::InOut => {
            if let Some((_, Some(image))) = incoming {
                errors.push(Error::new_spanned(
                    &layer.kind,
                    format!(
                        "`{}` takes a flat row, but {producer} produces an image {}: write \
                         `flatten` before it",
                        kind.name,
                        text(image)
                    ),
                ));
            }
            Outcome::Shaped(Shapes::default())
        }
        WidthRule::Keeps => {
            let image = incoming.and_then(|(_, image)| image);
            Outcome::Shaped(Shapes {
                input: image,
                output: image,
                ..Shapes::default()
            })
        }
        WidthRule::Conv | WidthRule::Pool => {
            windowed(layer, kind, args, incoming, producer, errors)
        }
    }
}

/// A convolution or pool: its output channels, its window with PyTorch's defaults, and the
/// image it produces.
fn windowed(
    layer: &Layer,
    kind: &LayerKind,
    args: &Args,
    incoming: Incoming,
    producer: &str,
    errors: &mut Errors,
) -> Outcome {
    let image =
        match incoming {
            None => return Outcome::Broken,
            Some((_, Some(image))) => image,
            Some((width, None)) => {
                let hint = if producer == "the input" {
                    "; write the input as an image, e.g. `input: [1, 28, 28]`"
                } else {
                    ""
                };
                errors.push(Error::new_spanned(
                    &layer.kind,
                    format!(
                    "`{}` takes an image `[channels, height, width]`, but {producer} produces a \
                     flat row of {} values{hint}",
                    kind.name,
                    quote::ToTokens::to_token_stream(width).to_string().replace(' ', "")
                ),
                ));
                return Outcome::Broken;
            }
        };
    let out_channels = match kind.width {
        WidthRule::Conv => match channels(args, image[0], producer, errors) {
            Some(n) => n,
            None => return Outcome::Broken,
        },
        _ => image[0],
    };
    let options = WindowOptions::of(kind, args.options, layer);
    let Some((window, [oh, ow])) = options.output(kind, image, errors) else {
        return Outcome::Broken;
    };
    let [c, ..] = image;
    let [kh, kw] = window.kernel;
    let sizes = [
        out_channels.saturating_mul(oh).saturating_mul(ow),
        c.saturating_mul(kh).saturating_mul(kw),
    ];
    if sizes.iter().any(|&n| n > MAX_WIDTH) {
        errors.push(Error::new_spanned(
            layer,
            format!(
                "`{}` would make rows of {} values; a width is at most {MAX_WIDTH}",
                kind.name, sizes[0]
            ),
        ));
        return Outcome::Broken;
    }
    Outcome::Shaped(Shapes {
        input: Some(image),
        output: Some([out_channels, oh, ow]),
        window: Some(window),
        flattened: None,
    })
}

/// A convolution's output channels, and its input channels checked when declared
/// (`conv2d(1 -> 8, …)`): numbers, since every size after them follows from them.
fn channels(args: &Args, input: u64, producer: &str, errors: &mut Errors) -> Option<u64> {
    let generic = "the channels of `conv2d` must be a number: `network!` computes every \
                   size from them (generic channels are not supported)";
    let read = |width: &Width, errors: &mut Errors| match width.value() {
        Some(Ok(n)) => Some(n),
        _ => {
            errors.push(Error::new_spanned(width, generic));
            None
        }
    };
    let output = read(args.output?, errors)?;
    if let Some(declared) = args.declared_input {
        let n = read(declared, errors)?;
        if n != input {
            errors.push(Error::new_spanned(
                declared,
                format!(
                    "layer `{}` takes {n} channels, but {producer} produces {input}",
                    args.field
                ),
            ));
            return None;
        }
    }
    Some(output)
}

/// A window's options as written (with the tokens to point at) or defaulted.
struct WindowOptions {
    kernel: ([u64; 2], Option<TokenStream>),
    stride: ([u64; 2], Option<TokenStream>),
    padding: ([u64; 2], Option<TokenStream>),
}

impl WindowOptions {
    fn of(kind: &LayerKind, options: &[Option<OptionValue>], layer: &Layer) -> Self {
        let written = |name: &str| {
            let i = kind.options.iter().position(|o| o.name == name)?;
            match &options[i] {
                Some(OptionValue::Pair(value, tokens)) => Some((*value, tokens.clone())),
                _ => None,
            }
        };
        let default = |name: &str| -> [u64; 2] {
            let spec = kind.options.iter().find(|o| o.name == name);
            let n = spec.and_then(|o| o.default?.parse().ok()).unwrap_or(1);
            [n, n]
        };
        // The kernel is required: `check` reported it when missing.
        let kernel =
            written("kernel").map_or(([1, 1], Some(quote::quote!(#layer))), |(v, t)| (v, Some(t)));
        let pick = |name: &str| match written(name) {
            Some((value, tokens)) => (value, Some(tokens)),
            // A pool's stride defaults to its kernel, as in PyTorch.
            None if kind
                .options
                .iter()
                .any(|o| o.name == name && o.default == Some("kernel")) =>
            {
                (kernel.0, None)
            }
            None => (default(name), None),
        };
        WindowOptions {
            stride: pick("stride"),
            padding: pick("padding"),
            kernel,
        }
    }

    /// The window and the output's height and width, or an error at the option that makes
    /// a size not work out.
    fn output(
        &self,
        kind: &LayerKind,
        image: Image,
        errors: &mut Errors,
    ) -> Option<(Window, [u64; 2])> {
        let window = Window {
            kernel: self.kernel.0,
            stride: self.stride.0,
            padding: self.padding.0,
        };
        let what = if kind.width == WidthRule::Conv {
            "kernel"
        } else {
            "window"
        };
        let mut out = [0; 2];
        for (d, dim) in ["height", "width"].into_iter().enumerate() {
            let (input, k, s, p) = (
                image[1 + d],
                window.kernel[d],
                window.stride[d],
                window.padding[d],
            );
            let at =
                |tokens: &Option<TokenStream>| tokens.clone().or_else(|| self.kernel.1.clone());
            // PyTorch's rule for pools: padding at most half the window.
            if kind.width == WidthRule::Pool && 2 * p > k {
                errors.push(spanned(
                    at(&self.padding.1),
                    format!(
                        "a padding of {p} is more than half the window's {dim}, {k}: `{}` \
                         pads at most {k} / 2 = {}",
                        kind.name,
                        k / 2
                    ),
                ));
                return None;
            }
            let padded = input + 2 * p;
            let input_text = if p == 0 {
                format!("{input}")
            } else {
                format!("{input} + 2 × {p}")
            };
            if k > padded {
                let padded_text = if p == 0 {
                    format!("the input's, {input}")
                } else {
                    format!("the padded input's: {input_text} = {padded}")
                };
                errors.push(spanned(
                    self.kernel.1.clone(),
                    format!("the {what}'s {dim}, {k}, is larger than {padded_text}"),
                ));
                return None;
            }
            if (padded - k) % s != 0 {
                let exact = decimal((padded - k) as f64 / s as f64 + 1.0);
                let floor = (padded - k) / s + 1;
                let stride = match &self.stride.1 {
                    Some(_) => format!("a stride of {s}"),
                    None => format!("the default stride, {s} (the {what}),"),
                };
                errors.push(spanned(
                    at(&self.stride.1),
                    format!(
                        "{stride} does not fit the input's {dim}, {input}: ({input_text} − {k}) / \
                         {s} + 1 = {exact}, which PyTorch would floor to {floor}"
                    ),
                ));
                return None;
            }
            out[d] = (padded - k) / s + 1;
        }
        Some((window, out))
    }
}

fn spanned(tokens: Option<TokenStream>, message: String) -> Error {
    match tokens {
        Some(tokens) => Error::new_spanned(tokens, message),
        None => Error::new(Span::call_site(), message),
    }
}

/// `12.5`, `9.33`: at most two decimals, without trailing zeros.
fn decimal(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::{self, Plan};

    fn with_plan(src: &str, f: impl FnOnce(&Plan)) {
        let net = crate::parse::network(src.parse().expect("lexes")).expect("parses");
        match check::network(&net) {
            Ok(plan) => f(&plan),
            Err(e) => panic!("{src}: {e}"),
        }
    }

    /// Each error of a rejected description, with the text it points at.
    fn located(src: &str) -> Vec<(String, String)> {
        let result = crate::parse::network(src.parse().expect("lexes"))
            .and_then(|net| check::network(&net).map(|_| ()));
        let errors = result.expect_err("the network is rejected");
        errors
            .into_iter()
            .map(|e| (e.to_string(), src[e.span().byte_range()].to_string()))
            .collect()
    }

    fn one_error(body: &str, message: &str, at: &str) {
        let src = format!("struct N {{ {body}, loss: softmax_cross_entropy }}");
        assert_eq!(
            located(&src),
            [(message.to_string(), at.to_string())],
            "{src}"
        );
    }

    const LENET: &str = "struct LeNet {
        input: [1, 28, 28],
        conv1: conv2d(8, kernel = 5, padding = 2), relu, max_pool2d(2),
        conv2: conv2d(8 -> 16, 5), relu, pool2: max_pool2d(kernel = 2, stride = 2),
        flatten,
        dense(120), relu, dense(10),
        loss: softmax_cross_entropy,
    }";

    #[test]
    fn every_layer_of_a_lenet_has_its_shape() {
        with_plan(LENET, |plan| {
            assert_eq!(plan.input_image, Some([1, 28, 28]));
            let shapes: Vec<(String, Option<Image>, Option<Image>)> = plan
                .layers
                .iter()
                .map(|l| (l.field.to_string(), l.shapes.input, l.shapes.output))
                .collect();
            assert_eq!(
                shapes,
                [
                    ("conv1".into(), Some([1, 28, 28]), Some([8, 28, 28])),
                    ("relu1".into(), Some([8, 28, 28]), Some([8, 28, 28])),
                    ("max_pool2d1".into(), Some([8, 28, 28]), Some([8, 14, 14])),
                    ("conv2".into(), Some([8, 14, 14]), Some([16, 10, 10])),
                    ("relu2".into(), Some([16, 10, 10]), Some([16, 10, 10])),
                    ("pool2".into(), Some([16, 10, 10]), Some([16, 5, 5])),
                    ("dense1".into(), None, None),
                    ("relu3".into(), None, None),
                    ("dense2".into(), None, None),
                ]
            );
            let w = |l: &crate::check::Planned| {
                let (i, o) = (&l.input, &l.output);
                quote::quote!(#i -> #o).to_string()
            };
            let all: Vec<String> = plan.layers.iter().map(w).collect();
            assert_eq!(all[0], "784 -> 6272");
            assert_eq!(all[2], "6272 -> 1568");
            assert_eq!(all[5], "1600 -> 400");
            assert_eq!(all[6], "400 -> 120");
            assert_eq!(plan.layers[6].shapes.flattened, Some([16, 5, 5]));
            let conv1 = plan.layers[0].shapes.window.unwrap();
            assert_eq!(
                (conv1.kernel, conv1.stride, conv1.padding),
                ([5, 5], [1, 1], [2, 2])
            );
            let pool = plan.layers[2].shapes.window.unwrap();
            assert_eq!(
                (pool.kernel, pool.stride, pool.padding),
                ([2, 2], [2, 2], [0, 0])
            );
        });
    }

    #[test]
    fn windows_take_pairs_and_pytorch_defaults() {
        let src = "struct N {
            input: [3, 32, 19],
            conv2d(4, kernel = (5, 3), stride = (1, 2), padding = (2, 0)),
            batch_norm, tanh, dropout(0.5),
            avg_pool2d(2, 1, padding = 1),
            max_pool2d((3, 2)),
            flatten, dense(10),
            loss: softmax_cross_entropy,
        }";
        with_plan(src, |plan| {
            let outputs: Vec<Option<Image>> = plan.layers.iter().map(|l| l.shapes.output).collect();
            // (32 + 4 − 5) / 1 + 1 = 32, (19 − 3) / 2 + 1 = 9; the average pool with stride 1
            // and padding 1: 33 × 10; the max pool (3, 2) with stride (3, 2): 11 × 5.
            assert_eq!(
                outputs,
                [
                    Some([4, 32, 9]),
                    Some([4, 32, 9]),
                    Some([4, 32, 9]),
                    Some([4, 32, 9]),
                    Some([4, 33, 10]),
                    Some([4, 11, 5]),
                    None,
                ]
            );
        });
    }

    #[test]
    fn a_size_that_does_not_work_out_is_one_error_at_its_argument() {
        one_error(
            "input: [1, 28, 28], conv2d(8, kernel = 5, stride = 2), flatten, dense(10)",
            "a stride of 2 does not fit the input's height, 28: (28 − 5) / 2 + 1 = 12.5, which PyTorch would floor to 12",
            "2",
        );
        one_error(
            "input: [1, 28, 28], conv2d(8, kernel = 4, stride = 3, padding = 1), flatten, dense(10)",
            "a stride of 3 does not fit the input's height, 28: (28 + 2 × 1 − 4) / 3 + 1 = 9.67, which PyTorch would floor to 9",
            "3",
        );
        one_error(
            "input: [1, 4, 4], conv2d(8, kernel = 3), conv2d(8, kernel = (1, 5), padding = (0, 0)), flatten, dense(10)",
            "the kernel's width, 5, is larger than the input's, 2",
            "(1, 5)",
        );
        one_error(
            "input: [1, 3, 3], conv2d(2, 7, padding = 1), flatten, dense(10)",
            "the kernel's height, 7, is larger than the padded input's: 3 + 2 × 1 = 5",
            "7",
        );
        one_error(
            "input: [1, 28, 28], conv2d(8, 5), relu, max_pool2d(5), flatten, dense(10)",
            "the default stride, 5 (the window), does not fit the input's height, 24: (24 − 5) / 5 + 1 = 4.8, which PyTorch would floor to 4",
            "5",
        );
    }

    #[test]
    fn pools_and_flatten_rules() {
        one_error(
            "input: [2, 2, 2], max_pool2d(3), flatten, dense(10)",
            "the window's height, 3, is larger than the input's, 2",
            "3",
        );
        one_error(
            "input: [2, 7, 7], avg_pool2d(2), flatten, dense(10)",
            "the default stride, 2 (the window), does not fit the input's height, 7: (7 − 2) / 2 + 1 = 3.5, which PyTorch would floor to 3",
            "2",
        );
        one_error(
            "input: [2, 8, 8], max_pool2d(3, 1, padding = 2), flatten, dense(10)",
            "a padding of 2 is more than half the window's height, 3: `max_pool2d` pads at most 3 / 2 = 1",
            "2",
        );
        one_error(
            "input: [1, 8, 8], conv2d(4, 3), dense(10)",
            "`dense` takes a flat row, but the layer before it, `conv2d1`, produces an image [4, 6, 6]: write `flatten` before it",
            "dense",
        );
        one_error(
            "input: 784, conv2d(4, 3), flatten, dense(10)",
            "`conv2d` takes an image `[channels, height, width]`, but the input produces a flat row of 784 values; write the input as an image, e.g. `input: [1, 28, 28]`",
            "conv2d",
        );
        one_error(
            "input: [1, 8, 8], conv2d(4, 3), flat: flatten, dense(10)",
            "`flatten` only reshapes, with no layer of its own: it takes no name",
            "flat",
        );
        one_error(
            "input: [1, 8, 8], conv2d(2 -> 4, 3), flatten, dense(10)",
            "layer `conv2d1` takes 2 channels, but the input produces 1",
            "2",
        );
    }

    #[test]
    fn arguments_of_windows_are_read_or_reported() {
        let input = "input: [1, 8, 8]";
        let size = "a whole number from 1, or a pair `(height, width)` of them";
        for (layer, message, at) in [
            (
                "conv2d(4, kernel = 0)",
                format!("`kernel` of `conv2d` must be {size} up to {MAX_WIDTH}, but it is 0"),
                "0",
            ),
            (
                "conv2d(4, kernel = 1.5)",
                format!("`kernel` of `conv2d` must be {size}, e.g. `kernel = 2` or `kernel = (2, 3)`"),
                "1.5",
            ),
            (
                "conv2d(4, kernel = (1, 2, 3))",
                format!("`kernel` of `conv2d` must be {size}, e.g. `kernel = 2` or `kernel = (2, 3)`"),
                "(1, 2, 3)",
            ),
            (
                "conv2d(4, 3, 1)",
                "`conv2d` takes its output channels, then `kernel` as values; name the others: `stride`, `padding`, `init`".into(),
                "1",
            ),
            (
                "max_pool2d(2, 2, 0)",
                "`max_pool2d` takes `kernel`, `stride` as values; name the others: `padding`".into(),
                "0",
            ),
            (
                "conv2d(C, kernel = 3)",
                "the channels of `conv2d` must be a number: `network!` computes every size from them (generic channels are not supported)".into(),
                "C",
            ),
            (
                "conv2d(kernel = 3)",
                "`conv2d` needs its output channels and kernel, e.g. `conv2d(8, kernel = 5)`".into(),
                "conv2d(kernel = 3)",
            ),
            (
                "max_pool2d",
                "`max_pool2d` needs `kernel`, the window's size (a whole number from 1, or a pair `(height, width)` of them), e.g. `max_pool2d(2)`".into(),
                "max_pool2d",
            ),
        ] {
            let body = format!("{input}, {layer}, flatten, dense(10)");
            let src = format!("struct N<C> {{ {body}, loss: softmax_cross_entropy }}");
            assert_eq!(located(&src), [(message.clone(), at.to_string())], "{src}");
        }
        for (input, message, at) in [
            ("[1, 28]", "an image input is written `[channels, height, width]`, e.g. `[1, 28, 28]`", "[1, 28]"),
            ("[1, 0, 28]", "each size of an image input is a whole number from 1: `network!` computes every layer's size from them (generic sizes are not supported)", "0"),
            ("[65536, 65536, 2]", "the image has 65536 × 65536 × 2 values; a width is at most 4294967295", "[65536, 65536, 2]"),
        ] {
            one_error(&format!("input: {input}, flatten, dense(10)"), message, at);
        }
    }
}
