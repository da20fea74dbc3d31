//! The `network!` macro of typenet: parse → check → expand, one file each.
//!
//! Use it through the `typenet` crate, which documents it and re-exports what the generated
//! code names (`::typenet::__private`).

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

mod check;
mod check_budget;
mod check_names;
mod check_shapes;
#[cfg(test)]
mod every_token;
mod expand;
mod expand_shapes;
mod parse;
mod registry;
#[cfg(test)]
mod unit_length;

/// Turns a declarative description of a network into plain structs whose shapes are types.
/// See the `typenet` crate for the grammar and what is generated.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let net = match parse::network(input.into()) {
        Ok(net) => net,
        Err(error) => return error.into_compile_error().into(),
    };
    match check::network(&net) {
        Ok(plan) => expand::network(&plan),
        // Only the errors: without stand-in types, rustc reports nothing more about code that
        // uses the network, so one mistake makes one error.
        Err(errors) => errors.into_compile_error(),
    }
    .into()
}
