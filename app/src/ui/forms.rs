use crate::error::AppError;
use leptos::prelude::*;

/// The last result of a server action, as `ServerAction::value()` returns it.
pub trait ActionValue<T>:
    With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static
{
}
impl<T, S> ActionValue<T> for S where
    S: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static
{
}

/// The message for `field` from the last result of a server action, if any.
pub fn field_error<T: 'static>(
    value: impl ActionValue<T>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        value.with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err())
                .and_then(|e| e.field(field))
        })
    })
}

fn dom_id(name: &str) -> String {
    name.replace(['[', ']'], "-")
        .trim_end_matches('-')
        .to_string()
}

/// A labelled input with its error below it, wired for screen readers.
#[component]
pub fn TextField(
    label: &'static str,
    /// The form field name, e.g. `form[name]`.
    name: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
    #[prop(optional)] required: bool,
    #[prop(optional)] readonly: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(default = 200)] maxlength: usize,
) -> impl IntoView {
    let id = dom_id(name);
    let err_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}{required.then_some(" *")}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                required=required
                readonly=readonly
                maxlength=maxlength
                autocomplete=autocomplete
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=err_id.clone()
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=err_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A labelled multi-line input.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = dom_id(name);
    let err_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <textarea id=id name=name rows="3" aria-describedby=err_id.clone()
                aria-invalid=move || error.get().is_some().to_string()>{value}</textarea>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=err_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A labelled select over `(value, label)` options.
#[component]
pub fn SelectField(
    label: &'static str,
    name: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: String,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
    #[prop(optional)] disabled: bool,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = dom_id(name);
    let err_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select id=id name=name disabled=disabled aria-describedby=err_id.clone()>
                {options
                    .into_iter()
                    .map(|(v, l)| {
                        let is = v == selected;
                        view! { <option value=v selected=is>{l}</option> }
                    })
                    .collect_view()}
            </select>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=err_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}

/// A labelled checkbox; the form carries `name` only when it is ticked.
#[component]
pub fn CheckboxField(
    label: &'static str,
    name: &'static str,
    #[prop(optional)] checked: bool,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = dom_id(name);
    view! {
        <div class="field checkbox">
            <input id=id.clone() type="checkbox" name=name value="on" checked=checked/>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
        </div>
    }
}

/// The banner for an error that belongs to no single field.
#[component]
pub fn FormError<T: 'static, S: ActionValue<T>>(
    value: S,
    #[prop(optional)] _t: std::marker::PhantomData<T>,
) -> impl IntoView {
    move || {
        value.with(|v| match v {
            Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{e.to_string()}</p> }),
            _ => None,
        })
    }
}

/// A failed load, shown in place of the content.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let heading = match error {
        AppError::NotFound => "Not found",
        AppError::Forbidden => "No access",
        AppError::Unauthorized => "Please sign in",
        _ => "Something went wrong",
    };
    view! {
        <div class="card" role="alert">
            <h2>{heading}</h2>
            <p>{error.to_string()}</p>
        </div>
    }
}

/// Page links that keep the other query parameters.
#[component]
pub fn Pagination(base: String, page: u32, pages: u32, total: i64) -> impl IntoView {
    let link = move |p: u32| {
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}page={p}")
    };
    view! {
        <nav class="pagination" aria-label="Pagination">
            {(page > 1).then(|| view! { <a rel="prev" href=link(page - 1)>"← Previous"</a> })}
            <span>{format!("Page {page} of {pages} · {total} results")}</span>
            {(page < pages).then(|| view! { <a rel="next" href=link(page + 1)>"Next →"</a> })}
        </nav>
    }
}

/// Asks before a destructive submit; cancelling stops the form. Without JavaScript the
/// form submits directly (the server still checks permissions).
pub fn confirm_submit(message: &'static str) -> impl Fn(leptos::ev::MouseEvent) + Clone + 'static {
    move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            let confirmed = web_sys::window()
                .and_then(|w| w.confirm_with_message(message).ok())
                .unwrap_or(true);
            if !confirmed {
                ev.prevent_default();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&ev, message);
    }
}
