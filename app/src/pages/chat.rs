//! Live chat pages: the client's chat in the portal, the agents' inbox and conversation
//! page in the console. Messages travel over the tab's websocket (`ui::chat::ChatLink`);
//! everything else is server functions.

use crate::api::chat::*;
use crate::api::tickets::load_ticket_options;
use crate::types::{
    AgentPresence, ChatInbox, ConversationDetail, ConversationId, ConversationStatus,
    ConversationSummary,
};
use crate::ui::chat::{use_chat_link, ChatPanel};
use crate::ui::{field_error, ErrorNotice, FormError, TextArea, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn route_conversation_id() -> impl Fn() -> Option<ConversationId> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.with(|p| p.get("id").and_then(|id| id.parse().ok()))
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ---------------------------------------------------------------- portal

/// The client's chat: start one (or leave a message when nobody can answer), and the
/// conversations they had.
#[component]
pub fn PortalChatPage() -> impl IntoView {
    let availability = Resource::new(|| (), |_| load_chat_availability());
    let past = Resource::new(|| (), |_| my_chats());
    view! {
        <Title text="Chat with support"/>
        <div class="page-header"><h1>"Chat with support"</h1></div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match availability.await {
                    Ok(a) if a.open => view! { <StartChatForm waiting=a.waiting/> }.into_any(),
                    Ok(a) => view! { <LeaveMessageForm reason=a.reason.unwrap_or_default()/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
        <section aria-labelledby="past-chats-h">
            <h2 id="past-chats-h">"Your conversations"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match past.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No conversations yet."</p> }.into_any(),
                        Ok(list) => view! { <ConversationList list base="/portal/chat" staff=false/> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn StartChatForm(waiting: i64) -> impl IntoView {
    let start = ServerAction::<StartChat>::new();
    let value = start.value();
    view! {
        <section class="card" aria-labelledby="start-chat-h">
            <h2 id="start-chat-h">"Start a chat"</h2>
            <p class="muted">{if waiting == 0 { "An agent is available now.".to_string() } else { format!("{waiting} waiting before you.") }}</p>
            <ActionForm action=start attr:id="start-chat">
                <FormError value/>
                <TextField label="Topic" name="topic" required=true error=field_error(value, "topic")/>
                <TextArea label="Your message" name="text" error=field_error(value, "text")/>
                <button class="button" type="submit" id="start-chat-submit">"Start chat"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn LeaveMessageForm(reason: String) -> impl IntoView {
    let leave = ServerAction::<LeaveChatMessage>::new();
    let value = leave.value();
    view! {
        <section class="card" aria-labelledby="leave-h">
            <h2 id="leave-h">"Leave us a message"</h2>
            <p id="chat-offline-reason">{reason}" Leave a message and it becomes a support ticket; we answer by email and in your portal."</p>
            {move || value.get().and_then(|r| r.ok()).map(|(id, number)| view! {
                <p class="notice" role="status" id="left-message">
                    "Thank you. We raised ticket " <a href=format!("/portal/tickets/{id}")>{format!("#{number}")}</a> " for your message."
                </p>
            })}
            <ActionForm action=leave attr:id="leave-message">
                <FormError value/>
                <TextField label="Topic" name="topic" required=true error=field_error(value, "topic")/>
                <TextArea label="Your message" name="text" error=field_error(value, "text")/>
                <button class="button" type="submit" id="leave-message-submit">"Send message"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ConversationList(
    list: Vec<ConversationSummary>,
    base: &'static str,
    staff: bool,
) -> impl IntoView {
    let link = use_chat_link();
    view! {
        <table class="table chat-list">
            <thead><tr><th>"Topic"</th>{staff.then(|| view! { <th>"Client"</th><th>"Agent"</th> })}<th>"Status"</th><th>"Started"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|s| {
                    let id = s.id;
                    let unread = move || link.unread.with(|u| u.get(&id).copied().unwrap_or(0));
                    let status = match s.status {
                        ConversationStatus::Waiting if s.offered => format!("Offered to {}", s.assignee_name.clone().unwrap_or_default()),
                        ConversationStatus::Waiting => match s.queue_position { Some(n) => format!("Waiting (#{n})"), None => "Waiting".into() },
                        other => other.label().to_string(),
                    };
                    view! {
                        <tr data-conversation=id.to_string()>
                            <td><a href=format!("{base}/{id}")>{s.topic.clone()}</a>
                                {move || (unread() > 0).then(|| view! { " " <span class="count" aria-label=format!("{} unread", unread())>{unread()}</span> })}</td>
                            {staff.then(|| view! {
                                <td>{s.client_name.clone()}" · "<a href=format!("/console/accounts/{}", s.account_id)>{s.account_name.clone()}</a></td>
                                <td>{s.assignee_name.clone().unwrap_or_else(|| "—".into())}</td>
                            })}
                            <td>{status}</td>
                            <td>{when(s.created_at)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// One of the client's conversations, live.
#[component]
pub fn PortalConversationPage() -> impl IntoView {
    let id = route_conversation_id();
    let detail = Resource::new(id, |id| async move {
        match id {
            Some(id) => load_conversation(id).await,
            None => Err(crate::error::AppError::NotFound),
        }
    });
    view! {
        <Title text="Chat"/>
        <p><a href="/portal/chat">"← All conversations"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <ClientConversation detail=d/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ClientConversation(detail: ConversationDetail) -> impl IntoView {
    let link = use_chat_link();
    let c = detail.summary.id;
    let status = Memo::new(move |_| {
        link.conversations
            .with(|cs| cs.get(&c).map(|s| (s.status, s.rating, s.ticket_id)))
    });
    let end = ServerAction::<EndChat>::new();
    let rate = ServerAction::<RateChat>::new();
    let transcript = ServerAction::<EmailChatTranscript>::new();
    let convert = ServerAction::<ConvertChatToTicket>::new();
    let rate_value = rate.value();
    let convert_value = convert.value();
    view! {
        <ChatPanel detail staff=false/>
        <section class="chat-actions" aria-label="Chat actions">
            {move || match status.get() {
                Some((ConversationStatus::Waiting, _, _)) => view! {
                    <ActionForm action=convert attr:id="leave-message-instead">
                        <input type="hidden" name="id" value=c.to_string()/>
                        <button class="button secondary" type="submit">"Leave a message instead"</button>
                    </ActionForm>
                    <ActionForm action=end attr:id="end-chat">
                        <input type="hidden" name="id" value=c.to_string()/>
                        <button class="button link" type="submit">"Leave the chat"</button>
                    </ActionForm>
                }.into_any(),
                Some((ConversationStatus::Active, _, _)) => view! {
                    <ActionForm action=end attr:id="end-chat">
                        <input type="hidden" name="id" value=c.to_string()/>
                        <button class="button secondary" type="submit" id="end-chat-submit">"End the chat"</button>
                    </ActionForm>
                }.into_any(),
                Some((ConversationStatus::Closed, rating, _)) => view! {
                    {match rating {
                        Some(r) => view! { <p id="chat-rated">{format!("You rated this chat {r} of 5. Thank you!")}</p> }.into_any(),
                        None => view! {
                            <ActionForm action=rate attr:id="rate-chat" attr:class="rating">
                                <input type="hidden" name="id" value=c.to_string()/>
                                <fieldset>
                                    <legend>"How was this chat?"</legend>
                                    {(1..=5).map(|n| view! {
                                        <label class="star"><input type="radio" name="rating" value=n.to_string() required/>{format!(" {n}")}</label>
                                    }).collect_view()}
                                </fieldset>
                                <TextField label="Comment (optional)" name="comment" maxlength=2000 error=field_error(rate_value, "comment")/>
                                <button class="button" type="submit">"Rate"</button>
                            </ActionForm>
                        }.into_any(),
                    }}
                    <ActionForm action=transcript attr:id="email-transcript">
                        <input type="hidden" name="id" value=c.to_string()/>
                        <button class="button secondary" type="submit">"Email me the transcript"</button>
                    </ActionForm>
                    {move || transcript.value().get().map(|r| match r {
                        Ok(()) => view! { <p role="status" id="transcript-sent">"The transcript is on its way to your inbox."</p> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    })}
                }.into_any(),
                None => ().into_any(),
            }}
            {move || convert_value.get().map(|r| match r {
                Ok((id, n)) => view! { <p class="notice" role="status" id="left-message">"We raised ticket " <a href=format!("/portal/tickets/{id}")>{format!("#{n}")}</a> " from your message; we will answer there."</p> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
        </section>
    }
}

// ---------------------------------------------------------------- console

/// The agents' inbox: presence, waiting / mine / others, search.
#[component]
pub fn ChatInboxPage() -> impl IntoView {
    let link = use_chat_link();
    link.connect();
    let query = use_query_map();
    let q = move || query.with(|q| q.get("q").unwrap_or_default());
    let presence = ServerAction::<SetChatPresence>::new();
    let accept = ServerAction::<AcceptChat>::new();
    let inbox = Resource::new(
        move || {
            (
                link.inbox_changed.get(),
                presence.version().get(),
                accept.version().get(),
            )
        },
        |_| load_chat_inbox(),
    );
    let hits = Resource::new(q, |q| async move {
        if q.trim().is_empty() {
            Ok(vec![])
        } else {
            search_chats(q).await
        }
    });
    auto_away(inbox);
    view! {
        <Title text="Chats"/>
        <div class="page-header">
            <h1>"Chats"</h1>
            <form method="get" action="/console/chats" class="search" role="search">
                <label for="chat-search" class="visually-hidden">"Search conversations"</label>
                <input id="chat-search" name="q" type="search" placeholder="Search conversations" value=q/>
                <button class="button secondary" type="submit">"Search"</button>
            </form>
        </div>
        <p class="chat-link-state" id="chat-connection" role="status">{move || link.state.get().label()}</p>
        <FormError value=accept.value()/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match inbox.await {
                    Ok(inbox) => view! { <Inbox inbox presence accept/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match hits.await {
                    Ok(h) if h.is_empty() => ().into_any(),
                    Ok(h) => view! {
                        <section aria-labelledby="hits-h">
                            <h2 id="hits-h">"Search results"</h2>
                            <ul class="stack" id="chat-search-results">
                                {h.into_iter().map(|hit| view! {
                                    <li><a href=format!("/console/chats/{}", hit.conversation.id)>{hit.conversation.topic.clone()}</a>
                                        " · "{hit.conversation.client_name.clone()}" · "{when(hit.conversation.created_at)}
                                        <p class="muted">{hit.excerpt}</p></li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Sets the agent away after the configured idle minutes, and online again on activity.
fn auto_away(inbox: Resource<Result<ChatInbox, crate::error::AppError>>) {
    #[cfg(feature = "hydrate")]
    {
        use std::cell::Cell;
        use std::rc::Rc;
        use wasm_bindgen::{closure::Closure, JsCast};
        let link = use_chat_link();
        let last = Rc::new(Cell::new(js_now()));
        let auto = Rc::new(Cell::new(false));
        let (l2, a2) = (last.clone(), auto.clone());
        let on_activity = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            l2.set(js_now());
            if a2.replace(false) {
                link.set_presence(AgentPresence::Online);
            }
        });
        if let Some(w) = web_sys::window() {
            for ev in ["keydown", "pointerdown", "pointermove", "focus"] {
                let _ =
                    w.add_event_listener_with_callback(ev, on_activity.as_ref().unchecked_ref());
            }
        }
        on_activity.forget();
        let check = send_wrapper::SendWrapper::new((last, auto));
        if let Ok(h) = set_interval_with_handle(
            move || {
                let (last, auto) = &*check;
                let Some(Ok(inbox)) = inbox.get_untracked() else {
                    return;
                };
                let idle_ms = f64::from(inbox.away_after_minutes) * 60_000.0;
                if inbox.presence == AgentPresence::Online && js_now() - last.get() > idle_ms {
                    auto.set(true);
                    link.set_presence(AgentPresence::Away);
                }
            },
            std::time::Duration::from_secs(20),
        ) {
            on_cleanup(move || h.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = inbox;
}

#[cfg(feature = "hydrate")]
fn js_now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

#[component]
fn Inbox(
    inbox: ChatInbox,
    presence: ServerAction<SetChatPresence>,
    accept: ServerAction<AcceptChat>,
) -> impl IntoView {
    let ChatInbox {
        waiting,
        mine,
        others,
        presence: current,
        max_chats,
        agents,
        ..
    } = inbox;
    let mine_count = mine.len();
    let offered: Vec<ConversationSummary> = mine.iter().filter(|s| s.offered).cloned().collect();
    view! {
        <section class="card presence" aria-labelledby="presence-h">
            <h2 id="presence-h">"Your status"</h2>
            <p id="my-presence" data-presence=current.as_str()>{format!("{} · {mine_count} of {max_chats} chats", current.label())}</p>
            <ActionForm action=presence attr:class="inline">
                <input type="hidden" name="status" value="online"/>
                <button class="button secondary" type="submit" id="go-online" disabled=current == AgentPresence::Online>"Online"</button>
            </ActionForm>
            <ActionForm action=presence attr:class="inline">
                <input type="hidden" name="status" value="away"/>
                <button class="button secondary" type="submit" id="go-away" disabled=current == AgentPresence::Away>"Away"</button>
            </ActionForm>
        </section>
        {(!offered.is_empty()).then(|| view! {
            <section class="card offered" aria-labelledby="offered-h" role="alert">
                <h2 id="offered-h">"New chats for you"</h2>
                <ul class="stack" id="offered-chats">
                    {offered.into_iter().map(|s| view! {
                        <li>{s.topic.clone()}" · "{s.client_name.clone()}" · "{s.account_name.clone()}" "
                            <ActionForm action=accept attr:class="inline">
                                <input type="hidden" name="id" value=s.id.to_string()/>
                                <button class="button" type="submit" id=format!("accept-{}", s.id)>"Accept"</button>
                            </ActionForm>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <section aria-labelledby="waiting-h">
            <h2 id="waiting-h">{format!("Waiting ({})", waiting.len())}</h2>
            {if waiting.is_empty() {
                view! { <p class="empty">"Nobody is waiting."</p> }.into_any()
            } else {
                view! {
                    <ul class="stack" id="waiting-chats">
                        {waiting.into_iter().map(|s| view! {
                            <li>
                                <a href=format!("/console/chats/{}", s.id)>{s.topic.clone()}</a>" · "{s.client_name.clone()}" · "{s.account_name.clone()}
                                " · waiting since "{s.created_at.format("%H:%M").to_string()}" "
                                <ActionForm action=accept attr:class="inline">
                                    <input type="hidden" name="id" value=s.id.to_string()/>
                                    <button class="button" type="submit" id=format!("accept-{}", s.id)>"Accept"</button>
                                </ActionForm>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="mine-h">
            <h2 id="mine-h">"Mine"</h2>
            {if mine.is_empty() { view! { <p class="empty">"No chats."</p> }.into_any() } else { view! { <div id="my-chats"><ConversationList list=mine base="/console/chats" staff=true/></div> }.into_any() }}
        </section>
        <section aria-labelledby="others-h">
            <h2 id="others-h">"Others' chats"</h2>
            {if others.is_empty() { view! { <p class="empty">"No chats."</p> }.into_any() } else { view! { <ConversationList list=others base="/console/chats" staff=true/> }.into_any() }}
        </section>
        <section aria-labelledby="agents-h">
            <h2 id="agents-h">"Agents"</h2>
            <ul class="stack" id="agents">
                {agents.into_iter().map(|a| view! {
                    <li data-presence=a.presence.as_str()>{a.name}" · "{a.presence.label()}" · "{format!("{} of {}", a.active_chats, a.max_chats)}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}

/// One conversation for an agent: the panel, the client's context, and the actions.
#[component]
pub fn ConsoleConversationPage() -> impl IntoView {
    let link = use_chat_link();
    link.connect();
    let id = route_conversation_id();
    let accept = ServerAction::<AcceptChat>::new();
    let detail = Resource::new(
        move || (id(), accept.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_conversation(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    let canned = Resource::new(|| (), |_| load_canned_responses());
    let options = Resource::new(|| (), |_| load_ticket_options());
    view! {
        <Title text="Chat"/>
        <p><a href="/console/chats">"← Inbox"</a></p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let canned = canned.await.unwrap_or_default();
                let options = options.await.unwrap_or_default();
                match detail.await {
                    Ok(d) => view! { <AgentConversation detail=d canned options accept/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AgentConversation(
    detail: ConversationDetail,
    canned: Vec<crate::types::CannedResponse>,
    options: crate::types::TicketOptions,
    accept: ServerAction<AcceptChat>,
) -> impl IntoView {
    let link = use_chat_link();
    let c = detail.summary.id;
    let context = detail.context.clone();
    let participants = detail.participants.clone();
    let summary = Memo::new(move |_| link.conversations.with(|cs| cs.get(&c).cloned()));
    let transfer = ServerAction::<TransferChat>::new();
    let invite = ServerAction::<InviteToChat>::new();
    let end = ServerAction::<EndChat>::new();
    let convert = ServerAction::<ConvertChatToTicket>::new();
    let me = move || link.me.get().map(|(id, _)| id);
    let agents = StoredValue::new(options.agents.clone());
    let teams = StoredValue::new(options.teams.clone());
    let canned_list = canned.clone();
    view! {
        <div class="chat-layout">
            <div class="chat-main">
                {move || summary.get().filter(|s| s.status == ConversationStatus::Waiting && (s.assignee_id.is_none() || s.assignee_id == me())).map(|_| view! {
                    <ActionForm action=accept attr:id="accept-chat">
                        <input type="hidden" name="id" value=c.to_string()/>
                        <button class="button" type="submit" id="accept-chat-submit">"Accept this chat"</button>
                    </ActionForm>
                })}
                <FormError value=accept.value()/>
                <ChatPanel detail staff=true canned/>
            </div>
            <aside class="chat-side" aria-label="Client context">
                {context.map(|ctx| view! {
                    <section class="card" id="chat-context">
                        <h2>"Client"</h2>
                        {move || summary.get().map(|s| view! {
                            <p><strong>{s.client_name.clone()}</strong></p>
                            <p><a href=format!("/console/accounts/{}", s.account_id)>{s.account_name.clone()}</a></p>
                        })}
                        <p>{format!("Account: {} · {}", ctx.account_type, ctx.account_status)}</p>
                        {ctx.contact_email.clone().map(|e| view! { <p>{e}</p> })}
                        {ctx.contact_phone.clone().map(|p| view! { <p>{p}</p> })}
                        <p class="muted">{format!("{} earlier conversations", ctx.earlier_conversations)}</p>
                        <h3>"Open tickets"</h3>
                        {if ctx.open_tickets.is_empty() {
                            view! { <p class="empty">"None."</p> }.into_any()
                        } else {
                            view! { <ul class="stack" id="context-tickets">{ctx.open_tickets.iter().map(|t| view! {
                                <li><a href=format!("/console/tickets/{}", t.id)>{format!("#{} {}", t.number, t.subject)}</a>" · "{t.status.clone()}</li>
                            }).collect_view()}</ul> }.into_any()
                        }}
                    </section>
                })}
                {(!participants.is_empty()).then(|| view! { <p class="muted">"Also in this chat: "{participants.join(", ")}</p> })}
                {move || summary.get().filter(|s| s.status != ConversationStatus::Closed).map(|_| view! {
                    <section class="card" aria-labelledby="chat-actions-h">
                        <h2 id="chat-actions-h">"Actions"</h2>
                        <ActionForm action=convert attr:id="convert-chat">
                            <input type="hidden" name="id" value=c.to_string()/>
                            <button class="button" type="submit" id="convert-chat-submit">"Convert to ticket"</button>
                        </ActionForm>
                        <FormError value=convert.value()/>
                        <ActionForm action=end attr:id="close-chat">
                            <input type="hidden" name="id" value=c.to_string()/>
                            <button class="button secondary" type="submit" id="close-chat-submit">"Close chat"</button>
                        </ActionForm>
                        <ActionForm action=transfer attr:id="transfer-chat">
                            <input type="hidden" name="id" value=c.to_string()/>
                            <label for="to_agent">"Transfer to an agent"</label>
                            <select id="to_agent" name="to_agent">
                                <option value="">"—"</option>
                                {agents.get_value().into_iter().map(|a| view! { <option value=a.id>{a.label}</option> }).collect_view()}
                            </select>
                            <label for="to_team">"or to a team"</label>
                            <select id="to_team" name="to_team">
                                <option value="">"—"</option>
                                {teams.get_value().into_iter().map(|t| view! { <option value=t.id>{t.label}</option> }).collect_view()}
                            </select>
                            <button class="button secondary" type="submit">"Transfer"</button>
                        </ActionForm>
                        <FormError value=transfer.value()/>
                        <ActionForm action=invite attr:id="invite-chat">
                            <input type="hidden" name="id" value=c.to_string()/>
                            <label for="invite_user">"Invite a supervisor"</label>
                            <select id="invite_user" name="user_id" required>
                                {agents.get_value().into_iter().map(|a| view! { <option value=a.id>{a.label}</option> }).collect_view()}
                            </select>
                            <button class="button secondary" type="submit">"Invite"</button>
                        </ActionForm>
                        <FormError value=invite.value()/>
                    </section>
                })}
                {(!canned_list.is_empty()).then(|| view! {
                    <section class="card" aria-labelledby="canned-h">
                        <h2 id="canned-h">"Canned responses"</h2>
                        <dl class="canned" id="canned-responses">
                            {canned_list.into_iter().map(|r| view! { <dt>{format!("/{}", r.shortcut)}</dt><dd>{r.title}</dd> }).collect_view()}
                        </dl>
                        <p class="hint">"Type the shortcut in the message box and press Tab."</p>
                    </section>
                })}
            </aside>
        </div>
    }
    .into_any()
}

/// Chats at an account, for its 360° view.
#[component]
pub fn AccountChats(
    list: Result<Vec<ConversationSummary>, crate::error::AppError>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="account-chats-h" id="account-chats">
            <h2 id="account-chats-h">"Chats"</h2>
            {match list {
                Ok(l) if l.is_empty() => view! { <p class="empty">"No chats yet."</p> }.into_any(),
                Ok(l) => view! { <ConversationList list=l base="/console/chats" staff=true/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
        </section>
    }
}
