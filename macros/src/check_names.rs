//! Rules about the names a description declares, for the collisions generated code cannot
//! make harmless. Every other collision is avoided in `expand`: its own names give way to
//! the user's, primitives are written by full path, width arguments in braces, and keywords
//! raw.

use crate::check::{width_params, Errors};
use crate::parse::Network;
use syn::ext::IdentExt;
use syn::Error;

/// Checks the names of `net`, adding an error for each rule broken.
pub fn network(net: &Network, errors: &mut Errors) {
    width_params_are_unique(net, errors);
}

// Rule: each width parameter is declared once (`<H, H>` would declare two constants of one
// name, and every use of `H` would be ambiguous).
fn width_params_are_unique(net: &Network, errors: &mut Errors) {
    let params = width_params(net);
    for (i, param) in params.iter().enumerate() {
        let name = param.unraw();
        if params[..i].iter().any(|before| before.unraw() == name) {
            errors.push(Error::new(
                param.span(),
                format!("the width parameter `{name}` is declared twice"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    /// The errors of the whole check phase, which runs these rules.
    fn errors(src: &str) -> Vec<String> {
        let net: crate::parse::Network = syn::parse_str(src).expect("parses");
        crate::check::network(&net)
            .err()
            .map_or_else(Vec::new, |e| e.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn a_width_parameter_is_declared_once() {
        let e = errors(
            "struct N<H, K, H, const K: usize> { input: 4, dense(H), loss: mean_squared_error }",
        );
        assert_eq!(
            e,
            [
                "the width parameter `H` is declared twice",
                "the width parameter `K` is declared twice"
            ]
        );
        let e = errors("struct N<H, r#H> { input: 4, dense(H), loss: mean_squared_error }");
        assert_eq!(e, ["the width parameter `H` is declared twice"]);
        assert!(
            errors("struct N<H, K> { input: 4, dense(H), loss: mean_squared_error }").is_empty()
        );
    }
}
