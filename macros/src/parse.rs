//! Syntax of `network!`, parsed into types that keep every span. Nothing here judges
//! whether the network makes sense; `check` does. Every token is either read into these
//! types or reported: a value that only the layer's kind can interpret is kept as tokens
//! ([`Value`]), and `check` reports what it cannot read as what the layer needs.
//!
//! ```text
//! Network  := Header "{" Item ("," Item)* ","? "}"                 // the body is the last token tree
//! Header   := Attribute* Visibility "struct" Ident Generics? WhereClause?
//! Item     := "input" ":" Value
//!           | "loss" ":" Ident
//!           | "budget" ":" Value                                     // e.g. `budget: 48 KiB for training with adam at batch 8`
//!           | (Ident ":")? Ident ("(" Arg ("," Arg)* ","? ")")?     // a layer, e.g. `hidden: dense(128)`, `relu`
//! Arg      := Ident "=" Value                                       // an option, e.g. `init = he`
//!           | Value "->" Value                                      // `in -> out` widths
//!           | Value                                                 // a width or a positional value: `128`, `0.5`
//! Value    := the tokens up to the next "," or "->" outside "<…>"   // read by `check` as a Width or an Expr
//! Width    := LitInt | Type                                         // `128`, or a typenum type such as `H`
//! ```
//!
//! Before any of this, [`network`] walks the tokens with a loop and refuses input nested
//! deeper than [`MAX_DEPTH`]: syn's parsers recurse once per bracket, generic argument or
//! prefix operator, and a few hundred of them overflow the compiler's stack.

use proc_macro2::{Delimiter, Spacing, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{braced, parenthesized, Attribute, Generics, Ident, LitInt, Token, Type, Visibility};

pub mod kw {
    syn::custom_keyword!(input);
    syn::custom_keyword!(loss);
    syn::custom_keyword!(budget);
}

/// How deeply a description may nest, counting each enclosing bracket, each unclosed `<`
/// and each token before it since the last `,` or `;` (so that `- - - 1` or `&&&&T` count
/// like brackets). Real descriptions stay below 30.
pub const MAX_DEPTH: usize = 64;

/// Reads a whole invocation: the depth check, then the grammar above.
pub fn network(tokens: TokenStream) -> syn::Result<Network> {
    not_too_deep(&tokens)?;
    syn::parse2(tokens)
}

/// The whole invocation.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    /// With the `where` clause as written, which `check` refuses.
    pub generics: Generics,
    pub items: Vec<Item>,
    /// The braces around the body: a missing `loss` is reported at the closing one.
    pub brace: syn::token::Brace,
}

/// One comma-separated entry of the body.
pub enum Item {
    Input {
        key: kw::input,
        width: Value,
    },
    Loss {
        key: kw::loss,
        name: Ident,
    },
    /// A memory budget, its value kept as tokens for `check_budget` to read.
    Budget {
        key: kw::budget,
        value: Value,
    },
    Layer(Layer),
}

/// A layer written `label: kind(args)`, `kind(args)` or `kind`.
/// Its tokens (`ToTokens` below) let errors about the whole layer underline all of it.
pub struct Layer {
    pub label: Option<(Ident, Token![:])>,
    pub kind: Ident,
    pub args: Option<(syn::token::Paren, Punctuated<Arg, Token![,]>)>,
}

pub enum Arg {
    /// `key = value`, e.g. `init = he`.
    Option {
        key: Ident,
        eq: Token![=],
        value: Value,
    },
    /// `in -> out`: an output width with the input width it takes.
    Arrow {
        input: Value,
        arrow: Token![->],
        output: Value,
    },
    /// A width (`128`) or a positional value (`0.5`): the layer's kind decides which.
    Value(Value),
}

/// Tokens that stand for one value, kept as written: `check` reads them as a [`Width`] or an
/// expression, depending on what the layer takes, and reports them whole when it cannot.
#[derive(Clone)]
pub struct Value {
    pub tokens: TokenStream,
}

#[derive(Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Width {
    Literal(LitInt),
    /// A typenum type, such as `typenet::dim::U8`.
    Type(Type),
    /// One of the network's width parameters (`H` in `struct Mlp<H>`), which `check`
    /// recognizes among the types; it becomes a `const H: usize`.
    Param(Ident),
}

impl Parse for Network {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        // The body is the last token tree, and the header before it is read on its own, as if
        // bracketed up to the body's `{`: a mistake in the header cannot take the body with
        // it (`struct N<const K: usize = { … }` would read the body as a default value), and
        // an unfinished header is reported at the `{`.
        let mut trees: Vec<TokenTree> = Vec::new();
        while !input.is_empty() {
            trees.push(input.parse()?);
        }
        let body = match trees.pop() {
            Some(TokenTree::Group(body)) if body.delimiter() == Delimiter::Brace => body,
            Some(other) => return Err(syn::Error::new(other.span(), NO_BODY)),
            None => return Err(input.error(NO_BODY)),
        };
        let mut header =
            proc_macro2::Group::new(Delimiter::Parenthesis, trees.into_iter().collect());
        header.set_span(body.span_open());
        let (attrs, vis, ident, generics) = (|input: ParseStream| {
            let header;
            parenthesized!(header in input);
            let attrs = header.call(Attribute::parse_outer)?;
            let vis = header.parse()?;
            header.parse::<Token![struct]>()?;
            let ident = header.parse()?;
            let mut generics: Generics = header.parse()?;
            generics.where_clause = header.parse()?;
            if !header.is_empty() {
                return Err(header.error("expected `{`, the network's body"));
            }
            Ok((attrs, vis, ident, generics))
        })
        .parse2(TokenTree::Group(header).into())?;
        let (brace, items) = (|input: ParseStream| {
            let body;
            let brace = braced!(body in input);
            Ok((
                brace,
                Punctuated::<Item, Token![,]>::parse_terminated(&body)?,
            ))
        })
        .parse2(TokenTree::Group(body).into())?;
        Ok(Network {
            attrs,
            vis,
            ident,
            generics,
            items: items.into_iter().collect(),
            brace,
        })
    }
}

const NO_BODY: &str =
    "expected the network's body last, e.g. `{ input: 4, dense(2), loss: mean_squared_error }`";

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(kw::input) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let key = input.parse()?;
            input.parse::<Token![:]>()?;
            return Ok(Item::Input {
                key,
                width: input.parse()?,
            });
        }
        if input.peek(kw::loss) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let key = input.parse()?;
            input.parse::<Token![:]>()?;
            return Ok(Item::Loss {
                key,
                name: input.parse()?,
            });
        }
        if input.peek(kw::budget) && input.peek2(Token![:]) && !input.peek2(Token![::]) {
            let key = input.parse()?;
            input.parse::<Token![:]>()?;
            return Ok(Item::Budget {
                key,
                value: input.parse()?,
            });
        }
        let first: Ident = input.parse()?;
        let (label, kind) = if input.peek(Token![:]) && !input.peek(Token![::]) {
            let colon = input.parse()?;
            if !input.peek(Ident) {
                return Err(not_a_layer(input, &first));
            }
            (Some((first, colon)), input.parse::<Ident>()?)
        } else {
            (None, first)
        };
        let args = if input.peek(syn::token::Paren) {
            let content;
            let paren = parenthesized!(content in input);
            Some((paren, Punctuated::parse_terminated(&content)?))
        } else {
            None
        };
        Ok(Item::Layer(Layer { label, kind, args }))
    }
}

/// The error for `label:` followed by something other than a layer: a misspelled `input`
/// key (`inptu: 64`) is reported at the key, anything else where the layer should be.
fn not_a_layer(input: ParseStream, label: &Ident) -> syn::Error {
    let key = label.to_string();
    if crate::check::edit_distance(&key, "input") <= 2 {
        return syn::Error::new(
            label.span(),
            format!("unknown key `{key}`; did you mean `input`?"),
        );
    }
    input.error("expected a layer, e.g. `dense(10)`")
}

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident)
            && input.peek2(Token![=])
            && !input.peek2(Token![==])
            && !input.peek2(Token![=>])
        {
            return Ok(Arg::Option {
                key: input.parse()?,
                eq: input.parse()?,
                value: input.parse()?,
            });
        }
        let first = input.parse()?;
        if input.peek(Token![->]) {
            Ok(Arg::Arrow {
                input: first,
                arrow: input.parse()?,
                output: input.parse()?,
            })
        } else {
            Ok(Arg::Value(first))
        }
    }
}

impl Parse for Value {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let tokens = input.step(|cursor| {
            // Every token tree up to the end of the group, with the cursor after it.
            let mut trees = Vec::new();
            let mut rest = *cursor;
            while let Some((tree, next)) = rest.token_tree() {
                trees.push((tree, next));
                rest = next;
            }
            let end = value_end(&trees, true)
                .or_else(|| value_end(&trees, false))
                .unwrap_or(trees.len());
            let after = match end {
                0 => *cursor,
                n => trees[n - 1].1,
            };
            let tokens = trees.into_iter().take(end).map(|(tree, _)| tree).collect();
            Ok((tokens, after))
        })?;
        if TokenStream::is_empty(&tokens) {
            return Err(input.error("expected a value, e.g. `128` or `0.5`"));
        }
        Ok(Value { tokens })
    }
}

/// Where a value ends: at the first `,` or `->` outside `<…>` when `angles` (so that
/// `Prod<U8, U4>` stays one value), or at the first `,` or `->` at all. `None` when the
/// angle brackets do not close, so that a stray `<` does not take the rest of the body.
fn value_end(trees: &[(TokenTree, syn::buffer::Cursor)], angles: bool) -> Option<usize> {
    // Unclosed `<`, and whether the last token was a `-` or `=` joined to the next.
    let (mut open, mut joined) = (0usize, false);
    for (i, (tree, next)) in trees.iter().enumerate() {
        let TokenTree::Punct(p) = tree else {
            joined = false;
            continue;
        };
        let arrow = p.as_char() == '-'
            && p.spacing() == Spacing::Joint
            && next.punct().is_some_and(|(q, _)| q.as_char() == '>');
        match p.as_char() {
            ',' if open == 0 => return Some(i),
            '-' if open == 0 && arrow => return Some(i),
            '<' if angles => open += 1,
            '>' if angles && !joined => open = open.saturating_sub(1),
            _ => {}
        }
        joined = matches!(p.as_char(), '-' | '=') && p.spacing() == Spacing::Joint;
    }
    (open == 0).then_some(trees.len())
}

impl Parse for Width {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitInt) {
            Ok(Width::Literal(input.parse()?))
        } else {
            Ok(Width::Type(input.parse()?))
        }
    }
}

impl Value {
    /// The value read as `T`, which must take all of its tokens.
    pub fn read<T: Parse>(&self) -> syn::Result<T> {
        syn::parse2(self.tokens.clone())
    }
}

impl Width {
    /// A width of 1, standing in after a broken layer so that checking can go on.
    pub fn one() -> Self {
        Width::Literal(LitInt::new("1", Span::call_site()))
    }

    /// The width as a number, when it is written as one.
    pub fn value(&self) -> Option<syn::Result<u64>> {
        match self {
            Width::Literal(lit) => Some(lit.base10_parse()),
            Width::Type(_) | Width::Param(_) => None,
        }
    }
}

/// Refuses input nested more deeply than [`MAX_DEPTH`], with one error at the first token
/// past the limit. A loop with its own stack of groups, so that it cannot overflow.
fn not_too_deep(tokens: &TokenStream) -> syn::Result<()> {
    let mut outer: Vec<(proc_macro2::token_stream::IntoIter, Level)> = Vec::new();
    let mut trees = tokens.clone().into_iter();
    let mut level = Level::inside(0);
    loop {
        let Some(tree) = trees.next() else {
            match outer.pop() {
                Some((rest, up)) => (trees, level) = (rest, up),
                None => return Ok(()),
            }
            continue;
        };
        let depth = level.depth();
        if depth > MAX_DEPTH {
            let span = match &tree {
                TokenTree::Group(group) => group.span_open(),
                other => other.span(),
            };
            return Err(syn::Error::new(
                span,
                format!(
                    "this is nested too deeply: `network!` reads at most {MAX_DEPTH} levels of \
                     brackets, generic arguments and operators"
                ),
            ));
        }
        match tree {
            TokenTree::Group(group) => {
                // An attribute's brackets close it: the next token starts afresh.
                let attribute = level.hash && group.delimiter() == Delimiter::Bracket;
                level.token(None);
                if attribute {
                    level.run = 0;
                }
                let inner = group.stream().into_iter();
                outer.push((
                    std::mem::replace(&mut trees, inner),
                    std::mem::replace(&mut level, Level::inside(depth + 1)),
                ));
            }
            TokenTree::Punct(punct) => level.token(Some(&punct)),
            TokenTree::Ident(_) | TokenTree::Literal(_) => level.token(None),
        }
    }
}

/// The nesting within one group, as [`not_too_deep`] counts it.
struct Level {
    /// The depth of the group itself.
    base: usize,
    /// Tokens since the last `,` or `;`: each may open a recursive parse (`-`, `&`, `return`).
    run: usize,
    /// Unclosed `<`.
    angles: usize,
    /// Whether the last token was a `-` or `=` joined to the next (`->`, `=>`).
    joined: bool,
    /// Whether the last token was `#`, which brackets make an attribute.
    hash: bool,
}

impl Level {
    fn inside(base: usize) -> Self {
        Level {
            base,
            run: 0,
            angles: 0,
            joined: false,
            hash: false,
        }
    }

    fn depth(&self) -> usize {
        self.base + self.run + self.angles
    }

    /// Counts one token: a punctuation, or `None` for anything else.
    fn token(&mut self, punct: Option<&proc_macro2::Punct>) {
        let c = punct.map(proc_macro2::Punct::as_char);
        match c {
            Some(',' | ';') => self.run = 0,
            Some('<') => self.angles += 1,
            Some('>') if !self.joined => self.angles = self.angles.saturating_sub(1),
            _ => self.run += 1,
        }
        self.joined =
            matches!(c, Some('-' | '=')) && punct.is_some_and(|p| p.spacing() == Spacing::Joint);
        self.hash = c == Some('#');
    }
}

impl ToTokens for Width {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Width::Literal(lit) => lit.to_tokens(tokens),
            Width::Type(ty) => ty.to_tokens(tokens),
            Width::Param(ident) => ident.to_tokens(tokens),
        }
    }
}

impl ToTokens for Layer {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        if let Some((label, colon)) = &self.label {
            label.to_tokens(tokens);
            colon.to_tokens(tokens);
        }
        self.kind.to_tokens(tokens);
        if let Some((paren, args)) = &self.args {
            paren.surround(tokens, |inner| args.to_tokens(inner));
        }
    }
}

impl ToTokens for Arg {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Arg::Option { key, eq, value } => {
                key.to_tokens(tokens);
                eq.to_tokens(tokens);
                value.to_tokens(tokens);
            }
            Arg::Arrow {
                input,
                arrow,
                output,
            } => {
                input.to_tokens(tokens);
                arrow.to_tokens(tokens);
                output.to_tokens(tokens);
            }
            Arg::Value(value) => value.to_tokens(tokens),
        }
    }
}

impl ToTokens for Value {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.tokens.to_tokens(tokens);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errors of `src`, each with the text it points at; empty when it passes. Checking
    /// reads the values with syn, so without the depth check deep input would overflow the
    /// test thread's stack here.
    fn errors(src: &str) -> Vec<(String, String)> {
        let checked = network(src.parse().expect("lexes"))
            .and_then(|net| crate::check::network(&net).map(|_| ()));
        match checked {
            Ok(()) => Vec::new(),
            Err(e) => e
                .into_iter()
                .map(|e| (e.to_string(), src[e.span().byte_range()].to_string()))
                .collect(),
        }
    }

    /// One error, at a token of the deep part: `at` is one of them.
    fn too_deep(src: &str, at: &[&str]) {
        let found = errors(src);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].0.starts_with("this is nested too deeply"),
            "{found:?}"
        );
        assert!(at.contains(&found[0].1.as_str()), "{found:?}");
    }

    fn wrap(body: &str) -> String {
        format!("struct N {{ input: 4, {body}, loss: mean_squared_error }}")
    }

    #[test]
    fn deep_nesting_is_one_error_before_any_recursive_parse() {
        // Each of these overflows the stack of a test thread if syn sees it.
        let parens = format!("dense({}8{})", "(".repeat(384), ")".repeat(384));
        too_deep(&wrap(&parens), &["("]);
        too_deep(&wrap(&format!("dropout({}0.5)", "- ".repeat(3000))), &["-"]);
        too_deep(&wrap(&format!("dropout({}0.5)", "!".repeat(3000))), &["!"]);
        too_deep(
            &wrap(&format!("dense({}U8{})", "U<".repeat(500), ">".repeat(500))),
            &["U", "<"],
        );
        too_deep(&wrap(&format!("dense({}U8)", "&".repeat(3000))), &["&"]);
        too_deep(
            &wrap(&format!("dropout({}0.5)", "return ".repeat(3000))),
            &["return"],
        );
        too_deep(
            &wrap(&format!("dense({}8{})", "[".repeat(300), "]".repeat(300))),
            &["["],
        );
        too_deep(
            &format!(
                "#[doc = {}0{}] {}",
                "(".repeat(300),
                ")".repeat(300),
                wrap("dense(2)")
            ),
            &["("],
        );
        // Commas inside generic arguments do not reset the count.
        let generic = format!("dense({}U8{})", "P<U1, ".repeat(200), ">".repeat(200));
        too_deep(&wrap(&generic), &["P", "<", "U1", ","]);
    }

    #[test]
    fn real_descriptions_stay_well_below_the_limit() {
        let docs = "/// A line of documentation.\n".repeat(300);
        let layers = "dense(8), relu, ".repeat(500);
        let src = format!("{docs}#[allow(dead_code)] pub struct N<H, const K: usize> {{ input: 4, {layers} dense(K), loss: mean_squared_error }}");
        assert_eq!(errors(&src), []);
        let nested = format!("dense({}U8{})", "(".repeat(30), ")".repeat(30));
        assert_eq!(errors(&wrap(&nested)), []);
        let path = "dense(<::typenet::dim::Prod<::typenet::dim::U8, ::typenet::dim::U4> as ::core::ops::Add<::typenet::dim::U1>>::Output)";
        assert_eq!(errors(&wrap(path)), []);
    }

    #[test]
    fn a_value_ends_at_a_comma_or_arrow_outside_generic_arguments() {
        let net = network(
            "struct N { input: Prod<U8, U4>, dense(Prod<U2, U2> -> Sum<U1, U1>, init = he), loss: x }"
                .parse()
                .unwrap(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let Item::Layer(layer) = &net.items[1] else {
            panic!("a layer")
        };
        let args: Vec<String> = layer
            .args
            .iter()
            .flat_map(|(_, a)| a)
            .map(|a| a.to_token_stream().to_string())
            .collect();
        assert_eq!(args, ["Prod < U2 , U2 > -> Sum < U1 , U1 >", "init = he"]);
        // A stray `<` ends at the first comma rather than taking the rest of the body.
        let net = network(
            "struct N { input: < U8, dense(2), loss: x }"
                .parse()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(net.items.len(), 3);
    }
}
