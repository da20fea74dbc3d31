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
//! - `DigitsLayers` (hidden): each layer's configuration, the type of `Network::LAYERS`;
//! - `impl Network<T> for Digits<T>`: the associated types, and the straight-line chains
//!   (init, forward, buffer updates, backward) that call each layer through the `Layer`
//!   trait. Everything else a network does is a provided method of `Network`, in core.
//!
//! Each layer is written a fixed number of times, so the expansion grows linearly with the
//! depth. Nothing in the caller's module can change what it means: primitives and items
//! are named by full path, width arguments are braced (`{ H }`, never a type named `H`),
//! generated names give way to the user's (`Names`), and keywords are written raw.

use crate::check::{OptionValue, Plan, Planned};
use crate::check_budget::Budget;
use crate::parse::{Network, Width};
use crate::registry::{OptionKind, WidthRule};
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use std::collections::HashSet;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::Ident;

fn private() -> TokenStream {
    quote!(::typenet::__private)
}

/// The expansion: each item it emits, in order. Each generator takes what the items share
/// from a [`Context`].
pub fn network(plan: &Plan) -> TokenStream {
    let cx = Context::of(plan);
    let items = [
        network_struct(&cx),
        params_struct(&cx),
        grads_alias(&cx),
        buffers_struct(&cx),
        cache_struct(&cx),
        layers_struct(&cx),
        tensors_impl(&cx, &cx.params, &cx.param_block.visits),
        tensors_impl(&cx, &cx.buffers, &cx.buffer_block.visits),
        network_impl(&cx),
        clone_impls(&cx),
        debug_impl(&cx),
        budget_checks(&cx),
    ];
    quote!(#(#items)*)
}

/// What the generators share: paths, generated names, and the per-layer vectors.
struct Context<'a> {
    plan: &'a Plan<'a>,
    /// `::typenet::__private`.
    p: TokenStream,
    // Primitives by full path: the caller's module may define a `usize` or `f32` of its own.
    usize: TokenStream,
    f32: TokenStream,
    /// The network's name, raw if a keyword, and as people read it.
    name: Ident,
    name_text: String,
    /// The generated items' names: `DigitsParams`, `DigitsGrads`, …
    params: Ident,
    grads_ty: Ident,
    buffers: Ident,
    cache_ty: Ident,
    layers_ty: Ident,
    n: Names,
    /// The batch as a const argument: in braces, so that it cannot be read as a type the
    /// caller's module happens to name `B`.
    b_arg: TokenStream,
    g: Generics,
    /// Per layer: its core type, its configuration, its field name, and the use of its
    /// configuration in the chains.
    types: Vec<TokenStream>,
    configs: Vec<TokenStream>,
    fields: Vec<Ident>,
    uses: Vec<TokenStream>,
    /// The names of the layers as people read them.
    names: Vec<String>,
    /// `let layers = &<Self as Network<T>>::LAYERS;`
    layers_ref: TokenStream,
    param_block: Block,
    buffer_block: Block,
}

/// A parameter or buffer block: the fields of the layers that have one, their types,
/// documentation, and the body of `visit_tensors` that lists their tensors.
struct Block {
    fields: Vec<Ident>,
    types: Vec<TokenStream>,
    docs: Vec<String>,
    visits: TokenStream,
}

impl<'a> Context<'a> {
    fn of(plan: &'a Plan<'a>) -> Self {
        let p = private();
        let name = escaped(&plan.net.ident);
        let n = Names::of(plan);
        let b = &n.batch;
        let b_arg = quote!({ #b });
        let layers = &plan.layers;
        let t = &n.scalar;
        let types: Vec<TokenStream> = layers.iter().map(|l| layer_type(&p, l)).collect();
        let configs: Vec<TokenStream> = (0..layers.len())
            .map(|i| config(&p, t, layers, &types, i))
            .collect();
        let fields: Vec<Ident> = layers.iter().map(|l| escaped(&l.field)).collect();
        // Each layer's configuration is written once, as a field of the constant `LAYERS`
        // (of the generated struct `DigitsLayers`), and the chains take it from there. Not
        // an inline `const { … }` at each call: under incremental compilation each of those
        // costs as much as the whole method. Not a tuple: each use would carry a type as
        // long as the network. Either way checking would grow with the square of the depth.
        let configs_ref = &n.layers;
        let uses = fields.iter().map(|f| quote!(&#configs_ref.#f)).collect();
        // At the network's name: where rustc's note points when `LAYERS` fails a width check.
        let layers_ref = quote_spanned! {name.span()=>
            let #configs_ref = &<Self as #p::Network<#t>>::LAYERS;
        };
        let block = |has: fn(&Planned) -> bool, of: Ident| {
            let mut block = Block {
                fields: vec![],
                types: vec![],
                docs: vec![],
                visits: quote!(),
            };
            for (i, (l, ty)) in layers.iter().zip(&types).enumerate() {
                if has(l) {
                    block.fields.push(fields[i].clone());
                    block.types.push(quote!(#p::#of<#ty, #t>));
                    block
                        .docs
                        .push(format!("Of `{}`: {}.", text(&l.field), describe(l)));
                }
            }
            let names: Vec<&Ident> = block.fields.iter().collect();
            block.visits = tensor_visits(&p, t, &n.tensors, &n.visit, &names, &block.types);
            block
        };
        let param_block = block(|l| l.kind.params, format_ident!("ParamsOf"));
        let buffer_block = block(|l| l.kind.buffers, format_ident!("BuffersOf"));
        Context {
            plan,
            usize: quote!(::core::primitive::usize),
            f32: quote!(::core::primitive::f32),
            name_text: text(&plan.net.ident),
            params: format_ident!("{}Params", name),
            grads_ty: format_ident!("{}Grads", name),
            buffers: format_ident!("{}Buffers", name),
            cache_ty: format_ident!("{}Cache", name),
            layers_ty: format_ident!("{}Layers", name),
            name,
            b_arg,
            g: Generics::of(plan.net),
            names: layers.iter().map(|l| text(&l.field)).collect(),
            types,
            configs,
            fields,
            uses,
            layers_ref,
            param_block,
            buffer_block,
            n,
            p,
        }
    }

    /// The index of the last layer, whose output is the network's.
    fn last(&self) -> usize {
        self.plan.layers.len() - 1
    }

    /// The layer's parameter block in `self.params`, or an empty slice; `mut` for the
    /// mutable forms.
    fn params_of(&self, i: usize, mutable: bool) -> TokenStream {
        let field = &self.fields[i];
        match (self.plan.layers[i].kind.params, mutable) {
            (true, true) => quote!(&mut self.params.#field),
            (true, false) => quote!(&self.params.#field),
            (false, true) => quote!(&mut []),
            (false, false) => quote!(&[]),
        }
    }

    /// The layer's buffer block in `self.buffers`, or an empty slice.
    fn buffers_of(&self, i: usize, mutable: bool) -> TokenStream {
        let field = &self.fields[i];
        match (self.plan.layers[i].kind.buffers, mutable) {
            (true, true) => quote!(&mut self.buffers.#field),
            (true, false) => quote!(&self.buffers.#field),
            (false, true) => quote!(&mut []),
            (false, false) => quote!(&[]),
        }
    }
}

/// `Digits<T>`: the parameters and the buffers, with the user's attributes and a summary.
fn network_struct(cx: &Context) -> TokenStream {
    let Context {
        p,
        f32,
        name,
        params,
        buffers,
        g,
        ..
    } = cx;
    let Network { attrs, vis, .. } = cx.plan.net;
    let t = &cx.n.scalar;
    let (decl, impl_, use_, phantom, where_) =
        (&g.decl, &g.impl_, &g.use_, &g.phantom, &g.where_preds);
    let summary = summary(cx.plan);
    let loss_doc = format!("Its loss is {}.", cx.plan.loss.doc);
    quote! {
        #p::flat_struct! {
            #(#attrs)*
            #[doc = ""]
            #[doc = #summary]
            #[doc = #loss_doc]
            #vis struct #name[#(#decl,)* #t: #p::Scalar = #f32][#(#impl_,)* #t: #p::Scalar][#(#use_,)* #t]
            (#t, (#(#phantom,)*))
            where [#where_]
            {
                /// The trainable parameters.
                pub params: #params<#(#use_,)* #t>,
                /// The buffers: kept, never trained.
                pub buffers: #buffers<#(#use_,)* #t>,
            }
        }
    }
}

/// A flat struct of the layers' parameter or buffer blocks.
fn block_struct(cx: &Context, ty: &Ident, doc: &str, block: &Block) -> TokenStream {
    let Context { p, f32, g, .. } = cx;
    let t = &cx.n.scalar;
    let vis = &cx.plan.net.vis;
    let (decl, impl_, use_, phantom, where_) =
        (&g.decl, &g.impl_, &g.use_, &g.phantom, &g.where_preds);
    let Block {
        fields,
        types,
        docs,
        ..
    } = block;
    quote! {
        #p::flat_struct! {
            #[doc = #doc]
            #vis struct #ty[#(#decl,)* #t: #p::Scalar = #f32][#(#impl_,)* #t: #p::Scalar][#(#use_,)* #t]
            (#t, (#(#phantom,)*))
            where [#where_]
            {
                #(
                    #[doc = #docs]
                    pub #fields: #types,
                )*
            }
        }
    }
}

/// `DigitsParams<T>`: one field per layer with parameters.
fn params_struct(cx: &Context) -> TokenStream {
    let doc = format!(
        "The trainable parameters of [`{}`]: the block that gradients and optimizer state mirror.",
        cx.name_text
    );
    block_struct(cx, &cx.params, &doc, &cx.param_block)
}

/// `DigitsGrads<T>`: an alias of the parameters' type.
fn grads_alias(cx: &Context) -> TokenStream {
    let Context {
        f32,
        params,
        grads_ty,
        g,
        ..
    } = cx;
    let (t, vis) = (&cx.n.scalar, &cx.plan.net.vis);
    let (alias, use_) = (&g.alias, &g.use_);
    let doc = format!(
        "Gradients of [`{}`]: a block of the same type as its parameters, [`{params}`].",
        cx.name_text
    );
    quote! {
        #[doc = #doc]
        #vis type #grads_ty<#(#alias,)* #t = #f32> = #params<#(#use_,)* #t>;
    }
}

/// `DigitsBuffers<T>`: one field per layer with buffers.
fn buffers_struct(cx: &Context) -> TokenStream {
    let doc = format!(
        "The buffers of [`{}`]: values it keeps but never trains (batch norm's running statistics).",
        cx.name_text
    );
    block_struct(cx, &cx.buffers, &doc, &cx.buffer_block)
}

/// `DigitsCache<const B, T>`: one `LayerCache` per layer.
fn cache_struct(cx: &Context) -> TokenStream {
    let Context {
        p,
        usize,
        f32,
        cache_ty,
        b_arg,
        g,
        fields,
        types,
        ..
    } = cx;
    let (t, b, vis) = (&cx.n.scalar, &cx.n.batch, &cx.plan.net.vis);
    let (impl_, use_, phantom, where_) = (&g.impl_, &g.use_, &g.phantom, &g.where_preds);
    let doc = format!(
        "What [`{}`] computes for a batch of `{b}` rows: each layer's output, the gradient of \
         the loss with respect to it, and what the layer keeps for its backward pass. Build it with \
         `Flat::zeroed()`, or `Flat::zeroed_boxed()` when it is large.",
        cx.name_text
    );
    let docs = cx.plan.layers.iter().map(|l| {
        format!(
            "What `{}` ({}) computed for the batch.",
            text(&l.field),
            describe(l)
        )
    });
    quote! {
        #p::flat_struct! {
            #[doc = #doc]
            #vis struct #cache_ty[#(#impl_,)* const #b: #usize, #t: #p::Scalar = #f32][#(#impl_,)* const #b: #usize, #t: #p::Scalar][#(#use_,)* #b_arg, #t]
            (#t, (#(#phantom,)*))
            where [#p::Const<#b_arg>: #p::Batch, #where_]
            {
                #(
                    #[doc = #docs]
                    pub #fields: #p::LayerCache<#types, #p::BatchDim<#b_arg>, #t>,
                )*
            }
        }
    }
}

/// `DigitsLayers` (hidden): each layer's configuration, the type of `Network::LAYERS`.
fn layers_struct(cx: &Context) -> TokenStream {
    let Context {
        layers_ty,
        g,
        fields,
        types,
        ..
    } = cx;
    let vis = &cx.plan.net.vis;
    let (phantom, where_) = (&g.phantom, &g.where_preds);
    let decl = layers_generics(cx).0;
    let doc = format!(
        "The configuration of each layer of [`{}`], by name.",
        cx.name_text
    );
    let layer_docs = cx
        .plan
        .layers
        .iter()
        .map(|l| format!("`{}`: {}.", text(&l.field), describe(l)));
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #vis struct #layers_ty #decl where #where_ {
            #(
                #[doc = #layer_docs]
                pub #fields: #types,
            )*
            #[doc(hidden)]
            pub __marker: ::core::marker::PhantomData<(#(#phantom,)*)>,
        }
    }
}

/// The generics of `DigitsLayers`, `MlpLayers<H>`, declared and as arguments: the width
/// parameters only (configurations do not depend on the scalar).
fn layers_generics(cx: &Context) -> (TokenStream, TokenStream) {
    let (decl, use_) = (&cx.g.decl, &cx.g.use_);
    if decl.is_empty() {
        (quote!(), quote!())
    } else {
        (quote!(<#(#decl),*>), quote!(<#(#use_),*>))
    }
}

/// `impl Tensors<T>` for a parameter or buffer block.
fn tensors_impl(cx: &Context, ty: &Ident, visits: &TokenStream) -> TokenStream {
    let Context { p, g, .. } = cx;
    let (t, visit) = (&cx.n.scalar, &cx.n.visit);
    let (impl_, use_, where_) = (&g.impl_, &g.use_, &g.where_preds);
    quote! {
        impl<#(#impl_,)* #t: #p::Scalar> #p::Tensors<#t> for #ty<#(#use_,)* #t> where #where_ {
            fn visit_tensors(#visit: &mut dyn ::core::ops::FnMut(#p::TensorInfo)) {
                #visits
            }
        }
    }
}

/// `impl Network<T> for Digits<T>`: its associated items, the accessors, and the chains
/// that call each layer through the `Layer` trait.
fn network_impl(cx: &Context) -> TokenStream {
    let Context { p, name, g, .. } = cx;
    let t = &cx.n.scalar;
    let (impl_, use_, where_) = (&g.impl_, &g.use_, &g.where_preds);
    let parts = [
        associated_items(cx),
        accessors(),
        init_chain(cx),
        forward_chain(cx),
        inference_chain(cx),
        buffer_updates(cx),
        backward_chain(cx),
        output_visits(cx),
    ];
    quote! {
        impl<#(#impl_,)* #t: #p::Scalar> #p::Network<#t> for #name<#(#use_,)* #t> where #where_ {
            #(#parts)*
        }
    }
}

/// The associated types and constants of `Network`.
fn associated_items(cx: &Context) -> TokenStream {
    let Context {
        plan,
        p,
        usize,
        params,
        buffers,
        cache_ty,
        layers_ty,
        b_arg,
        fields,
        types,
        ..
    } = cx;
    let (t, b) = (&cx.n.scalar, &cx.n.batch);
    let use_ = &cx.g.use_;
    let output = &plan.layers[cx.last()].output;
    let (input_ty, output_ty) = (width_type(&plan.input), width_type(output));
    let (input_row, output_row) = (row_type(t, &plan.input), row_type(t, output));
    let loss_ty = Ident::new(plan.loss.ty, Span::call_site());
    let target = if plan.loss.classifies {
        usize.clone()
    } else {
        output_row.clone()
    };
    let (scratch_even, scratch_odd) = (scratch_half(cx, 0), scratch_half(cx, 1));
    let layers_args = layers_generics(cx).1;
    let checked_configs =
        plan.layers
            .iter()
            .zip(&cx.configs)
            .map(|(l, cfg)| match width_check(p, l) {
                Some(check) => quote!({ #check #cfg }),
                None => cfg.clone(),
            });
    let min_batch = types
        .iter()
        .zip(&cx.names)
        .map(|(ty, name)| quote!((#name, <#ty as #p::Layer<#t>>::MIN_TRAINING_BATCH)));
    quote! {
        type Input = #input_ty;
        type Output = #output_ty;
        type InputRow = #input_row;
        type OutputRow = #output_row;
        type Target = #target;
        type Params = #params<#(#use_,)* #t>;
        type Buffers = #buffers<#(#use_,)* #t>;
        type Cache<const #b: #usize> = #cache_ty<#(#use_,)* #b_arg, #t>
        where
            #p::Const<#b_arg>: #p::Batch;
        type Scratch<const #b: #usize> = #p::PingPong<#scratch_even, #scratch_odd, #t>
        where
            #p::Const<#b_arg>: #p::Batch;
        type Loss = #p::loss::#loss_ty;
        type Layers = #layers_ty #layers_args;

        const LAYERS: Self::Layers = #layers_ty {
            #(#fields: #checked_configs,)*
            __marker: ::core::marker::PhantomData,
        };

        const TRAINING_BATCH: #p::TrainingBatch = #p::TrainingBatch::of(&[#(#min_batch),*]);
    }
}

/// One buffer of the inference scratch: as long as the widest output of the layers of
/// its parity (see [`inference_chain`]).
fn scratch_half(cx: &Context, parity: usize) -> TokenStream {
    let Context { p, b_arg, .. } = cx;
    let t = &cx.n.scalar;
    let outputs: Vec<TokenStream> = cx
        .types
        .iter()
        .skip(parity)
        .step_by(2)
        .map(|ty| quote!(#p::ActivationsOf<#ty, #b_arg, #t>))
        .collect();
    // Widest<A, Widest<B, C>>: as long as the longest of A, B and C.
    match outputs.split_last() {
        None => quote!([#t; 0]),
        Some((last, rest)) => rest
            .iter()
            .rev()
            .fold(last.clone(), |inner, ty| quote!(#p::Widest<#ty, #inner>)),
    }
}

/// `params`, `params_mut`, `buffers`, `buffers_mut`.
fn accessors() -> TokenStream {
    quote! {
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
    }
}

/// `init_layers`: each layer initializes its blocks.
fn init_chain(cx: &Context) -> TokenStream {
    let Context { p, layers_ref, .. } = cx;
    let Names {
        scalar: t,
        rng_ty: r,
        rng,
        ..
    } = &cx.n;
    let inits = cx
        .plan
        .layers
        .iter()
        .zip(&cx.uses)
        .enumerate()
        .map(|(i, (l, cfg))| {
            let (params, buffers) = (cx.params_of(i, true), cx.buffers_of(i, true));
            quote_spanned!(l.span=> #p::Layer::<#t>::init(#cfg, #params, #buffers, #rng);)
        });
    quote! {
        fn init_layers<#r: #p::Rng + ?Sized>(&mut self, #rng: &mut #r) {
            #layers_ref
            #(#inits)*
        }
    }
}

/// `forward_layers`: each layer reads the output before it and writes its own into the
/// cache.
fn forward_chain(cx: &Context) -> TokenStream {
    let Context {
        p,
        usize,
        b_arg,
        fields,
        layers_ref,
        ..
    } = cx;
    let Names {
        scalar: t,
        batch: b,
        mode_ty: m,
        x,
        cache,
        mode,
        ..
    } = &cx.n;
    let forwards = cx
        .plan
        .layers
        .iter()
        .zip(&cx.uses)
        .enumerate()
        .map(|(i, (l, cfg))| {
            let field = &fields[i];
            let input = match i {
                0 => quote!(#x),
                _ => {
                    let before = &fields[i - 1];
                    quote!(&#cache.#before.output)
                }
            };
            let (params, buffers) = (cx.params_of(i, false), cx.buffers_of(i, false));
            // Layer::forward(&layers.hidden, Forward { x, y: &mut cache.hidden.output, … }, mode);
            quote_spanned! {l.span=>
                #p::Layer::<#t>::forward(#cfg, #p::Forward {
                    params: #params,
                    buffers: #buffers,
                    x: #input,
                    y: &mut #cache.#field.output,
                    cache: &mut #cache.#field.state,
                }, #mode);
            }
        });
    quote! {
        fn forward_layers<const #b: #usize, #m: #p::Mode>(
            &self,
            #x: &#p::InputOf<Self, #b_arg, #t>,
            #cache: &mut Self::Cache<#b_arg>,
            #mode: &mut #m,
        ) where
            #p::Const<#b_arg>: #p::Batch,
        {
            #layers_ref
            #(#forwards)*
        }
    }
}

/// `infer_layers`: layer i writes into buffer `even` or `odd` of the scratch by the parity
/// of i, and reads the other, so that each buffer need only hold the widest output of its
/// half of the layers.
fn inference_chain(cx: &Context) -> TokenStream {
    let Context {
        p,
        usize,
        b_arg,
        layers_ref,
        ..
    } = cx;
    let Names {
        scalar: t,
        batch: b,
        x,
        scratch,
        ..
    } = &cx.n;
    let buffer_of =
        |i: usize| format_ident!("{}", if i.is_multiple_of(2) { "even" } else { "odd" });
    let infers = cx
        .plan
        .layers
        .iter()
        .zip(&cx.uses)
        .enumerate()
        .map(|(i, (l, cfg))| {
            let input = match i {
                0 => quote!(#x),
                _ => {
                    let before = buffer_of(i - 1);
                    quote!(#p::prefix::<#t, _, _>(&#scratch.#before))
                }
            };
            let (params, buffers) = (cx.params_of(i, false), cx.buffers_of(i, false));
            let output = buffer_of(i);
            // Layer::infer(&layers.hidden, &self.params.hidden, &[], x, prefix_mut(&mut scratch.even));
            quote_spanned! {l.span=>
                #p::Layer::<#t>::infer::<#p::BatchDim<#b_arg>>(
                    #cfg,
                    #params,
                    #buffers,
                    #input,
                    #p::prefix_mut::<#t, _, _>(&mut #scratch.#output),
                );
            }
        });
    let last_buffer = buffer_of(cx.last());
    quote! {
        fn infer_layers<'s, const #b: #usize>(
            &self,
            #x: &#p::InputOf<Self, #b_arg, #t>,
            #scratch: &'s mut Self::Scratch<#b_arg>,
        ) -> &'s #p::OutputOf<Self, #b_arg, #t>
        where
            #p::Const<#b_arg>: #p::Batch,
        {
            #layers_ref
            #(#infers)*
            #p::prefix::<#t, _, _>(&#scratch.#last_buffer)
        }
    }
}

/// `update_buffers`: each layer with buffers updates them from its cache.
fn buffer_updates(cx: &Context) -> TokenStream {
    let Context {
        p, usize, b_arg, ..
    } = cx;
    let Names {
        scalar: t,
        batch: b,
        cache,
        ..
    } = &cx.n;
    let layers = &cx.plan.layers;
    let updates = layers
        .iter()
        .zip(&cx.fields)
        .zip(&cx.uses)
        .filter(|((l, _), _)| l.kind.buffers)
        .map(|((l, field), cfg)| {
            quote_spanned! {l.span=>
                #p::Layer::<#t>::update_buffers(#cfg, &mut self.buffers.#field, &#cache.#field.state);
            }
        });
    let layers_ref = layers
        .iter()
        .any(|l| l.kind.buffers)
        .then(|| cx.layers_ref.clone());
    quote! {
        fn update_buffers<const #b: #usize>(&mut self, #cache: &Self::Cache<#b_arg>)
        where
            #p::Const<#b_arg>: #p::Batch,
        {
            let _ = #cache;
            #layers_ref
            #(#updates)*
        }
    }
}

/// `backward_layers_into`: from the last layer to the first, each takes the gradient of its
/// output and writes its parameters' and its input's; the first layer writes the network
/// input's gradient only into the slot the caller gives.
fn backward_chain(cx: &Context) -> TokenStream {
    let Context {
        p,
        usize,
        b_arg,
        fields,
        layers_ref,
        ..
    } = cx;
    let Names {
        scalar: t,
        batch: b,
        x,
        cache,
        grads,
        input_grad,
        input_grad_ty: d,
        ..
    } = &cx.n;
    let backwards = cx
        .plan
        .layers
        .iter()
        .zip(&cx.uses)
        .enumerate()
        .rev()
        .map(|(i, (l, cfg))| {
            let field = &fields[i];
            let (input, dx) = match i {
                // The input's gradient, if the caller's slot type asks for it: `None` as a
                // constant for `NoInputGrad`, so the ordinary pass is unchanged.
                0 => (
                    quote!(#x),
                    quote!(#p::InputGradSlot::slot(&mut #input_grad)),
                ),
                _ => {
                    let before = &fields[i - 1];
                    (
                        quote!(&#cache.#before.output),
                        quote!(::core::option::Option::Some(&mut #cache.#before.grad)),
                    )
                }
            };
            let params = cx.params_of(i, false);
            let layer_grads = if l.kind.params {
                quote!(&mut #grads.#field)
            } else {
                quote!(&mut [])
            };
            // Layer::backward(&layers.out, Backward { dy: &cache.out.grad, dx: Some(&mut cache.hidden.grad), … });
            quote_spanned! {l.span=>
                #p::Layer::<#t>::backward(#cfg, #p::Backward {
                    params: #params,
                    x: #input,
                    y: &#cache.#field.output,
                    cache: &mut #cache.#field.state,
                    dy: &#cache.#field.grad,
                    grads: #layer_grads,
                    dx: #dx,
                });
            }
        });
    quote! {
        fn backward_layers_into<const #b: #usize, #d: #p::InputGradSlot<#p::InputOf<Self, #b_arg, #t>>>(
            &self,
            #x: &#p::InputOf<Self, #b_arg, #t>,
            #cache: &mut Self::Cache<#b_arg>,
            #grads: &mut Self::Params,
            mut #input_grad: #d,
        ) where
            #p::Const<#b_arg>: #p::Batch,
        {
            #layers_ref
            #(#backwards)*
        }
    }
}

/// `output_and_grad` and `visit_outputs`: the last layer's output and gradient, and every
/// layer's output by name.
fn output_visits(cx: &Context) -> TokenStream {
    let Context {
        p,
        usize,
        b_arg,
        fields,
        ..
    } = cx;
    let Names {
        scalar: t,
        batch: b,
        cache,
        visit,
        ..
    } = &cx.n;
    let last_field = &fields[cx.last()];
    let visits = cx
        .plan
        .layers
        .iter()
        .zip(fields)
        .zip(&cx.names)
        .map(|((l, field), name)| {
            let kind = l.kind.name;
            quote! {
                #visit(
                    #p::LayerOutput { name: #name, kind: #kind },
                    #p::Flat::as_flat(&#cache.#field.output),
                );
            }
        });
    quote! {
        fn output_and_grad<const #b: #usize>(
            #cache: &mut Self::Cache<#b_arg>,
        ) -> (&#p::OutputOf<Self, #b_arg, #t>, &mut #p::OutputOf<Self, #b_arg, #t>)
        where
            #p::Const<#b_arg>: #p::Batch,
        {
            (&#cache.#last_field.output, &mut #cache.#last_field.grad)
        }

        fn visit_outputs<const #b: #usize>(
            #cache: &Self::Cache<#b_arg>,
            #visit: &mut dyn ::core::ops::FnMut(#p::LayerOutput<'_>, &[#t]),
        ) where
            #p::Const<#b_arg>: #p::Batch,
        {
            #(#visits)*
        }
    }
}

/// `Clone` for the network and its parameters, as flat copies.
fn clone_impls(cx: &Context) -> TokenStream {
    let Context {
        p, name, params, g, ..
    } = cx;
    let t = &cx.n.scalar;
    let (impl_, use_, where_) = (&g.impl_, &g.use_, &g.where_preds);
    quote! {
        impl<#(#impl_,)* #t: #p::Scalar> ::core::clone::Clone for #name<#(#use_,)* #t> where #where_ {
            fn clone(&self) -> Self {
                #p::flat_clone(self)
            }
        }

        impl<#(#impl_,)* #t: #p::Scalar> ::core::clone::Clone for #params<#(#use_,)* #t> where #where_ {
            fn clone(&self) -> Self {
                #p::flat_clone(self)
            }
        }
    }
}

/// `Debug` for the network: each layer's configuration, by name.
fn debug_impl(cx: &Context) -> TokenStream {
    let Context {
        p,
        name,
        name_text,
        g,
        layers_ref,
        ..
    } = cx;
    let Names {
        scalar: t,
        f,
        debug,
        ..
    } = &cx.n;
    let (impl_, use_, where_) = (&g.impl_, &g.use_, &g.where_preds);
    // One statement per layer, not one chained call: a chain nests as deep as the network.
    let fields = cx.names.iter().zip(&cx.uses).map(|(name, cfg)| {
        quote! {
            ::core::fmt::DebugStruct::field(&mut #debug, #name, &::core::format_args!("{}", #cfg));
        }
    });
    quote! {
        impl<#(#impl_,)* #t: #p::Scalar> ::core::fmt::Debug for #name<#(#use_,)* #t> where #where_ {
            fn fmt(&self, #f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #layers_ref
                let mut #debug = ::core::fmt::Formatter::debug_struct(#f, #name_text);
                #(#fields)*
                ::core::fmt::DebugStruct::finish(&mut #debug)
            }
        }
    }
}

/// Every memory budget's check, in the order written.
fn budget_checks(cx: &Context) -> TokenStream {
    let budgets = cx
        .plan
        .budgets
        .iter()
        .map(|b| budget_check(&cx.p, &cx.name, b));
    quote!(#(#budgets)*)
}

/// The check of one memory budget: a constant of the caller's module, evaluated while
/// compiling, that panics with core's message when the network does not fit. The panic is
/// written here, not in core, so that the one error points at the budget and nowhere else;
/// every figure is computed in core from the types. The network is checked with `f32`, its
/// default scalar.
fn budget_check(p: &TokenStream, name: &Ident, budget: &Budget) -> TokenStream {
    let f32 = quote!(::core::primitive::f32);
    // The item at the budget's first token and the panic's arguments at its last, so that
    // the error underlines the whole budget.
    let mut spans = budget.tokens.clone().into_iter().map(|tree| tree.span());
    let first = spans.next().unwrap_or_else(Span::call_site);
    let last = spans.last().unwrap_or(first);
    let bytes = syn::LitInt::new(&format!("{}u64", budget.bytes), first);
    let batch = syn::LitInt::new(&budget.batch.to_string(), first);
    let written = &budget.written;
    let check = match budget.optimizer {
        Some(optimizer) => {
            let ty = Ident::new(optimizer.ty, first);
            let display = optimizer.display;
            quote_spanned! {first=>
                #p::memory::training_budget::<#name<#f32>, #p::optim::#ty<#f32>, #batch, #f32>(
                    #bytes, #written, #display,
                )
            }
        }
        None => quote_spanned! {first=>
            #p::memory::inference_budget::<#name<#f32>, #batch, #f32>(#bytes, #written)
        },
    };
    // A local of the expansion's own, which no constant of the caller's module can capture.
    let over = Ident::new("over", Span::mixed_site());
    let args = quote_spanned!(last=> ("{}", #over));
    // const _: () = { if let Some(over) = training_budget::<Digits<f32>, Adam<f32>, 8, f32>(49152u64, "48 KiB", "Adam").exceeded() { panic!("{}", over) } };
    quote_spanned! {first=>
        const _: () = {
            if let ::core::option::Option::Some(#over) = #p::memory::Budget::exceeded(&#check) {
                ::core::panic! #args
            }
        };
    }
}

/// The body of a block's `visit_tensors`: each layer's tensors, under its name, at the offset
/// where its block starts. The offset runs on in core from one layer to the next, so each
/// layer is named once (the sum of every earlier layer's size at each layer would make the
/// expansion grow with the square of the depth).
fn tensor_visits(
    p: &TokenStream,
    t: &Ident,
    tensors: &Ident,
    visit: &Ident,
    fields: &[&Ident],
    types: &[TokenStream],
) -> TokenStream {
    if fields.is_empty() {
        return quote!(let _ = #visit;);
    }
    let names = fields.iter().map(|f| text(f));
    // let mut tensors = LayerTensors::new(visit); tensors.layer::<ParamsOf<Dense<…>, T>, T>("hidden"); …
    quote! {
        let mut #tensors = #p::LayerTensors::new(#visit);
        #( #tensors.layer::<#types, #t>(#names); )*
    }
}

/// The layer's core type: its registry row applied to its widths.
fn layer_type(p: &TokenStream, layer: &Planned) -> TokenStream {
    let widths = match layer.kind.width {
        _ if layer.shapes.input.is_some() => {
            crate::expand_shapes::widths(layer).unwrap_or_default()
        }
        WidthRule::InOut => vec![width_type(&layer.input), width_type(&layer.output)],
        _ => vec![width_type(&layer.input)],
    };
    (layer.kind.ty)(p, &widths)
}

/// The layer's configuration as a constant expression: its options as written, their
/// defaults, and for an initializer left out, the one the layers after it suggest.
fn config(
    p: &TokenStream,
    t: &Ident,
    layers: &[Planned],
    types: &[TokenStream],
    i: usize,
) -> TokenStream {
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
            (Some(OptionValue::Pair(pair, _)), _) => crate::expand_shapes::pair_value(*pair),
            (None, OptionKind::Init) => {
                // The layers up to the next layer that sets its own width (`dense`).
                let after = layers[i + 1..]
                    .iter()
                    .zip(&types[i + 1..])
                    .take_while(|(l, _)| matches!(l.kind.width, WidthRule::Keeps | WidthRule::Pool))
                    .map(|(_, ty)| quote!(<#ty as #p::Layer<#t>>::INIT_BEFORE));
                quote!(#p::Init::suggested_by(&[#(#after),*]))
            }
            (None, _) => spec
                .default
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
        })
        .collect();
    let values = crate::expand_shapes::window_config(layer, values);
    let expr = (layer.kind.config)(p, ty, &values);
    quote_spanned!(layer.span=> #expr)
}

/// For a declared input width the macro could not compare (a type parameter on either
/// side), a check evaluated with `LAYERS`, where the network is used with concrete widths,
/// stating both numbers as the macro would.
fn width_check(p: &TokenStream, layer: &Planned) -> Option<TokenStream> {
    let declared = layer.input_to_assert.as_ref()?;
    let (d, produced) = (width_type(declared), width_type(&layer.input));
    let name = text(&layer.field);
    let producer = &layer.producer;
    // The whole call at the declared width, where rustc reports its failure.
    let p: TokenStream = p
        .clone()
        .into_iter()
        .map(|mut tree| {
            tree.set_span(declared.span());
            tree
        })
        .collect();
    let message = Ident::new("message", Span::mixed_site());
    // if let Some(message) = width_mismatch(…) { panic!("{}", message.as_str()) }: the panic
    // in the caller's crate, so that no frame of core's comes between it and the declared
    // width.
    Some(quote_spanned! {declared.span()=>
        if let ::core::option::Option::Some(#message) = #p::width_mismatch(
            <#d as #p::Unsigned>::USIZE,
            <#produced as #p::Unsigned>::USIZE,
            #name,
            #producer,
        ) {
            ::core::panic!("{}", #message.as_str());
        }
    })
}

/// "dense layer, 64 → 128" for documentation.
fn describe(layer: &Planned) -> String {
    if let Some(text) = crate::expand_shapes::describe(layer) {
        return text;
    }
    match layer.kind.width {
        WidthRule::InOut => format!(
            "{}, {} → {}",
            layer.kind.doc,
            width_text(&layer.input),
            width_text(&layer.output)
        ),
        _ => format!("{} over {}", layer.kind.doc, width_text(&layer.input)),
    }
}

/// "A network of 64 inputs: `hidden` (…), `relu1` (…), …" for the struct's documentation.
fn summary(plan: &Plan) -> String {
    let layers: Vec<_> = plan
        .layers
        .iter()
        .map(|l| format!("`{}` ({})", text(&l.field), describe(l)))
        .collect();
    let input = crate::expand_shapes::input_text(plan.input_image).unwrap_or_else(|| {
        let s = if plan.input.value().and_then(Result::ok) == Some(1) {
            ""
        } else {
            "s"
        };
        format!("{} input{s}", width_text(&plan.input))
    });
    format!(
        "Generated by `network!`: {input}, then {}.",
        layers.join(", ")
    )
}

fn width_text(width: &Width) -> String {
    match width {
        Width::Literal(lit) => lit.to_string(),
        Width::Type(ty) => format!("`{}`", ty.to_token_stream()).replace(' ', ""),
        Width::Param(ident) => format!("`{}`", text(ident)),
    }
}

/// The typenum type of a width: `U128` for numbers up to 1024 (typenum's named constants),
/// the binary `UInt<…>` form above, or the type as written.
pub fn width_type(width: &Width) -> TokenStream {
    let p = private();
    match width {
        Width::Type(ty) => ty.to_token_stream(),
        Width::Param(ident) => {
            let ident = escaped(ident);
            quote!(#p::WidthDim<{ #ident }>)
        }
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
fn row_type(t: &Ident, width: &Width) -> TokenStream {
    match width {
        Width::Literal(lit) => {
            let lit = syn::LitInt::new(lit.base10_digits(), lit.span());
            quote!([#t; #lit])
        }
        Width::Type(ty) => quote!(::typenet::__private::GenericArray<#t, #ty>),
        Width::Param(ident) => {
            let ident = escaped(ident);
            quote!([#t; #ident])
        }
    }
}

/// The user's generic parameters in the forms the items need.
struct Generics {
    /// With bounds and defaults, for the structs.
    decl: Vec<TokenStream>,
    /// Without bounds, with defaults, for the type alias (where bounds are not enforced).
    alias: Vec<TokenStream>,
    /// With bounds, without defaults, for impl blocks.
    impl_: Vec<TokenStream>,
    /// As arguments, for uses.
    use_: Vec<TokenStream>,
    /// The names again, for the marker that uses every parameter.
    phantom: Vec<TokenStream>,
    where_preds: TokenStream,
}

impl Generics {
    fn of(net: &Network) -> Self {
        let p = private();
        let mut g = Generics {
            decl: vec![],
            alias: vec![],
            impl_: vec![],
            use_: vec![],
            phantom: vec![],
            where_preds: quote!(),
        };
        // Each width parameter `H` is a `const H: usize`, whose typenum counterpart
        // `WidthDim<H>` exists when `Const<H>: Width`. As an argument it is written `{ H }`:
        // bare, it would mean a type named `H` if the caller's module has one.
        let mut preds = Vec::new();
        for ident in crate::check::width_params(net) {
            let ident = escaped(&ident);
            let param = quote!(const #ident: ::core::primitive::usize);
            g.decl.push(param.clone());
            g.alias.push(param.clone());
            g.impl_.push(param);
            g.use_.push(quote!({ #ident }));
            g.phantom.push(quote!([(); #ident]));
            preds.push(quote!(#p::Const<{ #ident }>: #p::Width,));
        }
        g.where_preds = quote!(#(#preds)*);
        g
    }
}

/// The names generated code introduces: generic parameters and local variables. Each is its
/// usual name unless the description writes that name somewhere it would collide: a width
/// parameter `x` is a constant, which would turn the argument `x: &…` into a pattern, and a
/// generated `B` would capture the `B` of a width type or an option's expression. Such a
/// name gets underscores until it is free.
struct Names {
    /// The scalar type, `T`.
    scalar: Ident,
    /// The batch size, `B`.
    batch: Ident,
    /// The mode's type, `M`.
    mode_ty: Ident,
    /// The random source's type, `R`.
    rng_ty: Ident,
    rng: Ident,
    x: Ident,
    cache: Ident,
    /// The buffers of an inference pass.
    scratch: Ident,
    mode: Ident,
    grads: Ident,
    /// Where the backward pass writes the input's gradient, and its type `D`.
    input_grad: Ident,
    input_grad_ty: Ident,
    visit: Ident,
    f: Ident,
    /// The `LayerTensors` that lists a block's tensors.
    tensors: Ident,
    /// The `DebugStruct` being written.
    debug: Ident,
    /// A reference to `LAYERS`.
    layers: Ident,
}

impl Names {
    fn of(plan: &Plan) -> Self {
        let taken = written_names(plan);
        let fresh = |base: &str| {
            let mut name = base.to_string();
            while taken.contains(&name) {
                name.push('_');
            }
            Ident::new(&name, Span::call_site())
        };
        Names {
            scalar: fresh("T"),
            batch: fresh("B"),
            mode_ty: fresh("M"),
            rng_ty: fresh("R"),
            rng: fresh("rng"),
            x: fresh("x"),
            cache: fresh("cache"),
            scratch: fresh("scratch"),
            mode: fresh("mode"),
            grads: fresh("grads"),
            input_grad: fresh("input_grad"),
            input_grad_ty: fresh("D"),
            visit: fresh("visit"),
            f: fresh("f"),
            tensors: fresh("tensors"),
            debug: fresh("debug"),
            layers: fresh("layers"),
        }
    }
}

/// Every identifier of the description that reaches the generated code: the network's and
/// its width parameters' names, layer names, and the tokens of widths and option values.
fn written_names(plan: &Plan) -> HashSet<String> {
    let mut tokens = plan.net.ident.to_token_stream();
    for param in crate::check::width_params(plan.net) {
        param.to_tokens(&mut tokens);
    }
    plan.input.to_tokens(&mut tokens);
    for layer in &plan.layers {
        layer.field.to_tokens(&mut tokens);
        layer.input.to_tokens(&mut tokens);
        layer.output.to_tokens(&mut tokens);
        layer.input_to_assert.to_tokens(&mut tokens);
        for value in layer.options.iter().flatten() {
            if let OptionValue::Expr(e) = value {
                e.to_tokens(&mut tokens);
            }
        }
    }
    // A work list rather than recursion: nesting depth is the user's.
    let mut names = HashSet::new();
    let mut pending = vec![tokens];
    while let Some(stream) = pending.pop() {
        for tree in stream {
            match tree {
                TokenTree::Ident(ident) => {
                    names.insert(text(&ident));
                }
                TokenTree::Group(group) => pending.push(group.stream()),
                TokenTree::Punct(_) | TokenTree::Literal(_) => {}
            }
        }
    }
    names
}

/// Words that are keywords in some edition. syn reads those that are not keywords in every
/// edition as identifiers, such as `gen` (reserved from edition 2024 on); generated code
/// writes them raw (`r#gen`), which means the same name in every edition.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// A name as generated code must write it: raw if it is a keyword in any edition.
fn escaped(ident: &Ident) -> Ident {
    let name = text(ident);
    if KEYWORDS.contains(&name.as_str()) {
        Ident::new_raw(&name, ident.span())
    } else {
        ident.clone()
    }
}

/// A name as people read it, without `r#`: `type` for `r#type`, as PyTorch names tensors.
fn text(ident: &Ident) -> String {
    ident.unraw().to_string()
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

    /// The expansion of a description that checks.
    fn expansion(src: &str) -> TokenStream {
        let net: Network = syn::parse_str(src).expect("parses");
        let plan = crate::check::network(&net).unwrap_or_else(|e| panic!("{e}"));
        network(&plan)
    }

    #[test]
    fn generated_names_avoid_the_users() {
        let net: Network = syn::parse_str(
            "struct N<B, M, R, x, cache> { input: 4, dense(B), dropout(rng + f), loss: mean_squared_error }",
        )
        .expect("parses");
        let plan = crate::check::network(&net).unwrap_or_else(|e| panic!("{e}"));
        let n = Names::of(&plan);
        let names = [
            &n.scalar, &n.batch, &n.mode_ty, &n.rng_ty, &n.rng, &n.x, &n.cache, &n.f, &n.mode,
        ]
        .map(ToString::to_string);
        assert_eq!(
            names,
            ["T", "B_", "M_", "R_", "rng_", "x_", "cache_", "f_", "mode"]
        );
    }

    /// Bytes of the expansion per layer, for a network of `units` copies of `unit`.
    fn bytes_per_layer(generics: &str, unit: &str, layers_per_unit: usize, units: usize) -> usize {
        let body: String = (0..units)
            .map(|i| unit.replace('#', &i.to_string()))
            .collect();
        let src = format!("struct N{generics} {{ input: 8, {body} loss: mean_squared_error }}");
        expansion(&src).to_string().len() / (units * layers_per_unit)
    }

    /// Each layer adds the same amount of code however deep the network is: a layer's
    /// offset is not the sum of every size before it, nor is its configuration a list of
    /// everything after it. (Checking time follows the size: `cargo check` of 500 layers took
    /// 23 s when the expansion grew with the square of the depth.)
    #[test]
    fn the_expansion_grows_linearly() {
        let shapes = [
            ("", "dense(8), relu, ", 2),
            (
                "<H>",
                "dense(H), relu, norm#: batch_norm, dropout(0.5), dense(H -> 8), tanh, ",
                6,
            ),
        ];
        for (generics, unit, layers) in shapes {
            let sizes = [5, 50, 250].map(|units| bytes_per_layer(generics, unit, layers, units));
            println!(
                "{unit}: {sizes:?} bytes per layer at {:?} layers",
                [5, 50, 250].map(|u| u * layers)
            );
            for size in &sizes[1..] {
                assert!(
                    *size * 10 < sizes[0] * 12,
                    "{unit}: {sizes:?} bytes per layer"
                );
            }
        }
    }

    /// `gen` is a keyword from edition 2024 on, which syn reads as an identifier: every use
    /// is written raw. (The tests of the `typenet` crate build in its edition, 2021.) Names
    /// in strings are PyTorch's, without `r#`: `type.weight`.
    #[test]
    fn keywords_are_written_raw_and_named_without_r_hash() {
        let text = expansion(
            "struct N { input: 4, gen: dense(3), r#type: dense(2), loss: mean_squared_error }",
        )
        .to_string();
        let words: Vec<&str> = text.split(' ').collect();
        assert!(!words.contains(&"gen"), "{text}");
        for name in ["gen", "type"] {
            assert!(text.contains(&format!("pub r#{name} :")), "{text}");
            assert!(
                text.contains(&format!("> (\"{name}\")")),
                "tensor names: {text}"
            );
            assert!(
                text.contains(&format!("name : \"{name}\"")),
                "layer outputs: {text}"
            );
            assert!(
                text.contains(&format!("(& mut debug , \"{name}\"")),
                "Debug: {text}"
            );
        }
        assert!(!text.contains("\"r#"), "{text}");
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
