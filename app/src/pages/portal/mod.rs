//! Client portal pages.

use crate::api::portal::{my_company, my_profile, UpdateMyProfile};
use crate::types::Company;
use crate::ui::{field_error, ErrorNotice, FormError, TextArea, TextField};
use leptos::prelude::*;
use leptos_meta::Title;

pub use crate::ui::PortalShell;

#[component]
pub fn PortalHomePage() -> impl IntoView {
    let company = Resource::new(|| (), |_| my_company());
    view! {
        <Title text="My company"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match company.await {
                    Ok(c) => view! { <CompanyView c/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CompanyView(c: Company) -> impl IntoView {
    let Company {
        account: a,
        locations,
        me,
    } = c;
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let answered =
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get("answered").is_some());
    view! {
        <div class="page-header">
            <h1 id="company-name">{a.name.clone()}</h1>
        </div>
        <p>{format!("Welcome, {}.", me.first_name)}</p>
        {answered.then(|| view! { <p class="form-success" role="status" id="answered">"Glad the article answered your question. No ticket was raised."</p> })}
        <section class="card section" aria-labelledby="company-h">
            <h2 id="company-h">"Your company"</h2>
            <dl class="details">
                <dt>"Account manager"</dt><dd>{dash(a.owner_name)}</dd>
                <dt>"Phone"</dt><dd>{dash(a.phone)}</dd>
                <dt>"City"</dt><dd>{dash(a.city)}</dd>
                <dt>"Country"</dt><dd>{dash(a.country)}</dd>
            </dl>
        </section>
        <section class="card section" aria-labelledby="locations-h">
            <h2 id="locations-h">"Locations"</h2>
            {if locations.is_empty() {
                view! { <p class="muted">"No other locations."</p> }.into_any()
            } else {
                view! { <ul class="stack">{locations.into_iter().map(|l| view! {
                    <li>{l.name}" "<span class="muted">{l.city.unwrap_or_default()}</span></li>
                }).collect_view()}</ul> }.into_any()
            }}
        </section>
        <div class="card-grid">
            <section class="card section" aria-labelledby="home-tickets-h">
                <h2 id="home-tickets-h">"Support tickets"</h2>
                <p><a href="/portal/tickets">"Your tickets"</a>" · "<a href="/portal/tickets/new">"Raise a ticket"</a></p>
            </section>
            <section class="card section" aria-labelledby="home-chat-h">
                <h2 id="home-chat-h">"Live chat"</h2>
                <p><a href="/portal/chat">"Chat with support"</a></p>
            </section>
            <section class="card section" aria-labelledby="home-kb-h">
                <h2 id="home-kb-h">"Help centre"</h2>
                <form method="get" action="/kb" role="search" class="kb-search">
                    <label for="home-kb-q" class="visually-hidden">"Search the help centre"</label>
                    <input id="home-kb-q" name="q" type="search" maxlength="200" placeholder="Search articles"/>
                    <button class="button secondary" type="submit">"Search"</button>
                </form>
            </section>
            <section class="section placeholder" aria-label="Onboarding"><h2>"Onboarding"</h2><p class="muted">"Coming soon."</p></section>
        </div>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| my_profile());
    let action = ServerAction::<UpdateMyProfile>::new();
    let value = action.value();
    view! {
        <Title text="My profile"/>
        <div class="page-header"><h1>"My profile"</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(c) => view! {
                        <ActionForm action>
                            <div class="form">
                                <FormError value/>
                                {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <p class="form-success" role="status">"Saved."</p> })}
                                <div class="field-row">
                                    <TextField label="First name" name="form[first_name]" value=c.first_name.clone() required=true maxlength=100 error=field_error(value, "first_name")/>
                                    <TextField label="Last name" name="form[last_name]" value=c.last_name.clone() required=true maxlength=100 error=field_error(value, "last_name")/>
                                </div>
                                <TextField label="Title" name="form[title]" value=c.title.clone().unwrap_or_default() maxlength=100 error=field_error(value, "title")/>
                                <TextArea label="Phone numbers" name="form[phones]" value=c.phones.join("\n") hint="One per line." error=field_error(value, "phones")/>
                                <TextField label="LinkedIn" name="form[linkedin_url]" kind="url" value=c.linkedin_url.clone().unwrap_or_default() error=field_error(value, "linkedin_url")/>
                                <p class="hint">{format!("Email: {}. Ask your account manager to change it.", c.emails.first().cloned().unwrap_or_default())}</p>
                                <div class="form-actions"><button class="button" type="submit" id="save-profile">"Save profile"</button></div>
                            </div>
                        </ActionForm>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
