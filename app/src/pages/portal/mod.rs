//! Client portal pages.

use crate::api::portal::{
    list_colleagues, load_portal_overview, my_company, my_profile, InviteColleague,
    RevokeColleague, SetColleagueAdmin, UpdateMyProfile,
};
use crate::types::{Colleague, Company, PortalOverview};
use crate::ui::{field_error, ErrorNotice, FormError, TextArea, TextField};
use leptos::prelude::*;
use leptos_meta::Title;

pub use crate::ui::PortalShell;

#[component]
pub fn PortalHomePage() -> impl IntoView {
    let company = Resource::new(|| (), |_| my_company());
    let overview = Resource::new(|| (), |_| load_portal_overview());
    view! {
        <Title text="My company"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (company.await, overview.await) {
                    (Ok(c), Ok(o)) => view! { <CompanyView c o/> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CompanyView(c: Company, o: PortalOverview) -> impl IntoView {
    let Company {
        account: a,
        locations,
        me,
    } = c;
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let (open_tickets, pending_surveys) = (o.open_tickets, o.pending_surveys);
    let answered =
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get("answered").is_some());
    view! {
        <div class="page-header">
            <h1 id="company-name">{a.name.clone()}</h1>
        </div>
        <p>{format!("Welcome, {}.", me.first_name)}</p>
        {answered.then(|| view! { <p class="form-success" role="status" id="answered">"Glad the article answered your question. No ticket was raised."</p> })}
        <OverviewView o=o.clone()/>
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
                <p id="home-open-tickets">{match open_tickets { 0 => "No open tickets.".to_string(), 1 => "1 open ticket.".to_string(), n => format!("{n} open tickets.") }}</p>
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
            <section class="card section" aria-labelledby="home-surveys-h">
                <h2 id="home-surveys-h">"Surveys"</h2>
                <p class="muted" id="home-surveys">{match pending_surveys { 0 => "No surveys waiting for you.".to_string(), n => format!("{n} waiting for your answer.") }}</p>
                {(pending_surveys > 0).then(|| view! { <a class="button" href="/portal/surveys">"Answer now"</a> })}
            </section>
        </div>
    }
}

/// The onboarding, the training call, shared documents and the team link.
#[component]
fn OverviewView(o: PortalOverview) -> impl IntoView {
    view! {
        <section class="card section" aria-labelledby="home-onboarding-h" id="home-onboarding">
            <h2 id="home-onboarding-h">"Onboarding"</h2>
            {match o.onboarding {
                Some(ob) => {
                    let pct = ob.progress();
                    view! {
                        <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct.to_string() aria-label="Onboarding progress">
                            <span class="progress-fill" style=format!("width: {pct}%")></span>
                        </div>
                        <p id="home-progress">{format!("{pct}% done · {} of {} steps", ob.steps_done, ob.step_count)}</p>
                        {if o.next_steps.is_empty() {
                            view! { <p class="muted">"Nothing waiting for you: our team is on the next steps."</p> }.into_any()
                        } else {
                            view! {
                                <h3>"Your next steps"</h3>
                                <ul class="stack" id="home-next-steps">{o.next_steps.into_iter().map(|s| view! {
                                    <li>{s.title}<span class="muted">{format!(" · due {}", s.due_on.format("%Y-%m-%d"))}</span>
                                        {s.overdue.then(|| view! { " " <span class="badge danger">"Overdue"</span> })}</li>
                                }).collect_view()}</ul>
                            }.into_any()
                        }}
                        <p><a class="button" href="/portal/onboarding" id="open-onboarding">"Open your onboarding"</a></p>
                    }.into_any()
                }
                None => view! { <p class="muted">"No onboarding running."</p> }.into_any(),
            }}
            {o.training.map(|b| view! { <p id="home-training">{format!("Training call: {} with {}", b.slot.when, b.slot.host_name)}" "<a href="/portal/training">"Change"</a></p> })}
        </section>
        <section class="card section" aria-labelledby="home-docs-h" id="home-documents">
            <h2 id="home-docs-h">"Documents"</h2>
            {if o.documents.is_empty() {
                view! { <p class="muted">"No documents shared with you yet."</p> }.into_any()
            } else {
                view! { <ul class="stack">{o.documents.into_iter().map(|d| view! {
                    <li><a href=format!("/files/documents/{}", d.id)>{d.title}</a><span class="muted">{format!(" · {}", d.created_at.format("%Y-%m-%d"))}</span></li>
                }).collect_view()}</ul> }.into_any()
            }}
        </section>
        {o.is_client_admin.then(|| view! {
            <p><a href="/portal/team" id="manage-team">"Invite colleagues to the portal"</a></p>
        })}
    }
}

/// A client admin's colleagues: invite, revoke, and share the admin rights (FR012).
#[component]
pub fn PortalTeamPage() -> impl IntoView {
    let invite = ServerAction::<InviteColleague>::new();
    let revoke = ServerAction::<RevokeColleague>::new();
    let admin = ServerAction::<SetColleagueAdmin>::new();
    let value = invite.value();
    let team = Resource::new(
        move || {
            (
                invite.version().get(),
                revoke.version().get(),
                admin.version().get(),
            )
        },
        |_| list_colleagues(),
    );
    view! {
        <Title text="Team"/>
        <div class="page-header"><h1>"Your team on the portal"</h1></div>
        <section class="card section" aria-labelledby="invite-colleague-h">
            <h2 id="invite-colleague-h">"Invite a colleague"</h2>
            <ActionForm action=invite>
                <div class="form">
                    <FormError value/>
                    {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <p class="form-success" role="status" id="colleague-invited">"Invitation sent."</p> })}
                    <div class="field-row">
                        <TextField label="First name" name="form[first_name]" required=true maxlength=100 error=field_error(value, "first_name")/>
                        <TextField label="Last name" name="form[last_name]" required=true maxlength=100 error=field_error(value, "last_name")/>
                    </div>
                    <TextField label="Work email" name="form[email]" kind="email" required=true maxlength=254 error=field_error(value, "email")/>
                    <div class="form-actions"><button class="button" type="submit" id="invite-colleague">"Send invitation"</button></div>
                </div>
            </ActionForm>
        </section>
        <FormError value=revoke.value()/>
        <FormError value=admin.value()/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(list) => view! { <ul class="stack" id="colleagues">{list.into_iter().map(|c| view! { <ColleagueRow c revoke admin/> }).collect_view()}</ul> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ColleagueRow(
    c: Colleague,
    revoke: ServerAction<RevokeColleague>,
    admin: ServerAction<SetColleagueAdmin>,
) -> impl IntoView {
    let state = match (c.is_active, c.has_password) {
        (false, _) => "access revoked",
        (true, false) => "invited",
        (true, true) => "active",
    };
    view! {
        <li class="row">
            <span>{c.name.clone()}<span class="muted">{format!(" · {} · {state}{}", c.email, if c.is_client_admin { " · admin" } else { "" })}</span></span>
            {(c.is_active && !c.is_me).then(|| view! {
                <ActionForm action=admin>
                    <input type="hidden" name="user" value=c.user_id.to_string()/>
                    <input type="hidden" name="admin" value=(!c.is_client_admin).to_string()/>
                    <button class="button secondary" type="submit" id=format!("admin-{}", c.user_id)>
                        {if c.is_client_admin { "Remove admin rights" } else { "Make admin" }}
                    </button>
                </ActionForm>
            })}
            {(c.is_active && !c.is_me).then(|| view! {
                <ActionForm action=revoke>
                    <input type="hidden" name="user" value=c.user_id.to_string()/>
                    <button class="button secondary" type="submit" on:click=crate::ui::confirm_submit("Revoke this colleague's access?")>"Revoke access"</button>
                </ActionForm>
            })}
        </li>
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
