//! Account health: the account page's explained score, the health dashboard (at-risk accounts
//! first) and the admin's weights and thresholds.

use crate::api::health::{load_health_board, load_health_settings, SaveHealthSettings};
use crate::types::{AccountHealth, HealthBand, HealthBoard, HealthFilter, HealthPoint};
use crate::ui::{field_error, ErrorNotice, FormError, Pagination, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn band_class(b: Option<HealthBand>) -> &'static str {
    match b {
        Some(HealthBand::Healthy) => "band band-healthy",
        Some(HealthBand::NeedsAttention) => "band band-attention",
        Some(HealthBand::AtRisk) => "band band-risk",
        None => "band",
    }
}

fn band_label(b: Option<HealthBand>) -> &'static str {
    b.map(HealthBand::label).unwrap_or("Not enough data")
}

fn signed(v: f64) -> String {
    if v.abs() < 0.05 {
        "±0".into()
    } else {
        format!("{v:+.1}")
    }
}

/// The account page's health section (loaded with the page).
#[component]
pub fn AccountHealthView(h: AccountHealth) -> impl IntoView {
    let change = match (h.score, h.score_last_week) {
        (Some(now), Some(before)) => format!("{:+} since last week", now - before),
        _ => "no score a week ago".into(),
    };
    view! {
        <section class="card section" id="account-health" aria-labelledby="health-h">
            <div class="page-header">
                <h2 id="health-h">"Health"</h2>
                <span class=band_class(h.band) id="health-band">{band_label(h.band)}</span>
            </div>
            <p class="health-score">
                <strong id="health-score">{h.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</strong>
                <span class="muted">" / 100 · " {change}</span>
            </p>
            {(h.locations > 0).then(|| view! {
                <p class="hint">{format!(
                    "Includes {} location{}, weighted by their tickets in 90 days; this account alone scores {}.",
                    h.locations,
                    if h.locations == 1 { "" } else { "s" },
                    h.own_score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())
                )}</p>
            })}
            <table class="table" id="health-factors">
                <thead><tr><th>"Factor"</th><th>"Measured"</th><th>"Score"</th><th>"Weight"</th><th>"Points"</th><th>"Since last week"</th></tr></thead>
                <tbody>
                    {h.factors.iter().map(|f| view! {
                        <tr class:muted=f.sub_score.is_none()>
                            <td>{f.kind.label()}</td>
                            <td>{f.detail.clone()}</td>
                            <td>{f.sub_score.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into())}</td>
                            <td>{if f.sub_score.is_some() { format!("{:.0} %", f.share_percent) } else { "—".into() }}</td>
                            <td>{f.contribution.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())}</td>
                            <td>{f.change_since_last_week.map(signed).unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(h.history.len() > 1).then(|| view! { <HealthTrend points=h.history.clone()/> })}
            <p class="hint">{h.computed_at.map(|t| format!("Computed {}.", t.format("%Y-%m-%d %H:%M UTC"))).unwrap_or_else(|| "Not computed yet.".into())}</p>
        </section>
    }
}

/// Score by day over the last 90 days, as server-rendered SVG with the band thresholds.
#[component]
fn HealthTrend(points: Vec<HealthPoint>) -> impl IntoView {
    let (w, h, pad) = (600.0_f64, 140.0_f64, 20.0_f64);
    let first = points.first().map(|p| p.day).unwrap_or_default();
    let span = points
        .last()
        .map(|p| (p.day - first).num_days().max(1))
        .unwrap_or(1) as f64;
    let x =
        move |d: chrono::NaiveDate| pad + (w - 2.0 * pad) * ((d - first).num_days() as f64 / span);
    let y = move |v: f64| h - pad - (h - 2.0 * pad) * v / 100.0;
    let line = points
        .iter()
        .filter_map(|p| {
            p.score
                .map(|s| format!("{:.1},{:.1}", x(p.day), y(f64::from(s))))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let label = format!(
        "Health over {} days: {}",
        points.len(),
        points
            .iter()
            .map(|p| p.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=label id="health-trend">
                <line x1=pad y1=y(70.0) x2=w - pad y2=y(70.0) class="chart-grid"/>
                <line x1=pad y1=y(40.0) x2=w - pad y2=y(40.0) class="chart-grid"/>
                <line x1=pad y1=y(0.0) x2=w - pad y2=y(0.0) class="chart-axis"/>
                <polyline points=line fill="none" class="chart-line csat"/>
            </svg>
        </figure>
    }
}

#[component]
pub fn HealthBoardPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let filter = HealthFilter {
                band: q.get("band").and_then(|b| HealthBand::parse(&b)),
                owner_id: q.get("owner_id").and_then(|o| o.parse().ok()),
                q: q.get("q").filter(|v| !v.is_empty()),
            };
            let page = q
                .get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1);
            (filter, page)
        })
    };
    let board = Resource::new(args, |(f, page)| load_health_board(f, page - 1));
    let get = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let band = get("band");
    view! {
        <Title text="Account health"/>
        <div class="page-header">
            <h1>"Account health"</h1>
            <a class="button secondary" href="/console/health/settings">"Weights and bands"</a>
        </div>
        <form class="filters" method="get" action="/console/health">
            <label>"Band "
                <select name="band">
                    <option value="">"All"</option>
                    {HealthBand::ALL.iter().map(|b| view! { <option value=b.as_str() selected=band == b.as_str()>{b.label()}</option> }).collect_view()}
                </select>
            </label>
            <input type="search" name="q" value=get("q") placeholder="Account name"/>
            {(!get("owner_id").is_empty()).then(|| view! { <input type="hidden" name="owner_id" value=get("owner_id")/> })}
            <button class="button" type="submit">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (f, page) = args();
                match board.await {
                    Ok(b) => view! { <HealthBoardView b f page/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HealthBoardView(b: HealthBoard, f: HealthFilter, page: u32) -> impl IntoView {
    let pages = ((b.total + 49) / 50).max(1) as u32;
    let mut base = String::from("/console/health?");
    if let Some(band) = f.band {
        base.push_str(&format!("band={}&", band.as_str()));
    }
    if let Some(q) = &f.q {
        base.push_str(&format!("q={}&", q.replace(['&', '#', '?'], " ")));
    }
    let base = base.trim_end_matches(['&', '?']).to_string();
    view! {
        <div class="kpis" id="health-counts">
            <a class="kpi" href="/console/health?band=at_risk"><span class="kpi-label">"At risk"</span><strong>{b.at_risk}</strong></a>
            <a class="kpi" href="/console/health?band=needs_attention"><span class="kpi-label">"Needs attention"</span><strong>{b.needs_attention}</strong></a>
            <a class="kpi" href="/console/health?band=healthy"><span class="kpi-label">"Healthy"</span><strong>{b.healthy}</strong></a>
            <div class="kpi"><span class="kpi-label">"Not enough data"</span><strong>{b.no_data}</strong></div>
        </div>
        <table class="table" id="health-table">
            <thead><tr><th>"Account"</th><th>"Health"</th><th>"Band"</th><th>"Last week"</th><th>"Weakest factor"</th><th>"Owner"</th><th>"In band since"</th></tr></thead>
            <tbody>
                {b.rows.into_iter().map(|r| view! {
                    <tr>
                        <td><a href=format!("/console/accounts/{}", r.account_id.0)>{r.account_name}</a></td>
                        <td>{r.score.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                        <td><span class=band_class(r.band)>{band_label(r.band)}</span></td>
                        <td>{r.score_last_week.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                        <td>{r.weakest.unwrap_or_default()}</td>
                        <td>{r.owner_name.unwrap_or_default()}</td>
                        <td>{r.band_since.format("%Y-%m-%d").to_string()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <Pagination base page pages total=b.total/>
    }
}

#[component]
pub fn HealthSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveHealthSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| load_health_settings());
    let value = save.value();
    view! {
        <Title text="Health weights"/>
        <div class="page-header"><h1>"Health score: weights and bands"</h1><a href="/console/health">"← Account health"</a></div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! {
                        <section class="card">
                            <p class="hint">"Weights are relative: a factor with weight 0 is left out, and factors an account has no data for hand their weight to the others. Saving recomputes every account."</p>
                            <ActionForm action=save>
                                <div class="form">
                                    <FormError value/>
                                    {move || value.with(|v| matches!(v, Some(Ok(()))).then(|| view! { <p class="form-success" role="status">"Saved; scores are being recomputed."</p> }))}
                                    <TextField label="Ticket load and SLA breaches" name="settings[weight_tickets]" kind="number" value=s.weight_tickets.to_string() error=field_error(value, "weight_tickets")/>
                                    <TextField label="Recent CSAT" name="settings[weight_csat]" kind="number" value=s.weight_csat.to_string() error=field_error(value, "weight_csat")/>
                                    <TextField label="Recent NPS" name="settings[weight_nps]" kind="number" value=s.weight_nps.to_string() error=field_error(value, "weight_nps")/>
                                    <TextField label="Onboarding progress" name="settings[weight_onboarding]" kind="number" value=s.weight_onboarding.to_string() error=field_error(value, "weight_onboarding")/>
                                    <TextField label="Client activity" name="settings[weight_activity]" kind="number" value=s.weight_activity.to_string() error=field_error(value, "weight_activity")/>
                                    <TextField label="Overdue payments (once ERP data is imported)" name="settings[weight_payments]" kind="number" value=s.weight_payments.to_string() error=field_error(value, "weight_payments")/>
                                    <TextField label="Healthy from (score)" name="settings[healthy_from]" kind="number" value=s.healthy_from.to_string() error=field_error(value, "healthy_from")/>
                                    <TextField label="Needs attention from (score; below is at risk)" name="settings[attention_from]" kind="number" value=s.attention_from.to_string() error=field_error(value, "attention_from")/>
                                    <div class="form-actions"><button class="button" type="submit" id="save-health-settings">"Save"</button></div>
                                </div>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
