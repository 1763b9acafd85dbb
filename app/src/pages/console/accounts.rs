use super::pickers::AccountPicker;
use super::with_query;
use crate::api::accounts::{
    get_account_detail, list_accounts, owner_choices, CreateAccount, DeleteAccount, UpdateAccount,
};
use crate::api::contacts::InviteContact;
use crate::types::Choice;
use crate::types::{
    Account, AccountDetail, AccountFilter, AccountFormFields, AccountId, AccountSort,
    AccountSubtype, AccountType, Contact, Me, PortalAccess, RecordStatus, Role, SortDir,
};
use crate::ui::{
    confirm_submit, field_error, ErrorNotice, FormError, Pagination, SelectField, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

fn type_options(with_any: bool) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = if with_any {
        vec![(String::new(), "Any type".into())]
    } else {
        vec![]
    };
    v.extend(
        AccountType::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), t.label().to_string())),
    );
    v
}

fn subtype_options() -> Vec<(String, String)> {
    let mut v = vec![(String::new(), "(not set)".to_string())];
    v.extend(
        AccountSubtype::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), t.label().to_string())),
    );
    v
}

fn status_options(with_any: bool) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = if with_any {
        vec![(String::new(), "Any status".into())]
    } else {
        vec![]
    };
    v.extend(
        RecordStatus::ALL
            .iter()
            .map(|t| (t.as_str().to_string(), t.label().to_string())),
    );
    v
}

pub(crate) fn type_badge(t: AccountType) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", t.as_str())>{t.label()}</span> }
}

pub(crate) fn status_badge(s: RecordStatus) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", s.as_str())>{s.label()}</span> }
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| AccountFilter {
            q: q.get("q"),
            account_type: q.get("type").and_then(|t| AccountType::parse(&t)),
            status: q.get("status").and_then(|s| RecordStatus::parse(&s)),
            owner_id: q.get("owner").and_then(|o| o.parse().ok()),
            sort: q.get("sort").and_then(|s| AccountSort::parse(&s)),
            dir: q.get("dir").map(|d| {
                if d == "desc" {
                    SortDir::Desc
                } else {
                    SortDir::Asc
                }
            }),
            page: q.get("page").and_then(|p| p.parse().ok()),
            ..Default::default()
        })
    };
    let owners = Resource::new(|| (), |_| owner_choices());
    let accounts = Resource::new(filter, list_accounts);
    view! {
        <Title text="Accounts"/>
        <div class="page-header">
            <h1>"Accounts"</h1>
            <div class="actions"><a class="button" href="/console/accounts/new" id="new-account">"New account"</a></div>
        </div>
        <Form method="GET" action="/console/accounts">
            <div class="filters" role="search">
                <label class="visually-hidden" for="account-search">"Search accounts"</label>
                <input type="search" id="account-search" name="q" placeholder="Search name, city or accounting id"
                    value=move || query.with(|q| q.get("q").unwrap_or_default())/>
                <label class="visually-hidden" for="account-type-filter">"Type"</label>
                <select id="account-type-filter" name="type">
                    {type_options(true).into_iter().map(|(v, l)| {
                        let sel = query.with_untracked(|q| q.get("type").unwrap_or_default()) == v;
                        view! { <option value=v selected=sel>{l}</option> }
                    }).collect_view()}
                </select>
                <label class="visually-hidden" for="account-status-filter">"Status"</label>
                <select id="account-status-filter" name="status">
                    {status_options(true).into_iter().map(|(v, l)| {
                        let sel = query.with_untracked(|q| q.get("status").unwrap_or_default()) == v;
                        view! { <option value=v selected=sel>{l}</option> }
                    }).collect_view()}
                </select>
                <label class="visually-hidden" for="account-owner-filter">"Owner"</label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let current = query.with_untracked(|q| q.get("owner").unwrap_or_default());
                        let list = owners.await.unwrap_or_default();
                        view! {
                            <select id="account-owner-filter" name="owner">
                                <option value="">"Any owner"</option>
                                {list.into_iter().map(|c| {
                                    let sel = c.id == current;
                                    view! { <option value=c.id selected=sel>{c.label}</option> }
                                }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
                <button class="button" type="submit" id="account-search-submit">"Search"</button>
            </div>
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter();
                match accounts.await {
                    Ok(page) if page.items.is_empty() => view! {
                        <p class="empty">"No accounts match. Try another search or create one."</p>
                    }.into_any(),
                    Ok(page) => {
                        let base_pairs = |sort: Option<AccountSort>, dir: Option<SortDir>| {
                            vec![
                                ("q", f.q.clone()),
                                ("type", f.account_type.map(|t| t.as_str().to_string())),
                                ("status", f.status.map(|s| s.as_str().to_string())),
                                ("owner", f.owner_id.map(|o| o.to_string())),
                                ("sort", sort.map(|s| s.as_str().to_string())),
                                ("dir", dir.map(|d| if d == SortDir::Desc { "desc".to_string() } else { "asc".to_string() })),
                            ]
                        };
                        let current_sort = f.sort.unwrap_or(AccountSort::Name);
                        let current_dir = f.dir.unwrap_or_default();
                        let header = |col: AccountSort| {
                            let active = col == current_sort;
                            let next_dir = if active && current_dir == SortDir::Asc { SortDir::Desc } else { SortDir::Asc };
                            let href = with_query("/console/accounts", &base_pairs(Some(col), Some(next_dir)));
                            let aria = active.then(|| if current_dir == SortDir::Asc { "ascending" } else { "descending" });
                            view! { <th scope="col" aria-sort=aria><a class="sort" href=href>{col.label()}</a></th> }
                        };
                        let base = with_query("/console/accounts", &base_pairs(f.sort, f.dir));
                        let pages = page.page_count();
                        view! {
                            <div class="table-wrap">
                                <table class="data" id="accounts-table">
                                    <thead><tr>
                                        {header(AccountSort::Name)}
                                        {header(AccountSort::Type)}
                                        <th scope="col">"Status"</th>
                                        {header(AccountSort::City)}
                                        <th scope="col">"Parent"</th>
                                        <th scope="col">"Owner"</th>
                                        {header(AccountSort::Updated)}
                                    </tr></thead>
                                    <tbody>
                                        {page.items.into_iter().map(account_row).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pagination base page=page.page pages total=page.total/>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn account_row(a: Account) -> impl IntoView {
    view! {
        <tr>
            <td><a href=format!("/console/accounts/{}", a.id)>{a.name}</a></td>
            <td>{type_badge(a.account_type)}</td>
            <td>{status_badge(a.status)}</td>
            <td>{a.city.unwrap_or_default()}</td>
            <td>{a.parent_id.map(|p| view! { <a href=format!("/console/accounts/{p}")>{a.parent_name.unwrap_or_default()}</a> })}</td>
            <td>{a.owner_name.unwrap_or_default()}</td>
            <td>{a.updated_at.format("%Y-%m-%d").to_string()}</td>
        </tr>
    }
}

fn route_account_id() -> impl Fn() -> Option<AccountId> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.with(|p| p.get("id").and_then(|id| id.parse().ok()))
}

/// The account page's sections that load with it: follow-up tasks and feedback.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AccountExtras {
    tasks: Result<Vec<crate::types::FollowUpTask>, crate::error::AppError>,
    feedback: Result<crate::types::FeedbackReport, crate::error::AppError>,
    health: Result<crate::types::AccountHealth, crate::error::AppError>,
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let id = route_account_id();
    // The chats load with the rest of the 360° view: a resource created inside this
    // Suspend would be a nested one, which server rendering can wait on forever.
    let start = ServerAction::<crate::api::onboarding::StartOnboarding>::new();
    let tasks = crate::pages::tasks::TaskActions::new();
    let detail = Resource::new(
        move || (id(), start.version().get(), tasks.version()),
        |(id, _, _)| async move {
            match id {
                Some(id) => {
                    let detail = get_account_detail(id).await?;
                    let chats = crate::api::chat::account_chats(id).await;
                    let onboarding = crate::api::onboarding::load_account_onboarding(id).await;
                    let extra = AccountExtras {
                        tasks: crate::api::tasks::account_tasks(id).await,
                        feedback: crate::api::surveys::load_feedback_report(
                            crate::types::FeedbackFilter {
                                account_id: Some(id),
                                ..Default::default()
                            },
                            crate::types::FeedbackGrouping::Month,
                            0,
                        )
                        .await,
                        health: crate::api::health::load_account_health(id).await,
                    };
                    Ok((detail, chats, onboarding, extra))
                }
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok((d, chats, onboarding, extra)) => view! { <AccountView detail=d chats onboarding start extra tasks/> }.into_any(),
                    Err(e) => {
                        #[cfg(feature = "ssr")]
                        if e == crate::error::AppError::NotFound {
                            if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
                                r.set_status(http::StatusCode::NOT_FOUND);
                            }
                        }
                        view! { <Title text="Not found"/><ErrorNotice error=e/> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn AccountView(
    detail: AccountDetail,
    chats: Result<Vec<crate::types::ConversationSummary>, crate::error::AppError>,
    onboarding: Result<crate::types::AccountOnboarding, crate::error::AppError>,
    start: ServerAction<crate::api::onboarding::StartOnboarding>,
    extra: AccountExtras,
    tasks: crate::pages::tasks::TaskActions,
) -> impl IntoView {
    let AccountExtras {
        tasks: task_list,
        feedback,
        health,
    } = extra;
    let AccountDetail {
        account: a,
        locations,
        contacts,
        tickets,
        can_edit,
        can_delete,
        can_invite,
        ..
    } = detail;
    let delete = ServerAction::<DeleteAccount>::new();
    let delete_value = delete.value();
    let id = a.id;
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    view! {
        <Title text=a.name.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href="/console/accounts">"Accounts"</a>
            {a.parent_id.map(|p| view! { " / " <a href=format!("/console/accounts/{p}")>{a.parent_name.clone().unwrap_or_default()}</a> })}
        </nav>
        <div class="page-header">
            <h1 id="account-name">{a.name.clone()}</h1>
            <div class="actions">
                {type_badge(a.account_type)} {status_badge(a.status)}
                {can_edit.then(|| view! { <a class="button" href=format!("/console/accounts/{id}/edit")>"Edit"</a> })}
                {can_delete.then(|| view! {
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button class="button danger" type="submit"
                            on:click=confirm_submit("Delete this account? This cannot be undone.")>"Delete"</button>
                    </ActionForm>
                })}
            </div>
        </div>
        <FormError value=delete_value/>
        <section class="section card" aria-labelledby="details-h">
            <h2 id="details-h">"Details"</h2>
            <dl class="details">
                <dt>"Subtype"</dt><dd>{a.subtype.map(|s| s.label().to_string()).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Number of locations"</dt><dd>{a.location_count.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Accounting id"</dt><dd>{dash(a.accounting_id)}</dd>
                <dt>"Owner"</dt><dd>{dash(a.owner_name)}</dd>
                <dt>"Industry"</dt><dd>{dash(a.industry)}</dd>
                <dt>"Website"</dt><dd>{match a.website {
                    Some(w) => {
                        let href = w.clone();
                        view! { <a href=href rel="noopener noreferrer" target="_blank">{w}</a> }.into_any()
                    }
                    None => "—".into_any(),
                }}</dd>
                <dt>"Phone"</dt><dd>{dash(a.phone)}</dd>
                <dt>"City"</dt><dd>{dash(a.city)}</dd>
                <dt>"Country"</dt><dd>{dash(a.country)}</dd>
                <dt>"Created"</dt><dd>{a.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</dd>
            </dl>
        </section>
        <section class="section card" aria-labelledby="locations-h">
            <div class="page-header">
                <h2 id="locations-h">{format!("Locations ({})", locations.len())}</h2>
                {can_edit.then(|| view! { <a class="button secondary" href=format!("/console/accounts/new?parent={id}")>"Add location"</a> })}
            </div>
            {if locations.is_empty() {
                view! { <p class="muted">"No locations."</p> }.into_any()
            } else {
                view! {
                    <ul class="stack">
                        {locations.into_iter().map(|l| view! {
                            <li><a href=format!("/console/accounts/{}", l.id)>{l.name}</a>
                                " " <span class="muted">{l.city.unwrap_or_default()}</span></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="section card" aria-labelledby="contacts-h">
            <div class="page-header">
                <h2 id="contacts-h">{format!("Contacts ({})", contacts.len())}</h2>
                <a class="button secondary" href=format!("/console/contacts/new?account={id}") id="add-contact">"Add contact"</a>
            </div>
            <ContactTable contacts can_invite/>
        </section>
        <section class="section card" aria-labelledby="tickets-h">
            <div class="page-header">
                <h2 id="tickets-h">"Tickets"</h2>
                <a class="button secondary" href=format!("/console/tickets?view=all&account={id}")>"All tickets"</a>
            </div>
            {if tickets.is_empty() {
                view! { <p class="muted">"No tickets."</p> }.into_any()
            } else {
                view! {
                    <ul class="stack" id="account-tickets">
                        {tickets.into_iter().map(|t| view! {
                            <li><a href=format!("/console/tickets/{}", t.id)>{format!("#{} {}", t.number, t.subject)}</a>
                                " " <span class=format!("badge ticket-{}", t.status.as_str())>{t.status.label()}</span>
                                " " <span class="muted">{t.updated_at.format("%Y-%m-%d").to_string()}</span></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <div class="section card">
            <crate::pages::chat::AccountChats list=chats/>
        </div>
        {match onboarding {
            Ok(d) => view! { <crate::pages::onboarding::AccountOnboardingView d account=id start/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        }}
        {match health {
            Ok(h) => view! { <crate::pages::health::AccountHealthView h/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        }}
        {match feedback {
            Ok(r) => view! { <crate::pages::surveys::AccountFeedback r account=id/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        }}
        {match task_list {
            Ok(list) => view! { <crate::pages::tasks::AccountTasks account_id=id list actions=tasks/> }.into_any(),
            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
        }}
        <div class="card-grid">
            {["Orders"].into_iter().map(|s| view! {
                <section class="section placeholder" aria-label=s>
                    <h2>{s}</h2>
                    <p class="muted">"Arrives with its module."</p>
                </section>
            }).collect_view()}
        </div>
    }
}

#[component]
fn ContactTable(contacts: Vec<Contact>, can_invite: bool) -> impl IntoView {
    if contacts.is_empty() {
        return view! { <p class="muted">"No contacts yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Title"</th><th scope="col">"Email"</th>
                    <th scope="col">"Phone"</th><th scope="col">"Portal"</th>
                </tr></thead>
                <tbody>
                    {contacts.into_iter().map(|c| view! { <ContactRow c can_invite/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ContactRow(c: Contact, can_invite: bool) -> impl IntoView {
    let invite = ServerAction::<InviteContact>::new();
    let value = invite.value();
    let id = c.id;
    let access = c.portal_access;
    let has_email = !c.emails.is_empty();
    view! {
        <tr>
            <td><a href=format!("/console/contacts/{id}/edit")>{c.full_name()}</a></td>
            <td>{c.title.clone().unwrap_or_default()}</td>
            <td>{c.emails.first().cloned().unwrap_or_default()}</td>
            <td>{c.phones.first().cloned().unwrap_or_default()}</td>
            <td>
                {match access {
                    PortalAccess::Active => "Active".into_any(),
                    PortalAccess::Disabled => "Disabled".into_any(),
                    _ if can_invite && has_email => view! {
                        <ActionForm action=invite>
                            <input type="hidden" name="id" value=id.to_string()/>
                            <button class="button link" type="submit">
                                {if access == PortalAccess::Invited { "Re-send invitation" } else { "Invite to portal" }}
                            </button>
                        </ActionForm>
                        {move || match value.get() {
                            Some(Ok(())) => Some(view! { <span role="status">"Invitation sent"</span> }.into_any()),
                            Some(Err(e)) => Some(view! { <span class="field-error" role="alert">{e.to_string()}</span> }.into_any()),
                            None => None,
                        }}
                    }.into_any(),
                    PortalAccess::Invited => "Invited".into_any(),
                    PortalAccess::None => "—".into_any(),
                }}
            </td>
        </tr>
    }
}

#[component]
pub fn AccountNewPage() -> impl IntoView {
    let query = use_query_map();
    let parent: Option<AccountId> =
        query.with_untracked(|q| q.get("parent").and_then(|p| p.parse().ok()));
    let me = use_context::<Me>();
    let is_admin = me.as_ref().and_then(|m| m.role()) == Some(Role::Admin);
    let me_id = me.map(|m| m.user_id.to_string()).unwrap_or_default();
    // A new location: show the parent's name, and carry over its type and owner.
    let parent_detail = Resource::new(
        move || parent,
        |p| async move {
            match p {
                Some(id) => get_account_detail(id).await.ok(),
                None => None,
            }
        },
    );
    let owners = Resource::new(|| (), |_| owner_choices());
    view! {
        <Title text="New account"/>
        <div class="page-header"><h1>{if parent.is_some() { "New location" } else { "New account" }}</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let me_id = me_id.clone();
                Suspend::new(async move {
                let parent = parent_detail.await;
                let owners = owners.await.unwrap_or_default();
                let mut fields = AccountFormFields {
                    owner_id: me_id.clone(),
                    ..Default::default()
                };
                let selected_parent = parent.as_ref().map(|d| {
                    fields.parent_id = d.account.id.to_string();
                    fields.account_type = d.account.account_type.as_str().to_string();
                    fields.owner_id = d.account.owner_id.map(|o| o.to_string()).unwrap_or_default();
                    (d.account.id.to_string(), d.account.name.clone())
                });
                view! { <AccountForm fields selected_parent edit=None can_edit_accounting_id=is_admin owners/> }
            })}}
        </Suspense>
    }
}

#[component]
pub fn AccountEditPage() -> impl IntoView {
    let id = route_account_id();
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_account_detail(id).await,
            None => Err(crate::error::AppError::NotFound),
        }
    });
    let owners = Resource::new(|| (), |_| owner_choices());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let owners = owners.await.unwrap_or_default();
                match detail.await {
                    Ok(d) => {
                        let fields = AccountFormFields::from_account(&d.account);
                        let selected_parent = d.account.parent_id.map(|p| (p.to_string(), d.account.parent_name.clone().unwrap_or_default()));
                        view! {
                            <Title text=format!("Edit {}", d.account.name)/>
                            <div class="page-header"><h1>{format!("Edit {}", d.account.name)}</h1></div>
                            <AccountForm fields selected_parent edit=Some(d.account.id) can_edit_accounting_id=d.can_edit_accounting_id owners/>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Create and edit share one form; `edit` carries the id when editing.
#[component]
fn AccountForm(
    fields: AccountFormFields,
    selected_parent: Option<(String, String)>,
    edit: Option<AccountId>,
    can_edit_accounting_id: bool,
    owners: Vec<Choice>,
) -> impl IntoView {
    let f = fields;
    let body = move |value_err: Box<
        dyn Fn(&'static str) -> Signal<Option<String>> + Send + Sync,
    >| {
        let owner_selected = f.owner_id.clone();
        view! {
            <div class="form">
                <TextField label="Name" name="form[name]" value=f.name.clone() required=true error=value_err("name")/>
                <div class="field-row">
                    <SelectField label="Type" name="form[account_type]" options=type_options(false)
                        selected=if f.account_type.is_empty() { "prospect".to_string() } else { f.account_type.clone() }
                        error=value_err("account_type")/>
                    <SelectField label="Status" name="form[status]" options=status_options(false)
                        selected=if f.status.is_empty() { "active".to_string() } else { f.status.clone() }
                        error=value_err("status")/>
                </div>
                <div class="field-row">
                    <SelectField label="Subtype" name="form[subtype]" options=subtype_options()
                        selected=f.subtype.clone() error=value_err("subtype")/>
                    <TextField label="Number of locations" name="form[location_count]" kind="number"
                        value=f.location_count.clone() maxlength=7 error=value_err("location_count")/>
                </div>
                <AccountPicker label="Parent account (for a location)" name="form[parent_id]"
                    selected=selected_parent.clone() allow_none=true error=value_err("parent_id")/>
                {
                    let mut options = vec![(String::new(), "(no owner)".to_string())];
                    options.extend(owners.iter().map(|c| (c.id.clone(), c.label.clone())));
                    view! { <SelectField label="Owner" name="form[owner_id]" options selected=owner_selected error=value_err("owner_id")/> }
                }
                <TextField label="Accounting id" name="form[accounting_id]" value=f.accounting_id.clone()
                    readonly=!can_edit_accounting_id maxlength=50
                    hint=if can_edit_accounting_id { "The id in the ERP; unique." } else { "Only admins can change the accounting id." }
                    error=value_err("accounting_id")/>
                <div class="field-row">
                    <TextField label="Industry" name="form[industry]" value=f.industry.clone() maxlength=100 error=value_err("industry")/>
                    <TextField label="Website" name="form[website]" kind="url" value=f.website.clone() error=value_err("website")/>
                </div>
                <div class="field-row">
                    <TextField label="Phone" name="form[phone]" kind="tel" value=f.phone.clone() maxlength=50 error=value_err("phone")/>
                    <TextField label="City" name="form[city]" value=f.city.clone() maxlength=100 error=value_err("city")/>
                </div>
                <TextField label="Country" name="form[country]" value=f.country.clone() maxlength=100 error=value_err("country")/>
                <div class="form-actions">
                    <button class="button" type="submit" id="save-account">"Save account"</button>
                    <a href="/console/accounts">"Cancel"</a>
                </div>
            </div>
        }
    };
    match edit {
        None => {
            let action = ServerAction::<CreateAccount>::new();
            let value = action.value();
            view! {
                <ActionForm action>
                    <FormError value/>
                    {body(Box::new(move |f| field_error(value, f)))}
                </ActionForm>
            }
            .into_any()
        }
        Some(id) => {
            let action = ServerAction::<UpdateAccount>::new();
            let value = action.value();
            view! {
                <ActionForm action>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <FormError value/>
                    {body(Box::new(move |f| field_error(value, f)))}
                </ActionForm>
            }
            .into_any()
        }
    }
}
