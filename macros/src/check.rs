//! Rules across the layers of a parsed network. Each rule is a function; every broken rule
//! adds an error, so one build reports all of them. A network that passes becomes a
//! [`Plan`], which `expand` turns into code without further checks.

use crate::parse::{Arg, Item, Layer, Network, Width};
use crate::registry::{self, LayerKind, LossKind, OptionKind, WidthRule};
use proc_macro2::Span;
use syn::{Error, Expr, GenericParam, Ident, Lit};

/// A checked network: every layer with its resolved widths and options.
pub struct Plan<'a> {
    pub net: &'a Network,
    pub input: Width,
    pub layers: Vec<Planned>,
    pub loss: &'static LossKind,
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
}

/// An option's value as written.
#[derive(Clone)]
pub enum OptionValue {
    /// An initializer, by its `Init` variant name.
    Init(&'static str),
    /// Any other value: an expression.
    Expr(Expr),
}

/// Checks `net`, returning its plan or every error found.
pub fn network(net: &Network) -> Result<Plan<'_>, Error> {
    let mut errors = Errors::default();
    no_derives(net, &mut errors);
    generics_are_widths(net, &mut errors);
    crate::check_names::network(net, &mut errors);
    let input = input_comes_first(net, &mut errors);
    let loss = loss_comes_last(net, &mut errors);
    let layers = layers_chain(net, input.as_ref(), &mut errors);
    if layers.is_empty() && !net.items.iter().any(|i| matches!(i, Item::Layer(_))) {
        errors.push(Error::new(
            net.close,
            "a network needs at least one layer, e.g. `dense(10),`",
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

/// A width written as a type that is one of the width parameters becomes [`Width::Param`].
fn resolve(width: &Width, params: &[Ident]) -> Width {
    if let Width::Type(syn::Type::Path(path)) = width {
        if let Some(ident) = path.path.get_ident() {
            if path.qself.is_none() && params.contains(ident) {
                return Width::Param(ident.clone());
            }
        }
    }
    width.clone()
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
                found = Some(resolve(width, &width_params(net)));
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
fn loss_comes_last(net: &Network, errors: &mut Errors) -> Option<&'static LossKind> {
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
            found = registry::loss(&name.to_string());
            if found.is_none() {
                let known = registry::loss_names();
                errors.push(unknown(name, "loss", &name.to_string(), &known));
            }
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

// Rule: every layer is a known kind with legal arguments, and each layer's declared input
// width, when written, equals the width the layer before it produces.
fn layers_chain(net: &Network, input: Option<&Width>, errors: &mut Errors) -> Vec<Planned> {
    let mut layers: Vec<Planned> = Vec::new();
    // The width flowing into the next layer (None after a broken layer: nothing more is
    // compared until a layer states its width again), and what produced it.
    let mut width = input.cloned();
    let mut producer = String::from("the input");
    let params = width_params(net);
    for item in &net.items {
        let Item::Layer(layer) = item else { continue };
        let name = layer.kind.to_string();
        let Some(kind) = registry::layer(&name) else {
            errors.push(unknown(
                &layer.kind,
                "layer",
                &name,
                &registry::layer_names(),
            ));
            width = None;
            continue;
        };
        let ordinal = 1 + layers.iter().filter(|l| l.kind.name == kind.name).count();
        let field = layer.label.as_ref().map_or_else(
            || Ident::new(&format!("{name}{ordinal}"), layer.kind.span()),
            |(label, _)| label.clone(),
        );
        let Some(args) = layer_args(layer, kind, &params, errors) else {
            width = None;
            continue;
        };
        if let (Some(declared), Some(before)) = (&args.declared_input, &width) {
            if let (Some(Ok(d)), Some(Ok(b))) = (declared.value(), before.value()) {
                if d != b {
                    errors.push(Error::new_spanned(
                        declared,
                        format!("layer `{field}` takes {d} inputs, but {producer} produces {b}"),
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
        });
        // Layers that keep the width (activations, dropout, batch norm) pass on the name of
        // the layer that set it: the layer the user thinks of as the one before.
        if kind.width == WidthRule::InOut {
            producer = format!("the layer before it, `{field}`,");
        }
    }
    layers
}

/// A layer's arguments, read against its row of the registry.
struct Args {
    declared_input: Option<Width>,
    output: Option<Width>,
    options: Vec<Option<OptionValue>>,
}

// Rule: a layer's arguments are its width (for `dense`), then its positional options, then
// named options it has, each once, each obeying its rule when written as a literal.
fn layer_args(
    layer: &Layer,
    kind: &'static LayerKind,
    params: &[Ident],
    errors: &mut Errors,
) -> Option<Args> {
    let name = kind.name;
    let mut args = Args {
        declared_input: None,
        output: None,
        options: vec![None; kind.options.len()],
    };
    let mut ok = true;
    if let Some((label, _)) = &layer.label {
        if label.to_string().starts_with("__") {
            errors.push(Error::new_spanned(
                label,
                "layer names starting with `__` are reserved for generated code",
            ));
            ok = false;
        }
    }
    let empty = syn::punctuated::Punctuated::new();
    let list = layer.args.as_ref().map_or(&empty, |(_, list)| list);
    let mut positional = kind
        .options
        .iter()
        .enumerate()
        .filter(|(_, o)| o.positional);
    for arg in list {
        match arg {
            Arg::Width { input, output } if kind.width == WidthRule::InOut => {
                if args.output.is_some() {
                    errors.push(Error::new_spanned(
                        arg,
                        format!("`{name}` takes one width, or `in -> out`"),
                    ));
                    ok = false;
                    continue;
                }
                let declared = input.as_ref().map(|(w, _)| w.clone());
                ok &= declared
                    .as_ref()
                    .is_none_or(|w| width_is_positive(w, errors));
                ok &= width_is_positive(output, errors);
                args.declared_input = declared.map(|w| resolve(&w, params));
                args.output = Some(resolve(output, params));
            }
            Arg::Width { .. } | Arg::Value(_) => {
                let Some((i, spec)) = positional.next() else {
                    let msg = if kind.width == WidthRule::Keeps {
                        format!(
                            "`{name}` keeps the width of the layer before it, so it takes no width"
                        )
                    } else {
                        format!("`{name}` takes no more values here")
                    };
                    let msg = if kind.options.is_empty() {
                        format!("`{name}` takes no arguments")
                    } else {
                        msg
                    };
                    errors.push(Error::new_spanned(arg, msg));
                    ok = false;
                    continue;
                };
                let expr = match arg {
                    Arg::Value(e) => e.clone(),
                    other => syn::parse2(quote::ToTokens::to_token_stream(other)).ok()?,
                };
                ok &= set_option(&mut args.options[i], spec, &expr, name, errors);
            }
            Arg::Option { key, value, .. } => {
                let found = kind.options.iter().position(|o| key == o.name);
                let Some(i) = found else {
                    let names: Vec<_> = kind
                        .options
                        .iter()
                        .map(|o| format!("`{}`", o.name))
                        .collect();
                    let msg = match names.as_slice() {
                        [] => format!("`{name}` has no options"),
                        [one] => {
                            format!("unknown option `{key}` for `{name}`; the only option is {one}")
                        }
                        _ => format!(
                            "unknown option `{key}` for `{name}`; its options are {}",
                            names.join(", ")
                        ),
                    };
                    errors.push(Error::new_spanned(key, msg));
                    ok = false;
                    continue;
                };
                if args.options[i].is_some() {
                    errors.push(Error::new_spanned(
                        key,
                        format!("option `{key}` is given twice"),
                    ));
                    ok = false;
                    continue;
                }
                ok &= set_option(&mut args.options[i], &kind.options[i], value, name, errors);
            }
        }
    }
    if kind.width == WidthRule::InOut && args.output.is_none() {
        errors.push(Error::new_spanned(
            layer,
            format!("`{name}` needs its output width, e.g. `{name}(128)`"),
        ));
        ok = false;
    }
    for (spec, value) in kind.options.iter().zip(&args.options) {
        let written = list.iter().any(|arg| match arg {
            Arg::Option { key, .. } => key == spec.name,
            _ => spec.positional,
        });
        if value.is_none() && !written && spec.default.is_none() && spec.kind != OptionKind::Init {
            errors.push(Error::new_spanned(
                layer,
                format!(
                    "`{name}` needs `{}`, {} ({}), e.g. `{name}(0.5)`",
                    spec.name,
                    spec.doc,
                    spec.kind.rule()
                ),
            ));
            ok = false;
        }
    }
    ok.then_some(args)
}

// Rule: an option's value obeys its kind: an initializer is a known name; a number written
// as a literal is in range (other expressions are checked when the network is compiled).
fn set_option(
    slot: &mut Option<OptionValue>,
    spec: &registry::OptionSpec,
    value: &Expr,
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
    if let Some(number) = literal_number(value) {
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
    *slot = Some(OptionValue::Expr(value.clone()));
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
        _ => None,
    }
}

fn init_name(value: &Expr) -> Result<&'static str, Error> {
    let ident = match value {
        Expr::Path(path) => path.path.get_ident(),
        _ => None,
    };
    let Some(ident) = ident else {
        return Err(Error::new_spanned(
            value,
            "expected an initializer name, e.g. `init = he`",
        ));
    };
    let name = ident.to_string();
    registry::init(&name)
        .ok_or_else(|| unknown(ident, "initializer", &name, &registry::init_names()))
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

// Rule: layer names (given, or defaulted to `dense1`, `relu1`, …) are unique.
fn names_are_unique(layers: &[Planned], errors: &mut Errors) {
    for (i, layer) in layers.iter().enumerate() {
        if layers[..i].iter().any(|before| before.field == layer.field) {
            errors.push(Error::new(
                layer.field.span(),
                format!(
                    "two layers are named `{}`; layer names must be unique",
                    layer.field
                ),
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str) -> Result<Vec<(String, String, String)>, Vec<String>> {
        let net: Network = syn::parse_str(src).expect("parses");
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
        let e = errors("struct N { input: 4, loss: mean_squared_error }");
        assert_eq!(e, ["a network needs at least one layer, e.g. `dense(10),`"]);
        let e =
            errors("#[derive(Clone)] struct N { input: 4, dense(2), loss: mean_squared_error }");
        assert!(e[0].contains("remove this `#[derive]`"));
    }
}
