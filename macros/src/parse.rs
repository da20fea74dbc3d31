//! Syntax of `network!`, parsed into types that keep every span. Nothing here judges
//! whether the network makes sense; `check` does.
//!
//! ```text
//! Network  := Attribute* Visibility "struct" Ident Generics? "{" Item ("," Item)* ","? "}"
//! Item     := "input" ":" Width
//!           | "loss" ":" Ident
//!           | (Ident ":")? Ident ("(" Arg ("," Arg)* ","? ")")?     // a layer, e.g. `hidden: dense(128)`, `relu`
//! Arg      := Ident "=" Expr                                        // an option, e.g. `init = he`
//!           | Width ("->" Width)?                                   // a width, or `in -> out`
//!           | Expr                                                  // a positional value, e.g. `0.5`
//! Width    := LitInt | Type                                         // `128`, or a typenum type such as `H`
//! ```

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{
    braced, parenthesized, Attribute, Expr, Generics, Ident, LitInt, Token, Type, Visibility,
};

pub mod kw {
    syn::custom_keyword!(input);
    syn::custom_keyword!(loss);
}

/// The whole invocation.
pub struct Network {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    pub generics: Generics,
    pub items: Vec<Item>,
    /// The closing brace, where a missing `loss` is reported.
    pub close: Span,
}

/// One comma-separated entry of the body.
pub enum Item {
    Input { key: kw::input, width: Width },
    Loss { key: kw::loss, name: Ident },
    Layer(Layer),
}

/// A layer written `label: kind(args)`, `kind(args)` or `kind`.
/// Its tokens (`ToTokens` below) let errors about the whole layer underline all of it.
pub struct Layer {
    pub label: Option<(Ident, Token![:])>,
    pub kind: Ident,
    pub args: Option<(syn::token::Paren, Punctuated<Arg, Token![,]>)>,
}

// Parse trees are few and short-lived: boxing would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum Arg {
    Option {
        key: Ident,
        eq: Token![=],
        value: Expr,
    },
    Width {
        input: Option<(Width, Token![->])>,
        output: Width,
    },
    /// A positional value that is not a width, such as `0.5` in `dropout(0.5)`.
    Value(Expr),
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
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        generics.where_clause = input.parse()?;
        let body;
        let brace = braced!(body in input);
        let items = Punctuated::<Item, Token![,]>::parse_terminated(&body)?;
        Ok(Network {
            attrs,
            vis,
            ident,
            generics,
            items: items.into_iter().collect(),
            close: brace.span.close(),
        })
    }
}

impl Parse for Item {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(kw::input) && input.peek2(Token![:]) {
            let key = input.parse()?;
            input.parse::<Token![:]>()?;
            return Ok(Item::Input {
                key,
                width: input.parse()?,
            });
        }
        if input.peek(kw::loss) && input.peek2(Token![:]) {
            let key = input.parse()?;
            input.parse::<Token![:]>()?;
            return Ok(Item::Loss {
                key,
                name: input.parse()?,
            });
        }
        let first: Ident = input.parse()?;
        let (label, kind) = if input.peek(Token![:]) && !input.peek(Token![::]) {
            let colon = input.parse()?;
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

impl Parse for Arg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![=>]) {
            return Ok(Arg::Option {
                key: input.parse()?,
                eq: input.parse()?,
                value: input.parse()?,
            });
        }
        if input.peek(syn::LitFloat) || input.peek(Token![-]) {
            return Ok(Arg::Value(input.parse()?));
        }
        let first: Width = input.parse()?;
        if input.peek(Token![->]) {
            let arrow = input.parse()?;
            Ok(Arg::Width {
                input: Some((first, arrow)),
                output: input.parse()?,
            })
        } else {
            Ok(Arg::Width {
                input: None,
                output: first,
            })
        }
    }
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
            Arg::Width { input, output } => {
                if let Some((width, arrow)) = input {
                    width.to_tokens(tokens);
                    arrow.to_tokens(tokens);
                }
                output.to_tokens(tokens);
            }
            Arg::Value(value) => value.to_tokens(tokens),
        }
    }
}
