//! Code generation from a checked [`Plan`]. It cannot fail: every rule was checked before.
//!
//! For `pub struct Digits { input: 64, hidden: dense(128), relu, out: dense(10), loss: … }`
//! it emits `Digits<T>` (one `Dense` field per layer), `DigitsGrads<T>` (an alias: gradients
//! have the network's shape), `DigitsCache<const B, T>` (each layer's output for a batch of
//! `B`, and the loss's gradient with respect to it), and their methods.

use crate::check::{Activation, Dense, Init, Loss, Plan};
use crate::parse::{Network, Width};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{GenericParam, TypeParam};

pub fn network(plan: &Plan) -> TokenStream {
    let p = quote!(::typenet::__private);
    let net = plan.net;
    let Network {
        attrs,
        vis,
        ident: name,
        ..
    } = net;
    let grads = format_ident!("{}Grads", name);
    let cache = format_ident!("{}Cache", name);
    let g = Generics::of(net);
    let (decl, alias, bare, impl_, use_) = (&g.decl, &g.alias, &g.bare, &g.impl_, &g.use_);
    let (where_, where_preds) = (&g.where_, &g.where_preds);

    let input_ty = width_type(&plan.input);
    let input_row = row_type(&plan.input);
    let Some(last) = plan.layers.last() else {
        // `check` rejects a network without layers; this only keeps expansion total.
        return syn::Error::new(net.close, "a network needs at least one `dense` layer")
            .into_compile_error();
    };
    let output_ty = width_type(&last.output);
    let output_row = row_type(&last.output);
    let last_field = &last.field;
    let last_grad = grad_field(last);

    let fields = plan.layers.iter().map(|l| &l.field).collect::<Vec<_>>();
    let grad_fields = plan.layers.iter().map(grad_field).collect::<Vec<_>>();
    let ins = plan
        .layers
        .iter()
        .map(|l| width_type(&l.input))
        .collect::<Vec<_>>();
    let outs = plan
        .layers
        .iter()
        .map(|l| width_type(&l.output))
        .collect::<Vec<_>>();
    let field_docs = plan.layers.iter().map(layer_doc);
    let cache_docs = plan
        .layers
        .iter()
        .map(|l| format!("The output of `{}`.", l.field));
    let grad_docs = plan.layers.iter().map(|l| {
        format!(
            "The gradient of the loss with respect to the output of `{}`.",
            l.field
        )
    });
    let inits = plan.layers.iter().map(|l| init_expr(&p, l));
    let debug_lines = plan.layers.iter().map(|l| debug_line(&p, l));

    let width_sum = sum(outs.iter().map(|o| quote!(<#o as #p::Unsigned>::USIZE)));
    let param_len = sum(ins
        .iter()
        .zip(&outs)
        .map(|(i, o)| quote!(<#p::Dense<#i, #o, T> as #p::Flat<T>>::LEN)));
    let cache_len = sum(outs
        .iter()
        .map(|o| quote!(2 * <#p::Matrix<#p::BatchDim<B>, #o, T> as #p::Flat<T>>::LEN)));
    let forward_steps = forward_steps(&p, plan);
    let backward_steps = backward_steps(&p, plan);
    let batch = quote!(#p::Const<B>: #p::Batch);
    let batch_dim = quote!(#p::BatchDim<B>);
    let cache_of_b = quote!(#cache<#(#use_,)* B, T>);
    let cache_of_1 = quote!(#cache<#(#use_,)* 1, T>);

    let name_doc = format!("[`{name}`]");
    let grads_doc = format!(
        "Gradients of {name_doc}: a value of the network's own type, one gradient per parameter."
    );
    let cache_doc = format!(
        "The activations of {name_doc} for a batch of `B` rows, kept by the training forward pass \
         for the backward pass, and their gradients. Build it with `Flat::zeroed()`, or \
         `Flat::zeroed_boxed()` when it is large."
    );

    // `loss`, `loss_and_grad`, `predict` and `evaluate` depend on the loss:
    //     softmax_cross_entropy: targets are class indices `usize`, and the network predicts.
    //     mean_squared_error:    targets are rows like the output.
    let loss_fn = loss_call(&p, plan.loss, &output_ty, quote!(B));
    let loss_fn_1 = loss_call(&p, plan.loss, &output_ty, quote!(1));
    let (target, per_batch_right, classifies, predict) = match plan.loss {
        Loss::SoftmaxCrossEntropy => (
            quote!(usize),
            quote! {{
                let predicted = #p::argmax(&cache.#last_field);
                predicted.iter().zip(targets).filter(|(p, t)| p == t).count()
            }},
            true,
            quote! {
                /// The class each row of `x` is predicted to be: the index of its largest output.
                /// Intermediate values live on the stack.
                pub fn predict<const B: usize>(&self, x: &[#input_row; B]) -> [usize; B]
                where
                    #batch,
                {
                    let mut cache = <#cache_of_b as #p::Flat<T>>::zeroed();
                    self.forward_with(x, &mut cache);
                    let mut classes = [0usize; B];
                    classes.copy_from_slice(&#p::argmax(&cache.#last_field));
                    classes
                }
            },
        ),
        Loss::MeanSquaredError => (output_row.clone(), quote!(0usize), false, quote!()),
    };
    let loss_doc = match plan.loss {
        Loss::SoftmaxCrossEntropy => "softmax cross-entropy of the outputs (logits) against class labels, mean over the batch",
        Loss::MeanSquaredError => "mean squared error of the outputs against target rows, mean over all elements",
    };
    let loss_doc = format!("The loss, {loss_doc}. Intermediate values live on the stack.");

    let assertions = plan.layers.iter().filter_map(|l| {
        let declared = l.input_to_assert.as_ref()?;
        let (d, produced) = (width_type(declared), width_type(&l.input));
        Some(quote_spanned!(declared.span() => #p::same_width::<#d, #produced>();))
    });

    // Spanned at the network's name, so that rustc's "method defined here" notes under a
    // type mismatch show one line, not the whole macro.
    let methods = quote_spanned! {name.span()=>
        // A network need not use every method it is given.
        #[allow(dead_code)]
        impl<#(#impl_,)* T: #p::Scalar> #name<#(#use_,)* T> #where_ {
            /// The width of one input row.
            pub const INPUTS: usize = <#input_ty as #p::Unsigned>::USIZE;
            /// The width of one output row.
            pub const OUTPUTS: usize = <#output_ty as #p::Unsigned>::USIZE;
            /// The number of parameters (weights and biases).
            pub const PARAMETERS: usize = <Self as #p::Flat<T>>::LEN;
            /// The bytes the parameters take.
            pub const PARAMETER_BYTES: usize = ::core::mem::size_of::<Self>();
            /// The bytes the gradients take: as many as the parameters.
            pub const GRADIENT_BYTES: usize = ::core::mem::size_of::<Self>();

            /// The bytes the cache for a batch of `batch` rows takes: each layer's output and
            /// its gradient.
            pub const fn cache_bytes(batch: usize) -> usize {
                2 * batch * (#width_sum) * ::core::mem::size_of::<T>()
            }

            /// A network with fresh parameters (see [`init`](Self::init)), built on the stack;
            /// `Network::new_boxed` builds a large one on the heap.
            pub fn new<R: #p::Rng + ?Sized>(rng: &mut R) -> Self {
                let mut net = <Self as #p::Flat<T>>::zeroed();
                net.init(rng);
                net
            }

            /// Draws fresh weights, each layer's from the initializer that suits the activation
            /// after it (or the one given with `init =`), and sets biases to zero.
            pub fn init<R: #p::Rng + ?Sized>(&mut self, rng: &mut R) {
                #(self.#fields.init(#inits, rng);)*
            }

            /// The outputs for a batch of inputs, computed in `cache` (which the backward pass
            /// then reads). Returns the outputs, which live in the cache.
            pub fn forward_with<'c, const B: usize>(
                &self,
                x: &[#input_row; B],
                cache: &'c mut #cache_of_b,
            ) -> &'c [#output_row; B]
            where
                #batch,
            {
                #(#assertions)*
                let x: &#p::Matrix<#batch_dim, #input_ty, T> = #p::Flat::cast_ref(x);
                #(#forward_steps)*
                #p::Flat::cast_ref(&cache.#last_field)
            }

            /// The outputs for a batch of inputs. Intermediate values live on the stack: for
            /// a large network or batch use [`forward_with`](Self::forward_with).
            pub fn forward<const B: usize>(&self, x: &[#input_row; B]) -> [#output_row; B]
            where
                #batch,
            {
                let mut cache = <#cache_of_b as #p::Flat<T>>::zeroed();
                let mut out = <[#output_row; B] as #p::Flat<T>>::zeroed();
                #p::Flat::as_flat_mut(&mut out)
                    .copy_from_slice(#p::Flat::as_flat(self.forward_with(x, &mut cache)));
                out
            }

            /// The backward pass: from the gradient of the loss with respect to the outputs,
            /// in `cache`, and the activations that [`forward_with`](Self::forward_with) left
            /// there, writes the gradient of every parameter into `grads` (overwriting it).
            pub fn backward<const B: usize>(
                &self,
                x: &[#input_row; B],
                cache: &mut #cache_of_b,
                grads: &mut Self,
            )
            where
                #batch,
            {
                let x: &#p::Matrix<#batch_dim, #input_ty, T> = #p::Flat::cast_ref(x);
                #(#backward_steps)*
            }

            #[doc = #loss_doc]
            pub fn loss<const B: usize>(
                &self,
                x: &[#input_row; B],
                targets: &[#target; B],
            ) -> ::core::result::Result<T, #p::Error>
            where
                #batch,
            {
                let mut cache = <#cache_of_b as #p::Flat<T>>::zeroed();
                self.forward_with(x, &mut cache);
                let out = &cache.#last_field;
                let grad = ::core::option::Option::None;
                #loss_fn
            }

            /// Forward pass, loss and backward pass: returns the loss and writes the gradient
            /// of every parameter into `grads`. Bad targets are an error before anything is
            /// written.
            pub fn loss_and_grad<const B: usize>(
                &self,
                x: &[#input_row; B],
                targets: &[#target; B],
                cache: &mut #cache_of_b,
                grads: &mut Self,
            ) -> ::core::result::Result<T, #p::Error>
            where
                #batch,
            {
                self.forward_with(x, cache);
                let loss = {
                    let (out, grad) = (&cache.#last_field, ::core::option::Option::Some(&mut cache.#last_grad));
                    #loss_fn
                }?;
                self.backward(x, cache, grads);
                ::core::result::Result::Ok(loss)
            }

            /// One training step on a batch: forward, backward, and an update by `optimizer`.
            /// Returns the loss before the update. A NaN or infinite loss is an error and
            /// leaves the parameters as they were.
            pub fn train_step<const B: usize, O: #p::Optimizer<T, Self>>(
                &mut self,
                x: &[#input_row; B],
                targets: &[#target; B],
                optimizer: &mut O,
                cache: &mut #cache_of_b,
                grads: &mut Self,
            ) -> ::core::result::Result<T, #p::Error>
            where
                #batch,
            {
                let loss = self.loss_and_grad(x, targets, cache, grads)?;
                if !#p::Scalar::is_finite(loss) {
                    return ::core::result::Result::Err(#p::Error::NonFiniteLoss { loss: #p::Scalar::to_f64(loss) });
                }
                optimizer.step(self, grads);
                ::core::result::Result::Ok(loss)
            }

            /// The mean loss (and accuracy, for a classifier) over a whole data set, in
            /// batches of `B` with `cache`; rows left over after the last full batch are
            /// evaluated one by one, so every row counts once.
            pub fn evaluate<const B: usize>(
                &self,
                features: &[#input_row],
                targets: &[#target],
                cache: &mut #cache_of_b,
            ) -> ::core::result::Result<#p::Evaluation<T>, #p::Error>
            where
                #batch,
            {
                let mut single = <#cache_of_1 as #p::Flat<T>>::zeroed();
                #p::evaluate_in_batches::<T, _, _, B>(
                    features,
                    targets,
                    #classifies,
                    |x: &[#input_row; B], targets: &[#target; B]| {
                        self.forward_with(x, cache);
                        let loss = {
                            let (out, grad) = (&cache.#last_field, ::core::option::Option::None);
                            #loss_fn
                        }?;
                        ::core::result::Result::Ok((loss, #per_batch_right))
                    },
                    |x: &[#input_row; 1], targets: &[#target; 1]| {
                        let cache = &mut single;
                        // Named, because inference would take `B` from the where-clause.
                        self.forward_with::<1>(x, cache);
                        let loss = {
                            let (out, grad) = (&cache.#last_field, ::core::option::Option::None);
                            #loss_fn_1
                        }?;
                        ::core::result::Result::Ok((loss, #per_batch_right))
                    },
                )
            }

            #predict
        }
    };

    quote! {
        #(#attrs)*
        #[repr(C)]
        #vis struct #name<#(#decl,)* T: #p::Scalar = f32> #where_ {
            #(
                #[doc = #field_docs]
                pub #fields: #p::Dense<#ins, #outs, T>,
            )*
        }

        #[doc = #grads_doc]
        #vis type #grads<#(#alias,)* T = f32> = #name<#(#use_,)* T>;

        #[doc = #cache_doc]
        #[repr(C)]
        #vis struct #cache<#(#bare,)* const B: usize, T: #p::Scalar = f32>
        where
            #batch,
            #where_preds
        {
            #(
                #[doc = #cache_docs]
                pub #fields: #p::Matrix<#batch_dim, #outs, T>,
            )*
            #(
                #[doc = #grad_docs]
                pub #grad_fields: #p::Matrix<#batch_dim, #outs, T>,
            )*
        }

        // SAFETY: `repr(C)` over `Dense` fields, each a flat block of `T`; `Flat` checks at
        // compile time that the sizes add up, so there is no padding.
        unsafe impl<#(#impl_,)* T: #p::Scalar> #p::Flat<T> for #name<#(#use_,)* T> #where_ {
            const LEN: usize = #param_len;
        }

        // SAFETY: `repr(C)` over matrices of `T`, each a flat block; checked as above.
        unsafe impl<#(#impl_,)* const B: usize, T: #p::Scalar> #p::Flat<T> for #cache_of_b
        where
            #batch,
            #where_preds
        {
            const LEN: usize = #cache_len;
        }

        impl<#(#impl_,)* const B: usize, T: #p::Scalar> #cache_of_b
        where
            #batch,
            #where_preds
        {
            /// The bytes this cache takes.
            pub const BYTES: usize = ::core::mem::size_of::<Self>();
        }

        #methods

        impl<#(#impl_,)* T: #p::Scalar> #p::Network<T> for #name<#(#use_,)* T> #where_ {
            const INPUTS: usize = Self::INPUTS;
            const OUTPUTS: usize = Self::OUTPUTS;
            fn init<R: #p::Rng + ?Sized>(&mut self, rng: &mut R) {
                Self::init(self, rng)
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> ::core::clone::Clone for #name<#(#use_,)* T> #where_ {
            fn clone(&self) -> Self {
                let mut copy = <Self as #p::Flat<T>>::zeroed();
                #p::Flat::as_flat_mut(&mut copy).copy_from_slice(#p::Flat::as_flat(self));
                copy
            }
        }

        impl<#(#impl_,)* T: #p::Scalar> ::core::fmt::Debug for #name<#(#use_,)* T> #where_ {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#name))
                    #(#debug_lines)*
                    .finish()
            }
        }
    }
}

/// `a + b + …` (written without a leading `0 +`, which clippy flags in the user's crate).
fn sum(terms: impl Iterator<Item = TokenStream>) -> TokenStream {
    let terms: Vec<_> = terms.collect();
    quote!(#(#terms)+*)
}

/// The loss of `out` against `targets` for a batch of `batch` rows, writing its gradient
/// into `grad` when that is `Some`.
fn loss_call(
    p: &TokenStream,
    loss: Loss,
    output_ty: &TokenStream,
    batch: TokenStream,
) -> TokenStream {
    match loss {
        Loss::SoftmaxCrossEntropy => {
            quote!(#p::softmax_cross_entropy(out, #p::batch_array::<usize, #batch>(targets), grad))
        }
        Loss::MeanSquaredError => quote! {
            ::core::result::Result::Ok(#p::mean_squared_error(
                out,
                #p::Flat::cast_ref::<#p::Matrix<#p::BatchDim<#batch>, #output_ty, T>>(targets),
                grad,
            ))
        },
    }
}

/// The statements of the forward pass: each dense layer, then its activation in place.
fn forward_steps(p: &TokenStream, plan: &Plan) -> Vec<TokenStream> {
    let mut input = quote!(x);
    plan.layers
        .iter()
        .map(|l| {
            let field = &l.field;
            let activation = l.activation.map(|a| {
                let a = activation_type(p, a);
                quote!(<#a as #p::Activation>::forward(#p::Flat::as_flat_mut(&mut cache.#field));)
            });
            // self.hidden.forward(x, &mut cache.hidden); Relu::forward(cache.hidden)
            let step = quote_spanned! {field.span()=>
                self.#field.forward(#input, &mut cache.#field);
                #activation
            };
            input = quote!(&cache.#field);
            step
        })
        .collect()
}

/// The statements of the backward pass, last layer first: the activation's derivative, then
/// the dense layer's, which also yields the gradient for the layer before.
fn backward_steps(p: &TokenStream, plan: &Plan) -> Vec<TokenStream> {
    let layers = &plan.layers;
    (0..layers.len())
        .rev()
        .map(|i| {
            let l = &layers[i];
            let (field, grad) = (&l.field, grad_field(l));
            let activation = l.activation.map(|a| {
                let a = activation_type(p, a);
                quote!(<#a as #p::Activation>::backward(#p::Flat::as_flat(&cache.#field), #p::Flat::as_flat_mut(&mut cache.#grad));)
            });
            let (input, dx) = match i.checked_sub(1).map(|j| &layers[j]) {
                Some(before) => {
                    let (f, g) = (&before.field, grad_field(before));
                    (quote!(&cache.#f), quote!(::core::option::Option::Some(&mut cache.#g)))
                }
                None => (quote!(x), quote!(::core::option::Option::None)),
            };
            // Relu::backward(cache.out, cache.out_grad); self.out.backward(cache.hidden, …)
            quote_spanned! {field.span()=>
                #activation
                self.#field.backward(#input, &cache.#grad, &mut grads.#field, #dx);
            }
        })
        .collect()
}

fn grad_field(layer: &Dense) -> syn::Ident {
    format_ident!("{}_grad", layer.field)
}

fn activation_type(p: &TokenStream, a: Activation) -> TokenStream {
    match a {
        Activation::Relu => quote!(#p::Relu),
        Activation::Tanh => quote!(#p::Tanh),
        Activation::Sigmoid => quote!(#p::Sigmoid),
    }
}

fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Relu => "relu",
        Activation::Tanh => "tanh",
        Activation::Sigmoid => "sigmoid",
    }
}

/// The initializer given with `init =`, else the one the activation after the layer asks
/// for, else LeCun's.
fn init_expr(p: &TokenStream, layer: &Dense) -> TokenStream {
    match (layer.init, layer.activation) {
        (Some(init), _) => {
            let variant = match init {
                Init::LeCun => quote!(LeCun),
                Init::Xavier => quote!(Xavier),
                Init::XavierSigmoid => quote!(XavierSigmoid),
                Init::He => quote!(He),
                Init::Zeros => quote!(Zeros),
            };
            quote!(#p::Init::#variant)
        }
        (None, Some(a)) => {
            let a = activation_type(p, a);
            quote!(<#a as #p::Activation>::INIT)
        }
        (None, None) => quote!(#p::Init::LeCun),
    }
}

fn layer_doc(layer: &Dense) -> String {
    let act = layer.activation.map_or(String::new(), |a| {
        format!(", then `{}`", activation_name(a))
    });
    format!(
        "Dense layer: {} inputs → {} outputs{act}.",
        width_text(&layer.input),
        width_text(&layer.output)
    )
}

fn debug_line(p: &TokenStream, layer: &Dense) -> TokenStream {
    let field = &layer.field;
    let name = field.to_string();
    let (i, o) = (width_type(&layer.input), width_type(&layer.output));
    let act = layer
        .activation
        .map_or(String::new(), |a| format!(" + {}", activation_name(a)));
    quote! {
        .field(#name, &::core::format_args!(
            "Dense {} → {}{}",
            <#i as #p::Unsigned>::USIZE,
            <#o as #p::Unsigned>::USIZE,
            #act
        ))
    }
}

fn width_text(width: &Width) -> String {
    match width {
        Width::Literal(lit) => lit.to_string(),
        Width::Type(ty) => format!("`{}`", ty.to_token_stream()).replace(' ', ""),
    }
}

/// The typenum type of a width: `U128` for numbers up to 1024 (typenum's named constants),
/// the binary `UInt<…>` form above, or the type as written.
fn width_type(width: &Width) -> TokenStream {
    let p = quote!(::typenet::__private);
    match width {
        Width::Type(ty) => ty.to_token_stream(),
        Width::Literal(lit) => {
            let n: u64 = lit.base10_parse().unwrap_or(0);
            let span = lit.span();
            if n <= 1024 {
                let ident = syn::Ident::new(&format!("U{n}"), span);
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
    }
}

/// The user's generic parameters in the forms the items need.
struct Generics {
    /// With bounds and defaults, for the network struct.
    decl: Vec<TokenStream>,
    /// Without bounds, with defaults, for the type alias (where bounds are not enforced).
    alias: Vec<TokenStream>,
    /// With bounds, without defaults, for the cache (whose `const B` has no default).
    bare: Vec<TokenStream>,
    /// With bounds, for impl blocks.
    impl_: Vec<TokenStream>,
    /// Bare names, for uses.
    use_: Vec<TokenStream>,
    where_: TokenStream,
    where_preds: TokenStream,
}

impl Generics {
    fn of(net: &Network) -> Self {
        let p = quote!(::typenet::__private);
        let mut g = Generics {
            decl: vec![],
            alias: vec![],
            bare: vec![],
            impl_: vec![],
            use_: vec![],
            where_: quote!(),
            where_preds: quote!(),
        };
        for param in &net.generics.params {
            let GenericParam::Type(tp) = param else {
                continue;
            };
            let mut bounded: TypeParam = tp.clone();
            bounded.bounds.push(syn::parse_quote!(#p::ArrayLength));
            g.decl.push(bounded.to_token_stream());
            let mut alias = tp.clone();
            alias.bounds.clear();
            alias.colon_token = None;
            g.alias.push(alias.to_token_stream());
            bounded.eq_token = None;
            bounded.default = None;
            g.bare.push(bounded.to_token_stream());
            g.impl_.push(bounded.to_token_stream());
            g.use_.push(tp.ident.to_token_stream());
        }
        if let Some(w) = &net.generics.where_clause {
            g.where_ = w.to_token_stream();
            let preds = &w.predicates;
            g.where_preds = quote!(#preds);
        }
        g
    }
}

/// When the checks fail: the errors, plus stand-ins for the declared types so that code
/// naming them is not buried under "cannot find type" errors.
pub fn fallback(net: &Network, errors: syn::Error) -> TokenStream {
    let Network {
        vis, ident: name, ..
    } = net;
    let (grads, cache) = (
        format_ident!("{}Grads", name),
        format_ident!("{}Cache", name),
    );
    let params: Vec<_> = net
        .generics
        .params
        .iter()
        .filter_map(|p| match p {
            GenericParam::Type(tp) => Some(tp.ident.clone()),
            _ => None,
        })
        .collect();
    let errors = errors.into_compile_error();
    let span = Span::call_site();
    quote_spanned! {span=>
        #errors
        #vis struct #name<#(#params,)* T = f32>(::core::marker::PhantomData<(#(#params,)* T)>);
        #vis type #grads<#(#params,)* T = f32> = #name<#(#params,)* T>;
        #vis struct #cache<#(#params,)* const B: usize, T = f32>(::core::marker::PhantomData<(#(#params,)* T)>);
    }
}
