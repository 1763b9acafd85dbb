//! Support settings (admins and support managers) and the inbound mail review queue.

use crate::api::support::{
    inbound_review_queue, load_support_settings, AddHoliday, DismissReviewMail, RemoveHoliday,
    SaveBusinessHours, SaveSlaTarget, SaveTeam, SaveTicketType,
};
use crate::types::format_clock;
use crate::ui::{field_error, ErrorNotice, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

const CLOSE_FIELDS: [&str; 7] = [
    "close[0]", "close[1]", "close[2]", "close[3]", "close[4]", "close[5]", "close[6]",
];

#[component]
pub fn SupportSettingsPage() -> impl IntoView {
    let save_type = ServerAction::<SaveTicketType>::new();
    let save_target = ServerAction::<SaveSlaTarget>::new();
    let save_hours = ServerAction::<SaveBusinessHours>::new();
    let add_holiday = ServerAction::<AddHoliday>::new();
    let remove_holiday = ServerAction::<RemoveHoliday>::new();
    let save_team = ServerAction::<SaveTeam>::new();
    let settings = Resource::new(
        move || {
            (
                save_type.version().get(),
                save_target.version().get(),
                save_hours.version().get(),
                add_holiday.version().get(),
                remove_holiday.version().get(),
                save_team.version().get(),
            )
        },
        |_| load_support_settings(),
    );
    view! {
        <Title text="Support settings"/>
        <div class="page-header"><h1>"Support settings"</h1></div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let s = match settings.await {
                    Ok(s) => s,
                    Err(e) => return view! { <ErrorNotice error=e/> }.into_any(),
                };
                let hours_value = save_hours.value();
                let target_value = save_target.value();
                view! {
                    <section class="section card" aria-labelledby="hours-h">
                        <h2 id="hours-h">"Business hours"</h2>
                        <p class="muted">"SLA clocks run only in these hours. Equal opening and closing times: closed that day. Changes apply to tickets raised from now on."</p>
                        <ActionForm action=save_hours>
                            <FormError value=hours_value/>
                            <div class="field-row">
                                <div class="field">
                                    <label for="time_zone">"Time zone"</label>
                                    <input id="time_zone" name="time_zone" value=s.hours.time_zone.clone() required/>
                                    <p class="field-error">{move || field_error(hours_value, "time_zone").get()}</p>
                                </div>
                                <div class="field">
                                    <label for="reopen_days">"Reopen window (days)"</label>
                                    <input id="reopen_days" name="reopen_days" type="number" min="0" max="365" value=s.hours.reopen_days.to_string()/>
                                </div>
                            </div>
                            <table class="data hours">
                                <thead><tr><th scope="col">"Day"</th><th scope="col">"Opens"</th><th scope="col">"Closes"</th></tr></thead>
                                <tbody>
                                    {DAYS.iter().enumerate().map(|(d, day)| {
                                        let open = s.hours.open_minute.get(d).copied().unwrap_or(0);
                                        let close = s.hours.close_minute.get(d).copied().unwrap_or(0);
                                        view! {
                                            <tr>
                                                <th scope="row">{*day}</th>
                                                <td><input type="time" name=format!("open[{d}]") value=format_clock(open) aria-label=format!("{day} opens")/></td>
                                                <td><input type="time" name=format!("close[{d}]") value=format_clock(close) aria-label=format!("{day} closes")/>
                                                    <span class="field-error">{move || field_error(hours_value, CLOSE_FIELDS[d]).get()}</span></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <button class="button" type="submit" id="save-hours">"Save hours"</button>
                        </ActionForm>
                    </section>
                    <section class="section card" aria-labelledby="sla-h">
                        <h2 id="sla-h">"SLA targets (business minutes)"</h2>
                        <FormError value=target_value/>
                        <div class="table-wrap"><table class="data">
                            <thead><tr><th scope="col">"Priority"</th><th scope="col">"First response"</th><th scope="col">"Resolution"</th><th></th></tr></thead>
                            <tbody>
                                {s.targets.into_iter().map(|t| view! {
                                    <tr><td colspan="4">
                                        <ActionForm action=save_target attr:class="row-form">
                                            <input type="hidden" name="priority" value=t.priority.as_str()/>
                                            <strong>{t.priority.label()}</strong>
                                            <input type="number" min="1" name="first_response_minutes" value=t.first_response_minutes.to_string()
                                                aria-label=format!("{} first response minutes", t.priority.label())/>
                                            <input type="number" min="1" name="resolution_minutes" value=t.resolution_minutes.to_string()
                                                aria-label=format!("{} resolution minutes", t.priority.label())/>
                                            <button class="button secondary" type="submit" id=format!("save-sla-{}", t.priority.as_str())>"Save"</button>
                                        </ActionForm>
                                    </td></tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    </section>
                    <section class="section card" aria-labelledby="holidays-h">
                        <h2 id="holidays-h">"Holidays"</h2>
                        <ul class="stack" id="holidays">
                            {s.holidays.into_iter().map(|h| view! {
                                <li>{h.day.to_string()}" "{h.name}
                                    <ActionForm action=remove_holiday attr:class="inline">
                                        <input type="hidden" name="day" value=h.day.to_string()/>
                                        <button class="link-button" type="submit">"Remove"</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                        <ActionForm action=add_holiday attr:class="row-form">
                            <FormError value=add_holiday.value()/>
                            <label for="holiday-day">"Day"</label><input id="holiday-day" type="date" name="day" required/>
                            <label for="holiday-name">"Name"</label><input id="holiday-name" name="name" required maxlength="100"/>
                            <button class="button secondary" type="submit" id="add-holiday">"Add holiday"</button>
                        </ActionForm>
                    </section>
                    <section class="section card" aria-labelledby="types-h">
                        <h2 id="types-h">"Ticket types"</h2>
                        <FormError value=save_type.value()/>
                        <ul class="stack" id="ticket-types">
                            {s.types.into_iter().map(|t| view! {
                                <li>
                                    <ActionForm action=save_type attr:class="row-form">
                                        <input type="hidden" name="key" value=t.key.clone()/>
                                        <code>{t.key.clone()}</code>
                                        <input name="label" value=t.label.clone() aria-label=format!("Label of {}", t.key)/>
                                        <label><input type="checkbox" name="active" value="on" checked=t.active/>" in use"</label>
                                        <button class="button secondary" type="submit">"Save"</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                        <ActionForm action=save_type attr:class="row-form">
                            <label for="type-key">"Key"</label><input id="type-key" name="key" required maxlength="40" placeholder="e.g. network"/>
                            <label for="type-label">"Label"</label><input id="type-label" name="label" required maxlength="100"/>
                            <input type="hidden" name="active" value="on"/>
                            <button class="button secondary" type="submit" id="add-type">"Add type"</button>
                        </ActionForm>
                    </section>
                    <section class="section card" aria-labelledby="teams-h">
                        <h2 id="teams-h">"Teams"</h2>
                        <FormError value=save_team.value()/>
                        {s.teams.into_iter().map(|t| {
                            let agents = s.agents.clone();
                            view! {
                                <ActionForm action=save_team attr:class="team-form">
                                    <input type="hidden" name="id" value=t.id.to_string()/>
                                    <div class="row-form">
                                        <input name="name" value=t.name.clone() aria-label="Team name" required/>
                                        <label><input type="checkbox" name="auto_assign" value="on" checked=t.auto_assign/>" round-robin assignment"</label>
                                    </div>
                                    <fieldset><legend>"Members"</legend>
                                        {agents.into_iter().enumerate().map(|(i, a)| {
                                            let member = t.members.iter().any(|m| m.id == a.id);
                                            view! { <label class="member"><input type="checkbox" name=format!("members[{i}]") value=a.id checked=member/>" "{a.label}</label> }
                                        }).collect_view()}
                                    </fieldset>
                                    <button class="button secondary" type="submit">"Save team"</button>
                                </ActionForm>
                            }
                        }).collect_view()}
                        <ActionForm action=save_team attr:class="row-form">
                            <label for="team-name">"New team"</label><input id="team-name" name="name" required maxlength="100"/>
                            <button class="button secondary" type="submit" id="add-team">"Add team"</button>
                        </ActionForm>
                    </section>
                }.into_any()
            })}
        </Transition>
        <ChatSettingsSection/>
    }
}

/// Chat: limits, queue, hours, idle time, retention, and the canned responses.
#[component]
fn ChatSettingsSection() -> impl IntoView {
    use crate::api::chat::{
        load_canned_responses, load_chat_inbox, load_chat_settings, DeleteCannedResponse,
        SaveCannedResponse, SaveChatSettings, SetAgentChatLimit,
    };
    use crate::ui::{field_error, CheckboxField, TextArea, TextField};
    let save = ServerAction::<SaveChatSettings>::new();
    let save_canned = ServerAction::<SaveCannedResponse>::new();
    let delete_canned = ServerAction::<DeleteCannedResponse>::new();
    let settings = Resource::new(move || save.version().get(), |_| load_chat_settings());
    let set_limit = ServerAction::<SetAgentChatLimit>::new();
    let agents = Resource::new(
        move || (save.version().get(), set_limit.version().get()),
        |_| load_chat_inbox(),
    );
    let canned = Resource::new(
        move || (save_canned.version().get(), delete_canned.version().get()),
        |_| load_canned_responses(),
    );
    let value = save.value();
    let canned_value = save_canned.value();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! {
                        <section class="section card" aria-labelledby="chat-settings-h">
                            <h2 id="chat-settings-h">"Live chat"</h2>
                            <ActionForm action=save attr:id="chat-settings">
                                <FormError value/>
                                <TextField label="Concurrent chats per agent" name="max_chats_per_agent" kind="number" value=s.max_chats_per_agent.to_string() error=field_error(value, "max_chats_per_agent")/>
                                <TextField label="Longest queue before clients are asked to leave a message" name="max_queue" kind="number" value=s.max_queue.to_string() error=field_error(value, "max_queue")/>
                                <CheckboxField label="Outside business hours, take messages only" name="offline_outside_hours" checked=s.offline_outside_hours/>
                                <TextField label="Minutes idle before an agent shows as away" name="away_after_minutes" kind="number" value=s.away_after_minutes.to_string() error=field_error(value, "away_after_minutes")/>
                                <TextField label="Delete closed chats after (days; empty keeps them)" name="retention_days" kind="number" value=s.retention_days.map(|d| d.to_string()).unwrap_or_default() error=field_error(value, "retention_days")/>
                                <button class="button" type="submit" id="save-chat-settings">"Save chat settings"</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
        <section class="section card" aria-labelledby="limits-h">
            <h2 id="limits-h">"Chats per agent"</h2>
            <p class="hint">"An agent's own limit of concurrent chats; empty uses the desk's."</p>
            <FormError value=set_limit.value()/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match agents.await {
                        Ok(inbox) => view! {
                            <ul class="stack" id="agent-limits">
                                {inbox.agents.into_iter().map(|a| view! {
                                    <li>
                                        <ActionForm action=set_limit attr:class="row-form">
                                            <input type="hidden" name="user_id" value=a.user_id.to_string()/>
                                            <label for=format!("limit-{}", a.user_id)>{a.name.clone()}</label>
                                            <input id=format!("limit-{}", a.user_id) name="max_chats" type="number" min="1" max="50" value=a.max_chats.to_string()/>
                                            <button class="button secondary" type="submit">"Save"</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="section card" aria-labelledby="canned-h">
            <h2 id="canned-h">"Canned responses"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match canned.await {
                        Ok(list) => view! {
                            <ul class="stack" id="canned-list">
                                {list.into_iter().map(|r| view! {
                                    <li><strong>{format!("/{}", r.shortcut)}</strong>" · "{r.title}
                                        <ActionForm action=delete_canned attr:class="inline">
                                            <input type="hidden" name="id" value=r.id.to_string()/>
                                            <button class="link-button" type="submit">"Delete"</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=save_canned attr:id="canned-form">
                <FormError value=canned_value/>
                <TextField label="Shortcut" name="shortcut" required=true maxlength=30 hint="Agents type /shortcut then Tab." error=field_error(canned_value, "shortcut")/>
                <TextField label="Title" name="title" required=true maxlength=100 error=field_error(canned_value, "title")/>
                <TextArea label="Text" name="body" error=field_error(canned_value, "body")/>
                <button class="button secondary" type="submit">"Save canned response"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn ReviewQueuePage() -> impl IntoView {
    let dismiss = ServerAction::<DismissReviewMail>::new();
    let queue = Resource::new(move || dismiss.version().get(), |_| inbound_review_queue());
    view! {
        <Title text="Mail to review"/>
        <div class="page-header"><h1>"Mail to review"</h1></div>
        <p class="muted">"Mail from addresses that belong to no contact. The sender was told how to get access. Add them as a contact, or dismiss."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(items) if items.is_empty() => view! { <p class="empty">"Nothing to review."</p> }.into_any(),
                    Ok(items) => view! {
                        <ul class="stack" id="review-queue">
                            {items.into_iter().map(|m| view! {
                                <li><strong>{m.from_address}</strong>": "{m.subject}" "
                                    <span class="muted">{m.received_at.format("%Y-%m-%d %H:%M UTC").to_string()}</span>
                                    <ActionForm action=dismiss attr:class="inline">
                                        <input type="hidden" name="id" value=m.id.to_string()/>
                                        <button class="link-button" type="submit">"Dismiss"</button>
                                    </ActionForm>
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
