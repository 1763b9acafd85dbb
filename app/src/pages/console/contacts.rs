use super::pickers::AccountPicker;
use super::with_query;
use crate::api::accounts::get_account_detail;
use crate::api::contacts::{
    get_contact, list_contacts, CreateContact, DeleteContact, UpdateContact,
};
use crate::types::AccountId;
use crate::types::{
    Contact, ContactFilter, ContactFormFields, ContactId, ContactSort, RecordStatus, SortDir,
};
use crate::ui::{
    confirm_submit, field_error, CheckboxField, ErrorNotice, FormError, Pagination, SelectField,
    TextArea, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ContactsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| ContactFilter {
            q: q.get("q"),
            status: q.get("status").and_then(|s| RecordStatus::parse(&s)),
            sort: q.get("sort").and_then(|s| ContactSort::parse(&s)),
            dir: q.get("dir").map(|d| {
                if d == "desc" {
                    SortDir::Desc
                } else {
                    SortDir::Asc
                }
            }),
            page: q.get("page").and_then(|p| p.parse().ok()),
            account_id: q.get("account").and_then(|a| a.parse().ok()),
            ..Default::default()
        })
    };
    let contacts = Resource::new(filter, list_contacts);
    view! {
        <Title text="Contacts"/>
        <div class="page-header">
            <h1>"Contacts"</h1>
            <div class="actions"><a class="button" href="/console/contacts/new">"New contact"</a></div>
        </div>
        <Form method="GET" action="/console/contacts">
            <div class="filters" role="search">
                <label class="visually-hidden" for="contact-search">"Search contacts"</label>
                <input type="search" id="contact-search" name="q" placeholder="Search name or email"
                    value=move || query.with(|q| q.get("q").unwrap_or_default())/>
                <label class="visually-hidden" for="contact-status-filter">"Status"</label>
                <select id="contact-status-filter" name="status">
                    <option value="">"Any status"</option>
                    {RecordStatus::ALL.iter().map(|s| {
                        let sel = query.with_untracked(|q| q.get("status").unwrap_or_default()) == s.as_str();
                        view! { <option value=s.as_str() selected=sel>{s.label()}</option> }
                    }).collect_view()}
                </select>
                <button class="button" type="submit" id="contact-search-submit">"Search"</button>
            </div>
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter();
                match contacts.await {
                    Ok(page) if page.items.is_empty() => view! { <p class="empty">"No contacts match."</p> }.into_any(),
                    Ok(page) => {
                        let pairs = |sort: Option<ContactSort>, dir: Option<SortDir>| vec![
                            ("q", f.q.clone()),
                            ("status", f.status.map(|s| s.as_str().to_string())),
                            ("account", f.account_id.map(|a| a.to_string())),
                            ("sort", sort.map(|s| s.as_str().to_string())),
                            ("dir", dir.map(|d| if d == SortDir::Desc { "desc".to_string() } else { "asc".to_string() })),
                        ];
                        let current = f.sort.unwrap_or(ContactSort::Name);
                        let cur_dir = f.dir.unwrap_or_default();
                        let header = |col: ContactSort| {
                            let active = col == current;
                            let next = if active && cur_dir == SortDir::Asc { SortDir::Desc } else { SortDir::Asc };
                            let aria = active.then(|| if cur_dir == SortDir::Asc { "ascending" } else { "descending" });
                            view! { <th scope="col" aria-sort=aria><a class="sort" href=with_query("/console/contacts", &pairs(Some(col), Some(next)))>{col.label()}</a></th> }
                        };
                        let base = with_query("/console/contacts", &pairs(f.sort, f.dir));
                        let pages = page.page_count();
                        view! {
                            <div class="table-wrap">
                                <table class="data" id="contacts-table">
                                    <thead><tr>
                                        {header(ContactSort::Name)}
                                        {header(ContactSort::Account)}
                                        <th scope="col">"Title"</th>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Phone"</th>
                                        <th scope="col">"Status"</th>
                                    </tr></thead>
                                    <tbody>{page.items.into_iter().map(contact_row).collect_view()}</tbody>
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

fn contact_row(c: Contact) -> impl IntoView {
    view! {
        <tr>
            <td><a href=format!("/console/contacts/{}/edit", c.id)>{c.full_name()}</a></td>
            <td><a href=format!("/console/accounts/{}", c.account_id)>{c.account_name.clone()}</a></td>
            <td>{c.title.clone().unwrap_or_default()}</td>
            <td>{c.emails.first().cloned().unwrap_or_default()}</td>
            <td>{c.phones.first().cloned().unwrap_or_default()}</td>
            <td>{super::accounts::status_badge(c.status)}</td>
        </tr>
    }
}

#[component]
pub fn ContactNewPage() -> impl IntoView {
    let query = use_query_map();
    let account: Option<AccountId> =
        query.with_untracked(|q| q.get("account").and_then(|a| a.parse().ok()));
    let account_detail = Resource::new(
        move || account,
        |a| async move {
            match a {
                Some(id) => get_account_detail(id).await.ok(),
                None => None,
            }
        },
    );
    view! {
        <Title text="New contact"/>
        <div class="page-header"><h1>"New contact"</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let selected = account_detail.await.map(|d| (d.account.id.to_string(), d.account.name.clone()));
                let fields = ContactFormFields {
                    account_id: selected.as_ref().map(|s| s.0.clone()).unwrap_or_default(),
                    ..Default::default()
                };
                view! { <ContactForm fields selected edit=None/> }
            })}
        </Suspense>
    }
}

#[component]
pub fn ContactEditPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<ContactId>().ok()));
    let contact = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_contact(id).await,
            None => Err(crate::error::AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match contact.await {
                    Ok(c) => {
                        let fields = ContactFormFields::from_contact(&c);
                        let selected = Some((c.account_id.to_string(), c.account_name.clone()));
                        view! {
                            <Title text=format!("Edit {}", c.full_name())/>
                            <div class="page-header"><h1>{format!("Edit {}", c.full_name())}</h1></div>
                            <p class="muted" id="contact-account-summary">
                                <a href=format!("/console/accounts/{}", c.account_id)>{c.account_name.clone()}</a>
                                " · " {c.account_type.label()} " · " {c.account_status.label()}
                            </p>
                            <ContactForm fields selected edit=Some(c.id)/>
                            <crate::pages::tasks::FollowUpForm about=crate::pages::tasks::FollowUpAbout::Contact(c.id)/>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ContactForm(
    fields: ContactFormFields,
    selected: Option<(String, String)>,
    edit: Option<ContactId>,
) -> impl IntoView {
    let f = fields;
    let body = move |err: Box<dyn Fn(&'static str) -> Signal<Option<String>> + Send + Sync>| {
        view! {
            <div class="form">
                <AccountPicker label="Account" name="form[account_id]" selected=selected.clone() error=err("account_id")/>
                <div class="field-row">
                    <TextField label="First name" name="form[first_name]" value=f.first_name.clone() required=true maxlength=100 error=err("first_name")/>
                    <TextField label="Last name" name="form[last_name]" value=f.last_name.clone() required=true maxlength=100 error=err("last_name")/>
                </div>
                <div class="field-row">
                    <TextField label="Title" name="form[title]" value=f.title.clone() maxlength=100 error=err("title")/>
                    <TextField label="Role" name="form[role]" value=f.role.clone() maxlength=100 hint="e.g. decision maker, billing, technical" error=err("role")/>
                </div>
                <TextArea label="Email addresses" name="form[emails]" value=f.emails.clone() hint="One per line; the first is used for mail." error=err("emails")/>
                <TextArea label="Phone numbers" name="form[phones]" value=f.phones.clone() hint="One per line." error=err("phones")/>
                <TextField label="LinkedIn" name="form[linkedin_url]" kind="url" value=f.linkedin_url.clone() error=err("linkedin_url")/>
                <SelectField label="Status" name="form[status]"
                    options=RecordStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect()
                    selected=if f.status.is_empty() { "active".to_string() } else { f.status.clone() } error=err("status")/>
                <CheckboxField label="Receives the holiday card" name="form[holiday_card]"
                    checked=f.holiday_card.is_some()/>
                <div class="form-actions">
                    <button class="button" type="submit" id="save-contact">"Save contact"</button>
                    <a href="/console/contacts">"Cancel"</a>
                </div>
            </div>
        }
    };
    match edit {
        None => {
            let action = ServerAction::<CreateContact>::new();
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
            let action = ServerAction::<UpdateContact>::new();
            let value = action.value();
            let delete = ServerAction::<DeleteContact>::new();
            let deleted = delete.value();
            Effect::new(move || {
                if let Some(Ok(())) = deleted.get() {
                    crate::pages::go_to("/console/contacts");
                }
            });
            view! {
                <ActionForm action>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <FormError value/>
                    {body(Box::new(move |f| field_error(value, f)))}
                </ActionForm>
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <FormError value=deleted/>
                    <button class="button danger" type="submit"
                        on:click=confirm_submit("Delete this contact? Their portal access ends too.")>"Delete contact"</button>
                </ActionForm>
            }
            .into_any()
        }
    }
}
