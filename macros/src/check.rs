//! Rules across the layers of a parsed network. Each rule is a function; every broken rule
//! adds an error, so one build reports all of them. A network that passes becomes a
//! [`Plan`], which `expand` turns into code without further checks.

use crate::parse::{Arg, Item, Layer, Network, Width};
use proc_macro2::Span;
use syn::{Error, Expr, GenericParam, Ident};

/// A checked network: every dense layer with its resolved input and output widths.
pub struct Plan<'a> {
    pub net: &'a Network,
    pub input: Width,
    pub layers: Vec<Dense>,
    pub loss: Loss,
}

pub struct Dense {
    pub field: Ident,
    pub input: Width,
    pub output: Width,
    /// `in` of `dense(in -> out)`, when it could not be compared with the layer before.
    pub input_to_assert: Option<Width>,
    pub activation: Option<Activation>,
    pub init: Option<Init>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Init {
    LeCun,
    Xavier,
    XavierSigmoid,
    He,
    Zeros,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Loss {
    SoftmaxCrossEntropy,
    MeanSquaredError,
}

const LAYERS: &[&str] = &["dense", "relu", "tanh", "sigmoid"];
const INITS: &[&str] = &["lecun", "xavier", "xavier_sigmoid", "he", "zeros"];
const LOSSES: &[&str] = &["softmax_cross_entropy", "mean_squared_error"];

/// Checks `net`, returning its plan or every error found.
pub fn network(net: &Network) -> Result<Plan<'_>, Error> {
    let mut errors = Errors::default();
    no_derives(net, &mut errors);
    generics_are_widths(net, &mut errors);
    let input = input_comes_first(net, &mut errors);
    let loss = loss_comes_last(net, &mut errors);
    let layers = layers_chain(net, input.as_ref(), &mut errors);
    if layers.is_empty() {
        errors.push(Error::new(
            net.close,
            "a network needs at least one `dense` layer",
        ));
    }
    names_are_unique(&layers, &mut errors);
    errors.finish()?;
    match (input, loss) {
        (Some(input), Some(loss)) => Ok(Plan {
            net,
            input,
            layers,
            loss,
        }),
        // Both cases pushed an error above, so `finish` has returned.
        _ => Err(Error::new(net.close, "incomplete network")),
    }
}

#[derive(Default)]
struct Errors(Option<Error>);

impl Errors {
    fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }
    fn finish(&mut self) -> Result<(), Error> {
        self.0.take().map_or(Ok(()), Err)
    }
}

// Rule: no `#[derive]`: the macro implements `Clone` and `Debug` itself, and the other
// derivable traits make no sense for a block of parameters.
fn no_derives(net: &Network, errors: &mut Errors) {
    for attr in net.attrs.iter().filter(|a| a.path().is_ident("derive")) {
        errors.push(Error::new_spanned(
            attr,
            "`network!` implements `Clone` and `Debug` itself; remove this `#[derive]`",
        ));
    }
}

// Rule: generic parameters are type parameters (widths); `T` is reserved for the scalar.
fn generics_are_widths(net: &Network, errors: &mut Errors) {
    for param in &net.generics.params {
        match param {
            GenericParam::Type(ty) if ty.ident == "T" => errors.push(Error::new_spanned(
                &ty.ident,
                "the type parameter `T` is reserved for the scalar type (`f32` or `f64`) that `network!` adds",
            )),
            GenericParam::Type(_) => {}
            other => errors.push(Error::new_spanned(
                other,
                "`network!` takes only type parameters, which stand for widths",
            )),
        }
    }
}

// Rule: the first entry, and only the first, is `input: WIDTH`.
fn input_comes_first(net: &Network, errors: &mut Errors) -> Option<Width> {
    let mut found = None;
    for (i, item) in net.items.iter().enumerate() {
        if let Item::Input { key, width } = item {
            if i != 0 {
                errors.push(Error::new_spanned(
                    key,
                    "`input` must be the first entry, and only one",
                ));
            } else if width_is_positive(width, errors) {
                found = Some(width.clone());
            }
        }
    }
    if !matches!(net.items.first(), Some(Item::Input { .. })) {
        let span = net.items.first().map_or(net.close, item_span);
        errors.push(Error::new(
            span,
            "a network starts with its input width, e.g. `input: 64,`",
        ));
    }
    found
}

// Rule: the last entry, and only the last, is `loss: NAME` with a known loss.
fn loss_comes_last(net: &Network, errors: &mut Errors) -> Option<Loss> {
    let mut found = None;
    let last = net.items.len().saturating_sub(1);
    for (i, item) in net.items.iter().enumerate() {
        if let Item::Loss { key, name } = item {
            if i != last {
                errors.push(Error::new_spanned(
                    key,
                    "`loss` must be the last entry, and only one",
                ));
                continue;
            }
            found = match name.to_string().as_str() {
                "softmax_cross_entropy" => Some(Loss::SoftmaxCrossEntropy),
                "mean_squared_error" => Some(Loss::MeanSquaredError),
                other => {
                    errors.push(unknown(name, "loss", other, LOSSES));
                    None
                }
            };
        }
    }
    if !matches!(net.items.last(), Some(Item::Loss { .. })) {
        errors.push(Error::new(
            net.close,
            "the network has no loss: end it with `loss: softmax_cross_entropy` or `loss: mean_squared_error`",
        ));
    }
    found
}

// Rule: each activation follows a dense layer; each dense layer's input, when written, equals
// the width the layer before it produces.
fn layers_chain(net: &Network, input: Option<&Width>, errors: &mut Errors) -> Vec<Dense> {
    let mut layers: Vec<Dense> = Vec::new();
    // The width flowing into the next layer, and what produced it.
    let mut width = input.cloned();
    let mut producer = String::from("the input");
    // What the previous entry was: an activation may only follow a dense layer. After a
    // layer with errors of its own, nothing more is said about the activation after it.
    let mut before = Before::Input;
    for item in &net.items {
        let Item::Layer(layer) = item else { continue };
        match layer.kind.to_string().as_str() {
            "dense" => {
                let field = layer.label.as_ref().map_or_else(
                    || Ident::new(&format!("dense{}", layers.len() + 1), layer.kind.span()),
                    |(label, _)| label.clone(),
                );
                let Some(mut dense) = dense_args(layer, field, errors) else {
                    width = None;
                    before = Before::Broken;
                    continue;
                };
                if let (Some(declared), Some(before)) = (dense.input_to_assert.clone(), &width) {
                    match (declared.value(), before.value()) {
                        (Some(Ok(d)), Some(Ok(b))) if d != b => errors.push(Error::new_spanned(
                            &declared,
                            format!(
                                "layer `{}` takes {d} inputs, but {producer} produces {b}",
                                dense.field
                            ),
                        )),
                        (Some(_), Some(_)) => dense.input_to_assert = None,
                        _ => {}
                    }
                }
                dense.input = width.clone().unwrap_or_else(|| dense.output.clone());
                width = Some(dense.output.clone());
                producer = format!("the layer before it, `{}`,", dense.field);
                layers.push(dense);
                before = Before::Dense;
            }
            name @ ("relu" | "tanh" | "sigmoid") => {
                let activation = match name {
                    "relu" => Activation::Relu,
                    "tanh" => Activation::Tanh,
                    _ => Activation::Sigmoid,
                };
                if let Some((label, _)) = &layer.label {
                    errors.push(Error::new_spanned(
                        label,
                        format!("`{name}` has no parameters, so it takes no name"),
                    ));
                }
                if let Some((paren, _)) = &layer.args {
                    errors.push(Error::new(
                        paren.span.join(),
                        format!("`{name}` takes no arguments"),
                    ));
                }
                match (before, layers.last_mut()) {
                    (Before::Dense, Some(dense)) => dense.activation = Some(activation),
                    (Before::Broken, _) => {}
                    _ => errors.push(Error::new_spanned(
                        &layer.kind,
                        format!("`{name}` must follow a `dense` layer"),
                    )),
                }
                before = Before::Activation;
            }
            other => {
                errors.push(unknown(&layer.kind, "layer", other, LAYERS));
                width = None;
                before = Before::Broken;
            }
        }
    }
    layers
}

#[derive(Clone, Copy)]
enum Before {
    Input,
    Dense,
    Activation,
    Broken,
}

/// Reads `dense(out)`, `dense(in -> out)` and `init = NAME`.
fn dense_args(layer: &Layer, field: Ident, errors: &mut Errors) -> Option<Dense> {
    let Some((paren, args)) = &layer.args else {
        errors.push(Error::new_spanned(
            layer,
            "`dense` needs its output width, e.g. `dense(128)`",
        ));
        return None;
    };
    let mut widths = None;
    let mut init = None;
    let mut ok = true;
    for arg in args {
        match arg {
            Arg::Width { input, output } if widths.is_none() => {
                let declared = input.as_ref().map(|(w, _)| w.clone());
                ok &= declared
                    .as_ref()
                    .is_none_or(|w| width_is_positive(w, errors));
                ok &= width_is_positive(output, errors);
                widths = Some((declared, output.clone()));
            }
            Arg::Width { .. } => {
                errors.push(Error::new_spanned(
                    arg,
                    "`dense` takes one width, or `in -> out`",
                ));
                ok = false;
            }
            Arg::Option { key, value, .. } if key == "init" => match init_name(value) {
                Ok(choice) => init = Some(choice),
                Err(e) => {
                    errors.push(e);
                    ok = false;
                }
            },
            Arg::Option { key, .. } => {
                errors.push(Error::new_spanned(
                    key,
                    format!("unknown option `{key}` for `dense`; the only option is `init`"),
                ));
                ok = false;
            }
        }
    }
    let Some((declared, output)) = widths else {
        errors.push(Error::new(
            paren.span.join(),
            "`dense` needs its output width, e.g. `dense(128)`",
        ));
        return None;
    };
    ok.then(|| Dense {
        field,
        input: output.clone(),
        output,
        input_to_assert: declared,
        activation: None,
        init,
    })
}

fn init_name(value: &Expr) -> Result<Init, Error> {
    let Expr::Path(path) = value else {
        return Err(Error::new_spanned(
            value,
            "expected an initializer name, e.g. `init = he`",
        ));
    };
    let Some(ident) = path.path.get_ident() else {
        return Err(Error::new_spanned(
            value,
            "expected an initializer name, e.g. `init = he`",
        ));
    };
    Ok(match ident.to_string().as_str() {
        "lecun" => Init::LeCun,
        "xavier" => Init::Xavier,
        "xavier_sigmoid" => Init::XavierSigmoid,
        "he" => Init::He,
        "zeros" => Init::Zeros,
        other => return Err(unknown(ident, "initializer", other, INITS)),
    })
}

// Rule: a width written as a number is a whole number of at least 1.
fn width_is_positive(width: &Width, errors: &mut Errors) -> bool {
    match width.value() {
        Some(Ok(0)) => {
            errors.push(Error::new_spanned(width, "a width must be at least 1"));
            false
        }
        Some(Err(e)) => {
            errors.push(e);
            false
        }
        _ => true,
    }
}

// Rule: layer names (given or defaulted to `dense1`, `dense2`, …) are unique.
fn names_are_unique(layers: &[Dense], errors: &mut Errors) {
    for (i, layer) in layers.iter().enumerate() {
        if layers[..i].iter().any(|before| before.field == layer.field) {
            errors.push(Error::new_spanned(
                &layer.field,
                format!(
                    "two layers are named `{}`; layer names must be unique",
                    layer.field
                ),
            ));
        }
    }
}

/// "unknown layer `denes`; did you mean `dense`?" when one known name is close, else the list.
fn unknown(at: &Ident, what: &str, found: &str, known: &[&str]) -> Error {
    let close: Vec<_> = known
        .iter()
        .filter(|k| edit_distance(k, found) <= 2)
        .collect();
    let msg = match close.as_slice() {
        [one] => format!("unknown {what} `{found}`; did you mean `{one}`?"),
        _ => {
            let list: Vec<_> = known.iter().map(|k| format!("`{k}`")).collect();
            format!(
                "unknown {what} `{found}`; expected one of {}",
                list.join(", ")
            )
        }
    };
    Error::new_spanned(at, msg)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Input { key, .. } => key.span,
        Item::Loss { key, .. } => key.span,
        Item::Layer(layer) => layer
            .label
            .as_ref()
            .map_or(layer.kind.span(), |(l, _)| l.span()),
    }
}
