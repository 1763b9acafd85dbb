//! Surveys: the answer page behind a mailed link (no login), the portal's pending surveys,
//! the console's feedback analytics and the survey rules and templates.

use crate::api::surveys::{
    load_feedback_report, load_survey, load_survey_settings, load_survey_templates,
    my_pending_surveys, AnswerSurvey, SaveSurveySettings, SaveSurveyTemplate,
};
use crate::types::{
    FeedbackFilter, FeedbackGroup, FeedbackGrouping, FeedbackReport, FeedbackScores,
    SurveyAnswerOutcome, SurveyForm, SurveyKind,
};
use crate::ui::{
    field_error, ErrorNotice, FormError, Pagination, TextArea, TextField, ThemeToggle,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn SurveyPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let answer = ServerAction::<AnswerSurvey>::new();
    // Reloaded after an answer: it shows what was recorded (and whether it may still change).
    let survey = Resource::new(
        move || (token(), answer.version().get()),
        |(t, _)| load_survey(t),
    );
    let value = answer.value();
    view! {
        <Title text="Your feedback"/>
        <main class="auth-page" id="main">
            <div class="auth-tools"><ThemeToggle/></div>
            <div class="auth-card survey-card">
                <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match survey.await {
                            Ok(form) => view! { <SurveyAnswerForm form token=token() answer/> }.into_any(),
                            Err(crate::error::AppError::NotFound) => view! {
                                <h1>"This link does not work"</h1>
                                <p class="form-error" role="alert">"The survey link is not valid. Please use the link from your email as it was sent."</p>
                            }.into_any(),
                            Err(e) => view! {
                                <h1>"This survey is closed"</h1>
                                <p class="form-error" role="alert">{e.to_string()}</p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
                {move || value.with(|v| match v {
                    Some(Ok(outcome)) => Some(view! {
                        <p class="form-success" role="status" id="survey-thanks">{match outcome {
                            SurveyAnswerOutcome::Recorded => "Thank you! Your answer is recorded.",
                            SurveyAnswerOutcome::Updated => "Thank you! Your answer is updated.",
                            SurveyAnswerOutcome::AlreadyAnswered => "You have already answered this survey; your first answer stands. Thank you!",
                        }}</p>
                    }),
                    _ => None,
                })}
            </div>
        </main>
    }
}

#[component]
fn SurveyAnswerForm(
    form: SurveyForm,
    token: String,
    answer: ServerAction<AnswerSurvey>,
) -> impl IntoView {
    let value = answer.value();
    let (low, high) = form.kind.ends();
    let scale = form.kind.scale();
    let chosen = form.score;
    let heading = if form.about.is_empty() {
        format!("Hello {}", form.contact_name)
    } else {
        form.about.clone()
    };
    if !form.open {
        return view! {
            <h1>{heading}</h1>
            <p class="form-success" role="status">{match form.score {
                Some(s) => format!("You answered {s}. Thank you for your feedback!"),
                None => "This survey has closed.".to_string(),
            }}</p>
        }
        .into_any();
    }
    view! {
        <h1>{heading}</h1>
        <ActionForm action=answer>
            <div class="form">
                <FormError value/>
                <input type="hidden" name="token" value=token/>
                <fieldset class="score-scale" class:nps=form.kind == SurveyKind::Nps>
                    <legend>{form.question.clone()}</legend>
                    <div class="score-options">
                        {scale.map(|s| {
                            let id = format!("score-{s}");
                            view! {
                                <label class="score-option" for=id.clone()>
                                    <input type="radio" name="score" id=id.clone() value=s.to_string()
                                        required=true checked=chosen == Some(s)/>
                                    <span>{s}</span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <div class="score-ends"><span>{low}</span><span>{high}</span></div>
                    <p class="field-error" aria-live="polite">{move || field_error(value, "score").get()}</p>
                </fieldset>
                <TextArea label="Anything you would like to add? (optional)" name="comment"
                    value=form.comment.clone().unwrap_or_default() error=field_error(value, "comment")/>
                <div class="form-actions">
                    <button class="button" type="submit" id="survey-submit">"Send my answer"</button>
                </div>
                <p class="hint">{format!("This link works until {}.", form.expires_at.format("%e %B %Y"))}</p>
            </div>
        </ActionForm>
    }
    .into_any()
}

#[component]
pub fn PortalSurveysPage() -> impl IntoView {
    let pending = Resource::new(|| (), |_| my_pending_surveys());
    view! {
        <Title text="Surveys"/>
        <div class="page-header"><h1>"Your feedback"</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match pending.await {
                    Ok(list) if list.is_empty() => view! {
                        <p class="muted" id="no-surveys">"No surveys are waiting for you. Thank you!"</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="card-list" id="pending-surveys">
                            {list.into_iter().map(|s| view! {
                                <li class="card">
                                    <strong>{s.kind.label()}</strong>
                                    " · "
                                    {if s.about.is_empty() { "How likely are you to recommend us?".to_string() } else { s.about.clone() }}
                                    <p class="muted">{format!("Sent {} · open until {}", s.sent_at.format("%Y-%m-%d"), s.expires_at.format("%Y-%m-%d"))}</p>
                                    <a class="button" href=s.link>"Answer"</a>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn filter_from_query(
    q: &leptos_router::params::ParamsMap,
) -> (FeedbackFilter, FeedbackGrouping, u32) {
    let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
    let filter = FeedbackFilter {
        from: get("from").and_then(|v| v.parse().ok()),
        to: get("to").and_then(|v| v.parse().ok()),
        agent_id: get("agent_id").and_then(|v| v.parse().ok()),
        team_id: get("team_id").and_then(|v| v.parse().ok()),
        ticket_type: get("ticket_type"),
        channel: get("channel"),
        account_id: get("account_id").and_then(|v| v.parse().ok()),
        q: get("q"),
        max_score: get("max_score").and_then(|v| v.parse().ok()),
        kind: get("kind").and_then(|v| SurveyKind::parse(&v)),
    };
    let grouping = get("group")
        .and_then(|g| FeedbackGrouping::parse(&g))
        .unwrap_or(FeedbackGrouping::Month);
    let page = get("page")
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or(1)
        .max(1);
    (filter, grouping, page)
}

/// The filter as a query string, with one key replaced (for drill-down and export links).
fn query_string(
    f: &FeedbackFilter,
    grouping: FeedbackGrouping,
    set: Option<(&str, String)>,
) -> String {
    let mut pairs: Vec<(&str, String)> = vec![
        ("from", f.from.map(|d| d.to_string()).unwrap_or_default()),
        ("to", f.to.map(|d| d.to_string()).unwrap_or_default()),
        (
            "agent_id",
            f.agent_id.map(|v| v.0.to_string()).unwrap_or_default(),
        ),
        (
            "team_id",
            f.team_id.map(|v| v.0.to_string()).unwrap_or_default(),
        ),
        ("ticket_type", f.ticket_type.clone().unwrap_or_default()),
        ("channel", f.channel.clone().unwrap_or_default()),
        (
            "account_id",
            f.account_id.map(|v| v.0.to_string()).unwrap_or_default(),
        ),
        ("q", f.q.clone().unwrap_or_default()),
        (
            "max_score",
            f.max_score.map(|v| v.to_string()).unwrap_or_default(),
        ),
        (
            "kind",
            f.kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        ),
        ("group", grouping.as_str().to_string()),
    ];
    if let Some((k, v)) = set {
        pairs.retain(|(key, _)| *key != k);
        pairs.push((k, v));
    }
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", urlencoding(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencoding(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1} %")).unwrap_or_else(|| "—".into())
}

fn nps(v: Option<f64>) -> String {
    v.map(|x| format!("{x:+.0}")).unwrap_or_else(|| "—".into())
}

#[component]
pub fn FeedbackPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || query.with(filter_from_query);
    let report = Resource::new(args, |(f, g, page)| load_feedback_report(f, g, page - 1));
    view! {
        <Title text="Feedback"/>
        <div class="page-header">
            <h1>"Feedback"</h1>
            <a class="button secondary" href="/console/feedback/settings">"Surveys and rules"</a>
        </div>
        <FeedbackFilters/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (f, g, page) = args();
                match report.await {
                    Ok(r) => view! { <FeedbackView r f g page/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn FeedbackFilters() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let group = get("group");
    let kind = get("kind");
    view! {
        <form class="filters" method="get" action="/console/feedback" id="feedback-filters">
            <label>"From " <input type="date" name="from" value=get("from")/></label>
            <label>"To " <input type="date" name="to" value=get("to")/></label>
            <label>"Survey "
                <select name="kind">
                    <option value="">"All"</option>
                    {SurveyKind::ALL.iter().map(|k| view! { <option value=k.as_str() selected=kind == k.as_str()>{k.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Group by "
                <select name="group">
                    {FeedbackGrouping::ALL.iter().map(|g| view! { <option value=g.as_str() selected=group == g.as_str()>{g.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Comments " <input type="search" name="q" value=get("q") placeholder="words in comments"/></label>
            <label>"Score at most " <input type="number" name="max_score" min="0" max="10" value=get("max_score")/></label>
            {["agent_id", "team_id", "ticket_type", "channel", "account_id"].into_iter().filter_map(|k| {
                let v = get(k);
                (!v.is_empty()).then(|| view! { <input type="hidden" name=k value=v/> })
            }).collect_view()}
            <button class="button" type="submit">"Apply"</button>
            <a href="/console/feedback">"Clear"</a>
        </form>
    }
}

#[component]
fn ScoreCards(s: FeedbackScores) -> impl IntoView {
    view! {
        <div class="kpis" id="feedback-totals">
            <div class="kpi"><span class="kpi-label">"CSAT"</span>
                <strong id="csat-percent">{pct(s.csat_percent)}</strong>
                <span class="muted">{format!("{} of {} satisfied", s.csat_satisfied, s.csat_responses)}</span></div>
            <div class="kpi"><span class="kpi-label">"NPS"</span>
                <strong id="nps-score">{nps(s.nps)}</strong>
                <span class="muted">{format!("{} promoters, {} detractors of {}", s.promoters, s.detractors, s.nps_responses)}</span></div>
            <div class="kpi"><span class="kpi-label">"CES"</span>
                <strong>{s.ces_average.map(|x| format!("{x:.1} / 7")).unwrap_or_else(|| "—".into())}</strong>
                <span class="muted">{format!("{} answers", s.ces_responses)}</span></div>
        </div>
    }
}

/// CSAT % (0 to 100) and NPS (-100 to 100, drawn on the same 0–100 axis after shifting) by
/// period, as inline SVG rendered on the server.
#[component]
fn TrendChart(trend: Vec<FeedbackGroup>) -> impl IntoView {
    let (w, h, pad) = (640.0_f64, 200.0_f64, 30.0_f64);
    let n = trend.len().max(1) as f64;
    let x =
        move |i: usize| pad + (w - 2.0 * pad) * if n > 1.0 { i as f64 / (n - 1.0) } else { 0.5 };
    let y = move |v: f64| h - pad - (h - 2.0 * pad) * (v / 100.0);
    let line = |values: Vec<Option<f64>>| {
        values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let csat = line(trend.iter().map(|g| g.scores.csat_percent).collect());
    let npsl = line(
        trend
            .iter()
            .map(|g| g.scores.nps.map(|v| (v + 100.0) / 2.0))
            .collect(),
    );
    let labels = trend
        .iter()
        .enumerate()
        .filter(|(i, _)| trend.len() <= 12 || i % (trend.len() / 12 + 1) == 0)
        .map(|(i, g)| {
            view! { <text x=format!("{:.1}", x(i)) y=format!("{:.1}", h - 8.0) text-anchor="middle" class="chart-label">{g.label.clone()}</text> }
        })
        .collect_view();
    let summary = format!(
        "Trend over {} periods: CSAT {}, NPS {}",
        trend.len(),
        trend
            .iter()
            .map(|g| pct(g.scores.csat_percent))
            .collect::<Vec<_>>()
            .join(", "),
        trend
            .iter()
            .map(|g| nps(g.scores.nps))
            .collect::<Vec<_>>()
            .join(", ")
    );
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {w} {h}") role="img" aria-label=summary id="feedback-trend">
                <line x1=pad y1=y(0.0) x2=w - pad y2=y(0.0) class="chart-axis"/>
                <line x1=pad y1=y(50.0) x2=w - pad y2=y(50.0) class="chart-grid"/>
                <line x1=pad y1=y(100.0) x2=w - pad y2=y(100.0) class="chart-grid"/>
                <polyline points=csat fill="none" class="chart-line csat"/>
                <polyline points=npsl fill="none" class="chart-line nps"/>
                {labels}
            </svg>
            <figcaption><span class="legend csat">"CSAT %"</span>" "<span class="legend nps">"NPS (−100 … +100)"</span></figcaption>
        </figure>
    }
}

#[component]
fn FeedbackView(
    r: FeedbackReport,
    f: FeedbackFilter,
    g: FeedbackGrouping,
    page: u32,
) -> impl IntoView {
    let drill_key = match g {
        FeedbackGrouping::Month | FeedbackGrouping::Week => None,
        FeedbackGrouping::Agent => Some("agent_id"),
        FeedbackGrouping::Team => Some("team_id"),
        FeedbackGrouping::TicketType => Some("ticket_type"),
        FeedbackGrouping::Channel => Some("channel"),
        FeedbackGrouping::Account => Some("account_id"),
    };
    let period_drill = |key: &str| -> Option<(String, String)> {
        let from: chrono::NaiveDate = key.parse().ok()?;
        let to = if g == FeedbackGrouping::Week {
            from + chrono::Duration::days(6)
        } else {
            from.checked_add_months(chrono::Months::new(1))? - chrono::Duration::days(1)
        };
        Some((from.to_string(), to.to_string()))
    };
    let rows = r
        .groups
        .iter()
        .map(|grp| {
            let href = match drill_key {
                Some(k) if !grp.key.is_empty() => Some(format!("/console/feedback?{}", query_string(&f, g, Some((k, grp.key.clone()))))),
                Some(_) => None,
                None => period_drill(&grp.key).map(|(from, to)| {
                    let mut narrowed = f.clone();
                    narrowed.from = from.parse().ok();
                    narrowed.to = to.parse().ok();
                    format!("/console/feedback?{}", query_string(&narrowed, g, None))
                }),
            };
            let s = grp.scores.clone();
            view! {
                <tr>
                    <td>{match href { Some(h) => view! { <a href=h>{grp.label.clone()}</a> }.into_any(), None => view! { <span>{grp.label.clone()}</span> }.into_any() }}</td>
                    <td>{pct(s.csat_percent)}</td><td>{s.csat_responses}</td>
                    <td>{nps(s.nps)}</td><td>{s.nps_responses}</td>
                    <td>{s.ces_average.map(|x| format!("{x:.1}")).unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view();
    let pages = ((r.responses_total + 49) / 50).max(1) as u32;
    let base = format!("/console/feedback?{}", query_string(&f, g, None));
    let export = format!("/files/feedback.csv?{}", query_string(&f, g, None));
    view! {
        <ScoreCards s=r.totals.clone()/>
        <TrendChart trend=r.trend.clone()/>
        <section class="card">
            <h2>{format!("By {}", g.label().to_lowercase())}</h2>
            <table class="table" id="feedback-groups">
                <thead><tr><th>{g.label()}</th><th>"CSAT"</th><th>"answers"</th><th>"NPS"</th><th>"answers"</th><th>"CES"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
        <section class="card">
            <div class="page-header">
                <h2>{format!("Answers ({})", r.responses_total)}</h2>
                <a class="button secondary" href=export id="feedback-export" rel="external" download="feedback.csv">"Export CSV"</a>
            </div>
            <table class="table" id="feedback-responses">
                <thead><tr><th>"When"</th><th>"Survey"</th><th>"Score"</th><th>"Comment"</th><th>"Account"</th><th>"About"</th><th>"Agent"</th></tr></thead>
                <tbody>
                    {r.responses.iter().map(|a| view! {
                        <tr class:low-score=a.kind.is_low(a.score)>
                            <td>{a.answered_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                            <td>{a.kind.label()}</td>
                            <td>{a.score}</td>
                            <td>{a.comment.clone().unwrap_or_default()}</td>
                            <td><a href=format!("/console/accounts/{}", a.account_id.0)>{a.account_name.clone()}</a>
                                <span class="muted">{format!(" · {}", a.contact_name)}</span></td>
                            <td>{match a.ticket_id {
                                Some(t) => view! { <a href=format!("/console/tickets/{}", t.0)>{a.subject.clone()}</a> }.into_any(),
                                None => view! { <span>{a.subject.clone()}</span> }.into_any(),
                            }}</td>
                            <td>{a.agent_name.clone().unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Pagination base page pages total=r.responses_total/>
        </section>
    }
}

#[component]
pub fn SurveySettingsPage() -> impl IntoView {
    let save_settings = ServerAction::<SaveSurveySettings>::new();
    let save_template = ServerAction::<SaveSurveyTemplate>::new();
    let settings = Resource::new(
        move || save_settings.version().get(),
        |_| load_survey_settings(),
    );
    let templates = Resource::new(
        move || save_template.version().get(),
        |_| load_survey_templates(),
    );
    let sv = save_settings.value();
    let tv = save_template.value();
    view! {
        <Title text="Surveys"/>
        <div class="page-header"><h1>"Surveys and rules"</h1><a href="/console/feedback">"← Feedback"</a></div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let s = match settings.await {
                    Ok(s) => s,
                    Err(e) => return view! { <ErrorNotice error=e/> }.into_any(),
                };
                view! {
                    <section class="card">
                        <h2>"Rules"</h2>
                        <ActionForm action=save_settings>
                            <div class="form">
                                <FormError value=sv/>
                                {move || sv.with(|v| matches!(v, Some(Ok(()))).then(|| view! { <p class="form-success" role="status">"Saved."</p> }))}
                                <YesNo label="Ask for CSAT when a ticket is resolved" name="settings[csat_on_ticket]" value=s.csat_on_ticket/>
                                <YesNo label="Ask for CSAT when a chat closes" name="settings[csat_on_chat]" value=s.csat_on_chat/>
                                <TextField label="Ask a contact at most once in (days)" name="settings[throttle_days]" kind="number" value=s.throttle_days.to_string() error=field_error(sv, "throttle_days")/>
                                <TextField label="Links expire after (days)" name="settings[expiry_days]" kind="number" value=s.expiry_days.to_string() error=field_error(sv, "expiry_days")/>
                                <TextField label="Remind once after (days, 0 for never)" name="settings[reminder_after_days]" kind="number" value=s.reminder_after_days.to_string() error=field_error(sv, "reminder_after_days")/>
                                <TextField label="An answer may be changed for (minutes)" name="settings[answer_grace_minutes]" kind="number" value=s.answer_grace_minutes.to_string() error=field_error(sv, "answer_grace_minutes")/>
                                <TextField label="NPS to each customer every (days, 0 for never)" name="settings[nps_interval_days]" kind="number" value=s.nps_interval_days.to_string() error=field_error(sv, "nps_interval_days")/>
                                <div class="form-actions"><button class="button" type="submit" id="save-survey-settings">"Save rules"</button></div>
                            </div>
                        </ActionForm>
                    </section>
                    {match templates.await {
                        Ok(list) => list.into_iter().map(|t| view! {
                            <section class="card">
                                <h2>{format!("{} template", t.kind.label())}</h2>
                                <ActionForm action=save_template>
                                    <div class="form">
                                        <input type="hidden" name="kind" value=t.kind.as_str()/>
                                        <TextField label="Subject" name="subject" value=t.subject.clone() required=true error=field_error(tv, "subject")/>
                                        <TextField label="Question" name="question" value=t.question.clone() required=true maxlength=300 error=field_error(tv, "question")/>
                                        <TextArea label="Message (Markdown)" name="body" value=t.body.clone() error=field_error(tv, "body")/>
                                        <p class="hint">{format!("Variables: {}", t.variables.join(", "))}</p>
                                        <div class="form-actions"><button class="button" type="submit">"Save template"</button></div>
                                    </div>
                                </ActionForm>
                            </section>
                        }).collect_view().into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }}
                }.into_any()
            })}
        </Transition>
    }
}

/// A yes/no choice that always posts a value (a checkbox posts nothing when unticked).
#[component]
fn YesNo(label: &'static str, name: &'static str, value: bool) -> impl IntoView {
    view! {
        <div class="field">
            <label>{label}
                <select name=name>
                    <option value="true" selected=value>"Yes"</option>
                    <option value="false" selected=!value>"No"</option>
                </select>
            </label>
        </div>
    }
}

/// The account page's feedback: its CSAT, NPS and CES over the last year and the latest answers.
#[component]
pub fn AccountFeedback(r: FeedbackReport, account: crate::types::AccountId) -> impl IntoView {
    view! {
        <section class="card section" id="account-feedback">
            <div class="page-header">
                <h2>"Feedback (12 months)"</h2>
                <a href=format!("/console/feedback?account_id={}", account.0)>"All answers →"</a>
            </div>
            <ScoreCards s=r.totals.clone()/>
            {if r.responses.is_empty() {
                view! { <p class="muted">"No answers yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {r.responses.iter().take(5).map(|a| view! {
                            <li class:low-score=a.kind.is_low(a.score)>
                                {format!("{} {} · {} · {}", a.kind.label(), a.score, a.contact_name, a.answered_at.format("%Y-%m-%d"))}
                                {a.comment.clone().map(|c| view! { <q>{c}</q> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
