//! `#[phrase]`: a step phrase is written once. The attribute registers the function with
//! cucumber once (the catalogue's `collection` offers it under Given, When and Then alike, since
//! stakeholders use any keyword, with its regex compiled once for the three), hands its
//! structured failure to the runner whole, and adds the phrase, its example and its meaning (the function's doc comment) to the
//! catalogue that `shakedown steps` prints and `docs/steps.md` is generated from. A phrase
//! therefore cannot be added without its example and documentation.
//!
//! What the rest of shakedown does with a phrase is declared here too, never read from where
//! its function sits: `names_role` (its first `{string}` is a role `check` looks up),
//! `needs_every_role` (it acts as every role of the environment, so all their passwords are read),
//! `runs_on_host` (a scenario holding it runs once per host), `checks_status` (its first
//! argument is the response status a scenario expects) and `text = NAME` (a `pub const NAME`
//! holding the phrase, for code that writes or reads step lines). Its domain, which groups it in
//! the catalogue, is the `PHRASE_DOMAIN` constant of the file it is written in.
//!
//! A phrase that says what *should* be is a check, and any check may wait: written as
//! `within N seconds …`, it runs again (see `waiting`) until it passes or the time is up. The
//! word is the declaration, so no check can be left out.

use proc_macro::TokenStream;
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, FnArg, ItemFn, Lit, LitStr, Meta, Pat, Token, parse_macro_input};

/// `#[phrase("I request {string}", example = "I request \"/reports/\"")]` on a step function
/// whose first argument is the World and which returns `StepResult`.
#[proc_macro_attribute]
pub fn phrase(attribute: TokenStream, item: TokenStream) -> TokenStream {
    let arguments = parse_macro_input!(attribute as PhraseArguments);
    let function = parse_macro_input!(item as ItemFn);
    expand(&arguments, function)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

struct PhraseArguments {
    expression: LitStr,
    example: LitStr,
    /// `names_role = true`: the phrase's first `{string}` is a role of `[roles]`, which `check`
    /// looks up in the configuration before anything runs.
    names_role: bool,
    /// `needs_every_role`: the phrase acts as every role of the environment, whose passwords
    /// are then read before the run as those of the roles a phrase names.
    needs_every_role: bool,
    /// `runs_on_host`: the phrase looks at a server, so its scenario runs once per host.
    runs_on_host: bool,
    /// `checks_status`: the phrase's first argument is the response status the scenario expects.
    checks_status: bool,
    /// `text = NAME`: a constant holding the phrase's text.
    text: Option<syn::Ident>,
}

impl Parse for PhraseArguments {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let expression: LitStr = input.parse()?;
        input.parse::<Token![,]>()?;
        let key: syn::Ident = input.parse()?;
        if key != "example" {
            return Err(syn::Error::new(key.span(), "expected `example = \"…\"`"));
        }
        input.parse::<Token![=]>()?;
        let example: LitStr = input.parse()?;
        let mut arguments = Self {
            expression,
            example,
            names_role: false,
            needs_every_role: false,
            runs_on_host: false,
            checks_status: false,
            text: None,
        };
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: syn::Ident = input.parse()?;
            if key == "names_role" {
                input.parse::<Token![=]>()?;
                arguments.names_role = input.parse::<syn::LitBool>()?.value;
            } else if key == "needs_every_role" {
                arguments.needs_every_role = true;
            } else if key == "runs_on_host" {
                arguments.runs_on_host = true;
            } else if key == "checks_status" {
                arguments.checks_status = true;
            } else if key == "text" {
                input.parse::<Token![=]>()?;
                arguments.text = Some(input.parse()?);
            } else {
                return Err(syn::Error::new(
                    key.span(),
                    "expected `names_role = true`, `needs_every_role`, `runs_on_host`, `checks_status` or `text = NAME`",
                ));
            }
        }
        Ok(arguments)
    }
}

fn expand(arguments: &PhraseArguments, function: ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let meaning = doc_text(&function);
    if meaning.is_empty() {
        return Err(syn::Error::new_spanned(
            &function.sig.ident,
            "a phrase needs a doc comment: it is the phrase's meaning in the catalogue",
        ));
    }
    let mut argument_names = Vec::new();
    // The phrase's own arguments (all but the World and cucumber's `step`), with the kind each
    // is read into.
    let mut phrase_arguments = Vec::new();
    let mut outer_signature = function.sig.clone();
    let may_wait = arguments.expression.value().contains(" should ");
    for (index, input) in outer_signature.inputs.iter_mut().enumerate() {
        let FnArg::Typed(typed) = input else {
            return Err(syn::Error::new_spanned(input, "a step takes no `self`"));
        };
        let Pat::Ident(name) = typed.pat.as_ref() else {
            return Err(syn::Error::new_spanned(
                &typed.pat,
                "a step's arguments are plain names",
            ));
        };
        argument_names.push(name.ident.clone());
        if index > 0 && name.ident != "step" {
            phrase_arguments.push((name.ident.clone(), typed.ty.as_ref().clone()));
            // cucumber hands over the text as written; the step reads it into its kind itself,
            // so a value out of range is a failure that names it, never a panic in cucumber.
            *typed.ty = syn::parse_quote!(::std::string::String);
        }
    }
    let readings = phrase_arguments
        .iter()
        .map(|(name, kind)| {
            quote! {
                let #name = match <#kind as crate::argument::PhraseArgument>::read(&#name) {
                    ::std::result::Result::Ok(value) => value,
                    ::std::result::Result::Err(failure) => failure.raise(),
                };
            }
        })
        .collect::<Vec<_>>();
    let arguments_parameter = match phrase_arguments.is_empty() {
        true => quote! { _ },
        false => quote! { arguments },
    };
    let checks = phrase_arguments.iter().enumerate().map(|(position, (_, kind))| {
        quote! {
            <#kind as crate::argument::PhraseArgument>::read(
                arguments.get(#position).copied().unwrap_or_default(),
            )?;
        }
    });
    let expression = &arguments.expression;
    let example = &arguments.example;
    let names_role = arguments.names_role;
    let needs_every_role = arguments.needs_every_role;
    let runs_on_host = arguments.runs_on_host;
    let checks_status = arguments.checks_status;
    let text_constant = arguments.text.as_ref().map(|name| {
        quote! {
            /// The phrase's text as its `#[phrase]` declares it.
            pub const #name: &str = #expression;
        }
    });
    let name = &function.sig.ident;
    let world = argument_names
        .first()
        .cloned()
        .ok_or_else(|| syn::Error::new_spanned(&function.sig, "a step's first argument is the World"))?;
    let implementation = format_ident!("{}_implementation", name);
    let read_arguments = format_ident!("{}_read_arguments", name);
    outer_signature.output = syn::ReturnType::Default;
    let mut inner = function.clone();
    inner.sig.ident = implementation.clone();
    inner.attrs.retain(|attribute| !attribute.path().is_ident("doc"));
    inner.vis = syn::Visibility::Inherited;
    let awaiting = function.sig.asyncness.map(|_| quote! { .await });
    let call = quote! { #implementation(#(#argument_names),*) #awaiting };
    // A step that cannot fail (it only changes who the scenario is) returns nothing.
    let result = match &function.sig.output {
        syn::ReturnType::Default => quote! { { #call; crate::failure::StepResult::Ok(()) } },
        syn::ReturnType::Type(..) => quote! { #call },
    };
    let body = match may_wait {
        false => quote! {
            #(#readings)*
            if let ::std::result::Result::Err(failure) = #result {
                failure.raise()
            }
        },
        true => {
            // cucumber hands the step line to an argument named `step`; the check reads its wait
            // there, whether the phrase itself takes the line or not.
            if !argument_names.iter().any(|argument| argument == "step") {
                outer_signature
                    .inputs
                    .push(syn::parse_quote!(step: &::cucumber::gherkin::Step));
            }
            outer_signature.asyncness = Some(syn::parse_quote!(async));
            quote! {
                let mut waiting = match crate::waiting::wait_of(&step.value) {
                    ::std::result::Result::Ok(asked) => {
                        asked.map(|asked| crate::waiting::Waiting::start(#world, asked))
                    }
                    ::std::result::Result::Err(failure) => failure.raise(),
                };
                loop {
                    let outcome: crate::failure::StepResult = {
                        #(#readings)*
                        #result
                    };
                    let outcome = match waiting.as_mut() {
                        ::std::option::Option::None => outcome,
                        ::std::option::Option::Some(waiting) => match waiting.after(#world, outcome).await {
                            ::std::option::Option::Some(outcome) => outcome,
                            ::std::option::Option::None => continue,
                        },
                    };
                    if let ::std::result::Result::Err(failure) = outcome {
                        failure.raise()
                    }
                    break;
                }
            }
        }
    };
    let attributes = &function.attrs;
    let visibility = &function.vis;
    Ok(quote! {
        #text_constant

        #(#attributes)*
        #[::cucumber::given(expr = #expression)]
        #visibility #outer_signature {
            #inner
            #body
        }

        /// Reads the phrase's arguments as the step would, for `check`.
        fn #read_arguments(#arguments_parameter: &[&str]) -> ::std::result::Result<(), crate::failure::StepFailure> {
            #(#checks)*
            ::std::result::Result::Ok(())
        }

        ::cucumber::codegen::inventory::submit! {
            crate::catalogue::Documented {
                phrase: #expression,
                example: #example,
                meaning: #meaning,
                names_role: #names_role,
                needs_every_role: #needs_every_role,
                runs_on_host: #runs_on_host,
                checks_status: #checks_status,
                may_wait: #may_wait,
                read_arguments: #read_arguments,
                domain: PHRASE_DOMAIN,
            }
        }
    })
}

/// The function's doc comment as one paragraph.
fn doc_text(function: &ItemFn) -> String {
    let lines: Vec<String> = function
        .attrs
        .iter()
        .filter(|attribute| attribute.path().is_ident("doc"))
        .filter_map(|attribute| match &attribute.meta {
            Meta::NameValue(pair) => match &pair.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(text), ..
                }) => Some(text.value().trim().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    lines.join(" ").trim().to_owned()
}
