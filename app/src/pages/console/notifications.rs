use crate::api::notifications::{
    my_email_mode, my_notifications, MarkNotificationsRead, SetEmailMode,
};
use crate::types::EmailMode;
use crate::ui::{use_live_notices, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let live = use_live_notices();
    let mark = ServerAction::<MarkNotificationsRead>::new();
    let list = Resource::new(
        move || (live.get(), mark.version().get()),
        |_| my_notifications(),
    );
    let set_mode = ServerAction::<SetEmailMode>::new();
    let mode = Resource::new(move || set_mode.version().get(), |_| my_email_mode());
    view! {
        <Title text="Notifications"/>
        <div class="page-header">
            <h1>"Notifications"</h1>
            <div class="actions">
                <ActionForm action=mark>
                    <button class="button secondary" type="submit" id="mark-all-read">"Mark all as read"</button>
                </ActionForm>
            </div>
        </div>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let current = mode.await.unwrap_or(EmailMode::Immediate);
                view! {
                    <ActionForm action=set_mode attr:class="inline-form" attr:id="email-mode-form">
                        <label for="email-mode">"Email me "</label>
                        <select id="email-mode" name="mode">
                            {EmailMode::ALL.iter().map(|m| view! { <option value=m.as_str() selected=*m == current>{m.label()}</option> }).collect_view()}
                        </select>
                        <button class="button secondary" type="submit" id="save-email-mode">"Save"</button>
                    </ActionForm>
                }
            })}
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! { <p class="empty">"Nothing new."</p> }.into_any(),
                    Ok(items) => view! {
                        <ul class="stack" id="notifications">
                            {items.into_iter().map(|n| view! {
                                <li class:unread=!n.read>
                                    <a href=n.link.clone()>{n.title}</a>" "
                                    <span class="muted">{n.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}</span>
                                    {(!n.read).then(|| view! {
                                        <ActionForm action=mark attr:class="inline">
                                            <input type="hidden" name="id" value=n.id.to_string()/>
                                            <button class="link-button" type="submit">"Mark read"</button>
                                        </ActionForm>
                                    })}
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
