use crate::api::auth::{current_user, Logout};
use crate::types::{Me, Role};
use crate::ui::ErrorNotice;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

/// Switches light/dark and remembers the choice. Only works once hydrated,
/// which makes it the end-to-end tests' proof of hydration.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let (dark, set_dark) = signal(false);
    let toggle = move |_| {
        let next = !dark.get_untracked();
        set_dark.set(next);
        #[cfg(feature = "hydrate")]
        {
            let theme = if next { "dark" } else { "light" };
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                if let Some(root) = doc.document_element() {
                    let _ = root.set_attribute("data-theme", theme);
                }
            }
            if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten())
            {
                let _ = storage.set_item("steward-theme", theme);
            }
        }
    };
    view! {
        <button type="button" class="button secondary theme-toggle" id="theme-toggle"
            aria-pressed=move || dark.get().to_string() on:click=toggle>
            {move || if dark.get() { "Light mode" } else { "Dark mode" }}
        </button>
    }
}

#[component]
fn SignOut() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <ActionForm action=logout>
            <button type="submit" class="button link" id="sign-out">"Sign out"</button>
        </ActionForm>
    }
}

/// Loads the signed-in user; renders `inner` for the right kind of user,
/// otherwise sends them to sign in or explains they have no access.
#[component]
fn Gate(staff: bool, inner: fn(Me) -> AnyView) -> impl IntoView {
    let me = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) if me.is_staff() == staff => inner(me),
                    Ok(Some(me)) => view! {
                        <main class="auth-page" id="main">
                            <div class="auth-card" role="alert">
                                <h1>"No access"</h1>
                                <p>{if staff { "The console is for staff. Your account gives you the client portal." } else { "The portal is for clients. Staff use the console." }}</p>
                                <a class="button" href=me.home()>{if staff { "Go to the portal" } else { "Go to the console" }}</a>
                            </div>
                        </main>
                    }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <main id="main"><ErrorNotice error=e/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ConsoleShell() -> impl IntoView {
    view! { <Gate staff=true inner=|me| view! { <ConsoleLayout me/> }.into_any()/> }
}

#[component]
fn ConsoleLayout(me: Me) -> impl IntoView {
    let is_admin = me.role() == Some(Role::Admin);
    let manages_support = matches!(me.role(), Some(Role::Admin | Role::SupportManager));
    let works_tickets = matches!(
        me.role(),
        Some(Role::Admin | Role::SupportManager | Role::SupportAgent)
    );
    let name = me.display_name.clone();
    let role = me.role().map(Role::label).unwrap_or_default();
    provide_context(me);
    super::provide_live_feed();
    let chat = super::chat::provide_chat_link();
    // Agents are reachable anywhere in the console: new chats and messages ring here.
    if works_tickets {
        chat.connect();
    }
    let chat_unread = move || chat.unread.with(|u| u.values().sum::<u32>());
    let offered = move || {
        let me = chat.me.get().map(|(id, _)| id);
        chat.conversations.with(|cs| {
            cs.values()
                .filter(|c| c.offered && c.assignee_id.is_some() && c.assignee_id == me)
                .count()
        })
    };
    title_signal(Signal::derive(move || chat_unread() as usize + offered()));
    view! {
        <div class="shell">
            <nav class="shell-nav" aria-label="Console">
                <a class="brand" href="/console">"Steward"</a>
                <ul class="nav-list">
                    <li><A href="/console" exact=true>"Overview"</A></li>
                    <li><A href="/console/accounts">"Accounts"</A></li>
                    <li><A href="/console/contacts">"Contacts"</A></li>
                    <li><A href="/console/tickets">"Tickets"</A></li>
                    <li><A href="/console/chats">"Chats"
                        {move || { let n = chat_unread() as usize + offered(); (n > 0).then(|| view! { " " <span class="count" id="chat-unread" aria-label=format!("{n} new")>{n}</span> }) }}
                    </A></li>
                    <li><A href="/console/onboarding">"Onboarding"</A></li>
                    <li><A href="/console/tasks">"My tasks"</A></li>
                    <li><A href="/console/feedback">"Feedback"</A></li>
                    <li><A href="/console/health">"Account health"</A></li>
                    <li><A href="/console/kb">"Knowledge base"</A></li>
                    {works_tickets.then(|| view! { <li><A href="/console/tickets/review">"Mail to review"</A></li> })}
                    {manages_support.then(|| view! { <li><A href="/console/admin/support">"Support settings"</A></li> })}
                    {is_admin.then(|| view! {
                        <li><A href="/console/admin/users">"Users"</A></li>
                        <li><A href="/console/admin/api-keys">"API keys"</A></li>
                    })}
                </ul>
            </nav>
            <div class="shell-main">
                <header class="shell-header">
                    <div class="user-menu">
                        <span id="signed-in-as">{name}</span>
                        <span class="muted">{role}</span>
                    <NotificationBell href="/console/notifications"/>
                        <ThemeToggle/>
                        <SignOut/>
                    </div>
                </header>
                <main id="main">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

#[component]
pub fn PortalShell() -> impl IntoView {
    view! { <Gate staff=false inner=|me| view! { <PortalLayout me/> }.into_any()/> }
}

#[component]
fn PortalLayout(me: Me) -> impl IntoView {
    let name = me.display_name.clone();
    provide_context(me);
    super::provide_live_feed();
    super::chat::provide_chat_link();
    view! {
        <div class="shell portal">
            <nav class="shell-nav" aria-label="Portal">
                <a class="brand" href="/portal">"Steward"</a>
                <ul class="nav-list">
                    <li><A href="/portal" exact=true>"My company"</A></li>
                    <li><A href="/portal/onboarding">"Onboarding"</A></li>
                    <li><A href="/portal/training">"Training"</A></li>
                    <li><A href="/portal/tickets">"Tickets"</A></li>
                    <li><A href="/portal/chat">"Chat"</A></li>
                    <li><A href="/portal/surveys">"Surveys"</A></li>
                    <li><a href="/kb">"Help centre"</a></li>
                    <li><A href="/portal/profile">"My profile"</A></li>
                </ul>
                <div class="user-menu">
                    <span id="signed-in-as">{name}</span>
                    <NotificationBell href="/portal/notifications"/>
                    <ThemeToggle/>
                    <SignOut/>
                </div>
            </nav>
            <main class="shell-main" id="main">
                <Outlet/>
            </main>
        </div>
    }
}

/// Puts "(n) " before the page title while there are new chats or messages.
fn title_signal(count: Signal<usize>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let n = count.get();
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let title = doc.title();
            let bare = match title.strip_prefix('(').and_then(|t| t.split_once(") ")) {
                Some((digits, rest)) if digits.chars().all(|c| c.is_ascii_digit()) => {
                    rest.to_string()
                }
                _ => title,
            };
            doc.set_title(&if n > 0 { format!("({n}) {bare}") } else { bare });
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = count;
}

/// The link to the notification centre with the unread count, refreshed live.
#[component]
fn NotificationBell(href: &'static str) -> impl IntoView {
    let live = super::use_live_notices();
    let unread = Resource::new(
        move || live.get(),
        |_| crate::api::notifications::unread_notifications(),
    );
    view! {
        <a class="bell" href=href id="notification-bell">
            "Notifications"
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let n = unread.await.unwrap_or(0);
                    (n > 0).then(|| view! { " " <span class="count" id="unread-count" aria-label=format!("{n} unread")>{n}</span> })
                })}
            </Transition>
        </a>
    }
}
