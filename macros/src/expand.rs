//! Code generation from a checked [`Plan`]. It cannot fail: every rule was checked before.
//!
//! For `pub struct Digits { input: 64, hidden: dense(128), relu, out: dense(10), loss: … }`
//! it emits, all through `flat_struct!` (so no `unsafe` here):
//! - `DigitsParams<T>`: one field per layer with parameters (`hidden`, `out`), each the
//!   layer's own parameter block; `DigitsGrads<T>` is an alias of it;
//! - `DigitsBuffers<T>`: one field per layer with buffers (batch norm);
//! - `Digits<T>`: `params` and `buffers`;
//! - `DigitsCache<const B, T>`: one `LayerCache` per layer (output, its gradient, the
//!   layer's own cache);
//! - `impl Network<T> for Digits<T>`: the associated types, and the straight-line chains
//!   (init, forward, buffer updates, backward) that call each layer through the `Layer`
//!   trait. Everything else a network does is a provided method of `Network`, in core.

use crate::check::{OptionValue, Plan, Planned};
use crate::parse::{Network, Width};
use crate::registry::{OptionKind, WidthRule};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::Ident;

fn private() -> TokenStream {
    quote!(::typenet::__private)
}

pub fn network(plan: &Plan) -> TokenStream {
    let p = private();
    let net = plan.net;
    let Network {
        attrs,
        vis,
        ident: name,
        ..
    } = net;
    let params = format_ident!("{}Params", name);
    let grads = format_ident!("{}Grads", name);
    let buffers = format_ident!("{}Buffers", name);
    let cache = format_ident!("{}Cache", name);
    let g = Generics::of(net);
    let (decl, alias, impl_, use_, phantom) = (&g.decl, &g.alias, &g.impl_, &g.use_, &g.phantom);
    let where_ = &g.where_preds;
    let (b, m, r) = (&g.batch, &g.mode, &g.rng);

    let layers = &plan.layers;
    let types: Vec<TokenStream> = layers.iter().map(|l| layer_type(&p, l)).collect();
    let configs: Vec<TokenStream> = (0..layers.len())
        .map(|i| config(&p, layers, &types, i))
        .collect();
    let fields: Vec<&Ident> = layers.iter().map(|l| &l.field).collect();
    let last = layers.len() - 1;
    let last_field = fields[last];

    // The parameter and buffer blocks: fields of the layers that have them.
    let block = |has: fn(&Planned) -> bool, of: Ident| {
        let (mut names, mut tys, mut docs) = (vec![], vec![], vec![]);
        for (l, ty) in layers.iter().zip(&types) {
            if has(l) {
                names.push(&l.field);
                tys.push(quote!(#p::#of<#ty, T>));
                docs.push(format!("Of `{}`: {}.", l.field, describe(l)));
            }
        }
        (names, tys, docs)
    };
    let (param_fields, param_types, param_docs) =
        block(|l| l.kind.params, format_ident!("ParamsOf"));
    let (buffer_fields, buffer_types, buffer_docs) =
        block(|l| l.kind.buffers, format_ident!("BuffersOf"));
    let param_visits = visits(&p, &param_fields, &param_types);
    let buffer_visits = visits(&p, &buffer_fields, &buffer_types);
    let cache_docs = layers.iter().map(|l| {
        format!(
            "What `{}` ({}) computed for the batch.",
            l.field,
            describe(l)
        )
    });

    let input_ty = width_type(&plan.input);
    let output_ty = width_type(&layers[last].output);
    let input_row = row_type(&plan.input);
    let output_row = row_type(&layers[last].output);
    let loss_ty = Ident::new(plan.loss.ty, Span::call_site());
    let target = if plan.loss.classifies {
        quote!(usize)
    } else {
        output_row.clone()
    };

    let checks = width_checks(&p, layers);
    let inits = layers.iter().zip(&configs).map(|(l, cfg)| {
        let field = &l.field;
        let params = if l.kind.params {
            quote!(&mut self.params.#field)
        } else {
            quote!(&mut [])
        };
        let buffers = if l.kind.buffers {
            quote!(&mut self.buffers.#field)
        } else {
            quote!(&mut [])
        };
        quote_spanned!(l.span=> #p::Layer::<T>::init(&#cfg, #params, #buffers, rng);)
    });
    let forwards = layers
        .iter()
        .zip(&configs)
        .enumerate()
        .map(|(i, (l, cfg))| {
            let field = &l.field;
            let x = match i {
                0 => quote!(x),
                _ => {
                    let before = fields[i - 1];
                    quote!(&cache.#before.output)
                }
            };
            let params = if l.kind.params {
                quote!(&self.params.#field)
            } else {
                quote!(&[])
            };
            let buffers = if l.kind.buffers {
                quote!(&self.buffers.#field)
            } else {
                quote!(&[])
            };
            // Layer::forward(&hidden, Forward { x, y: &mut cache.hidden.output, … }, mode);
            quote_spanned! {l.span=>
                #p::Layer::<T>::forward(&#cfg, #p::Forward {
                    params: #params,
                    buffers: #buffers,
                    x: #x,
                    y: &mut cache.#field.output,
                    cache: &mut cache.#field.state,
                }, mode);
            }
        });
    let updates = layers.iter().zip(&configs).filter(|(l, _)| l.kind.buffers).map(|(l, cfg)| {
        let field = &l.field;
        quote_spanned! {l.span=>
            #p::Layer::<T>::update_buffers(&#cfg, &mut self.buffers.#field, &cache.#field.state);
        }
    });
    let backwards = layers
        .iter()
        .zip(&configs)
        .enumerate()
        .rev()
        .map(|(i, (l, cfg))| {
            let field = &l.field;
            let (x, dx) = match i {
                0 => (quote!(x), quote!(::core::option::Option::None)),
                _ => {
                    let before = fields[i - 1];
                    (
                        quote!(&cache.#before.output),
                        quote!(::core::option::Option::Some(&mut cache.#before.grad)),
                    )
                }
            };
            let params = if l.kind.params {
                quote!(&self.params.#field)
            } else {
                quote!(&[])
            };
            let grads = if l.kind.params {
                quote!(&mut grads.#field)
            } else {
                quote!(&mut [])
            };
            // Layer::backward(&out, Backward { dy: &cache.out.grad, dx: Some(&mut cache.hidden.grad), … });
            quote_spanned! {l.span=>
                #p::Layer::<T>::backward(&#cfg, #p::Backward {
                    params: #params,
                    x: #x,
                    y: &cache.#field.output,
                    cache: &cache.#field.state,
                    dy: &cache.#field.grad,
                    grads: #grads,
                    dx: #dx,
                });
            }
        });
    let output_visits = layers.iter().map(|l| {
        let (field, name, kind) = (&l.field, crate::check::name(&l.field), l.kind.name);
        quote! {
            visit(
                #p::LayerOutput { name: #name, kind: #kind },
                #p::Flat::as_flat(&cache.#field.output),
            );
        }
    });
    let min_batch = types
        .iter()
        .map(|ty| quote!(<#ty as #p::Layer<T>>::MIN_TRAINING_BATCH));
    let debug_fields = layers.iter().zip(&configs).map(|(l, cfg)| {
        let name = crate::check::name(&l.field);
        quote!(.field(#name, &::core::format_args!("{}", #cfg)))
    });

    let name_doc = format!("[`{name}`]");
    let params_doc = format!(
        "The trainable parameters of {name_doc}: the block that gradients and optimizer state mirror."
    );
    let grads_doc = format!(
        "Gradients of {name_doc}: a block of the same type as its parameters, [`{params}`]."
    );
    let buffers_doc = format!(
        "The buffers of {name_doc}: values it keeps but never trains (batch norm's running statistics)."
    );
    let cache_doc = format!(
        "What {name_doc} computes for a batch of `{b}` rows: each layer's output, the gradient of \
         the loss with respect to it, and what the layer keeps for its backward pass. Build it with \
         `Flat::zeroed()`, or `Flat::zeroed_boxed()` when it is large."
    );
    let loss_doc = format!("Its loss is {}.", plan.loss.doc);
    let summary = summary(plan);

    quote! {
        #p::flat_struct! {
            #(#attrs)*
            #[doc = ""]
            #[doc = #summary]
            #[doc = #loss_doc]
            #vis struct #name[#(#decl,)* T: #p::Scalar = f32][#(#impl_,)* T: #p::Scalar][#(#use_,)* T]
            (T, (#(#phantom,)*))
            where [#where_]
            {
                /// The trainable parameters.
                pub params: #params<#(#use_,)* T>,
                /// The buffers: kept, never trained.
                pub buffers: #buffers<#(#use_,)* T>,
            }
        }

        #p::flat_struct! {
            #[doc = #params_doc]
            #vis struct #params[#(#decl,)* T: #p::Scalar = f32][#(#impl_,)* T: #p::Scalar][#(#use_,)* T]
            (T, (#(#phantom,)*))
            where [#where_]
            {
                #(
                    #[doc = #param_docs]
                    pub #param_fields: #param_types,
                )*
            }
        }

        #[doc = #grads_doc]
        #vis type #grads<#(#alias,)* T = f32> = #params<#(#use_,)* T>;

        #p::flat_struct! {
            #[doc = #buffers_doc]
            #vis struct #buffers[#(#decl,)* T: #p::Scalar = f32][#(#impl_,)* T: #p::Scalar][#(#use_,)* T]
            (T, (#(#phantom,)*))
            where [#where_]
            {
                #(
                    #[doc = #buffer_docs]
                    pub #buffer_fields: #buffer_types,
                )*
            }
        }

        #p::flat_struct! {
            #[doc = #cache_doc]
            #vis struct #cache[#(#impl_,)* const #b: usize, T: #p::Scalar = f32][#(#impl_,)* const #b: usize, T: #p::Scalar][#(#use_,)* #b, T]
            (T, (#(#phantom,)*))
            where [#p::Const<#b>: #p::Batch, #where_]
            {
                #(
                    #[doc = #cache_docs]
                    pub #fields: #p::LayerCache<#types, #p::BatchDim<#b>, T>,
                )*
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> #p::Tensors<T> for #params<#(#use_,)* T> where #where_ {
            fn visit_tensors(visit: &mut dyn ::core::ops::FnMut(#p::TensorInfo)) {
                #(#param_visits)*
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> #p::Tensors<T> for #buffers<#(#use_,)* T> where #where_ {
            fn visit_tensors(visit: &mut dyn ::core::ops::FnMut(#p::TensorInfo)) {
                #(#buffer_visits)*
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> #p::Network<T> for #name<#(#use_,)* T> where #where_ {
            type Input = #input_ty;
            type Output = #output_ty;
            type InputRow = #input_row;
            type OutputRow = #output_row;
            type Target = #target;
            type Params = #params<#(#use_,)* T>;
            type Buffers = #buffers<#(#use_,)* T>;
            type Cache<const #b: usize> = #cache<#(#use_,)* #b, T>
            where
                #p::Const<#b>: #p::Batch;
            type Loss = #p::loss::#loss_ty;

            const MIN_TRAINING_BATCH: usize = #p::largest(&[#(#min_batch),*]);

            fn params(&self) -> &Self::Params {
                &self.params
            }
            fn params_mut(&mut self) -> &mut Self::Params {
                &mut self.params
            }
            fn buffers(&self) -> &Self::Buffers {
                &self.buffers
            }
            fn buffers_mut(&mut self) -> &mut Self::Buffers {
                &mut self.buffers
            }

            fn init_layers<#r: #p::Rng + ?Sized>(&mut self, rng: &mut #r) {
                #checks
                #(#inits)*
            }

            fn forward_layers<const #b: usize, #m: #p::Mode>(
                &self,
                x: &#p::InputOf<Self, #b, T>,
                cache: &mut Self::Cache<#b>,
                mode: &mut #m,
            ) where
                #p::Const<#b>: #p::Batch,
            {
                #checks
                #(#forwards)*
            }

            fn update_buffers<const #b: usize>(&mut self, cache: &Self::Cache<#b>)
            where
                #p::Const<#b>: #p::Batch,
            {
                let _ = cache;
                #(#updates)*
            }

            fn backward_layers<const #b: usize>(
                &self,
                x: &#p::InputOf<Self, #b, T>,
                cache: &mut Self::Cache<#b>,
                grads: &mut Self::Params,
            ) where
                #p::Const<#b>: #p::Batch,
            {
                #(#backwards)*
            }

            fn output_and_grad<const #b: usize>(
                cache: &mut Self::Cache<#b>,
            ) -> (&#p::OutputOf<Self, #b, T>, &mut #p::OutputOf<Self, #b, T>)
            where
                #p::Const<#b>: #p::Batch,
            {
                (&cache.#last_field.output, &mut cache.#last_field.grad)
            }

            fn visit_outputs<const #b: usize>(
                cache: &Self::Cache<#b>,
                visit: &mut dyn ::core::ops::FnMut(#p::LayerOutput<'_>, &[T]),
            ) where
                #p::Const<#b>: #p::Batch,
            {
                #(#output_visits)*
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> ::core::clone::Clone for #name<#(#use_,)* T> where #where_ {
            fn clone(&self) -> Self {
                #p::flat_clone(self)
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> ::core::clone::Clone for #params<#(#use_,)* T> where #where_ {
            fn clone(&self) -> Self {
                #p::flat_clone(self)
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> ::core::fmt::Debug for #name<#(#use_,)* T> where #where_ {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#name))
                    #(#debug_fields)*
                    .finish()
            }
        }
    }
}

/// Each layer's tensors, under its name and shifted to where its block starts.
fn visits(p: &TokenStream, fields: &[&Ident], types: &[TokenStream]) -> Vec<TokenStream> {
    (0..fields.len())
        .map(|i| {
            let (name, ty) = (crate::check::name(fields[i]), &types[i]);
            let before = &types[..i];
            quote! {
                <#ty as #p::Tensors<T>>::visit_tensors(&mut |t| {
                    visit(t.in_layer(#name, 0 #(+ <#before as #p::Flat<T>>::LEN)*));
                });
            }
        })
        .collect()
}

/// The layer's core type: its registry row applied to its widths.
fn layer_type(p: &TokenStream, layer: &Planned) -> TokenStream {
    let widths = match layer.kind.width {
        WidthRule::InOut => vec![width_type(&layer.input), width_type(&layer.output)],
        WidthRule::Keeps => vec![width_type(&layer.input)],
    };
    (layer.kind.ty)(p, &widths)
}

/// The layer's configuration as a constant expression: its options as written, their
/// defaults, and for an initializer left out, the one the layers after it suggest.
fn config(p: &TokenStream, layers: &[Planned], types: &[TokenStream], i: usize) -> TokenStream {
    let layer = &layers[i];
    let ty = &types[i];
    let values: Vec<TokenStream> = layer
        .kind
        .options
        .iter()
        .zip(&layer.options)
        .map(|(spec, value)| match (value, spec.kind) {
            (Some(OptionValue::Init(variant)), _) => {
                let v = Ident::new(variant, layer.span);
                quote!(#p::Init::#v)
            }
            (Some(OptionValue::Expr(e)), _) => e.to_token_stream(),
            (None, OptionKind::Init) => {
                // The layers up to the next layer that sets its own width (`dense`).
                let after = layers[i + 1..]
                    .iter()
                    .zip(&types[i + 1..])
                    .take_while(|(l, _)| l.kind.width == WidthRule::Keeps)
                    .map(|(_, ty)| quote!(<#ty as #p::Layer<T>>::INIT_BEFORE));
                quote!(#p::Init::suggested_by(&[#(#after),*]))
            }
            (None, _) => spec
                .default
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
        })
        .collect();
    let expr = (layer.kind.config)(p, ty, &values);
    quote_spanned!(layer.span=> const { #expr })
}

/// For each declared input width the macro could not compare (a type parameter on either
/// side), a check evaluated where the network is used with concrete widths, stating both
/// numbers as the macro would.
fn width_checks(p: &TokenStream, layers: &[Planned]) -> TokenStream {
    let checks = layers.iter().filter_map(|l| {
        let declared = l.input_to_assert.as_ref()?;
        let (d, produced) = (width_type(declared), width_type(&l.input));
        let name = crate::check::name(&l.field);
        let producer = &l.producer;
        Some(quote_spanned! {declared.span()=>
            const {
                #p::assert_width(
                    <#d as #p::Unsigned>::USIZE,
                    <#produced as #p::Unsigned>::USIZE,
                    #name,
                    #producer,
                )
            };
        })
    });
    quote!(#(#checks)*)
}

/// "dense layer, 64 → 128" for documentation.
fn describe(layer: &Planned) -> String {
    match layer.kind.width {
        WidthRule::InOut => format!(
            "{}, {} → {}",
            layer.kind.doc,
            width_text(&layer.input),
            width_text(&layer.output)
        ),
        WidthRule::Keeps => format!("{} over {}", layer.kind.doc, width_text(&layer.input)),
    }
}

/// "A network of 64 inputs: `hidden` (…), `relu1` (…), …" for the struct's documentation.
fn summary(plan: &Plan) -> String {
    let layers: Vec<_> = plan
        .layers
        .iter()
        .map(|l| format!("`{}` ({})", l.field, describe(l)))
        .collect();
    format!(
        "Generated by `network!`: {} input{}, then {}.",
        width_text(&plan.input),
        if plan.input.value().and_then(Result::ok) == Some(1) {
            ""
        } else {
            "s"
        },
        layers.join(", ")
    )
}

fn width_text(width: &Width) -> String {
    match width {
        Width::Literal(lit) => lit.to_string(),
        Width::Type(ty) => format!("`{}`", ty.to_token_stream()).replace(' ', ""),
        Width::Param(ident) => format!("`{ident}`"),
    }
}

/// The typenum type of a width: `U128` for numbers up to 1024 (typenum's named constants),
/// the binary `UInt<…>` form above, or the type as written.
pub fn width_type(width: &Width) -> TokenStream {
    let p = private();
    match width {
        Width::Type(ty) => ty.to_token_stream(),
        Width::Param(ident) => quote!(#p::WidthDim<#ident>),
        Width::Literal(lit) => {
            let n: u64 = lit.base10_parse().unwrap_or(0);
            let span = lit.span();
            if n <= 1024 {
                let ident = Ident::new(&format!("U{n}"), span);
                return quote_spanned!(span=> #p::#ident);
            }
            let mut ty = quote!(#p::UTerm);
            for bit in (0..64 - n.leading_zeros()).rev() {
                let b = if n >> bit & 1 == 1 {
                    quote!(#p::B1)
                } else {
                    quote!(#p::B0)
                };
                ty = quote!(#p::UInt<#ty, #b>);
            }
            ty
        }
    }
}

/// What one row of a width looks like at the boundary: `[T; 64]` for a number, so that rustc
/// reports a mismatch in plain numbers, or a `GenericArray` for a typenum width.
fn row_type(width: &Width) -> TokenStream {
    match width {
        Width::Literal(lit) => {
            let lit = syn::LitInt::new(lit.base10_digits(), lit.span());
            quote!([T; #lit])
        }
        Width::Type(ty) => quote!(::typenet::__private::GenericArray<T, #ty>),
        Width::Param(ident) => quote!([T; #ident]),
    }
}

/// The user's generic parameters in the forms the items need, and fresh names for the
/// generated ones (batch, mode, random source) that cannot collide with them.
struct Generics {
    /// With bounds and defaults, for the structs.
    decl: Vec<TokenStream>,
    /// Without bounds, with defaults, for the type alias (where bounds are not enforced).
    alias: Vec<TokenStream>,
    /// With bounds, without defaults, for impl blocks.
    impl_: Vec<TokenStream>,
    /// Bare names, for uses.
    use_: Vec<TokenStream>,
    /// The names again, for the marker that uses every parameter.
    phantom: Vec<TokenStream>,
    where_preds: TokenStream,
    batch: Ident,
    mode: Ident,
    rng: Ident,
}

impl Generics {
    fn of(net: &Network) -> Self {
        let p = private();
        let params = crate::check::width_params(net);
        let names: Vec<String> = params.iter().map(Ident::to_string).collect();
        let fresh = |base: &str| {
            let mut name = base.to_string();
            while names.contains(&name) || name == "T" {
                name.push('_');
            }
            Ident::new(&name, Span::call_site())
        };
        let mut g = Generics {
            decl: vec![],
            alias: vec![],
            impl_: vec![],
            use_: vec![],
            phantom: vec![],
            where_preds: quote!(),
            batch: fresh("B"),
            mode: fresh("M"),
            rng: fresh("R"),
        };
        // Each width parameter `H` is a `const H: usize`, whose typenum counterpart
        // `WidthDim<H>` exists when `Const<H>: Width`.
        let mut preds = Vec::new();
        for ident in &params {
            let param = quote!(const #ident: usize);
            g.decl.push(param.clone());
            g.alias.push(param.clone());
            g.impl_.push(param);
            g.use_.push(ident.to_token_stream());
            g.phantom.push(quote!([(); #ident]));
            preds.push(quote!(#p::Const<#ident>: #p::Width,));
        }
        g.where_preds = quote!(#(#preds)*);
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expansion of a small network, pretty-printed: `snapshots/digits.rs` is committed and
    /// reviewed like any code. Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p typenet-macros`.
    #[test]
    fn expansion_matches_the_snapshot() {
        let net: Network = syn::parse_str(
            "/// Classifies digits.
            pub struct Digits {
                input: 64,
                hidden: dense(128), relu,
                norm: batch_norm(momentum = 0.2),
                dropout(0.25),
                output: dense(10),
                loss: softmax_cross_entropy,
            }",
        )
        .expect("parses");
        let plan = crate::check::network(&net).unwrap_or_else(|e| panic!("{e}"));
        let file: syn::File = syn::parse2(network(&plan)).expect("the expansion parses");
        let text = format!(
            "// @generated by `expansion_matches_the_snapshot` in macros/src/expand.rs: the\n\
             // expansion of `network!` for a small network. Regenerate with\n\
             // `UPDATE_SNAPSHOTS=1 cargo test -p typenet-macros`.\n\n{}",
            prettyplease::unparse(&file)
        );
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/digits.rs");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(path, &text).expect("writes the snapshot");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == text,
            "the expansion changed; review it with UPDATE_SNAPSHOTS=1 and `git diff`"
        );
    }

    #[test]
    fn generated_generic_names_avoid_the_users() {
        let net: Network =
            syn::parse_str("struct N<B, M, R> { input: 4, dense(B), loss: mean_squared_error }")
                .expect("parses");
        let g = Generics::of(&net);
        assert_eq!(
            (g.batch.to_string(), g.mode.to_string(), g.rng.to_string()),
            ("B_".into(), "M_".into(), "R_".into())
        );
    }

    #[test]
    fn wide_widths_are_spelled_in_binary() {
        let w = Width::Literal(syn::LitInt::new("2000", Span::call_site()));
        let text = width_type(&w).to_string().replace(' ', "");
        // 2000 = 0b11111010000: the most significant bit is innermost.
        assert!(
            text.starts_with("::typenet::__private::UInt<::typenet::__private::UInt<"),
            "{text}"
        );
        assert_eq!(text.matches("B1").count(), 6);
        assert_eq!(text.matches("B0").count(), 5);
    }
}
