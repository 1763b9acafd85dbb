//! Follow-up tasks: the signed-in staff member's list (finish, snooze) and an account's tasks
//! with a form to add one.

use crate::api::tasks::{my_tasks, CompleteTask, CreateTask, SnoozeTask};
use crate::types::{AccountId, FollowUpTask};
use crate::ui::{field_error, ErrorNotice, FormError, TextField};
use chrono::{Duration, Utc};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TasksPage() -> impl IntoView {
    let complete = ServerAction::<CompleteTask>::new();
    let snooze = ServerAction::<SnoozeTask>::new();
    let tasks = Resource::new(
        move || (complete.version().get(), snooze.version().get()),
        |_| my_tasks(),
    );
    view! {
        <Title text="My tasks"/>
        <div class="page-header"><h1>"My follow-up tasks"</h1></div>
        <FormError value=complete.value()/>
        <FormError value=snooze.value()/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tasks.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted" id="no-tasks">"Nothing to follow up. Well done."</p> }.into_any(),
                    Ok(list) => view! { <TaskList list complete snooze/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TaskList(
    list: Vec<FollowUpTask>,
    complete: ServerAction<CompleteTask>,
    snooze: ServerAction<SnoozeTask>,
) -> impl IntoView {
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    let next_week = (Utc::now().date_naive() + Duration::days(7)).to_string();
    view! {
        <ul class="card-list" id="task-list">
            {list.into_iter().map(|t| {
                let (id1, id2, id3) = (t.id.to_string(), t.id.to_string(), t.id.to_string());
                let (day, week) = (tomorrow.clone(), next_week.clone());
                let about = [
                    t.account_id.zip(t.account_name.clone()).map(|(a, n)| view! { <a href=format!("/console/accounts/{}", a.0)>{n}</a> }.into_any()),
                    t.ticket_id.zip(t.ticket_number).map(|(tk, n)| view! { <a href=format!("/console/tickets/{}", tk.0)>{format!("#{n}")}</a> }.into_any()),
                    t.contact_name.clone().map(|n| view! { <span>{n}</span> }.into_any()),
                ];
                view! {
                    <li class="card task" class:overdue=t.overdue class:done=t.done>
                        <strong>{t.title.clone()}</strong>
                        <p class="muted">
                            {format!("Due {}{} · {} · ", t.due_on, if t.overdue { " (overdue)" } else { "" }, t.assignee_name)}
                            {about.into_iter().flatten().collect_view()}
                        </p>
                        {(!t.notes.is_empty()).then(|| view! { <p>{t.notes.clone()}</p> })}
                        {(!t.done).then(move || view! {
                            <div class="row-actions">
                                <ActionForm action=complete>
                                    <input type="hidden" name="id" value=id1/>
                                    <button class="button" type="submit">"Done"</button>
                                </ActionForm>
                                <ActionForm action=snooze>
                                    <input type="hidden" name="id" value=id2/>
                                    <input type="hidden" name="until" value=day/>
                                    <button class="button secondary" type="submit">"Snooze a day"</button>
                                </ActionForm>
                                <ActionForm action=snooze>
                                    <input type="hidden" name="id" value=id3/>
                                    <input type="hidden" name="until" value=week/>
                                    <button class="button secondary" type="submit">"Snooze a week"</button>
                                </ActionForm>
                            </div>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The task actions of a page whose data reloads when any of them completes.
#[derive(Clone, Copy)]
pub struct TaskActions {
    pub create: ServerAction<CreateTask>,
    pub complete: ServerAction<CompleteTask>,
    pub snooze: ServerAction<SnoozeTask>,
}

impl TaskActions {
    pub fn new() -> Self {
        TaskActions {
            create: ServerAction::new(),
            complete: ServerAction::new(),
            snooze: ServerAction::new(),
        }
    }

    /// Changes whenever one of the actions finishes (a resource source).
    pub fn version(&self) -> (usize, usize, usize) {
        (
            self.create.version().get(),
            self.complete.version().get(),
            self.snooze.version().get(),
        )
    }
}

impl Default for TaskActions {
    fn default() -> Self {
        Self::new()
    }
}

/// The account page's tasks (loaded with the page), with a form to add one.
#[component]
pub fn AccountTasks(
    account_id: AccountId,
    list: Vec<FollowUpTask>,
    actions: TaskActions,
) -> impl IntoView {
    let TaskActions {
        create,
        complete,
        snooze,
    } = actions;
    let value = create.value();
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    view! {
        <section class="card section" id="account-tasks">
            <h2>"Follow-up tasks"</h2>
            <FormError value=complete.value()/>
            <FormError value=snooze.value()/>
            {if list.is_empty() {
                view! { <p class="muted">"No tasks."</p> }.into_any()
            } else {
                view! { <TaskList list complete snooze/> }.into_any()
            }}
            <ActionForm action=create>
                <div class="form inline-form">
                    <FormError value/>
                    <input type="hidden" name="task[account_id]" value=account_id.0.to_string()/>
                    <TextField label="New task" name="task[title]" required=true error=field_error(value, "title")/>
                    <TextField label="Due" name="task[due_on]" kind="date" value=tomorrow required=true error=field_error(value, "due_on")/>
                    <div class="form-actions"><button class="button" type="submit" id="add-task">"Add task"</button></div>
                </div>
            </ActionForm>
        </section>
    }
}

/// What a follow-up form is about.
#[derive(Debug, Clone, Copy)]
pub enum FollowUpAbout {
    Ticket(crate::types::TicketId),
    Contact(crate::types::ContactId),
}

/// "Follow up on this": a task about a ticket or contact for oneself, due on the chosen day (its
/// account is filled in, so the account's page lists it too).
#[component]
pub fn FollowUpForm(about: FollowUpAbout) -> impl IntoView {
    let (field, id) = match about {
        FollowUpAbout::Ticket(t) => ("task[ticket_id]", t.0.to_string()),
        FollowUpAbout::Contact(c) => ("task[contact_id]", c.0.to_string()),
    };
    let create = ServerAction::<CreateTask>::new();
    let value = create.value();
    let tomorrow = (Utc::now().date_naive() + Duration::days(1)).to_string();
    view! {
        <section class="card" aria-labelledby="follow-up-h" id="ticket-follow-up">
            <h2 id="follow-up-h">"Follow up"</h2>
            <ActionForm action=create>
                <div class="form">
                    <FormError value/>
                    {move || value.with(|v| matches!(v, Some(Ok(_))).then(|| view! {
                        <p class="form-success" role="status">"Added to your tasks."</p>
                    }))}
                    <input type="hidden" name=field value=id/>
                    <TextField label="Task" name="task[title]" required=true error=field_error(value, "title")/>
                    <TextField label="Due" name="task[due_on]" kind="date" value=tomorrow required=true error=field_error(value, "due_on")/>
                    <div class="form-actions"><button class="button secondary" type="submit" id="add-follow-up">"Add task"</button></div>
                </div>
            </ActionForm>
        </section>
    }
}
