use crate::api::accounts::account_choices;
use leptos::prelude::*;

/// Choose an account by typing part of its name: a search box that refreshes the options
/// of a plain `<select>` (so the form still posts an id without JavaScript).
#[component]
pub fn AccountPicker(
    label: &'static str,
    name: &'static str,
    selected: Option<(String, String)>,
    #[prop(optional)] allow_none: bool,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let id = name
        .replace(['[', ']'], "-")
        .trim_end_matches('-')
        .to_string();
    let search_id = format!("{id}-search");
    let err_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let (q, set_q) = signal(String::new());
    // Loaded in the browser only: the server renders the current choice, the search fills the rest.
    let choices = LocalResource::new(move || account_choices(q.get()));
    // Read only once mounted in the browser: on the server the local resource never
    // resolves, and reading it there would hold the page's Suspense open.
    let mounted = RwSignal::new(false);
    Effect::new(move || mounted.set(true));
    let current = selected.clone();
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input type="search" id=search_id.clone() placeholder="Type to search accounts"
                aria-label=format!("Search for {}", label.to_lowercase())
                on:input=move |ev| set_q.set(event_target_value(&ev))/>
            <select id=id name=name aria-describedby=err_id.clone()>
                {(allow_none || selected.is_none()).then(|| view! {
                    <option value="">{if allow_none { "(none)" } else { "Choose an account…" }}</option>
                })}
                {current.clone().map(|(v, l)| view! { <option value=v selected=true>{l}</option> })}
                {move || {
                    let current = current.clone();
                    mounted
                        .get()
                        .then(|| choices.get())
                        .flatten()
                        .and_then(|r| r.ok())
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|c| current.as_ref().is_none_or(|(v, _)| *v != c.id))
                        .map(|c| view! { <option value=c.id>{c.label}</option> })
                        .collect_view()
                }}
            </select>
            <p class="field-error" id=err_id aria-live="polite">{move || error.get()}</p>
        </div>
    }
}
