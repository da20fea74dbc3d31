//! What `expand` emits for layers over images: their core types' widths, their geometry,
//! and the `[C, H, W]` shapes in the generated documentation. Every number here was
//! computed and checked by `check_shapes`.

use crate::check::Planned;
use crate::check_shapes::{self, Image};
use crate::expand::width_type;
use crate::registry::WidthRule;
use proc_macro2::{Literal, TokenStream};
use quote::{quote, ToTokens};

/// A number as an unsuffixed literal, for a `usize` context.
fn literal(n: u64) -> Literal {
    Literal::u64_unsuffixed(n)
}

/// The typenum type of `n`.
fn number_type(n: u64, layer: &Planned) -> TokenStream {
    width_type(&check_shapes::number(n, layer.span))
}

/// The widths that a layer over an image passes to its registry row's `ty` (see
/// `LayerKind::ty`); `None` for a layer over flat rows.
pub fn widths(layer: &Planned) -> Option<Vec<TokenStream>> {
    let shapes = &layer.shapes;
    let [c, ..] = shapes.input?;
    let input = width_type(&layer.input);
    match layer.kind.width {
        WidthRule::Keeps => Some(vec![input, number_type(c, layer)]),
        WidthRule::Conv => {
            let window = shapes.window?;
            let [oc, oh, ow] = shapes.output?;
            let [kh, kw] = window.kernel;
            Some(vec![
                input,
                width_type(&layer.output),
                number_type(oc, layer),
                number_type(c * kh * kw, layer),
                number_type(oh * ow, layer),
                literal(kh).into_token_stream(),
                literal(kw).into_token_stream(),
            ])
        }
        WidthRule::Pool => Some(vec![input, width_type(&layer.output)]),
        WidthRule::InOut | WidthRule::Flatten => None,
    }
}

/// The option values a layer with a window passes to its registry row's `config`: its input,
/// its output channels, its kernel, stride and padding as `[height, width]`, then its other
/// options (`values` holds every option in table order, the window's first).
pub fn window_config(layer: &Planned, values: Vec<TokenStream>) -> Vec<TokenStream> {
    let (Some(window), Some(input), Some(output)) =
        (layer.shapes.window, layer.shapes.input, layer.shapes.output)
    else {
        return values;
    };
    let pair = pair_value;
    let [c, h, w] = input.map(literal);
    let out_channels = literal(output[0]);
    let mut config = vec![
        quote!([#c, #h, #w]),
        quote!(#out_channels),
        pair(window.kernel),
        pair(window.stride),
        pair(window.padding),
    ];
    config.extend(values.into_iter().skip(3));
    config
}

/// A window option's value as written: `[5, 3]`.
pub fn pair_value([h, w]: [u64; 2]) -> TokenStream {
    let (h, w) = (literal(h), literal(w));
    quote!([#h, #w])
}

/// "a 2-D convolution (kernel 5 × 5, padding 2), [1, 28, 28] → [8, 28, 28]" and the like, for
/// a layer over an image or after a `flatten`; `None` otherwise.
pub fn describe(layer: &Planned) -> Option<String> {
    let shapes = &layer.shapes;
    let doc = layer.kind.doc;
    if let Some(flattened) = shapes.flattened {
        let (i, o) = (width_text(&layer.input), width_text(&layer.output));
        let from = check_shapes::text(flattened);
        return Some(match layer.kind.width {
            WidthRule::InOut => format!("{doc}, {from} flattened to {i} → {o}"),
            _ => format!("{doc} over {from} flattened to {i}"),
        });
    }
    let input = check_shapes::text(shapes.input?);
    let output = shapes.output.map(check_shapes::text)?;
    let Some(window) = shapes.window else {
        let over = if layer.kind.name == "batch_norm" {
            "over the channels of"
        } else {
            "over"
        };
        return Some(format!("{doc} {over} {input}"));
    };
    Some(format!(
        "{doc} ({}), {input} → {output}",
        window_text(window)
    ))
}

/// "kernel 5 × 5, stride 2, padding 1", leaving out a stride of 1 and a padding of 0.
fn window_text(window: check_shapes::Window) -> String {
    let size = |[h, w]: [u64; 2]| {
        if h == w {
            h.to_string()
        } else {
            format!("{h} × {w}")
        }
    };
    let [kh, kw] = window.kernel;
    let mut parts = vec![format!("kernel {kh} × {kw}")];
    if window.stride != [1, 1] {
        parts.push(format!("stride {}", size(window.stride)));
    }
    if window.padding != [0, 0] {
        parts.push(format!("padding {}", size(window.padding)));
    }
    parts.join(", ")
}

fn width_text(width: &crate::parse::Width) -> String {
    quote::ToTokens::to_token_stream(width)
        .to_string()
        .replace(' ', "")
}

/// "an image input [1, 28, 28]" for the network's summary, or `None` for a flat input.
pub fn input_text(image: Option<Image>) -> Option<String> {
    image.map(|image| format!("an image input {}", check_shapes::text(image)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_documentation_gives_each_layer_its_shape() {
        let src = "struct LeNet {
            input: [1, 28, 28],
            conv1: conv2d(8, kernel = 5, padding = 2), norm: batch_norm, relu, max_pool2d(2),
            conv2: conv2d(16, kernel = (5, 4), stride = (1, 2)), relu, avg_pool2d(2),
            flatten,
            dense(10),
            loss: softmax_cross_entropy,
        }";
        let net = crate::parse::network(src.parse().expect("lexes")).expect("parses");
        let plan = crate::check::network(&net).unwrap_or_else(|e| panic!("{e}"));
        let docs: Vec<String> = plan.layers.iter().filter_map(super::describe).collect();
        assert_eq!(
            docs,
            [
                "a 2-D convolution (kernel 5 × 5, padding 2), [1, 28, 28] → [8, 28, 28]",
                "batch normalization over the channels of [8, 28, 28]",
                "ReLU over [8, 28, 28]",
                "2-D max pooling (kernel 2 × 2, stride 2), [8, 28, 28] → [8, 14, 14]",
                "a 2-D convolution (kernel 5 × 4, stride 1 × 2), [8, 14, 14] → [16, 10, 6]",
                "ReLU over [16, 10, 6]",
                "2-D average pooling (kernel 2 × 2, stride 2), [16, 10, 6] → [16, 5, 3]",
                "a dense layer, [16, 5, 3] flattened to 240 → 10",
            ]
        );
        let summary = crate::expand::network(&plan).to_string();
        assert!(summary.contains(
            "Generated by `network!`: an image input [1, 28, 28], then `conv1` (a 2-D convolution"
        ));
    }
}
