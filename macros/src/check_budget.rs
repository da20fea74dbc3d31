//! Memory budgets: `budget: 48 KiB for training with adam at batch 8` or `budget: 4 KiB for
//! inference at batch 1`. The macro reads the words and checks what it can see (a size, a
//! unit, an optimizer it knows, a batch of at least one row); whether the network fits is
//! computed in core from the types, where the expansion asks for it.
//!
//! ```text
//! Budget := LitInt Unit "for" Use "at" "batch" LitInt
//! Unit   := "B" | "KiB" | "MiB"
//! Use    := "training" "with" Ident                       // an optimizer of the registry
//!         | "inference"
//! ```

use crate::check::{name, unknown, Errors};
use crate::parse::{Item, Network, Value};
use crate::registry::{self, OptimizerKind};
use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::{Error, Ident, LitInt, Token};

/// A checked budget.
pub struct Budget {
    /// The tokens after `budget:`, where the check is spanned.
    pub tokens: TokenStream,
    /// The size in bytes.
    pub bytes: u64,
    /// The size as the message repeats it: `48 KiB`.
    pub written: String,
    /// The optimizer for a training budget; `None` for inference.
    pub optimizer: Option<&'static OptimizerKind>,
    pub batch: u64,
}

const SYNTAX: &str =
    "a budget reads `48 KiB for training with adam at batch 8` or `4 KiB for inference at batch 1`";

/// Checks every budget of `net`, adding an error for each rule broken.
pub fn network(net: &Network, errors: &mut Errors) -> Vec<Budget> {
    let mut budgets = Vec::new();
    for item in &net.items {
        let Item::Budget { key, value } = item else {
            continue;
        };
        match read(value) {
            Err(e) => errors.push(e),
            // Rule: a budget is for a network of known widths. Its check is a constant of
            // the module, where a width parameter has no value.
            Ok(_) if !net.generics.params.is_empty() => errors.push(Error::new(
                key.span,
                format!(
                    "a budget needs the network's widths, but `{}` has width parameters: \
                     check a concrete width with `TrainingMemory` or `InferenceMemory`",
                    name(&net.ident)
                ),
            )),
            Ok(budget) => budgets.push(budget),
        }
    }
    budgets
}

// Rule: a budget is a size of at least one byte in `B`, `KiB` or `MiB`, for training with a
// known optimizer or for inference, at a batch of at least one row; each word where the
// grammar above has it. The first word out of place is the one error.
fn read(value: &Value) -> syn::Result<Budget> {
    let whole = &value.tokens;
    // At the end of the tokens there is nothing to point at but the whole budget.
    let missing = |input: ParseStream, what: &str| {
        if input.is_empty() {
            Error::new_spanned(whole, format!("{SYNTAX}: expected {what} at its end"))
        } else {
            input.error(format!("{SYNTAX}: expected {what}"))
        }
    };
    let word = |input: ParseStream, word: &str, what: &str| -> syn::Result<Ident> {
        match input.fork().parse::<Ident>() {
            Ok(ident) if ident == word => input.parse(),
            _ => Err(missing(input, what)),
        }
    };
    let parser = |input: ParseStream| -> syn::Result<Budget> {
        let size = whole_number(input, "the size, a whole number such as `48`", &missing)?;
        let unit: Ident = input
            .parse()
            .map_err(|_| missing(input, "a unit: `B`, `KiB` or `MiB`"))?;
        let Some(unit_bytes) = registry::unit(&unit.to_string()) else {
            return Err(unknown(
                &unit,
                "unit",
                &unit.to_string(),
                &registry::unit_names(),
            ));
        };
        let Some(bytes) = size.0.checked_mul(unit_bytes) else {
            return Err(Error::new_spanned(
                &size.1,
                "a budget is at most 2⁶⁴ − 1 bytes",
            ));
        };
        if !input.peek(Token![for]) {
            return Err(missing(input, "`for training with …` or `for inference`"));
        }
        input.parse::<Token![for]>()?;
        let optimizer = match input.fork().parse::<Ident>() {
            Ok(used) if used == "inference" => {
                input.parse::<Ident>()?;
                None
            }
            Ok(used) if used == "training" => {
                input.parse::<Ident>()?;
                word(input, "with", "`with` and an optimizer, e.g. `with adam`")?;
                let optimizer: Ident = input
                    .parse()
                    .map_err(|_| missing(input, "an optimizer, e.g. `adam`"))?;
                let written = name(&optimizer);
                match registry::optimizer_by_name(&written) {
                    Some(kind) => Some(kind),
                    None => {
                        let known = registry::optimizer_names();
                        return Err(unknown(&optimizer, "optimizer", &written, &known));
                    }
                }
            }
            _ => return Err(missing(input, "`training` or `inference`")),
        };
        word(
            input,
            "at",
            "`at batch` and the batch size, e.g. `at batch 8`",
        )?;
        word(
            input,
            "batch",
            "`batch` and the batch size, e.g. `at batch 8`",
        )?;
        let batch = whole_number(
            input,
            "the batch size, a whole number such as `8`",
            &missing,
        )?;
        if !input.is_empty() {
            return Err(input.error(format!("{SYNTAX}: nothing follows the batch size")));
        }
        Ok(Budget {
            tokens: whole.clone(),
            bytes,
            written: format!("{} {unit}", size.0),
            optimizer,
            batch: batch.0,
        })
    };
    parser.parse2(whole.clone())
}

/// A whole number of at least 1, and its literal.
fn whole_number(
    input: ParseStream,
    what: &str,
    missing: &dyn Fn(ParseStream, &str) -> Error,
) -> syn::Result<(u64, LitInt)> {
    let lit: LitInt = input.parse().map_err(|_| missing(input, what))?;
    match lit.base10_parse::<u64>() {
        Ok(n) if n >= 1 && lit.suffix().is_empty() => Ok((n, lit)),
        _ => Err(Error::new_spanned(
            &lit,
            format!("{SYNTAX}: expected {what}, at least 1"),
        )),
    }
}

impl ToTokens for Budget {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.tokens.to_tokens(tokens);
    }
}

#[cfg(test)]
mod tests {
    /// Each error of a description, with the text it points at; empty when it passes.
    fn located(src: &str) -> Vec<(String, String)> {
        let checked = crate::parse::network(src.parse().expect("lexes"))
            .and_then(|net| crate::check::network(&net).map(|_| ()));
        match checked {
            Ok(()) => Vec::new(),
            Err(e) => e
                .into_iter()
                .map(|e| (e.to_string(), src[e.span().byte_range()].to_string()))
                .collect(),
        }
    }

    fn with(budget: &str) -> String {
        format!("struct N {{ input: 4, dense(8), relu, dense(2), loss: mean_squared_error, budget: {budget} }}")
    }

    fn plan_budgets(src: &str) -> Vec<(u64, String, Option<&'static str>, u64)> {
        let net = crate::parse::network(src.parse().expect("lexes")).expect("parses");
        let plan = crate::check::network(&net).unwrap_or_else(|e| panic!("{e}"));
        plan.budgets
            .iter()
            .map(|b| {
                (
                    b.bytes,
                    b.written.clone(),
                    b.optimizer.map(|o| o.ty),
                    b.batch,
                )
            })
            .collect()
    }

    #[test]
    fn budgets_are_read_in_bytes() {
        let src = "struct N { input: 4, budget: 1 MiB for inference at batch 1, dense(2), \
                   loss: mean_squared_error, budget: 48 KiB for training with adam at batch 8, \
                   budget: 100 B for training with nesterov at batch 1_024 }";
        assert_eq!(
            plan_budgets(src),
            [
                (1 << 20, "1 MiB".to_string(), None, 1),
                (49_152, "48 KiB".to_string(), Some("Adam"), 8),
                (100, "100 B".to_string(), Some("Momentum"), 1024),
            ]
        );
    }

    #[test]
    fn a_malformed_budget_is_one_error_at_the_word_out_of_place() {
        let syntax = super::SYNTAX;
        for (budget, message, at) in [
            (
                "48 KB for inference at batch 1",
                "unknown unit `KB`; expected one of `B`, `KiB`, `MiB`".to_string(),
                "KB",
            ),
            (
                "48 KiB for training with rmsprp at batch 8",
                "unknown optimizer `rmsprp`; did you mean `rmsprop`?".to_string(),
                "rmsprp",
            ),
            (
                "0 KiB for inference at batch 1",
                format!("{syntax}: expected the size, a whole number such as `48`, at least 1"),
                "0",
            ),
            (
                "48 KiB for inference at batch 0",
                format!(
                    "{syntax}: expected the batch size, a whole number such as `8`, at least 1"
                ),
                "0",
            ),
            (
                "48 KiB for inference at batch",
                format!("{syntax}: expected the batch size, a whole number such as `8` at its end"),
                "48 KiB for inference at batch",
            ),
            (
                "48 KiB for learning at batch 1",
                format!("{syntax}: expected `training` or `inference`"),
                "learning",
            ),
            (
                "48 KiB training with adam at batch 1",
                format!("{syntax}: expected `for training with …` or `for inference`"),
                "training",
            ),
            (
                "48 KiB for training at batch 1",
                format!("{syntax}: expected `with` and an optimizer, e.g. `with adam`"),
                "at",
            ),
            (
                "48 KiB for inference at batch 1 2",
                format!("{syntax}: nothing follows the batch size"),
                "2",
            ),
            (
                "20000000000000 MiB for inference at batch 1",
                "a budget is at most 2⁶⁴ − 1 bytes".to_string(),
                "20000000000000",
            ),
        ] {
            let src = with(budget);
            assert_eq!(located(&src), [(message, at.to_string())], "{src}");
        }
    }

    #[test]
    fn a_budget_on_a_generic_network_is_refused_at_it() {
        let src = "struct N<H> { input: 4, dense(H), loss: mean_squared_error, budget: 1 KiB for inference at batch 1 }";
        assert_eq!(
            located(src),
            [(
                "a budget needs the network's widths, but `N` has width parameters: check a \
                 concrete width with `TrainingMemory` or `InferenceMemory`"
                    .to_string(),
                "budget".to_string()
            )]
        );
    }
}
