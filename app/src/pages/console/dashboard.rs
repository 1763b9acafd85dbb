use crate::api::accounts::get_console_summary;
use crate::types::Me;
use crate::ui::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let me = use_context::<Me>();
    let summary = Resource::new(|| (), |_| get_console_summary());
    view! {
        <Title text="Overview"/>
        <div class="page-header">
            <h1>{format!("Welcome, {}", me.map(|m| m.display_name).unwrap_or_default())}</h1>
            <div class="actions">
                <a class="button" href="/console/accounts/new">"New account"</a>
                <a class="button secondary" href="/console/contacts/new">"New contact"</a>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => view! {
                        <div class="card-grid">
                            <a class="card kpi" href="/console/accounts"><strong>{s.accounts}</strong><span>"Accounts"</span></a>
                            <a class="card kpi" href="/console/accounts?type=customer"><strong>{s.customers}</strong><span>"Customers"</span></a>
                            <a class="card kpi" href="/console/accounts?type=prospect"><strong>{s.prospects}</strong><span>"Prospects"</span></a>
                            <div class="card kpi"><strong>{s.locations}</strong><span>"Locations"</span></div>
                            <a class="card kpi" href="/console/contacts"><strong>{s.contacts}</strong><span>"Contacts"</span></a>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
