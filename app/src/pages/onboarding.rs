//! Onboarding pages: the staff board and one onboarding, the account's section, templates
//! and the welcome email (admins), and the client's steps in the portal.

use crate::api::onboarding::{
    list_onboarding_templates, load_onboarding, load_onboarding_board, load_onboarding_template,
    load_welcome_template, AssignOnboardingStep, CancelOnboarding, CompleteOnboardingStep,
    PreviewWelcomeTemplate, ResendWelcomeEmail, SaveOnboardingTemplate, SaveWelcomeTemplate,
    SkipOnboardingStep, StartOnboarding, TickChecklistItem,
};
use crate::api::portal::my_onboarding;
use crate::types::{
    AccountId, AccountOnboarding, BoardFilter, OnboardingBoard, OnboardingId, OnboardingStepView,
    OnboardingSummary, OnboardingView, Role, StepAction, StepOwnerSide, StepStatus, TemplateId,
    TemplateInput, TemplateStep,
};
use crate::ui::{field_error, ErrorNotice, FormError, TextArea, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn progress_bar(o: &OnboardingSummary) -> impl IntoView {
    let pct = o.progress();
    view! {
        <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
            aria-valuenow=pct.to_string() aria-label="Onboarding progress">
            <span class="progress-fill" style=format!("width: {pct}%")></span>
        </div>
        <span class="progress-label">{format!("{pct}% · {} of {} steps", o.steps_done, o.step_count)}</span>
    }
}

// ------------------------------------------------------------------ the board

#[component]
pub fn OnboardingBoardPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| BoardFilter {
            owner: q.get("owner").and_then(|v| v.parse().ok()),
            template: q.get("template").and_then(|v| v.parse().ok()),
            overdue_only: q.get("overdue").is_some_and(|v| v == "on"),
        })
    };
    let board = Resource::new(filter, load_onboarding_board);
    view! {
        <Title text="Onboarding"/>
        <div class="page-header">
            <h1>"Onboarding"</h1>
            <div class="row">
                <a class="button secondary" href="/console/training">"Training slots"</a>
                <a class="button secondary" href="/console/onboarding/templates">"Templates"</a>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! { <Board b filter=filter()/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Board(b: OnboardingBoard, filter: BoardFilter) -> impl IntoView {
    let owner = filter.owner.map(|o| o.to_string()).unwrap_or_default();
    let template = filter.template.map(|t| t.to_string()).unwrap_or_default();
    view! {
        <form method="get" action="/console/onboarding" class="filters" aria-label="Filter onboardings">
            <label for="f-owner">"Owner"</label>
            <select id="f-owner" name="owner">
                <option value="">"Anyone"</option>
                {b.owners.iter().map(|c| { let sel = c.id == owner; view! { <option value=c.id.clone() selected=sel>{c.label.clone()}</option> } }).collect_view()}
            </select>
            <label for="f-template">"Template"</label>
            <select id="f-template" name="template">
                <option value="">"Any"</option>
                {b.templates.iter().map(|c| { let sel = c.id == template; view! { <option value=c.id.clone() selected=sel>{c.label.clone()}</option> } }).collect_view()}
            </select>
            <label><input type="checkbox" name="overdue" value="on" checked=filter.overdue_only/>" Overdue only"</label>
            <button class="button secondary" type="submit">"Filter"</button>
        </form>
        <p class="muted" id="board-totals">{format!("{} running · {} overdue", b.running, b.overdue)}</p>
        {if b.columns.is_empty() {
            view! { <p class="muted" id="board-empty">"No running onboardings match."</p> }.into_any()
        } else {
            view! {
                <div class="board" id="onboarding-board">
                    {b.columns.into_iter().map(|col| { let more = col.total - col.cards.len() as i64; view! {
                        <section class="board-column" aria-label=col.stage.clone()>
                            <h2>{col.stage.clone()}" "<span class="count">{col.total}</span></h2>
                            <ul class="stack">
                                {col.cards.into_iter().map(|o| view! {
                                    <li class="board-card" class:overdue=o.overdue>
                                        <a href=format!("/console/onboarding/{}", o.id)>{o.account_name.clone()}</a>
                                        <p class="muted">{o.template_name.clone()}{o.owner_name.clone().map(|n| format!(" · {n}"))}</p>
                                        {progress_bar(&o)}
                                        {o.overdue.then(|| view! { <span class="badge danger">"Overdue"</span> })}
                                    </li>
                                }).collect_view()}
                            </ul>
                            {(more > 0).then(|| view! { <p class="muted">{format!("and {more} more")}</p> })}
                        </section>
                    }}).collect_view()}
                </div>
            }.into_any()
        }}
    }
}

// ------------------------------------------------------------------ one onboarding

#[component]
pub fn OnboardingPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<OnboardingId>().ok()));
    let actions = StepActions::new();
    let cancel = ServerAction::<CancelOnboarding>::new();
    let resend = ServerAction::<ResendWelcomeEmail>::new();
    let onboarding = Resource::new(
        move || {
            (
                id(),
                actions.version(),
                cancel.version().get(),
                resend.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => load_onboarding(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Onboarding"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match onboarding.await {
                    Ok(o) => view! {
                        <div class="page-header">
                            <h1>{format!("Onboarding: {}", o.summary.account_name)}</h1>
                            <a class="button secondary" href=format!("/console/accounts/{}", o.summary.account_id)>"Account"</a>
                        </div>
                        <OnboardingHeader o=o.clone()/>
                        <FormError value=resend.value()/>
                        {move || matches!(resend.value().get(), Some(Ok(_))).then(|| view! {
                            <p class="form-success" role="status" id="welcome-sent">"The welcome email is on its way."</p>
                        })}
                        {o.can_manage.then(|| view! {
                            <div class="row">
                                <ActionForm action=resend>
                                    <input type="hidden" name="id" value=o.summary.id.to_string()/>
                                    <button class="button secondary" type="submit" id="resend-welcome">"Send the welcome email again"</button>
                                </ActionForm>
                                <ActionForm action=cancel>
                                    <input type="hidden" name="id" value=o.summary.id.to_string()/>
                                    <button class="button secondary" type="submit" id="cancel-onboarding"
                                        on:click=crate::ui::confirm_submit("Cancel this onboarding?")>"Cancel onboarding"</button>
                                </ActionForm>
                            </div>
                        })}
                        <StepList o actions back=String::new()/>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OnboardingHeader(o: OnboardingView) -> impl IntoView {
    let s = &o.summary;
    view! {
        <section class="card section" aria-label="Progress" id="onboarding-progress">
            {progress_bar(s)}
            <dl class="details">
                <dt>"Template"</dt><dd>{format!("{} (version {})", s.template_name, s.template_version)}</dd>
                <dt>"Status"</dt><dd id="onboarding-status">{s.status.label()}</dd>
                <dt>"Owner"</dt><dd>{s.owner_name.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Started"</dt><dd>{format!("{} · {}", s.started_at.format("%Y-%m-%d"), o.started_by.label())}</dd>
                <dt>"Client contact"</dt><dd>{o.contact_name.clone().unwrap_or_else(|| "none with an email address".into())}</dd>
                {s.next_due_on.map(|d| view! { <dt>"Next due"</dt><dd class:danger=s.overdue>{d.format("%Y-%m-%d").to_string()}</dd> })}
            </dl>
        </section>
    }
}

/// The step actions, shared by the console and the portal; the page refetches on any.
#[derive(Clone, Copy)]
pub struct StepActions {
    pub tick: ServerAction<TickChecklistItem>,
    pub complete: ServerAction<CompleteOnboardingStep>,
    pub skip: ServerAction<SkipOnboardingStep>,
    pub assign: ServerAction<AssignOnboardingStep>,
}

impl StepActions {
    pub fn new() -> Self {
        StepActions {
            tick: ServerAction::new(),
            complete: ServerAction::new(),
            skip: ServerAction::new(),
            assign: ServerAction::new(),
        }
    }
    pub fn version(self) -> usize {
        self.tick.version().get()
            + self.complete.version().get()
            + self.skip.version().get()
            + self.assign.version().get()
    }
}

impl Default for StepActions {
    fn default() -> Self {
        Self::new()
    }
}

/// Every step with what the reader may do to it. `back`: the page file uploads return to.
#[component]
pub fn StepList(o: OnboardingView, actions: StepActions, back: String) -> impl IntoView {
    let upload_error = use_query_map().with_untracked(|q| q.get("upload_error"));
    let back = if back.is_empty() {
        format!("/console/onboarding/{}", o.summary.id)
    } else {
        back
    };
    let staff = o.can_manage;
    view! {
        <FormError value=actions.complete.value()/>
        <FormError value=actions.tick.value()/>
        <FormError value=actions.skip.value()/>
        {upload_error.map(|e| view! { <p class="form-error" role="alert" id="upload-error">{e}</p> })}
        <ol class="steps" id="onboarding-steps">
            {o.steps.into_iter().map(|s| view! { <StepItem s actions back=back.clone() staff/> }).collect_view()}
        </ol>
    }
}

#[component]
fn StepItem(
    s: OnboardingStepView,
    actions: StepActions,
    back: String,
    staff: bool,
) -> impl IntoView {
    let who = match (s.owner_side, s.owner_role) {
        (StepOwnerSide::Client, _) => "Client".to_string(),
        (StepOwnerSide::Staff, Some(r)) => r.label().to_string(),
        (StepOwnerSide::Staff, None) => "Staff".to_string(),
    };
    let step_id = s.id.to_string();
    let status_class = match s.status {
        StepStatus::Done => "done",
        StepStatus::Skipped => "skipped",
        StepStatus::Open if !s.blocked_by.is_empty() => "blocked",
        StepStatus::Open => "open",
    };
    let can = s.can_work;
    let position = s.position;
    let checklist = (!s.checklist.is_empty()).then(|| {
        let items = s
            .checklist
            .clone()
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let n = i as i32 + 1;
                let done = item.done;
                let sid = step_id.clone();
                view! {
                    <li>
                        <ActionForm action=actions.tick>
                            <input type="hidden" name="step" value=sid/>
                            <input type="hidden" name="item" value=n.to_string()/>
                            <input type="hidden" name="done" value=(!done).to_string()/>
                            <button type="submit" class="check" disabled=!can aria-pressed=done.to_string()
                                id=format!("check-{position}-{n}")>
                                {if done { "☑ " } else { "☐ " }}{item.label}
                            </button>
                        </ActionForm>
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="checklist">{items}</ul> }
    });
    let documents = (!s.required_documents.is_empty()).then(|| {
        let items = s
            .required_documents
            .clone()
            .into_iter()
            .map(|d| {
                let label = d.label.clone();
                let input_id = format!("file-{position}-{}", label.replace(' ', "-"));
                let action = format!("/files/onboarding-steps/{step_id}");
                let back = back.clone();
                let file = match &d.document {
                    Some(doc) => view! { <a href=format!("/files/documents/{}", doc.id)>{doc.file_name.clone()}</a> }.into_any(),
                    None => view! { <span class="muted">"not uploaded yet"</span> }.into_any(),
                };
                let form = can.then(|| view! {
                    <form method="post" enctype="multipart/form-data" class="row"
                        action=action>
                        <input type="hidden" name="requirement" value=label.clone()/>
                        <input type="hidden" name="back" value=back/>
                        <label class="visually-hidden" for=input_id.clone()>{format!("File for {label}")}</label>
                        <input type="file" name="file" required=true id=input_id/>
                        <button class="button secondary" type="submit">"Upload"</button>
                    </form>
                });
                view! { <li><strong>{label.clone()}</strong>": "{file}{form}</li> }
            })
            .collect_view();
        view! { <ul class="stack documents">{items}</ul> }
    });
    let buttons = can.then(|| {
        let sid = step_id.clone();
        let skip = staff.then(move || view! {
            <ActionForm action=actions.skip>
                <input type="hidden" name="step" value=sid/>
                <button class="button secondary" type="submit" id=format!("skip-{position}")>"Skip"</button>
            </ActionForm>
        });
        let sid = step_id.clone();
        view! {
            <div class="row">
                <ActionForm action=actions.complete>
                    <input type="hidden" name="step" value=sid/>
                    <button class="button" type="submit" id=format!("complete-{position}")>"Mark as done"</button>
                </ActionForm>
                {skip}
            </div>
        }
    });
    view! {
        <li class=format!("step {status_class}") id=format!("step-{}", s.position) data-status=s.status.as_str()>
            <div class="step-head">
                <h3>{format!("{}. {}", s.position, s.title)}</h3>
                <span class="badge">{s.status.label()}</span>
                {s.overdue.then(|| view! { <span class="badge danger">"Overdue"</span> })}
            </div>
            <p class="muted">
                {format!("{who} · due {}", s.due_on.format("%Y-%m-%d"))}
                {s.assignee_name.clone().map(|n| format!(" · {n}"))}
                {s.completed_by_name.clone().map(|n| format!(" · done by {n}"))}
            </p>
            {(!s.description.is_empty()).then(|| view! { <p>{s.description.clone()}</p> })}
            {(!s.blocked_by.is_empty() && s.status == StepStatus::Open).then(|| view! {
                <p class="muted">{format!("Waiting for: {}", s.blocked_by.join(", "))}</p>
            })}
            {(s.action == StepAction::ScheduleTraining && s.can_work && !staff).then(|| view! {
                <p><a class="button" href="/portal/training" id="book-training-link">"Book your training call"</a></p>
            })}
            {checklist}
            {documents}
            {buttons}
        </li>
    }
}

// ------------------------------------------------------------------ the account's section

/// The onboarding, documents and mail on the account's 360° page (loaded with the page).
#[component]
pub fn AccountOnboardingView(
    d: AccountOnboarding,
    account: AccountId,
    start: ServerAction<StartOnboarding>,
) -> impl IntoView {
    let value = start.value();
    let upload_error = use_query_map().with_untracked(|q| q.get("upload_error"));
    view! {
        <section class="card section" aria-labelledby="onboarding-h" id="account-onboarding">
            <h2 id="onboarding-h">"Onboarding"</h2>
            {match d.current {
                Some(o) => view! {
                    <p><a href=format!("/console/onboarding/{}", o.summary.id) id="account-onboarding-link">
                        {format!("{} · {}", o.summary.template_name, o.summary.stage.clone().unwrap_or_default())}</a></p>
                    {progress_bar(&o.summary)}
                }.into_any(),
                None => view! {
                    <p class="muted">"No onboarding running."</p>
                    {d.can_start.then(|| view! {
                        <ActionForm action=start>
                            <FormError value/>
                            <input type="hidden" name="account" value=account.to_string()/>
                            <div class="row">
                                <label for="start-template">"Template"</label>
                                <select id="start-template" name="template">
                                    {d.templates.iter().map(|t| view! { <option value=t.id.clone()>{t.label.clone()}</option> }).collect_view()}
                                </select>
                                <button class="button" type="submit" id="start-onboarding">"Start onboarding"</button>
                            </div>
                            <p class="field-error">{move || field_error(value, "template_id").get()}</p>
                        </ActionForm>
                    })}
                }.into_any(),
            }}
            {(!d.past.is_empty()).then(|| view! {
                <h3>"Earlier"</h3>
                <ul class="stack">{d.past.iter().map(|o| view! {
                    <li><a href=format!("/console/onboarding/{}", o.id)>{o.template_name.clone()}</a>
                        " · "{o.status.label()}" · "{o.started_at.format("%Y-%m-%d").to_string()}</li>
                }).collect_view()}</ul>
            })}
            {d.training.map(|b| view! {
                <p id="account-training">{format!("Training call: {} with {}", b.slot.when, b.slot.host_name)}</p>
            })}
        </section>
        <section class="card section" aria-labelledby="documents-h" id="account-documents">
            <h2 id="documents-h">"Documents"</h2>
            {upload_error.map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {if d.documents.is_empty() {
                view! { <p class="muted">"No documents yet."</p> }.into_any()
            } else {
                view! { <ul class="stack">{d.documents.iter().map(|doc| view! {
                    <li><a href=format!("/files/documents/{}", doc.id)>{doc.title.clone()}</a>
                        <span class="muted">{format!(" · {} · {} · {}", doc.file_name,
                            if doc.shared_by == "client" { "from the client" } else { "shared" },
                            doc.created_at.format("%Y-%m-%d"))}</span></li>
                }).collect_view()}</ul> }.into_any()
            }}
            {d.can_share.then(|| view! {
                <form method="post" enctype="multipart/form-data" action=format!("/files/accounts/{account}/documents") class="form">
                    <div class="field-row">
                        <div class="field"><label for="doc-title">"Title"</label><input id="doc-title" name="title" maxlength="200"/></div>
                        <div class="field"><label for="doc-file">"File"</label><input id="doc-file" type="file" name="file" required=true/></div>
                    </div>
                    <div class="form-actions"><button class="button secondary" type="submit" id="share-document">"Share with the client"</button></div>
                </form>
            })}
        </section>
        <section class="card section" aria-labelledby="mail-h" id="account-mail">
            <h2 id="mail-h">"Mail sent"</h2>
            {if d.mail.is_empty() {
                view! { <p class="muted">"No mail yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap"><table class="data">
                        <thead><tr><th scope="col">"Subject"</th><th scope="col">"To"</th><th scope="col">"Status"</th><th scope="col">"Queued"</th></tr></thead>
                        <tbody>{d.mail.iter().map(|m| view! {
                            <tr data-kind=m.kind.clone()>
                                <td>{m.subject.clone()}</td><td>{m.to.clone()}</td>
                                <td>{match (m.status.as_str(), &m.last_error) {
                                    ("sent", _) => format!("sent{}", m.sent_at.map(|t| t.format(" %Y-%m-%d %H:%M").to_string()).unwrap_or_default()),
                                    (s, Some(e)) => format!("{s} after {} attempts: {e}", m.attempts),
                                    (s, None) => s.to_string(),
                                }}</td>
                                <td>{m.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                            </tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}

// ------------------------------------------------------------------ templates (admins)

#[component]
pub fn OnboardingTemplatesPage() -> impl IntoView {
    let templates = Resource::new(|| (), |_| list_onboarding_templates());
    view! {
        <Title text="Onboarding templates"/>
        <div class="page-header">
            <h1>"Onboarding templates"</h1>
            <div class="row">
                <a class="button secondary" href="/console/onboarding/welcome">"Welcome email"</a>
                <a class="button" href="/console/onboarding/templates/new" id="new-template">"New template"</a>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match templates.await {
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="data" id="templates-table">
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"Steps"</th><th scope="col">"Version"</th><th scope="col">"Running"</th></tr></thead>
                            <tbody>{list.into_iter().map(|t| view! {
                                <tr>
                                    <td><a href=format!("/console/onboarding/templates/{}", t.id)>{t.name.clone()}</a>
                                        {t.is_default.then_some(" (default)")}{t.is_archived.then_some(" (archived)")}</td>
                                    <td>{t.step_count}</td><td>{t.current_version}</td><td>{t.running}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table></div>
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn OnboardingTemplateEditorPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").and_then(|v| v.parse::<TemplateId>().ok()));
    let detail = Resource::new(
        move || id,
        |id| async move {
            match id {
                Some(id) => load_onboarding_template(id).await.map(|d| {
                    (
                        TemplateInput {
                            name: d.summary.name,
                            description: d.summary.description,
                            is_default: d.summary.is_default,
                            steps: d.steps,
                        },
                        d.versions,
                    )
                }),
                None => Ok((
                    TemplateInput {
                        name: String::new(),
                        description: String::new(),
                        is_default: false,
                        steps: vec![TemplateStep::blank()],
                    },
                    vec![],
                )),
            }
        },
    );
    view! {
        <Title text="Onboarding template"/>
        <div class="page-header"><h1>{if id.is_some() { "Edit template" } else { "New template" }}</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok((input, versions)) => view! {
                        <TemplateEditor id input/>
                        {(!versions.is_empty()).then(|| view! {
                            <section class="card section" aria-labelledby="versions-h">
                                <h2 id="versions-h">"Versions"</h2>
                                <ul class="stack">{versions.into_iter().map(|v| view! {
                                    <li>{format!("Version {} · {} · {} · {} running", v.version, v.created_at.format("%Y-%m-%d %H:%M"),
                                        v.created_by.unwrap_or_else(|| "Steward".into()), v.running)}</li>
                                }).collect_view()}</ul>
                            </section>
                        })}
                    }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// The editor keeps the whole template in one signal and saves it as JSON.
#[component]
fn TemplateEditor(id: Option<TemplateId>, input: TemplateInput) -> impl IntoView {
    let name = RwSignal::new(input.name);
    let description = RwSignal::new(input.description);
    let is_default = RwSignal::new(input.is_default);
    let steps = RwSignal::new(input.steps);
    let save = ServerAction::<SaveOnboardingTemplate>::new();
    let value = save.value();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = value.get() {
            if id.is_none() {
                crate::pages::go_to(&format!("/console/onboarding/templates/{}", saved.id));
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SaveOnboardingTemplate {
            id,
            template: TemplateInput {
                name: name.get_untracked(),
                description: description.get_untracked(),
                is_default: is_default.get_untracked(),
                steps: steps.get_untracked(),
            },
        });
    };
    let err = move |field: String| {
        value.with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err())
                .and_then(|e| e.field(&field))
        })
    };
    view! {
        <form class="form card section" on:submit=submit id="template-form">
            <FormError value/>
            {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <p class="form-success" role="status" id="template-saved">"Saved."</p> })}
            <div class="field">
                <label for="t-name">"Name *"</label>
                <input id="t-name" maxlength="120" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                <p class="field-error">{move || err("name".into())}</p>
            </div>
            <div class="field">
                <label for="t-description">"Description"</label>
                <textarea id="t-description" rows="2" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            </div>
            <div class="field checkbox">
                <input id="t-default" type="checkbox" prop:checked=move || is_default.get() on:change=move |ev| is_default.set(event_target_checked(&ev))/>
                <label for="t-default">"Start it when an account becomes a customer"</label>
            </div>
            <p class="field-error">{move || err("steps".into())}</p>
            <ol class="steps editor">
                <For each=move || 0..steps.with(Vec::len) key=|i| *i let:i>
                    <StepEditor i steps err=Callback::new(move |f: String| err(format!("steps[{i}].{f}")))/>
                </For>
            </ol>
            <div class="form-actions">
                <button class="button secondary" type="button" id="add-step"
                    on:click=move |_| steps.update(|s| s.push(TemplateStep::blank()))>"Add a step"</button>
                <button class="button" type="submit" id="save-template">"Save template"</button>
            </div>
            <p class="hint">"Saving changed steps makes a new version; running onboardings keep theirs."</p>
        </form>
    }
}

#[component]
fn StepEditor(
    i: usize,
    steps: RwSignal<Vec<TemplateStep>>,
    err: Callback<String, Option<String>>,
) -> impl IntoView {
    let get = move |f: fn(&TemplateStep) -> String| {
        move || steps.with(|s| s.get(i).map(f).unwrap_or_default())
    };
    let set = move |f: fn(&mut TemplateStep, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            steps.update(|s| {
                if let Some(step) = s.get_mut(i) {
                    f(step, v)
                }
            })
        }
    };
    let id = move |n: &str| format!("s{i}-{n}");
    view! {
        <li class="step">
            <div class="field-row">
                <div class="field">
                    <label for=id("title")>{format!("Step {} title *", i + 1)}</label>
                    <input id=id("title") maxlength="200" prop:value=get(|s| s.title.clone()) on:input=set(|s, v| s.title = v)/>
                    <p class="field-error">{move || err.run("title".into())}</p>
                </div>
                <div class="field">
                    <label for=id("owner")>"Done by"</label>
                    <select id=id("owner") on:change=set(|s, v| {
                        if v == "client" { s.owner_side = StepOwnerSide::Client; s.owner_role = None; }
                        else { s.owner_side = StepOwnerSide::Staff; s.owner_role = v.parse::<Role>().ok(); }
                    })>
                        <option value="client" selected=move || steps.with(|s| s.get(i).is_some_and(|s| s.owner_side == StepOwnerSide::Client))>"The client"</option>
                        {Role::ALL.iter().map(|r| {
                            let r = *r;
                            view! { <option value=r.as_str() selected=move || steps.with(|s| s.get(i).is_some_and(|s| s.owner_role == Some(r)))>{r.label()}</option> }
                        }).collect_view()}
                    </select>
                    <p class="field-error">{move || err.run("owner_role".into())}</p>
                </div>
                <div class="field">
                    <label for=id("due")>"Due after (days)"</label>
                    <input id=id("due") type="number" min="0" max="365" prop:value=get(|s| s.due_offset_days.to_string())
                        on:input=set(|s, v| s.due_offset_days = v.trim().parse().unwrap_or(-1))/>
                    <p class="field-error">{move || err.run("due_offset_days".into())}</p>
                </div>
            </div>
            <div class="field">
                <label for=id("description")>"Description"</label>
                <textarea id=id("description") rows="2" prop:value=get(|s| s.description.clone()) on:input=set(|s, v| s.description = v)></textarea>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for=id("depends")>"Waits for steps"</label>
                    <input id=id("depends") placeholder="e.g. 1, 2" prop:value=get(|s| s.depends_on.iter().map(i32::to_string).collect::<Vec<_>>().join(", "))
                        on:change=set(|s, v| s.depends_on = v.split(',').filter_map(|x| x.trim().parse().ok()).collect())/>
                    <p class="field-error">{move || err.run("depends_on".into())}</p>
                </div>
                <div class="field">
                    <label for=id("action")>"Automatic action"</label>
                    <select id=id("action") on:change=set(|s, v| s.action = StepAction::parse(&v).unwrap_or(StepAction::None))>
                        {StepAction::ALL.iter().map(|a| {
                            let a = *a;
                            view! { <option value=a.as_str() selected=move || steps.with(|s| s.get(i).is_some_and(|s| s.action == a))>{a.label()}</option> }
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for=id("checklist")>"Checklist (one item per line)"</label>
                    <textarea id=id("checklist") rows="3" prop:value=get(|s| s.checklist.join("\n")) on:change=set(|s, v| s.checklist = lines(&v))></textarea>
                    <p class="field-error">{move || err.run("checklist".into())}</p>
                </div>
                <div class="field">
                    <label for=id("documents")>"Documents to upload (one per line)"</label>
                    <textarea id=id("documents") rows="3" prop:value=get(|s| s.required_documents.join("\n")) on:change=set(|s, v| s.required_documents = lines(&v))></textarea>
                    <p class="field-error">{move || err.run("required_documents".into())}</p>
                </div>
            </div>
            <div class="field">
                <label for=id("subject")>"Email subject or task title"</label>
                <input id=id("subject") maxlength="200" prop:value=get(|s| s.action_subject.clone()) on:input=set(|s, v| s.action_subject = v)/>
                <p class="field-error">{move || err.run("action_subject".into())}</p>
            </div>
            <div class="field">
                <label for=id("body")>"Email body (Markdown, {{variables}})"</label>
                <textarea id=id("body") rows="3" prop:value=get(|s| s.action_body.clone()) on:input=set(|s, v| s.action_body = v)></textarea>
                <p class="field-error">{move || err.run("action_body".into())}</p>
            </div>
            <button class="button secondary" type="button" on:click=move |_| steps.update(|s| { if s.len() > 1 && i < s.len() { s.remove(i); } })>"Remove step"</button>
        </li>
    }
}

#[component]
pub fn WelcomeEmailPage() -> impl IntoView {
    let save = ServerAction::<SaveWelcomeTemplate>::new();
    let preview = ServerAction::<PreviewWelcomeTemplate>::new();
    let value = save.value();
    let template = Resource::new(|| (), |_| load_welcome_template());
    view! {
        <Title text="Welcome email"/>
        <div class="page-header"><h1>"Welcome email"</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match template.await {
                    Ok(t) => {
                        let (subject, body) = (t.subject.clone(), t.body_markdown.clone());
                        view! {
                        <p class="hint">{format!("Variables: {}", t.variables.join(", "))}</p>
                        <ActionForm action=save>
                            <div class="form card section">
                                <FormError value/>
                                {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <p class="form-success" role="status">"Saved."</p> })}
                                <TextField label="Subject" name="subject" value=subject.clone() required=true error=field_error(value, "subject")/>
                                <TextArea label="Body (Markdown)" name="body_markdown" value=body.clone() error=field_error(value, "body_markdown")/>
                                <div class="form-actions"><button class="button" type="submit" id="save-welcome">"Save"</button></div>
                            </div>
                        </ActionForm>
                        <ActionForm action=preview>
                            <input type="hidden" name="subject" value=t.subject/>
                            <input type="hidden" name="body_markdown" value=t.body_markdown/>
                            <button class="button secondary" type="submit">"Preview the saved version"</button>
                        </ActionForm>
                        {move || preview.value().get().map(|r| match r {
                            Ok((subject, html)) => view! {
                                <section class="card section article-body" aria-label="Preview">
                                    <h2>{subject}</h2>
                                    <div inner_html=html></div>
                                </section>
                            }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                        })}
                    }.into_any()
                    }
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

// ------------------------------------------------------------------ portal

#[component]
pub fn PortalOnboardingPage() -> impl IntoView {
    let actions = StepActions::new();
    let onboarding = Resource::new(move || actions.version(), |_| my_onboarding());
    view! {
        <Title text="Onboarding"/>
        <div class="page-header"><h1>"Your onboarding"</h1></div>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match onboarding.await {
                    Ok(Some(o)) => view! {
                        <section class="card section" aria-label="Progress" id="onboarding-progress">
                            {progress_bar(&o.summary)}
                            {o.summary.stage.clone().map(|s| view! { <p>"Now: "<strong>{s}</strong></p> })}
                        </section>
                        <StepList o actions back="/portal/onboarding".to_string()/>
                    }.into_any(),
                    Ok(None) => view! { <p class="muted" id="no-onboarding">"There is no onboarding running for your company."</p> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
