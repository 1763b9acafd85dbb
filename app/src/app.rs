//! The router: public auth pages, `/console/*` for staff, `/portal/*` for clients.

use crate::pages::{
    auth::*, chat::*, console::*, health::*, knowledge::*, onboarding::*, portal::*, surveys::*,
    tasks::*, tickets::*, training::*, NotFoundPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    send_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="stylesheet" href="/pkg/steward.css"/>
                <script nonce=use_nonce()>{THEME_BOOT}</script>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Scripts run only from our own origin or inline with this response's nonce (leptos_axum
/// makes one per request and puts it on the hydration scripts), so markup that slipped past
/// sanitising (a ticket body, an article) cannot run script. Styles may be inline: the
/// pages set `style` attributes (bars, progress), and a style cannot run script. Images may
/// come from any https address: articles link them.
#[cfg(feature = "ssr")]
fn send_content_security_policy() {
    use leptos_axum::ResponseOptions;
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Applies the saved theme before first paint, so dark mode does not flash.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('steward-theme');if(t){document.documentElement.dataset.theme=t}}catch(e){}";

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Async SSR: the whole page (data included) is rendered before the response starts,
    // so sign-in redirects and 404s get real HTTP statuses.
    view! {
        <Title formatter=|text| format!("{text} · Steward")/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/invitation") view=InvitationPage ssr=SsrMode::Async/>
                <Route path=path!("/kb") view=KnowledgeBasePage ssr=SsrMode::Async/>
                <Route path=path!("/kb/:slug") view=ArticlePage ssr=SsrMode::Async/>
                <Route path=path!("/survey/:token") view=SurveyPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("/console") view=ConsoleShell ssr=SsrMode::Async>
                    <Route path=path!("") view=DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("accounts") view=AccountsPage ssr=SsrMode::Async/>
                    <Route path=path!("accounts/new") view=AccountNewPage ssr=SsrMode::Async/>
                    <Route path=path!("accounts/:id") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("accounts/:id/edit") view=AccountEditPage ssr=SsrMode::Async/>
                    <Route path=path!("contacts") view=ContactsPage ssr=SsrMode::Async/>
                    <Route path=path!("contacts/new") view=ContactNewPage ssr=SsrMode::Async/>
                    <Route path=path!("contacts/:id/edit") view=ContactEditPage ssr=SsrMode::Async/>
                    <Route path=path!("notifications") view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets") view=TicketsPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets/new") view=TicketNewPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets/review") view=ReviewQueuePage ssr=SsrMode::Async/>
                    <Route path=path!("tickets/:id") view=TicketPage ssr=SsrMode::Async/>
                    <Route path=path!("chats") view=ChatInboxPage ssr=SsrMode::Async/>
                    <Route path=path!("chats/:id") view=ConsoleConversationPage ssr=SsrMode::Async/>
                    <Route path=path!("kb") view=KnowledgeBaseConsolePage ssr=SsrMode::Async/>
                    <Route path=path!("kb/new") view=ArticleEditorPage ssr=SsrMode::Async/>
                    <Route path=path!("kb/:id") view=ArticleEditorPage ssr=SsrMode::Async/>
                    <Route path=path!("onboarding") view=OnboardingBoardPage ssr=SsrMode::Async/>
                    <Route path=path!("onboarding/templates") view=OnboardingTemplatesPage ssr=SsrMode::Async/>
                    <Route path=path!("onboarding/templates/new") view=OnboardingTemplateEditorPage ssr=SsrMode::Async/>
                    <Route path=path!("onboarding/templates/:id") view=OnboardingTemplateEditorPage ssr=SsrMode::Async/>
                    <Route path=path!("onboarding/welcome") view=WelcomeEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("onboarding/:id") view=OnboardingPage ssr=SsrMode::Async/>
                    <Route path=path!("training") view=TrainingDeskPage ssr=SsrMode::Async/>
                    <Route path=path!("feedback") view=FeedbackPage ssr=SsrMode::Async/>
                    <Route path=path!("feedback/settings") view=SurveySettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("tasks") view=TasksPage ssr=SsrMode::Async/>
                    <Route path=path!("health") view=HealthBoardPage ssr=SsrMode::Async/>
                    <Route path=path!("health/settings") view=HealthSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("admin/support") view=SupportSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("admin/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("admin/api-keys") view=ApiKeysPage ssr=SsrMode::Async/>
                </ParentRoute>
                <ParentRoute path=path!("/portal") view=PortalShell ssr=SsrMode::Async>
                    <Route path=path!("") view=PortalHomePage ssr=SsrMode::Async/>
                    <Route path=path!("profile") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("tickets") view=PortalTicketsPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets/new") view=PortalNewTicketPage ssr=SsrMode::Async/>
                    <Route path=path!("tickets/:id") view=PortalTicketPage ssr=SsrMode::Async/>
                    <Route path=path!("chat") view=PortalChatPage ssr=SsrMode::Async/>
                    <Route path=path!("chat/:id") view=PortalConversationPage ssr=SsrMode::Async/>
                    <Route path=path!("onboarding") view=PortalOnboardingPage ssr=SsrMode::Async/>
                    <Route path=path!("training") view=PortalTrainingPage ssr=SsrMode::Async/>
                    <Route path=path!("team") view=PortalTeamPage ssr=SsrMode::Async/>
                    <Route path=path!("surveys") view=PortalSurveysPage ssr=SsrMode::Async/>
                    <Route path=path!("notifications") view=NotificationsPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
