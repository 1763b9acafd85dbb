//! The training scheduler's pages: slots and bookings in the console, booking in the portal.

use crate::api::training::{
    load_portal_training, load_training_desk, BookTraining, CancelTraining, CancelTrainingSlot,
    CreateCalendarFeed, PublishTrainingSlot, RescheduleTraining,
};
use crate::types::{PortalTraining, TrainingDesk};
use crate::ui::{field_error, ErrorNotice, FormError, TextField};
use leptos::prelude::*;
use leptos_meta::Title;

/// The browser's time zone (IANA name), once hydrated; `None` while server-rendering.
pub fn browser_time_zone() -> RwSignal<Option<String>> {
    let tz = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        if let Some(name) = js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|v| v.as_string())
        {
            tz.set(Some(name));
        }
    });
    tz
}

#[component]
pub fn PortalTrainingPage() -> impl IntoView {
    let tz = browser_time_zone();
    let book = ServerAction::<BookTraining>::new();
    let reschedule = ServerAction::<RescheduleTraining>::new();
    let cancel = ServerAction::<CancelTraining>::new();
    let data = Resource::new(
        move || {
            (
                tz.get(),
                book.version().get(),
                reschedule.version().get(),
                cancel.version().get(),
            )
        },
        |(tz, ..)| load_portal_training(tz),
    );
    view! {
        <Title text="Training"/>
        <div class="page-header"><h1>"Your training call"</h1></div>
        <FormError value=book.value()/>
        <FormError value=reschedule.value()/>
        <FormError value=cancel.value()/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(t) => view! { <PortalTrainingView t tz book reschedule cancel/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PortalTrainingView(
    t: PortalTraining,
    tz: RwSignal<Option<String>>,
    book: ServerAction<BookTraining>,
    reschedule: ServerAction<RescheduleTraining>,
    cancel: ServerAction<CancelTraining>,
) -> impl IntoView {
    let zone = move || tz.get().unwrap_or_default();
    let booking = t.booking.clone();
    view! {
        {match booking.clone() {
            Some(b) => view! {
                <section class="card section" aria-labelledby="booked-h" id="training-booked">
                    <h2 id="booked-h">"Booked"</h2>
                    <p><strong id="booked-when">{b.slot.when.clone()}</strong>{format!(" with {}", b.slot.host_name)}</p>
                    {b.slot.meeting_url.clone().map(|u| view! { <p><a href=u.clone() rel="noopener noreferrer">"Join link"</a></p> })}
                    <p class="muted">"The calendar invitation is in your mailbox."</p>
                    <ActionForm action=cancel>
                        <input type="hidden" name="booking" value=b.id.to_string()/>
                        <button class="button secondary" type="submit" id="cancel-training"
                            on:click=crate::ui::confirm_submit("Cancel your training call?")>"Cancel the call"</button>
                    </ActionForm>
                </section>
            }.into_any(),
            None => view! { <p>"Pick a time for your first training call."</p> }.into_any(),
        }}
        <p class="hint" id="training-zone">{format!("Times are shown in {}.", t.time_zone)}</p>
        {if t.slots.is_empty() {
            view! { <p class="muted" id="no-slots">"No times are open right now. Your account manager will publish some soon."</p> }.into_any()
        } else {
            view! {
                <ul class="stack slots" id="training-slots">
                    {t.slots.into_iter().map(|s| {
                        let slot = s.id.to_string();
                        view! {
                            <li class="card slot">
                                <div>
                                    <strong>{s.when.clone()}</strong>
                                    <p class="muted">{format!("{} · {} · {} of {} places left", s.title, s.host_name, s.capacity - s.booked, s.capacity)}</p>
                                </div>
                                {match booking.clone() {
                                    Some(b) => view! {
                                        <ActionForm action=reschedule>
                                            <input type="hidden" name="booking" value=b.id.to_string()/>
                                            <input type="hidden" name="slot" value=slot.clone()/>
                                            <input type="hidden" name="time_zone" prop:value=zone/>
                                            <button class="button secondary" type="submit">"Move my call here"</button>
                                        </ActionForm>
                                    }.into_any(),
                                    None => view! {
                                        <ActionForm action=book>
                                            <input type="hidden" name="slot" value=slot.clone()/>
                                            <input type="hidden" name="time_zone" prop:value=zone/>
                                            <button class="button" type="submit">"Book this time"</button>
                                        </ActionForm>
                                    }.into_any(),
                                }}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

#[component]
pub fn TrainingDeskPage() -> impl IntoView {
    let tz = browser_time_zone();
    let publish = ServerAction::<PublishTrainingSlot>::new();
    let cancel_slot = ServerAction::<CancelTrainingSlot>::new();
    let feed = ServerAction::<CreateCalendarFeed>::new();
    let value = publish.value();
    let desk = Resource::new(
        move || {
            (
                tz.get(),
                publish.version().get(),
                cancel_slot.version().get(),
                feed.version().get(),
            )
        },
        |(tz, ..)| load_training_desk(tz),
    );
    view! {
        <Title text="Training slots"/>
        <div class="page-header"><h1>"Training slots"</h1></div>
        <section class="card section" aria-labelledby="publish-h">
            <h2 id="publish-h">"Publish a slot"</h2>
            <ActionForm action=publish>
                <div class="form">
                    <FormError value/>
                    {move || matches!(value.get(), Some(Ok(_))).then(|| view! { <p class="form-success" role="status">"Published."</p> })}
                    <TextField label="Title" name="form[title]" value="First training call" required=true error=field_error(value, "title")/>
                    <div class="field-row">
                        <TextField label="Starts (local time)" name="form[starts_local]" kind="datetime-local" required=true error=field_error(value, "starts_local")/>
                        <div class="field" class:has-error=move || field_error(value, "time_zone").get().is_some()>
                            <label for="slot-tz">"Time zone"</label>
                            <input id="slot-tz" name="form[time_zone]" required=true prop:value=move || tz.get().unwrap_or_else(|| "UTC".into())/>
                            <p class="field-error">{move || field_error(value, "time_zone").get()}</p>
                        </div>
                    </div>
                    <div class="field-row">
                        <TextField label="Duration (minutes)" name="form[duration_minutes]" kind="number" value="60" required=true error=field_error(value, "duration_minutes")/>
                        <TextField label="Capacity (accounts)" name="form[capacity]" kind="number" value="1" required=true error=field_error(value, "capacity")/>
                    </div>
                    <TextField label="Meeting link" name="form[meeting_url]" kind="url" maxlength=500 error=field_error(value, "meeting_url")/>
                    <div class="form-actions"><button class="button" type="submit" id="publish-slot">"Publish"</button></div>
                </div>
            </ActionForm>
        </section>
        <FormError value=cancel_slot.value()/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match desk.await {
                    Ok(d) => view! { <Desk d cancel_slot feed/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Desk(
    d: TrainingDesk,
    cancel_slot: ServerAction<CancelTrainingSlot>,
    feed: ServerAction<CreateCalendarFeed>,
) -> impl IntoView {
    view! {
        <p class="hint">{format!("Times in {}.", d.time_zone)}</p>
        <div class="table-wrap"><table class="data" id="slots-table">
            <thead><tr><th scope="col">"When"</th><th scope="col">"Title"</th><th scope="col">"Host"</th><th scope="col">"Booked"</th><th scope="col"></th></tr></thead>
            <tbody>{d.slots.into_iter().map(|s| {
                let booked_by: Vec<String> = d.bookings.iter().filter(|b| b.slot.id == s.id).map(|b| b.account_name.clone()).collect();
                let slot_id = s.id.to_string();
                view! {
                    <tr class:muted=s.cancelled>
                        <td>{s.when.clone()}{s.cancelled.then_some(" (cancelled)")}</td>
                        <td>{s.title.clone()}</td>
                        <td>{s.host_name.clone()}</td>
                        <td>{format!("{} of {}", s.booked, s.capacity)}{(!booked_by.is_empty()).then(|| format!(": {}", booked_by.join(", ")))}</td>
                        <td>{(!s.cancelled).then(|| view! {
                            <ActionForm action=cancel_slot>
                                <input type="hidden" name="slot" value=slot_id.clone()/>
                                <button class="button secondary" type="submit"
                                    on:click=crate::ui::confirm_submit("Withdraw this slot? Booked clients are told.")>"Withdraw"</button>
                            </ActionForm>
                        })}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
        <section class="card section" aria-labelledby="feed-h">
            <h2 id="feed-h">"Your calendar feed"</h2>
            <p class="hint">"Subscribe to it in Outlook, Google or Apple Calendar to see the calls you host. Keep the address private."</p>
            {move || feed.value().get().map(|r| match r {
                Ok(url) => view! { <p><code id="feed-url">{url}</code></p> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            })}
            <ActionForm action=feed>
                <button class="button secondary" type="submit" id="create-feed">
                    {if d.has_feed { "Make a new address (the old one stops working)" } else { "Create my feed address" }}
                </button>
            </ActionForm>
        </section>
    }
}
