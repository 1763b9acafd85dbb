//! Ticket pages for both sides: the agents' dashboard and ticket page in the console,
//! and the client's list, new-ticket form and ticket page in the portal. Both update
//! live from `/live/tickets`.

use crate::api::portal::my_company;
use crate::api::tickets::{
    count_ticket_views, get_ticket_detail, list_saved_views, list_tickets, load_ticket_options,
    ticket_presence, BulkChangeTickets, ChangeTicket, CloseTicket, DeleteTicketView, RaiseTicket,
    ReopenTicket, ReplyToTicket, SaveTicketView,
};
use crate::pages::console::pickers::AccountPicker;
use crate::pages::console::with_query;
use crate::types::{
    AttachmentInfo, SlaState, TicketDetail, TicketFilter, TicketId, TicketMessage, TicketOptions,
    TicketPriority, TicketSort, TicketStatus, TicketSummary, TicketView,
};
use crate::ui::{
    field_error, use_live_ticket, use_live_tickets, ErrorNotice, FormError, SelectField, TextArea,
    TextField,
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn status_badge(s: TicketStatus) -> impl IntoView {
    view! { <span class=format!("badge ticket-{}", s.as_str())>{s.label()}</span> }
}

fn priority_badge(p: TicketPriority) -> impl IntoView {
    view! { <span class=format!("badge priority-{}", p.as_str())>{p.label()}</span> }
}

fn sla_badge(t: &TicketSummary) -> impl IntoView {
    let state = if t.status.is_done() {
        None
    } else if t.sla_state == SlaState::Ok
        && (t.resolution_due < Utc::now()
            || (t.first_responded_at.is_none() && t.first_response_due < Utc::now()))
    {
        Some(SlaState::Breached)
    } else {
        Some(t.sla_state)
    };
    state.map(|s| view! { <span class=format!("badge sla-{}", s.as_str())>{s.label()}</span> })
}

fn options(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect()
}

fn route_ticket_id() -> impl Fn() -> Option<TicketId> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.with(|p| p.get("id").and_then(|id| id.parse().ok()))
}

// ---------------------------------------------------------------- console: dashboard

#[component]
pub fn TicketsPage() -> impl IntoView {
    let query = use_query_map();
    let live = use_live_tickets();
    let filter = move || {
        query.with(|q| TicketFilter {
            view: q.get("view").and_then(|v| TicketView::parse(&v)),
            q: q.get("q").filter(|s| !s.trim().is_empty()),
            status: q.get("status").and_then(|v| TicketStatus::parse(&v)),
            priority: q.get("priority").and_then(|v| TicketPriority::parse(&v)),
            ticket_type: q.get("type").filter(|s| !s.is_empty()),
            assignee_id: q.get("assignee").and_then(|v| v.parse().ok()),
            team_id: q.get("team").and_then(|v| v.parse().ok()),
            account_id: q.get("account").and_then(|v| v.parse().ok()),
            tag: q.get("tag").filter(|s| !s.is_empty()),
            created_from: q.get("from").and_then(|v| v.parse().ok()),
            created_to: q.get("to").and_then(|v| v.parse().ok()),
            sort: q.get("sort").and_then(|v| TicketSort::parse(&v)),
            cursor: q.get("cursor"),
            limit: None,
        })
    };
    let tickets = Resource::new(move || (filter(), live.get()), |(f, _)| list_tickets(f));
    let counts = Resource::new(move || live.get(), |_| count_ticket_views());
    let opts = Resource::new(|| (), |_| load_ticket_options());
    let current_view = move || filter().view.unwrap_or(TicketView::Open);
    let get = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let bulk = ServerAction::<BulkChangeTickets>::new();
    let bulk_value = bulk.value();
    let save_view = ServerAction::<SaveTicketView>::new();
    let delete_view = ServerAction::<DeleteTicketView>::new();
    let saved = Resource::new(
        move || (save_view.version().get(), delete_view.version().get()),
        |_| list_saved_views(),
    );
    let search = use_location().search;
    view! {
        <Title text="Tickets"/>
        <div class="page-header">
            <h1>"Tickets"</h1>
            <div class="actions"><a class="button" href="/console/tickets/new" id="new-ticket">"New ticket"</a></div>
        </div>
        <nav class="tabs" aria-label="Ticket views">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let c = counts.await.unwrap_or_default();
                    let active = current_view();
                    [
                        (TicketView::Mine, Some(c.mine)),
                        (TicketView::Unassigned, Some(c.unassigned)),
                        (TicketView::Open, Some(c.open)),
                        (TicketView::Breaching, Some(c.breaching)),
                        (TicketView::Recent, None),
                        (TicketView::All, None),
                    ]
                    .into_iter()
                    .map(|(v, n)| {
                        let current = (v == active).then_some("page");
                        view! {
                            <a class="tab" aria-current=current id=format!("view-{}", v.as_str())
                                href=format!("/console/tickets?view={}", v.as_str())>
                                {v.label()}{n.map(|n| view! { " " <span class="count">{n}</span> })}
                            </a>
                        }
                    })
                    .collect_view()
                })}
            </Suspense>
        </nav>
        <div class="saved-views">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let views = saved.await.unwrap_or_default();
                    (!views.is_empty()).then(|| view! {
                        <ul class="inline-list" id="saved-views" aria-label="Saved views">
                            {views.into_iter().map(|v| view! {
                                <li><a href=format!("/console/tickets?{}", v.query)>{v.name.clone()}</a>
                                    <ActionForm action=delete_view attr:class="inline">
                                        <input type="hidden" name="id" value=v.id.to_string()/>
                                        <button class="link-button" type="submit" aria-label=format!("Delete view {}", v.name)>"×"</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    })
                })}
            </Suspense>
            <ActionForm action=save_view attr:class="inline save-view">
                <input type="hidden" name="query" value=move || search.get().trim_start_matches('?').to_string()/>
                <label class="visually-hidden" for="view-name">"Name for this view"</label>
                <input id="view-name" name="name" placeholder="Name this view" maxlength="60" required/>
                <button class="button secondary" type="submit" id="save-view">"Save view"</button>
            </ActionForm>
            <FormError value=save_view.value()/>
        </div>
        <Form method="GET" action="/console/tickets">
            <input type="hidden" name="view" value=move || current_view().as_str()/>
            <div class="filters" role="search">
                <label class="visually-hidden" for="ticket-search">"Search tickets"</label>
                <input type="search" id="ticket-search" name="q" placeholder="Search subject, description, replies or #number"
                    value=move || query.with(|q| q.get("q").unwrap_or_default())/>
                <label class="visually-hidden" for="f-status">"Status"</label>
                <select id="f-status" name="status">
                    <option value="">"Any status"</option>
                    {TicketStatus::ALL.iter().map(|s| view! { <option value=s.as_str() selected=get("status") == s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
                <label class="visually-hidden" for="f-priority">"Priority"</label>
                <select id="f-priority" name="priority">
                    <option value="">"Any priority"</option>
                    {TicketPriority::ALL.iter().map(|s| view! { <option value=s.as_str() selected=get("priority") == s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let o = opts.await.unwrap_or_default();
                        view! {
                            <label class="visually-hidden" for="f-type">"Type"</label>
                            <select id="f-type" name="type">
                                <option value="">"Any type"</option>
                                {o.types.into_iter().map(|t| { let sel = get("type") == t.key; view! { <option value=t.key selected=sel>{t.label}</option> } }).collect_view()}
                            </select>
                            <label class="visually-hidden" for="f-assignee">"Assignee"</label>
                            <select id="f-assignee" name="assignee">
                                <option value="">"Any assignee"</option>
                                {o.agents.into_iter().map(|c| { let sel = get("assignee") == c.id; view! { <option value=c.id selected=sel>{c.label}</option> } }).collect_view()}
                            </select>
                            <label class="visually-hidden" for="f-team">"Team"</label>
                            <select id="f-team" name="team">
                                <option value="">"Any team"</option>
                                {o.teams.into_iter().map(|c| { let sel = get("team") == c.id; view! { <option value=c.id selected=sel>{c.label}</option> } }).collect_view()}
                            </select>
                        }
                    })}
                </Suspense>
                <label class="visually-hidden" for="f-tag">"Tag"</label>
                <input id="f-tag" name="tag" placeholder="Tag" value=get("tag")/>
                <label for="f-from">"From"</label>
                <input id="f-from" name="from" type="date" value=get("from")/>
                <label for="f-to">"to"</label>
                <input id="f-to" name="to" type="date" value=get("to")/>
                <label class="visually-hidden" for="f-sort">"Sort"</label>
                <select id="f-sort" name="sort">
                    <option value="">"Default order"</option>
                    {TicketSort::ALL.iter().map(|s| view! { <option value=s.as_str() selected=get("sort") == s.as_str()>{s.label()}</option> }).collect_view()}
                </select>
                <button class="button" type="submit" id="ticket-search-submit">"Apply"</button>
            </div>
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tickets.await {
                    Ok(page) if page.items.is_empty() => view! { <p class="empty">"No tickets in this view."</p> }.into_any(),
                    Ok(page) => {
                        let next = page.next_cursor.map(|c| {
                            let pairs: Vec<(&str, Option<String>)> = ["view", "q", "status", "priority", "type", "assignee", "team", "tag", "from", "to", "sort"]
                                .into_iter()
                                .map(|k| (k, Some(get(k))))
                                .chain(std::iter::once(("cursor", Some(c))))
                                .collect();
                            with_query("/console/tickets", &pairs)
                        });
                        let o = opts.await.unwrap_or_default();
                        view! {
                            <ActionForm action=bulk>
                            <FormError value=bulk_value/>
                            <div class="bulk-bar" role="group" aria-label="Change the ticked tickets">
                                <label for="bulk-status">"Ticked:"</label>
                                <select id="bulk-status" name="form[status]">
                                    <option value="">"Status…"</option>
                                    {TicketStatus::ALL.iter().filter(|s| **s != TicketStatus::New).map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                                </select>
                                <label class="visually-hidden" for="bulk-priority">"Priority"</label>
                                <select id="bulk-priority" name="form[priority]">
                                    <option value="">"Priority…"</option>
                                    {TicketPriority::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                                </select>
                                <label class="visually-hidden" for="bulk-assignee">"Assignee"</label>
                                <select id="bulk-assignee" name="form[assignee_id]">
                                    <option value="">"Assignee…"</option>
                                    <option value="none">"Unassigned"</option>
                                    {o.agents.into_iter().map(|c| view! { <option value=c.id>{c.label}</option> }).collect_view()}
                                </select>
                                <label class="visually-hidden" for="bulk-tag">"Add tag"</label>
                                <input id="bulk-tag" name="form[add_tag]" placeholder="Add tag"/>
                                <button class="button secondary" type="submit" id="bulk-apply">"Apply"</button>
                                {move || bulk_value.get().and_then(|r| r.ok()).map(|n| view! { <span role="status">{format!("{n} tickets changed")}</span> })}
                            </div>
                            <div class="table-wrap">
                                <table class="data" id="tickets-table">
                                    <thead><tr>
                                        <th scope="col"><span class="visually-hidden">"Select"</span></th>
                                        <th scope="col">"#"</th><th scope="col">"Subject"</th><th scope="col">"Account"</th>
                                        <th scope="col">"Status"</th><th scope="col">"Priority"</th><th scope="col">"SLA"</th>
                                        <th scope="col">"Assignee"</th><th scope="col">"Resolve by"</th><th scope="col">"Updated"</th>
                                    </tr></thead>
                                    <tbody>{page.items.into_iter().enumerate().map(|(i, t)| view! {
                                        <tr>
                                            <td><input type="checkbox" name=format!("ids[{i}]") value=t.id.to_string()
                                                aria-label=format!("Select #{}", t.number)/></td>
                                            <td>{format!("#{}", t.number)}</td>
                                            <td><a href=format!("/console/tickets/{}", t.id)>{t.subject.clone()}</a>
                                                {t.tags.iter().map(|g| view! { " " <span class="tag">{g.clone()}</span> }).collect_view()}</td>
                                            <td><a href=format!("/console/accounts/{}", t.account_id)>{t.account_name.clone()}</a></td>
                                            <td>{status_badge(t.status)}</td>
                                            <td>{priority_badge(t.priority)}</td>
                                            <td>{sla_badge(&t)}</td>
                                            <td>{t.assignee_name.clone().unwrap_or_else(|| "—".into())}</td>
                                            <td>{when(t.resolution_due)}</td>
                                            <td>{when(t.updated_at)}</td>
                                        </tr>
                                    }).collect_view()}</tbody>
                                </table>
                            </div>
                            </ActionForm>
                            {next.map(|href| view! { <p><a class="button secondary" href=href id="next-page">"Next page"</a></p> })}
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

// ---------------------------------------------------------------- shared: new ticket

#[component]
fn NewTicketForm(staff: bool) -> impl IntoView {
    // A subject carried back from a suggested article the client read.
    let prefill = use_query_map().with_untracked(|q| q.get("subject").unwrap_or_default());
    let (subject, set_subject) = signal(prefill.clone());
    let pending = StoredValue::new(None::<leptos::leptos_dom::helpers::TimeoutHandle>);
    let typed = move |value: String| {
        if let Some(h) = pending.get_value() {
            h.clear();
        }
        let handle = set_timeout_with_handle(
            move || set_subject.set(value),
            std::time::Duration::from_millis(300),
        )
        .ok();
        pending.set_value(handle);
    };
    let action = ServerAction::<RaiseTicket>::new();
    let value = action.value();
    let err = move |f: &'static str| field_error(value, f);
    let opts = Resource::new(|| (), |_| load_ticket_options());
    let company = Resource::new(
        move || staff,
        |staff| async move {
            if staff {
                Ok(None)
            } else {
                my_company().await.map(Some)
            }
        },
    );
    view! {
        <ActionForm action>
            <FormError value/>
            <div class="form">
                {staff.then(|| view! {
                    <AccountPicker label="Account" name="form[account_id]" selected=None error=err("account_id")/>
                    <TextField label="Requesting contact's email" name="form[contact_email]" kind="email"
                        hint="Optional: a contact of this account; they get the replies by mail." error=err("contact_id")/>
                })}
                // Suggestions follow the subject as it is typed, a moment after typing stops.
                <div on:input=move |ev| typed(event_target_value(&ev))>
                    <TextField label="Subject" name="form[subject]" value=prefill required=true error=err("subject")/>
                </div>
                <crate::pages::knowledge::ArticleSuggestions subject client=!staff/>
                <div class="field-row">
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let o = opts.await.unwrap_or_default();
                            let types = o.types.into_iter().map(|t| (t.key, t.label)).collect();
                            view! { <SelectField label="Type" name="form[ticket_type]" options=types selected="question" error=err("ticket_type")/> }
                        })}
                    </Suspense>
                    <SelectField label="Priority" name="form[priority]"
                        options=options(&[("low", "Low"), ("medium", "Medium"), ("high", "High"), ("urgent", "Urgent")])
                        selected="medium" error=err("priority")/>
                </div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match company.await {
                            Ok(Some(c)) if !c.locations.is_empty() => {
                                let mut opts = vec![(String::new(), format!("{} (head office)", c.account.name))];
                                opts.extend(c.locations.into_iter().map(|l| (l.id.to_string(), l.name)));
                                Some(view! { <SelectField label="Location" name="form[location_id]" options=opts error=err("location_id")/> })
                            }
                            _ => None,
                        }
                    })}
                </Suspense>
                <TextField label="Asset serial number" name="form[asset_serial]" maxlength=100 hint="If it is about a device: the serial on its label." error=err("asset_serial")/>
                <TextArea label="Description" name="form[description]" hint="What happened, what you expected, and since when." error=err("description")/>
                <div class="form-actions">
                    <button class="button" type="submit" id="submit-ticket">"Submit ticket"</button>
                    <a href=if staff { "/console/tickets" } else { "/portal/tickets" }>"Cancel"</a>
                </div>
            </div>
        </ActionForm>
    }
}

#[component]
pub fn TicketNewPage() -> impl IntoView {
    view! {
        <Title text="New ticket"/>
        <div class="page-header"><h1>"New ticket"</h1></div>
        <NewTicketForm staff=true/>
    }
}

#[component]
pub fn PortalNewTicketPage() -> impl IntoView {
    view! {
        <Title text="New ticket"/>
        <div class="page-header"><h1>"Raise a support ticket"</h1></div>
        <NewTicketForm staff=false/>
    }
}

// ---------------------------------------------------------------- shared: the ticket page

fn conversation(
    description: String,
    author: Option<String>,
    created: DateTime<Utc>,
    messages: Vec<TicketMessage>,
    files: &[AttachmentInfo],
) -> impl IntoView {
    let files_for = |m: Option<crate::types::MessageId>| {
        files
            .iter()
            .filter(|f| f.message_id == m)
            .map(|f| view! { <li><a href=format!("/files/{}", f.id) download>{f.file_name.clone()}</a>" "<span class="muted">{format!("{} KB", (f.size_bytes + 1023) / 1024)}</span></li> })
            .collect_view()
    };
    let loose = files_for(None);
    view! {
        <ol class="conversation" id="conversation">
            <li class="message from-client">
                <p class="meta"><strong>{author.unwrap_or_else(|| "Client".into())}</strong>" · "{when(created)}</p>
                <p class="body">{description}</p>
            </li>
            {messages.into_iter().map(|m| {
                let class = if m.internal { "message internal" } else if m.from_staff { "message from-staff" } else { "message from-client" };
                let attached = files_for(Some(m.id));
                view! {
                    <li class=class>
                        <p class="meta"><strong>{m.author_name}</strong>" · "{when(m.created_at)}" · via "{m.via}
                            {m.internal.then(|| view! { " " <span class="badge">"Internal note"</span> })}</p>
                        <p class="body">{m.body}</p>
                        <ul class="files">{attached}</ul>
                    </li>
                }
            }).collect_view()}
        </ol>
        <section aria-labelledby="files-h">
            <h2 id="files-h" class="visually-hidden">"Files"</h2>
            <ul class="files" id="ticket-files">{loose}</ul>
        </section>
    }
}

#[component]
fn ReplyForm(id: TicketId, staff: bool, actions: TicketActions) -> impl IntoView {
    let TicketActions {
        reply,
        draft,
        internal,
        set_typing,
        ..
    } = actions;
    let value = reply.value();
    view! {
        <ActionForm action=reply>
            <FormError value/>
            <input type="hidden" name="id" value=id.to_string()/>
            <div class="field">
                <label for="reply-body">{if staff { "Reply or note" } else { "Your reply" }}</label>
                <textarea id="reply-body" name="body" rows="5" required prop:value=move || draft.get()
                    on:input=move |ev| {
                        draft.set(event_target_value(&ev));
                        if staff { set_typing.set(true) }
                    }></textarea>
                <p class="field-error" aria-live="polite">{move || field_error(value, "body").get()}</p>
            </div>
            {staff.then(|| view! {
                <div class="field checkbox">
                    <input type="checkbox" id="reply-internal" name="internal" value="on"
                        prop:checked=move || internal.get()
                        on:change=move |ev| internal.set(event_target_checked(&ev))/>
                    <label for="reply-internal">"Internal note (not shown to the client)"</label>
                </div>
            })}
            <button class="button" type="submit" id="send-reply">"Send"</button>
        </ActionForm>
    }
}

#[component]
fn UploadForm(id: TicketId) -> impl IntoView {
    let query = use_query_map();
    view! {
        <form method="post" action=format!("/files/tickets/{id}") enctype="multipart/form-data" class="upload">
            <label for="upload-file">"Attach a file"</label>
            <input type="file" id="upload-file" name="file" required/>
            <button class="button secondary" type="submit" id="upload-submit">"Upload"</button>
            <p class="hint">"Images, PDF, text, CSV, ZIP or Office documents; 10 MB at most."</p>
            {move || query.with(|q| q.get("upload_error")).map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </form>
    }
}

#[component]
fn TicketBody(
    detail: TicketDetail,
    staff: bool,
    actions: TicketActions,
    opts: Resource<Option<TicketOptions>>,
) -> impl IntoView {
    let TicketDetail {
        ticket,
        messages,
        attachments,
        history,
        account_status,
        other_open,
        can_work,
        can_reopen,
        can_close,
        next_statuses,
    } = detail;
    let s = ticket.summary.clone();
    let id = s.id;
    let TicketActions {
        close,
        reopen,
        change,
        ..
    } = actions;
    let change_value = change.value();
    let area = if staff { "console" } else { "portal" };
    let assignee_sel = s
        .assignee_id
        .map(|a| a.to_string())
        .unwrap_or_else(|| "none".into());
    let team_sel = s
        .team_id
        .map(|a| a.to_string())
        .unwrap_or_else(|| "none".into());
    let type_sel = s.ticket_type.clone();
    let timeline: Vec<_> = history
        .iter()
        .filter(|e| e.field == "status" || e.field == "created")
        .cloned()
        .collect();
    view! {
        <Title text=format!("#{} {}", s.number, s.subject)/>
        <nav class="breadcrumb" aria-label="Breadcrumb"><a href=format!("/{area}/tickets")>"Tickets"</a></nav>
        <div class="page-header">
            <h1 id="ticket-title">{format!("#{} {}", s.number, s.subject)}</h1>
            <div class="actions" id="ticket-badges">
                <span id="ticket-status">{status_badge(s.status)}</span>" "{priority_badge(s.priority)}" "{sla_badge(&s)}
                {can_reopen.then(|| view! {
                    <ActionForm action=reopen><input type="hidden" name="id" value=id.to_string()/>
                        <button class="button secondary" type="submit" id="reopen-ticket">"Reopen"</button></ActionForm>
                })}
                {(can_close && !staff).then(|| view! {
                    <ActionForm action=close><input type="hidden" name="id" value=id.to_string()/>
                        <button class="button secondary" type="submit" id="close-ticket">"Close ticket"</button></ActionForm>
                })}
            </div>
        </div>
        <FormError value=reopen.value()/>
        <FormError value=close.value()/>
        <div class="ticket-layout">
            <div class="ticket-main">
                {conversation(ticket.description.clone(), s.contact_name.clone(), s.created_at, messages, &attachments)}
                {(s.status != TicketStatus::Closed).then(|| view! {
                    <section class="section card" aria-label="Reply">
                        <ReplyForm id staff actions/>
                        <UploadForm id/>
                    </section>
                })}
            </div>
            <aside class="ticket-side">
                <section class="card" aria-labelledby="details-h">
                    <h2 id="details-h">"Details"</h2>
                    <dl class="details">
                        <dt>"Account"</dt><dd>{if staff { view! { <a href=format!("/console/accounts/{}", s.account_id)>{s.account_name.clone()}</a> }.into_any() } else { s.account_name.clone().into_any() }}
                            {staff.then(|| view! { " " <span class="muted">{format!("({})", account_status.label())}</span> })}</dd>
                        <dt>"Location"</dt><dd>{ticket.location_name.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Type"</dt><dd>{s.ticket_type.clone()}</dd>
                        <dt>"Channel"</dt><dd>{s.channel.label()}</dd>
                        <dt>"Asset serial"</dt><dd>{ticket.asset_serial.clone().unwrap_or_else(|| "—".into())}</dd>
                        <dt>"Assignee"</dt><dd id="ticket-assignee">{s.assignee_name.clone().unwrap_or_else(|| "Unassigned".into())}</dd>
                        <dt>"First response by"</dt><dd>{match s.first_responded_at { Some(t) => format!("answered {}", when(t)), None => when(s.first_response_due) }}</dd>
                        <dt>"Resolve by"</dt><dd>{when(s.resolution_due)}{ticket.sla_paused_at.map(|_| " (paused: waiting on client)")}</dd>
                        {(!s.tags.is_empty()).then(|| view! { <dt>"Tags"</dt><dd>{s.tags.join(", ")}</dd> })}
                    </dl>
                </section>
                {can_work.then(|| view! {
                    <section class="card" aria-labelledby="change-h">
                        <h2 id="change-h">"Change"</h2>
                        <ActionForm action=change>
                            <FormError value=change_value/>
                            <input type="hidden" name="id" value=id.to_string()/>
                            <SelectField label="Status" name="form[status]"
                                options=std::iter::once((String::new(), format!("{} (unchanged)", s.status.label()))).chain(next_statuses.iter().map(|n| (n.as_str().to_string(), n.label().to_string()))).collect()
                                error=field_error(change_value, "status")/>
                            <SelectField label="Priority" name="form[priority]"
                                options=TicketPriority::ALL.iter().map(|p| (p.as_str().to_string(), p.label().to_string())).collect()
                                selected=s.priority.as_str() error=field_error(change_value, "priority")/>
                            <Suspense fallback=|| ()>
                                {move || {
                                    let (assignee_sel, team_sel, type_sel) = (assignee_sel.clone(), team_sel.clone(), type_sel.clone());
                                    Suspend::new(async move {
                                    let o = opts.await.unwrap_or_default();
                                    let mut agents = vec![("none".to_string(), "Unassigned".to_string())];
                                    agents.extend(o.agents.into_iter().map(|c| (c.id, c.label)));
                                    let mut teams = vec![("none".to_string(), "No team".to_string())];
                                    teams.extend(o.teams.into_iter().map(|c| (c.id, c.label)));
                                    view! {
                                        <SelectField label="Assignee" name="form[assignee_id]" options=agents
                                            selected=assignee_sel error=field_error(change_value, "assignee_id")/>
                                        <SelectField label="Team" name="form[team_id]" options=teams
                                            selected=team_sel/>
                                        <SelectField label="Type" name="form[ticket_type]" options=o.types.into_iter().map(|t| (t.key, t.label)).collect()
                                            selected=type_sel/>
                                    }
                                })}}
                            </Suspense>
                            <TextField label="Tags" name="form[tags]" value=s.tags.join(", ") hint="Separated by commas." error=field_error(change_value, "tags")/>
                            <button class="button" type="submit" id="save-ticket">"Save"</button>
                        </ActionForm>
                    </section>
                })}
                <section class="card" aria-labelledby="timeline-h">
                    <h2 id="timeline-h">{if staff { "History" } else { "Status timeline" }}</h2>
                    <ol class="timeline" id="ticket-history">
                        {(if staff { history } else { timeline }).into_iter().map(|e| view! {
                            <li><span class="muted">{when(e.at)}</span>" "{e.actor_name}": "{e.field}" "
                                {e.old_value.map(|o| format!("{o} → "))}{e.new_value}</li>
                        }).collect_view()}
                    </ol>
                </section>
                {(staff && !other_open.is_empty()).then(|| view! {
                    <section class="card" aria-labelledby="other-h">
                        <h2 id="other-h">"Other open tickets of this account"</h2>
                        <ul class="stack">{other_open.into_iter().map(|t| view! {
                            <li><a href=format!("/console/tickets/{}", t.id)>{format!("#{} {}", t.number, t.subject)}</a>" "{status_badge(t.status)}</li>
                        }).collect_view()}</ul>
                    </section>
                })}
                {staff.then(|| view! { <crate::pages::tasks::FollowUpForm about=crate::pages::tasks::FollowUpAbout::Ticket(id)/> })}
            </aside>
        </div>
    }
}

/// The ticket page's forms. They live as long as the page, not the rendered ticket: a live
/// refresh redraws the ticket but keeps a reply being typed and the last error shown.
#[derive(Clone, Copy)]
struct TicketActions {
    reply: ServerAction<ReplyToTicket>,
    change: ServerAction<ChangeTicket>,
    close: ServerAction<CloseTicket>,
    reopen: ServerAction<ReopenTicket>,
    draft: RwSignal<String>,
    internal: RwSignal<bool>,
    set_typing: WriteSignal<bool>,
}

/// Counts an action's successful runs (`succeeded` reads its latest value) into `saved`.
fn count_saves(succeeded: impl Fn() -> bool + 'static, saved: WriteSignal<u64>) {
    Effect::new(move |_| {
        if succeeded() {
            saved.update(|n| *n += 1);
        }
    });
}

#[component]
fn TicketScreen(staff: bool) -> impl IntoView {
    let id = route_ticket_id();
    let live = use_live_ticket(id);
    let (typing, set_typing) = signal(false);
    let actions = TicketActions {
        reply: ServerAction::<ReplyToTicket>::new(),
        change: ServerAction::<ChangeTicket>::new(),
        close: ServerAction::<CloseTicket>::new(),
        reopen: ServerAction::<ReopenTicket>::new(),
        draft: RwSignal::new(String::new()),
        internal: RwSignal::new(false),
        set_typing,
    };
    // The user's own saves refresh the page at once, whether or not the live stream is up.
    let (saved, set_saved) = signal(0u64);
    count_saves(
        move || actions.change.value().with(|v| matches!(v, Some(Ok(_)))),
        set_saved,
    );
    count_saves(
        move || actions.close.value().with(|v| matches!(v, Some(Ok(_)))),
        set_saved,
    );
    count_saves(
        move || actions.reopen.value().with(|v| matches!(v, Some(Ok(_)))),
        set_saved,
    );
    let reply_value = actions.reply.value();
    Effect::new(move |_| {
        if reply_value.with(|v| matches!(v, Some(Ok(_)))) {
            actions.draft.set(String::new());
            actions.internal.set(false);
            set_typing.set(false);
            set_saved.update(|n| *n += 1);
        }
    });
    // Created here, not in the ticket's view: a resource made inside a Suspend is made again
    // on every refresh, and after hydration that view stopped updating.
    let opts = Resource::new(
        || (),
        move |_| async move {
            if staff {
                load_ticket_options().await.ok()
            } else {
                None
            }
        },
    );
    let detail = Resource::new(
        move || (id(), live.get(), saved.get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_ticket_detail(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    // Staff announce that they are here (and whether replying) and see who else is.
    let presence = Resource::new(
        move || (id(), live.get(), typing.get()),
        move |(id, _, replying)| async move {
            match (staff, id) {
                (true, Some(id)) => ticket_presence(id, replying).await.unwrap_or_default(),
                _ => Vec::new(),
            }
        },
    );
    #[cfg(feature = "hydrate")]
    if staff {
        // A heartbeat keeps this agent listed while the page stays open.
        let handle = set_interval_with_handle(
            move || presence.refetch(),
            std::time::Duration::from_secs(10),
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    view! {
        {staff.then(|| view! {
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let others = presence.await;
                    (!others.is_empty()).then(|| view! {
                        <p class="presence" id="ticket-presence" role="status">
                            {others.into_iter().map(|v| format!("{} is {}", v.name, if v.replying { "replying" } else { "viewing" })).collect::<Vec<_>>().join(" · ")}
                        </p>
                    })
                })}
            </Transition>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <TicketBody detail=d staff actions opts/> }.into_any(),
                    Err(e) => view! { <Title text="Not found"/><ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn TicketPage() -> impl IntoView {
    view! { <TicketScreen staff=true/> }
}

#[component]
pub fn PortalTicketPage() -> impl IntoView {
    view! { <TicketScreen staff=false/> }
}

// ---------------------------------------------------------------- portal: list

#[component]
pub fn PortalTicketsPage() -> impl IntoView {
    let live = use_live_tickets();
    let tickets = Resource::new(
        move || live.get(),
        |_| {
            list_tickets(TicketFilter {
                view: Some(TicketView::All),
                ..Default::default()
            })
        },
    );
    view! {
        <Title text="Support tickets"/>
        <div class="page-header">
            <h1>"Support tickets"</h1>
            <div class="actions"><a class="button" href="/portal/tickets/new" id="raise-ticket">"Raise a ticket"</a></div>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tickets.await {
                    Ok(page) if page.items.is_empty() => view! { <p class="empty">"Your company has no tickets yet."</p> }.into_any(),
                    Ok(page) => view! {
                        <ul class="ticket-cards" id="portal-tickets">
                            {page.items.into_iter().map(|t| view! {
                                <li class="card">
                                    <a href=format!("/portal/tickets/{}", t.id)><strong>{format!("#{} {}", t.number, t.subject)}</strong></a>
                                    <p>{status_badge(t.status)}" "{priority_badge(t.priority)}" "<span class="muted">{format!("updated {}", when(t.updated_at))}</span></p>
                                    {t.contact_name.map(|c| view! { <p class="muted">{format!("Raised by {c}")}</p> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
