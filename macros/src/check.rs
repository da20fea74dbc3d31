//! Rules across the layers of a parsed network. Each rule is a function; every broken rule
//! adds an error, so one build reports all of them, and one mistake adds one error: a rule
//! that follows from a broken one stays quiet. A network that passes becomes a [`Plan`],
//! which `expand` turns into code without further checks.

use crate::check_shapes::{self, Image, Outcome, Shapes};
use crate::parse::{Arg, Item, Layer, Network, Value, Width};
use crate::registry::{self, LayerKind, LossKind, OptionKind, WidthRule};
use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::{Error, Expr, GenericParam, Ident, Lit, Meta, Token, Type};

/// A checked network: every layer with its resolved widths and options.
pub struct Plan<'a> {
    pub net: &'a Network,
    pub input: Width,
    /// The input's `[C, H, W]`, when it is an image.
    pub input_image: Option<Image>,
    pub layers: Vec<Planned>,
    pub loss: &'static LossKind,
    /// The memory budgets, in the order written.
    pub budgets: Vec<crate::check_budget::Budget>,
}

/// One layer of a checked network.
pub struct Planned {
    /// The field name: the label, or the kind with a number (`dense1`, `relu2`).
    pub field: Ident,
    pub kind: &'static LayerKind,
    /// The kind's token, where generated code for the layer is spanned.
    pub span: Span,
    pub input: Width,
    pub output: Width,
    /// `in` of `dense(in -> out)`, when it could not be compared with the width before it
    /// (a type parameter on either side): checked where the network is used.
    pub input_to_assert: Option<Width>,
    /// Each option of the kind, in table order: the value written, or `None`.
    pub options: Vec<Option<OptionValue>>,
    /// What produced this layer's input, for messages: "the input" or "the layer before it,
    /// `hidden`,".
    pub producer: String,
    /// Its input and output images, its window, and what a `flatten` before it flattened.
    pub shapes: Shapes,
}

/// An option's value as written.
#[derive(Clone)]
pub enum OptionValue {
    /// An initializer, by its `Init` variant name.
    Init(&'static str),
    /// Any other value: an expression.
    Expr(Box<Expr>),
    /// A window's size, stride or padding as `[height, width]`, with the tokens written.
    Pair([u64; 2], proc_macro2::TokenStream),
}

/// The largest width written as a number. The typenum number it becomes stays within what
/// rustc evaluates (2⁶³ overflows its recursion limit), and the weights between two such
/// widths still count fewer than 2⁶⁴.
pub const MAX_WIDTH: u64 = u32::MAX as u64;

/// The lint attributes the struct carries, besides doc comments.
const LINTS: [&str; 5] = ["allow", "warn", "deny", "forbid", "expect"];

/// Checks `net`, returning its plan or every error found.
pub fn network(net: &Network) -> Result<Plan<'_>, Error> {
    let mut errors = Errors::default();
    attributes_are_carried(net, &mut errors);
    generics_are_widths(net, &mut errors);
    no_where_clause(net, &mut errors);
    crate::check_names::network(net, &mut errors);
    if body_is_empty(net, &mut errors) {
        errors.finish()?;
    }
    let params = width_params(net);
    let input = input_comes_first(net, &params, &mut errors);
    let loss = loss_comes_last(net, &mut errors);
    let layers = layers_chain(net, input.as_ref(), &params, &mut errors);
    let (input, input_image) = match input {
        Some((width, image)) => (Some(width), image),
        None => (None, None),
    };
    at_least_one_layer(net, &mut errors);
    names_are_unique(&layers, &mut errors);
    let budgets = crate::check_budget::network(net, &mut errors);
    errors.finish()?;
    match (input, loss) {
        (Some(input), Some(loss)) => Ok(Plan {
            net,
            input,
            input_image,
            layers,
            loss,
            budgets,
        }),
        // Both cases pushed an error above, so `finish` has returned.
        _ => Err(Error::new(net.brace.span.close(), "incomplete network")),
    }
}

#[derive(Default)]
pub struct Errors(Option<Error>);

impl Errors {
    pub fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }
    fn finish(&mut self) -> Result<(), Error> {
        self.0.take().map_or(Ok(()), Err)
    }
}

/// An identifier as the user means it: `type` for `r#type`.
pub fn name(ident: &Ident) -> String {
    ident.unraw().to_string()
}

// Rule: the struct carries only attributes that mean the same on it as on a struct written
// by hand: doc comments and lint levels. `derive` is refused with its own message (the
// macro implements `Clone` and `Debug`), however it is written; `cfg_attr` is looked into.
// `#[repr]` would break the layout the expansion relies on, `#[cfg]` would remove the struct
// but not its impls, and other attributes do not apply to a struct.
fn attributes_are_carried(net: &Network, errors: &mut Errors) {
    for attr in &net.attrs {
        attribute_is_carried(&attr.meta, attr, errors);
    }
}

fn attribute_is_carried(meta: &Meta, at: &dyn quote::ToTokens, errors: &mut Errors) {
    let path = meta.path();
    if path.is_ident("doc") || LINTS.iter().any(|lint| path.is_ident(lint)) {
        return;
    }
    if path.is_ident("cfg_attr") {
        match cfg_attr_contents(meta) {
            Ok(inner) => inner
                .iter()
                .for_each(|meta| attribute_is_carried(meta, meta, errors)),
            Err(e) => errors.push(e),
        }
        return;
    }
    let message = if path.segments.last().is_some_and(|s| s.ident == "derive") {
        "`network!` implements `Clone` and `Debug` itself; remove this `#[derive]`".to_string()
    } else if path.is_ident("cfg") {
        "`#[cfg]` here would remove the struct but not what `network!` generates for it; put it on the `network!` invocation".to_string()
    } else {
        let lints: Vec<_> = LINTS.iter().map(|l| format!("`{l}`")).collect();
        format!(
            "`network!` carries only doc comments and the lint attributes {} to the struct",
            lints.join(", ")
        )
    };
    errors.push(Error::new_spanned(at, message));
}

/// The attributes inside `cfg_attr(condition, attributes…)`.
fn cfg_attr_contents(meta: &Meta) -> syn::Result<Vec<Meta>> {
    meta.require_list()?.parse_args_with(|input: ParseStream| {
        input.parse::<Meta>()?;
        input.parse::<Token![,]>()?;
        let attrs = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
        Ok(attrs.into_iter().collect())
    })
}

// Rule: generic parameters stand for widths: written `H` (or `const H: usize`), with no
// bounds or defaults; `T` is reserved for the scalar.
fn generics_are_widths(net: &Network, errors: &mut Errors) {
    for param in &net.generics.params {
        match param {
            GenericParam::Type(ty) if ty.ident == "T" => errors.push(Error::new_spanned(
                &ty.ident,
                "the type parameter `T` is reserved for the scalar type (`f32` or `f64`) that `network!` adds",
            )),
            GenericParam::Type(ty) if ty.colon_token.is_some() || ty.default.is_some() => {
                errors.push(Error::new_spanned(
                    ty,
                    format!("a width parameter is written as just its name, `{}`: it becomes a `const {}: usize`", ty.ident, ty.ident),
                ))
            }
            GenericParam::Type(_) => {}
            GenericParam::Const(c) if c.default.is_none() && quote::ToTokens::to_token_stream(&c.ty).to_string() == "usize" => {}
            other => errors.push(Error::new_spanned(
                other,
                "`network!` takes only width parameters, written `H` or `const H: usize`",
            )),
        }
    }
}

// Rule: no `where` clause. The parameters are widths, which become `const H: usize` with
// the bounds the expansion needs; a clause would have nothing of the user's to constrain,
// and the expansion could not carry it to every item without changing what it means.
fn no_where_clause(net: &Network, errors: &mut Errors) {
    if let Some(clause) = &net.generics.where_clause {
        errors.push(Error::new_spanned(
            clause,
            "`network!` takes no `where` clause: its parameters are widths, which need no bounds",
        ));
    }
}

// Rule: the body is not empty; one error where an input, a layer and a loss are missing.
fn body_is_empty(net: &Network, errors: &mut Errors) -> bool {
    if !net.items.is_empty() {
        return false;
    }
    errors.push(Error::new(
        net.brace.span.join(),
        "a network needs an input, layers and a loss, e.g. `{ input: 4, dense(2), loss: mean_squared_error }`",
    ));
    true
}

/// The names of the network's width parameters.
pub fn width_params(net: &Network) -> Vec<Ident> {
    net.generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(tp) => Some(tp.ident.clone()),
            GenericParam::Const(c) => Some(c.ident.clone()),
            GenericParam::Lifetime(_) => None,
        })
        .collect()
}

/// A width written as a type that is one of the width parameters becomes [`Width::Param`],
/// also when it comes through a `macro_rules!` fragment such as `$h:ty`.
fn resolve(width: Width, params: &[Ident]) -> Width {
    let Width::Type(ty) = &width else {
        return width;
    };
    let mut ty = ty;
    while let Type::Group(group) = ty {
        ty = &group.elem;
    }
    if let Type::Path(path) = ty {
        if let Some(ident) = path.path.get_ident() {
            if path.qself.is_none() && params.contains(ident) {
                return Width::Param(ident.clone());
            }
        }
    }
    width
}

// Rule: the first entry, and only the first, is `input: WIDTH` or `input: [C, H, W]`.
// Budgets may stand anywhere: they say nothing about the order of the layers.
fn input_comes_first(
    net: &Network,
    params: &[Ident],
    errors: &mut Errors,
) -> Option<(Width, Option<Image>)> {
    let mut found = None;
    let mut written = false;
    for (i, item) in not_budgets(net).enumerate() {
        if let Item::Input { key, width: value } = item {
            if i == 0 {
                found = match check_shapes::input_image(value, errors) {
                    Some(image) => image.map(|(image, width)| (width, Some(image))),
                    None => width(value, params, errors).map(|width| (width, None)),
                };
            } else {
                errors.push(Error::new_spanned(
                    key,
                    "`input` must be the first entry, and only one",
                ));
            }
            written = true;
        }
    }
    if !written {
        let span = not_budgets(net)
            .next()
            .map_or(net.brace.span.close(), item_span);
        errors.push(Error::new(
            span,
            "a network starts with its input width, e.g. `input: 64,`",
        ));
    }
    found
}

// Rule: the last entry, and only the last, is `loss: NAME` with a known loss (budgets aside).
fn loss_comes_last(net: &Network, errors: &mut Errors) -> Option<&'static LossKind> {
    let mut found = None;
    let mut written = false;
    let last = not_budgets(net).count().saturating_sub(1);
    for (i, item) in not_budgets(net).enumerate() {
        match item {
            Item::Loss { key, name: loss } => {
                written = true;
                if i != last {
                    errors.push(Error::new_spanned(
                        key,
                        "`loss` must be the last entry, and only one",
                    ));
                    continue;
                }
                let written_name = name(loss);
                found = registry::loss(&written_name);
                if found.is_none() {
                    let known = registry::loss_names();
                    errors.push(unknown(loss, "loss", &written_name, &known));
                }
            }
            // Reported by `layers_chain`, as the loss it was meant to be.
            Item::Layer(layer) if loss_written_as_layer(layer) => written = true,
            _ => {}
        }
    }
    if !written {
        let endings: Vec<_> = registry::loss_names()
            .iter()
            .map(|loss| format!("`loss: {loss}`"))
            .collect();
        errors.push(Error::new(
            net.brace.span.close(),
            format!("the network has no loss: end it with {}", either(&endings)),
        ));
    }
    found
}

/// Whether a layer that is no layer is the loss, misspelled: `los: mean_squared_error`,
/// `cost: mean_squared_error` or a bare `mean_squared_error`.
fn loss_written_as_layer(layer: &Layer) -> bool {
    let kind = name(&layer.kind);
    registry::layer(&kind).is_none()
        && (registry::loss(&kind).is_some()
            || layer
                .label
                .as_ref()
                .is_some_and(|(label, _)| edit_distance(&name(label), "loss") <= 2))
}

/// The error for [`loss_written_as_layer`], at the key the user must fix.
fn loss_key_error(layer: &Layer) -> Error {
    let kind = name(&layer.kind);
    match &layer.label {
        Some((label, _)) if edit_distance(&name(label), "loss") <= 2 => Error::new_spanned(
            label,
            format!("unknown key `{}`; did you mean `loss`?", name(label)),
        ),
        Some((label, _)) => {
            Error::new_spanned(label, format!("`{kind}` is a loss: write `loss: {kind}`"))
        }
        None => Error::new_spanned(
            &layer.kind,
            format!("`{kind}` is a loss: write `loss: {kind}`"),
        ),
    }
}

// Rule: a network has at least one layer.
fn at_least_one_layer(net: &Network, errors: &mut Errors) {
    let layer = |item: &Item| matches!(item, Item::Layer(l) if !loss_written_as_layer(l));
    if !net.items.iter().any(layer) {
        errors.push(Error::new(
            net.brace.span.close(),
            "a network needs at least one layer, e.g. `dense(10),`",
        ));
    }
}

// Rule: every layer is a known kind with legal arguments, and each layer's declared input
// width, when written, equals the width the layer before it produces.
fn layers_chain(
    net: &Network,
    input: Option<&(Width, Option<Image>)>,
    params: &[Ident],
    errors: &mut Errors,
) -> Vec<Planned> {
    let mut layers: Vec<Planned> = Vec::new();
    // The width flowing into the next layer (None after a broken layer: nothing more is
    // compared until a layer states its width again), and what produced it. The image it is,
    // if it is one, and the image a `flatten` turned into it. Whether that shape is known:
    // after a broken layer, not until a layer makes a flat row of its own.
    let mut width = input.map(|(width, _)| width.clone());
    let (mut image, mut flattened) = (input.and_then(|(_, image)| *image), None);
    let mut known = input.is_some();
    let mut producer = String::from("the input");
    for item in &net.items {
        let Item::Layer(layer) = item else { continue };
        let kind_name = name(&layer.kind);
        let Some(kind) = registry::layer(&kind_name) else {
            errors.push(if loss_written_as_layer(layer) {
                loss_key_error(layer)
            } else {
                unknown(&layer.kind, "layer", &kind_name, &registry::layer_names())
            });
            (width, known) = (None, false);
            continue;
        };
        let ordinal = 1 + layers.iter().filter(|l| l.kind.name == kind.name).count();
        let field = layer.label.as_ref().map_or_else(
            || Ident::new(&format!("{}{ordinal}", kind.name), layer.kind.span()),
            |(label, _)| label.clone(),
        );
        let Some(mut args) = layer_args(layer, kind, params, errors) else {
            (width, known) = (None, false);
            continue;
        };
        let incoming = width.as_ref().filter(|_| known).map(|w| (w, image));
        let Some(mut shapes) = shapes(layer, kind, &field, &mut args, incoming, &producer, errors)
        else {
            match kind.width {
                WidthRule::Flatten => (flattened, known) = (flattened.or(image.take()), true),
                _ => (width, image, known) = (None, None, false),
            }
            continue;
        };
        known |= kind.width == WidthRule::InOut;
        image = shapes.output;
        shapes.flattened = flattened.take();
        if let (Some(declared), Some(before)) = (&args.declared_input, &width) {
            if let (Some(Ok(d)), Some(Ok(b))) = (declared.value(), before.value()) {
                if d != b {
                    errors.push(Error::new_spanned(
                        declared,
                        format!(
                            "layer `{}` takes {d} inputs, but {producer} produces {b}",
                            name(&field)
                        ),
                    ));
                }
            }
        }
        // After a broken layer the declared input (or else the output) stands in.
        let input = width
            .clone()
            .or_else(|| args.declared_input.clone())
            .unwrap_or_else(|| args.output.clone().unwrap_or_else(Width::one));
        let output = args.output.clone().unwrap_or_else(|| input.clone());
        let input_to_assert = args
            .declared_input
            .filter(|d| !(d.value().is_some() && input.value().is_some()));
        width = Some(output.clone());
        layers.push(Planned {
            field: field.clone(),
            kind,
            span: layer.kind.span(),
            input,
            output,
            input_to_assert,
            options: args.options,
            producer: producer.clone(),
            shapes,
        });
        // Layers that keep the width (activations, dropout, batch norm) pass on the name of
        // the layer that set it: the layer the user thinks of as the one before.
        if kind.width != WidthRule::Keeps {
            producer = format!("the layer before it, `{}`,", name(&field));
        }
    }
    layers
}

/// The shapes of a layer whose arguments were read (see `check_shapes`), with a window's
/// output written into `args` as a flat width; `None` for `flatten` and after an error.
fn shapes(
    layer: &Layer,
    kind: &LayerKind,
    field: &Ident,
    args: &mut Args,
    incoming: check_shapes::Incoming,
    producer: &str,
    errors: &mut Errors,
) -> Option<Shapes> {
    let field = name(field);
    let shape_args = check_shapes::Args {
        field: &field,
        declared_input: args.declared_input.as_ref(),
        output: args.output.as_ref(),
        options: &args.options,
    };
    let Outcome::Shaped(shapes) =
        check_shapes::layer(layer, kind, &shape_args, incoming, producer, errors)
    else {
        return None;
    };
    if let (Some(_), Some([c, h, w])) = (shapes.window, shapes.output) {
        // Channels are not widths: what follows compares the flat row.
        args.declared_input = None;
        args.output = Some(check_shapes::number(c * h * w, layer.kind.span()));
    }
    Some(shapes)
}

/// A layer's arguments, read against its row of the registry.
struct Args {
    declared_input: Option<Width>,
    output: Option<Width>,
    options: Vec<Option<OptionValue>>,
}

// Rule: a layer's arguments are its width (for `dense`), then its positional options, then
// named options it has, each once, each obeying its rule when written as a literal. Every
// argument is read or reported: `None` comes back only after an error.
fn layer_args(
    layer: &Layer,
    kind: &'static LayerKind,
    params: &[Ident],
    errors: &mut Errors,
) -> Option<Args> {
    let mut args = Args {
        declared_input: None,
        output: None,
        options: vec![None; kind.options.len()],
    };
    let mut ok = label_is_free(layer, errors);
    let mut positional = (0..kind.options.len()).filter(|&i| kind.options[i].positional);
    for arg in layer.args.iter().flat_map(|(_, list)| list) {
        // The first value of a layer that sets its width (or channels) is the width.
        let sets_width = matches!(kind.width, WidthRule::InOut | WidthRule::Conv);
        let width_next = sets_width && args.output.is_none();
        let read = match arg {
            Arg::Option { key, value, .. } => named_option(key, value, kind, &mut args, errors),
            Arg::Arrow { input, output, .. } if width_next => {
                widths(Some(input), output, params, &mut args, errors)
            }
            Arg::Value(output) if width_next => widths(None, output, params, &mut args, errors),
            Arg::Value(value) => match positional.next() {
                // `dropout(p = 0.5, 0.3)`: the value would replace the one given by name.
                Some(i) if args.options[i].is_some() => {
                    let message = format!("option `{}` is given twice", kind.options[i].name);
                    errors.push(Error::new_spanned(value, message));
                    false
                }
                Some(i) => set_option(
                    &mut args.options[i],
                    &kind.options[i],
                    value,
                    kind.name,
                    errors,
                ),
                None => extra_argument(arg, kind, errors),
            },
            Arg::Arrow { .. } => extra_argument(arg, kind, errors),
        };
        ok &= read;
        // The arguments after one the layer cannot take would be read against a guess of
        // what was meant: one error a layer.
        if !read {
            break;
        }
    }
    // What is missing is reported only when what is written was read: `dense(1.5)` has one
    // mistake, not also a missing width.
    ok = ok && required_arguments(layer, kind, &args, errors);
    ok.then_some(args)
}

// Rule: layer names starting with `__` are left to generated code.
fn label_is_free(layer: &Layer, errors: &mut Errors) -> bool {
    match &layer.label {
        Some((label, _)) if name(label).starts_with("__") => {
            errors.push(Error::new_spanned(
                label,
                "layer names starting with `__` are reserved for generated code",
            ));
            false
        }
        _ => true,
    }
}

/// `dense(out)` or `dense(in -> out)`: the widths of a layer that sets its own.
fn widths(
    input: Option<&Value>,
    output: &Value,
    params: &[Ident],
    args: &mut Args,
    errors: &mut Errors,
) -> bool {
    if let Some(input) = input {
        let Some(declared) = width(input, params, errors) else {
            return false;
        };
        args.declared_input = Some(declared);
    }
    args.output = width(output, params, errors);
    args.output.is_some()
}

/// The error for an argument past those the layer takes.
fn extra_argument(arg: &Arg, kind: &LayerKind, errors: &mut Errors) -> bool {
    let name = kind.name;
    let looks_like_width = match arg {
        Arg::Arrow { .. } => true,
        Arg::Value(value) => value.read::<syn::LitInt>().is_ok(),
        Arg::Option { .. } => false,
    };
    let message = if kind.options.is_empty() {
        format!("`{name}` takes no arguments")
    } else if matches!(kind.width, WidthRule::Conv | WidthRule::Pool) {
        let (values, named): (Vec<_>, Vec<_>) = kind.options.iter().partition(|o| o.positional);
        let list = |options: Vec<&registry::OptionSpec>| {
            let names: Vec<_> = options.iter().map(|o| format!("`{}`", o.name)).collect();
            names.join(", ")
        };
        let channels = if kind.width == WidthRule::Conv {
            "its output channels, then "
        } else {
            ""
        };
        format!(
            "`{name}` takes {channels}{} as values; name the others: {}",
            list(values),
            list(named)
        )
    } else if kind.width == WidthRule::InOut {
        format!("`{name}` takes one width, or `in -> out`")
    } else if looks_like_width {
        format!("`{name}` keeps the width of the layer before it, so it takes no width")
    } else {
        let names: Vec<_> = kind
            .options
            .iter()
            .map(|o| format!("`{}`", o.name))
            .collect();
        format!(
            "`{name}` takes no more values here; its options are {}",
            names.join(", ")
        )
    };
    errors.push(Error::new_spanned(arg, message));
    false
}

/// `key = value`: an option the layer has, given once.
fn named_option(
    key: &Ident,
    value: &Value,
    kind: &'static LayerKind,
    args: &mut Args,
    errors: &mut Errors,
) -> bool {
    let layer = kind.name;
    let key_name = name(key);
    let Some(i) = kind.options.iter().position(|o| o.name == key_name) else {
        let names: Vec<_> = kind
            .options
            .iter()
            .map(|o| format!("`{}`", o.name))
            .collect();
        let message = match names.as_slice() {
            [] => format!("`{layer}` has no options"),
            [one] => format!("unknown option `{key_name}` for `{layer}`; the only option is {one}"),
            _ => format!(
                "unknown option `{key_name}` for `{layer}`; its options are {}",
                names.join(", ")
            ),
        };
        errors.push(Error::new_spanned(key, message));
        return false;
    };
    if args.options[i].is_some() {
        errors.push(Error::new_spanned(
            key,
            format!("option `{key_name}` is given twice"),
        ));
        return false;
    }
    set_option(&mut args.options[i], &kind.options[i], value, layer, errors)
}

/// What a layer needs that was not written: `dense`'s width, and options with no default.
fn required_arguments(layer: &Layer, kind: &LayerKind, args: &Args, errors: &mut Errors) -> bool {
    let name = kind.name;
    let mut ok = true;
    if kind.width == WidthRule::InOut && args.output.is_none() {
        errors.push(Error::new_spanned(
            layer,
            format!("`{name}` needs its output width, e.g. `{name}(128)`"),
        ));
        ok = false;
    }
    if kind.width == WidthRule::Conv && args.output.is_none() {
        errors.push(Error::new_spanned(
            layer,
            format!("`{name}` needs its output channels and kernel, e.g. `{name}(8, kernel = 5)`"),
        ));
        return false;
    }
    for (spec, value) in kind.options.iter().zip(&args.options) {
        if value.is_none() && spec.default.is_none() && spec.kind != OptionKind::Init {
            errors.push(Error::new_spanned(
                layer,
                format!(
                    "`{name}` needs `{}`, {} ({}), e.g. `{}`",
                    spec.name,
                    spec.doc,
                    spec.kind.rule(),
                    registry::written_with(kind, spec, spec.kind.example()),
                ),
            ));
            ok = false;
        }
    }
    ok
}

// Rule: an option's value obeys its kind: an initializer is a known name; a number written
// as a literal is in range (other expressions are checked when the network is compiled).
fn set_option(
    slot: &mut Option<OptionValue>,
    spec: &registry::OptionSpec,
    value: &Value,
    layer: &str,
    errors: &mut Errors,
) -> bool {
    if spec.kind == OptionKind::Init {
        return match init_name(value) {
            Ok(variant) => {
                *slot = Some(OptionValue::Init(variant));
                true
            }
            Err(e) => {
                errors.push(e);
                false
            }
        };
    }
    if matches!(spec.kind, OptionKind::Size | OptionKind::Padding) {
        return match check_shapes::pair(value, spec, layer) {
            Ok(pair) => {
                *slot = Some(OptionValue::Pair(pair, value.tokens.clone()));
                true
            }
            Err(e) => {
                errors.push(e);
                false
            }
        };
    }
    let Ok(expr) = value.read::<Expr>() else {
        errors.push(Error::new_spanned(
            value,
            format!(
                "expected a value for `{}` of `{layer}`: {}",
                spec.name,
                spec.kind.rule()
            ),
        ));
        return false;
    };
    if let Some(number) = literal_number(&expr) {
        if !spec.kind.accepts(number) {
            errors.push(Error::new_spanned(
                value,
                format!(
                    "`{}` of `{layer}` must be {}, but it is {number}",
                    spec.name,
                    spec.kind.rule()
                ),
            ));
            return false;
        }
    }
    *slot = Some(OptionValue::Expr(Box::new(expr)));
    true
}

/// The value of a numeric literal, possibly negated; `None` for any other expression.
fn literal_number(value: &Expr) -> Option<f64> {
    match value {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Float(f) => f.base10_parse().ok(),
            Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => literal_number(expr).map(|v| -v),
        Expr::Paren(p) => literal_number(&p.expr),
        // A value passed through a `macro_rules!` fragment such as `$p:expr`.
        Expr::Group(g) => literal_number(&g.expr),
        _ => None,
    }
}

fn init_name(value: &Value) -> Result<&'static str, Error> {
    let Ok(ident) = value.read::<Ident>() else {
        return Err(Error::new_spanned(
            value,
            "expected an initializer name, e.g. `init = he`",
        ));
    };
    let written = name(&ident);
    registry::init(&written)
        .ok_or_else(|| unknown(&ident, "initializer", &written, &registry::init_names()))
}

// Rule: a width is a whole number from 1 to `MAX_WIDTH`, a width parameter, or a type that
// can be a typenum number (not a primitive, tuple, array, reference or `Self`, and not
// `U0`). Refused here, at the token, a bad width is one error rather than dozens about
// trait bounds across the whole invocation.
fn width(value: &Value, params: &[Ident], errors: &mut Errors) -> Option<Width> {
    let range = format!("a width is a whole number from 1 to {MAX_WIDTH}");
    let problem = match value.read::<Width>() {
        // A number, but not a whole positive one: `1.5`, `-1`, `1e309`.
        Err(_)
            if value.read::<syn::LitFloat>().is_ok()
                || value
                    .read::<Expr>()
                    .is_ok_and(|e| literal_number(&e).is_some()) =>
        {
            Some(range)
        }
        Err(_) => Some(NOT_A_WIDTH.to_string()),
        Ok(Width::Literal(lit)) => match lit.base10_parse::<u64>() {
            Ok(0) => Some(ZERO_WIDTH.to_string()),
            Ok(n) if n <= MAX_WIDTH => None,
            _ => Some(range),
        },
        Ok(Width::Type(ty)) => type_problem(&ty).map(str::to_string),
        Ok(Width::Param(_)) => None,
    };
    match problem {
        Some(message) => {
            errors.push(Error::new_spanned(value, message));
            None
        }
        None => value.read::<Width>().ok().map(|w| resolve(w, params)),
    }
}

const NOT_A_WIDTH: &str =
    "expected a width: a number such as `128`, or a typenum type such as `U128`";
const ZERO_WIDTH: &str = "a width must be at least 1";

/// The names of Rust's primitive types, none of which is a width.
const PRIMITIVES: [&str; 17] = [
    "bool", "char", "str", "f32", "f64", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16",
    "u32", "u64", "u128", "usize",
];

/// Why a type cannot be a width, if the macro can tell: only a path (`U128`, `H`,
/// `typenet::dim::U8`) or a type macro can name a typenum number.
fn type_problem(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Paren(inner) => type_problem(&inner.elem),
        Type::Group(inner) => type_problem(&inner.elem),
        Type::Path(path) if path.qself.is_some() => None,
        Type::Path(path) => {
            let segments = &path.path.segments;
            let is = |s: &syn::PathSegment, names: &[&str]| names.iter().any(|n| s.ident == n);
            if segments
                .iter()
                .any(|s| is(s, &PRIMITIVES) || s.ident == "Self")
            {
                return Some(NOT_A_WIDTH);
            }
            let last = segments.last()?;
            match &last.arguments {
                syn::PathArguments::Parenthesized(_) => Some(NOT_A_WIDTH),
                syn::PathArguments::None if is(last, &["U0", "UTerm"]) => Some(ZERO_WIDTH),
                syn::PathArguments::AngleBracketed(args)
                    if last.ident == "U"
                        && quote::ToTokens::to_token_stream(&args.args).to_string() == "0" =>
                {
                    Some(ZERO_WIDTH)
                }
                _ => None,
            }
        }
        Type::Macro(_) => None,
        _ => Some(NOT_A_WIDTH),
    }
}

// Rule: layer names (given, or defaulted to `dense1`, `relu1`, …) are unique, `r#type`
// being `type`.
fn names_are_unique(layers: &[Planned], errors: &mut Errors) {
    for (i, layer) in layers.iter().enumerate() {
        let field = name(&layer.field);
        if layers[..i]
            .iter()
            .any(|before| name(&before.field) == field)
        {
            errors.push(Error::new(
                layer.field.span(),
                format!("two layers are named `{field}`; layer names must be unique"),
            ));
        }
    }
}

/// The alternatives `items` in prose: "a", "a or b", "a, b or c".
fn either(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// "unknown layer `denes`; did you mean `dense`?" when one known name is close, else the list.
pub fn unknown(at: &Ident, what: &str, found: &str, known: &[&str]) -> Error {
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

pub fn edit_distance(a: &str, b: &str) -> usize {
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

/// The entries other than budgets, which may stand anywhere.
fn not_budgets(net: &Network) -> impl Iterator<Item = &Item> {
    net.items
        .iter()
        .filter(|item| !matches!(item, Item::Budget { .. }))
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Input { key, .. } => key.span,
        Item::Loss { key, .. } => key.span,
        Item::Budget { key, .. } => key.span,
        Item::Layer(layer) => layer
            .label
            .as_ref()
            .map_or(layer.kind.span(), |(l, _)| l.span()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> Result<Vec<(String, String, String)>, Vec<String>> {
        let net = crate::parse::network(src.parse().expect("lexes")).expect("parses");
        match network(&net) {
            Ok(plan) => Ok(plan
                .layers
                .iter()
                .map(|l| {
                    let w = |w: &Width| quote::ToTokens::to_token_stream(w).to_string();
                    (l.field.to_string(), w(&l.input), w(&l.output))
                })
                .collect()),
            Err(e) => Err(e.into_iter().map(|e| e.to_string()).collect()),
        }
    }

    fn errors(src: &str) -> Vec<String> {
        check(src).expect_err("the network is rejected")
    }

    #[test]
    fn widths_chain_and_names_default_by_kind() {
        let layers = check(
            "struct N { input: 4, hidden: dense(8), relu, dropout(0.5), dense(3), tanh, loss: mean_squared_error }",
        )
        .unwrap();
        let names: Vec<_> = layers.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(names, ["hidden", "relu1", "dropout1", "dense2", "tanh1"]);
        assert_eq!(layers[2].1, "8");
        assert_eq!((layers[3].1.as_str(), layers[3].2.as_str()), ("8", "3"));
    }

    #[test]
    fn a_declared_input_must_match_the_width_before() {
        let e = errors(
            "struct N { input: 4, a: dense(8), b: dense(7 -> 2), loss: mean_squared_error }",
        );
        assert_eq!(
            e,
            ["layer `b` takes 7 inputs, but the layer before it, `a`, produces 8"]
        );
        let e = errors("struct N { input: 4, dense(5 -> 2), loss: mean_squared_error }");
        assert_eq!(
            e,
            ["layer `dense1` takes 5 inputs, but the input produces 4"]
        );
    }

    #[test]
    fn every_mistake_is_reported() {
        let e = errors(
            "struct N { input: 8, dense(0), frob, dense(12 -> 4, init = glorot), loss: mse }",
        );
        assert_eq!(e.len(), 4, "{e:?}");
        assert!(e[0].starts_with("unknown loss `mse`"));
        assert_eq!(e[1], "a width must be at least 1");
        assert!(e[2].starts_with("unknown layer `frob`"));
        assert!(e[3].starts_with("unknown initializer `glorot`"));
    }

    #[test]
    fn options_are_checked_against_the_registry() {
        let e = errors("struct N { input: 4, dense(4), dropout(1.2), loss: mean_squared_error }");
        assert_eq!(
            e,
            ["`p` of `dropout` must be a number in [0, 1), but it is 1.2"]
        );
        let e = errors("struct N { input: 4, dense(4), dropout, loss: mean_squared_error }");
        assert!(
            e[0].starts_with("`dropout` needs `p`, the probability"),
            "{e:?}"
        );
        let e = errors(
            "struct N { input: 4, batch_norm(eps = 0), dense(2), loss: mean_squared_error }",
        );
        assert_eq!(
            e,
            ["`eps` of `batch_norm` must be a number greater than 0, but it is 0"]
        );
        let e = errors(
            "struct N { input: 4, batch_norm(mom = 0.2), dense(2), loss: mean_squared_error }",
        );
        assert_eq!(
            e,
            ["unknown option `mom` for `batch_norm`; its options are `eps`, `momentum`"]
        );
        let e = errors("struct N { input: 4, relu(3), dense(2), loss: mean_squared_error }");
        assert_eq!(e, ["`relu` takes no arguments"]);
        let e = errors(
            "struct N { input: 4, dense(2, init = he, init = he), loss: mean_squared_error }",
        );
        assert_eq!(e, ["option `init` is given twice"]);
    }

    #[test]
    fn names_are_unique_and_not_reserved() {
        let e = errors("struct N { input: 4, relu1: dense(4), relu, loss: mean_squared_error }");
        assert_eq!(
            e,
            ["two layers are named `relu1`; layer names must be unique"]
        );
        let e = errors("struct N { input: 4, __x: dense(4), loss: mean_squared_error }");
        assert_eq!(
            e,
            ["layer names starting with `__` are reserved for generated code"]
        );
    }

    #[test]
    fn typos_get_one_suggestion() {
        let e = errors("struct N { input: 4, dense(4), rleu, loss: mean_squared_error }");
        assert_eq!(e, ["unknown layer `rleu`; did you mean `relu`?"]);
        let e = errors("struct N { input: 4, dense(4), batchnorm, loss: mean_squared_error }");
        assert_eq!(e, ["unknown layer `batchnorm`; did you mean `batch_norm`?"]);
    }

    #[test]
    fn generic_widths_are_left_to_the_compiler() {
        let layers = check(
            "struct N<H, K> { input: 4, dense(H), relu, dense(K -> 3), loss: softmax_cross_entropy }",
        )
        .unwrap();
        assert_eq!(layers[2].1, "H");
        let e = errors("struct N<T> { input: 4, dense(2), loss: mean_squared_error }");
        assert!(e[0].contains("`T` is reserved"));
    }

    #[test]
    fn structure_rules() {
        let e = errors("struct N { dense(2), loss: mean_squared_error }");
        assert_eq!(
            e,
            ["a network starts with its input width, e.g. `input: 64,`"]
        );
        let e = errors("struct N { input: 4, dense(2) }");
        assert!(e[0].starts_with("the network has no loss"));
        // Every loss of the registry, as prose.
        for loss in registry::loss_names() {
            assert!(e[0].contains(&format!("`loss: {loss}`")), "{}", e[0]);
        }
        let prose =
            |items: &[&str]| either(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(prose(&["a"]), "a");
        assert_eq!(prose(&["a", "b"]), "a or b");
        assert_eq!(prose(&["a", "b", "c"]), "a, b or c");
        let e = errors("struct N { input: 4, loss: mean_squared_error }");
        assert_eq!(e, ["a network needs at least one layer, e.g. `dense(10),`"]);
        let e =
            errors("#[derive(Clone)] struct N { input: 4, dense(2), loss: mean_squared_error }");
        assert!(e[0].contains("remove this `#[derive]`"));
    }

    /// Each error of a rejected description, with the text it points at.
    fn located(src: &str) -> Vec<(String, String)> {
        let result = crate::parse::network(src.parse().expect("lexes"))
            .and_then(|net| network(&net).map(|_| ()));
        let errors = result.expect_err("the network is rejected");
        errors
            .into_iter()
            .map(|e| (e.to_string(), src[e.span().byte_range()].to_string()))
            .collect()
    }

    fn one_error(src: &str, message: &str, at: &str) {
        assert_eq!(
            located(src),
            [(message.to_string(), at.to_string())],
            "{src}"
        );
    }

    fn accepted(src: &str) {
        let net = crate::parse::network(src.parse().expect("lexes")).expect("parses");
        if let Err(e) = network(&net) {
            panic!("{src}: {e}");
        }
    }

    #[test]
    fn an_argument_the_layer_cannot_take_is_one_error_at_it() {
        let keeps = "`dropout` keeps the width of the layer before it, so it takes no width";
        let value = "expected a value for `p` of `dropout`: a number in [0, 1)";
        let range = "`p` of `dropout` must be a number in [0, 1), but it is 8";
        for (args, message, at) in [
            ("8 -> 8", keeps, "8 -> 8"),
            ("0.5, 8", keeps, "8"),
            ("8", range, "8"),
            ("!", value, "!"),
            ("fn()", value, "fn()"),
            ("impl Sized", value, "impl Sized"),
            ("0.5 0.5", value, "0.5 0.5"),
        ] {
            // In the middle of a chain, where a skipped layer would change only the widths
            // after it.
            let src = format!(
                "struct N {{ input: 4, dense(128), dropout({args}), relu, dense(2), loss: mean_squared_error }}"
            );
            one_error(&src, message, at);
        }
        one_error(
            "struct N { input: 4, batch_norm(64), dense(2), loss: mean_squared_error }",
            "`batch_norm` keeps the width of the layer before it, so it takes no width",
            "64",
        );
        one_error(
            "struct N { input: 4, batch_norm(eps), dense(2), loss: mean_squared_error }",
            "`batch_norm` takes no more values here; its options are `eps`, `momentum`",
            "eps",
        );
        one_error(
            "struct N { input: 4, dropout(p = 0.5, 0.3), loss: mean_squared_error }",
            "option `p` is given twice",
            "0.3",
        );
        one_error(
            "struct N { input: 4, dense(8, 4), loss: mean_squared_error }",
            "`dense` takes one width, or `in -> out`",
            "4",
        );
        one_error(
            "struct N { input: 4, dense(init = he + 1), loss: mean_squared_error }",
            "expected an initializer name, e.g. `init = he`",
            "he + 1",
        );
    }

    #[test]
    fn a_bad_width_is_one_short_error_at_it() {
        let range = format!("a width is a whole number from 1 to {MAX_WIDTH}");
        for (width, message) in [
            ("1.5", range.as_str()),
            ("-1", &range),
            ("1e309", &range),
            ("9223372036854775808", &range),
            ("18446744073709551615", &range),
            ("4294967296", &range),
            ("0", ZERO_WIDTH),
            ("U0", ZERO_WIDTH),
            ("typenet::dim::U0", ZERO_WIDTH),
            ("::typenum::UTerm", ZERO_WIDTH),
            ("U<0>", ZERO_WIDTH),
            ("(U0)", ZERO_WIDTH),
            ("f32", NOT_A_WIDTH),
            ("u8", NOT_A_WIDTH),
            ("()", NOT_A_WIDTH),
            ("[u8; 4]", NOT_A_WIDTH),
            ("Self", NOT_A_WIDTH),
            ("u64::MAX", NOT_A_WIDTH),
            ("core::primitive::usize", NOT_A_WIDTH),
            ("&U8", NOT_A_WIDTH),
            ("Fn(U8)", NOT_A_WIDTH),
            ("\"8\"", NOT_A_WIDTH),
        ] {
            for src in [
                format!("struct N {{ input: 4, dense({width}), relu, dense(2), loss: mean_squared_error }}"),
                format!("struct N {{ input: 4, dense({width} -> 2), loss: mean_squared_error }}"),
                format!("struct N {{ input: {width}, dense(2), loss: mean_squared_error }}"),
            ] {
                one_error(&src, message, width);
            }
        }
        for width in [
            "1",
            "4294967295",
            "0x10",
            "U8",
            "(U8)",
            "typenet::dim::U8",
            "typenet::dim::Prod<typenet::dim::U8, typenet::dim::U4>",
            "<U8 as core::ops::Add<U1>>::Output",
            "width!()",
        ] {
            accepted(&format!(
                "struct N {{ input: {width}, dense({width}), loss: mean_squared_error }}"
            ));
        }
    }

    #[test]
    fn a_where_clause_is_refused_at_it() {
        one_error(
            "struct N<H> where H: Clone, Undeclared: Copy { input: 4, dense(H), loss: mean_squared_error }",
            "`network!` takes no `where` clause: its parameters are widths, which need no bounds",
            "where H: Clone, Undeclared: Copy",
        );
    }

    #[test]
    fn attributes_are_carried_or_refused_at_them() {
        let body = "struct N { input: 4, dense(2), loss: mean_squared_error }";
        let carried = "`network!` carries only doc comments and the lint attributes `allow`, `warn`, `deny`, `forbid`, `expect` to the struct";
        let derive = "`network!` implements `Clone` and `Debug` itself; remove this `#[derive]`";
        for (attr, message, at) in [
            ("#[test]", carried, "#[test]"),
            ("#[inline]", carried, "#[inline]"),
            ("#[repr(packed)]", carried, "#[repr(packed)]"),
            ("#[repr(align(64))]", carried, "#[repr(align(64))]"),
            ("#[must_use]", carried, "#[must_use]"),
            ("#[derive(Clone)]", derive, "#[derive(Clone)]"),
            (
                "#[::core::prelude::v1::derive(Clone)]",
                derive,
                "#[::core::prelude::v1::derive(Clone)]",
            ),
            (
                "#[cfg_attr(all(), derive(Clone, Debug))]",
                derive,
                "derive(Clone, Debug)",
            ),
            (
                "#[cfg_attr(test, allow(dead_code), inline)]",
                carried,
                "inline",
            ),
            ("#[cfg_attr(test)]", "expected `,`", ")"),
        ] {
            one_error(&format!("{attr} {body}"), message, at);
        }
        one_error(
            &format!("#[cfg(test)] {body}"),
            "`#[cfg]` here would remove the struct but not what `network!` generates for it; put it on the `network!` invocation",
            "#[cfg(test)]",
        );
        accepted(&format!(
            "/// Documented.\n#[doc(hidden)] #[allow(dead_code)] #[warn(missing_docs)] #[deny(unused)] \
             #[forbid(unsafe_code)] #[expect(dead_code)] #[cfg_attr(test, allow(unused))] {body}"
        ));
    }

    #[test]
    fn a_misspelled_key_is_one_error_at_it() {
        let input = "struct N { input: 4, dense(2), los: mean_squared_error }";
        one_error(input, "unknown key `los`; did you mean `loss`?", "los");
        one_error(
            "struct N { input: 4, dense(2), objective: mean_squared_error }",
            "`mean_squared_error` is a loss: write `loss: mean_squared_error`",
            "objective",
        );
        one_error(
            "struct N { input: 4, dense(2), mean_squared_error }",
            "`mean_squared_error` is a loss: write `loss: mean_squared_error`",
            "mean_squared_error",
        );
        one_error(
            "struct N { inptu: 4, dense(2), loss: mean_squared_error }",
            "unknown key `inptu`; did you mean `input`?",
            "inptu",
        );
        one_error(
            "struct N { input: 4, hidden: 8, loss: mean_squared_error }",
            "expected a layer, e.g. `dense(10)`",
            "8",
        );
    }

    #[test]
    fn a_misplaced_or_missing_part_is_one_error() {
        one_error(
            "struct N {}",
            "a network needs an input, layers and a loss, e.g. `{ input: 4, dense(2), loss: mean_squared_error }`",
            "{}",
        );
        one_error(
            "struct N { dense(2), input: 4, loss: mean_squared_error }",
            "`input` must be the first entry, and only one",
            "input",
        );
        one_error(
            "struct N { input: 4, loss: mean_squared_error, dense(2) }",
            "`loss` must be the last entry, and only one",
            "loss",
        );
        // The body is the last group: a header that does not end is reported at its `{`.
        one_error(
            "struct N<const K: usize = { input: 4, dense(2), loss: mean_squared_error }",
            "unexpected end of input",
            "{",
        );
        let no_body = "expected the network's body last, e.g. `{ input: 4, dense(2), loss: mean_squared_error }`";
        one_error("pub struct N", no_body, "N");
        one_error(
            "struct N { input: 4, dense(2), loss: mean_squared_error } struct M",
            no_body,
            "M",
        );
    }

    #[test]
    fn raw_identifiers_name_layers_without_their_prefix() {
        let layers =
            check("struct N { input: 4, r#type: dense(3), r#gen: relu, loss: mean_squared_error }")
                .unwrap();
        assert_eq!(layers[0].0, "r#type");
        assert_eq!(name(&syn::parse_str::<Ident>("r#type").unwrap()), "type");
        let e = errors("struct N { input: 4, r#relu1: dense(4), relu, loss: mean_squared_error }");
        assert_eq!(
            e,
            ["two layers are named `relu1`; layer names must be unique"]
        );
        let e = errors("struct N { input: 4, r#__x: dense(4), loss: mean_squared_error }");
        assert_eq!(
            e,
            ["layer names starting with `__` are reserved for generated code"]
        );
    }

    #[test]
    fn values_from_macro_rules_fragments_are_read_through_their_groups() {
        // `macro_rules!` passes `$h:ty` and `$p:expr` as invisible groups.
        let group = |tokens| proc_macro2::Group::new(proc_macro2::Delimiter::None, tokens);
        let description = |p: proc_macro2::TokenStream| {
            let (h, p) = (group(quote::quote!(H)), group(p));
            quote::quote!(struct N<H> { input: 4, dense(#h), dropout(#p), loss: mean_squared_error })
        };
        let net = crate::parse::network(description(quote::quote!(0.5))).expect("parses");
        let plan = network(&net).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(plan.layers[0].output, Width::Param(_)));
        let net = crate::parse::network(description(quote::quote!(1.5))).expect("parses");
        let e: Vec<_> = network(&net)
            .err()
            .into_iter()
            .flatten()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            e,
            ["`p` of `dropout` must be a number in [0, 1), but it is 1.5"]
        );
    }
}
