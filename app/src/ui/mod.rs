//! Shared components: form fields, messages, pagination, the two shells.

pub mod chat;
mod forms;
mod shells;

pub use forms::*;
pub use shells::*;

use leptos::prelude::*;

/// What the server says changed, from the one server-sent event stream per tab
/// (`/live/tickets`); the shells open it and pages share it.
#[derive(Clone, Copy)]
pub struct LiveFeed {
    /// Goes up on every change to a ticket the user may see, and on a resync.
    tickets: ReadSignal<u64>,
    /// The latest changes by their number on `tickets`: the ticket each was about, `None`
    /// for a resync (anything may have changed while the stream fell behind). Several can
    /// arrive before a page looks, so a page checks all since it last did.
    recent: RwSignal<std::collections::VecDeque<(u64, Option<crate::types::TicketId>)>>,
    /// Goes up when the user gets a notification.
    notices: ReadSignal<u64>,
}

fn use_live_feed() -> LiveFeed {
    match use_context::<LiveFeed>() {
        Some(feed) => feed,
        None => provide_live_feed(),
    }
}

pub(crate) fn provide_live_feed() -> LiveFeed {
    let feed = open_live_feed();
    provide_context(feed);
    feed
}

/// A counter that goes up whenever any ticket the user may see changes: lists refetch on it.
pub fn use_live_tickets() -> ReadSignal<u64> {
    use_live_feed().tickets
}

/// A counter that goes up when one ticket changes (or after a resync): its page refetches on
/// it, and changes to other tickets leave the page (and a reply being typed) alone.
pub fn use_live_ticket(
    id: impl Fn() -> Option<crate::types::TicketId> + Send + Sync + 'static,
) -> ReadSignal<u64> {
    let feed = use_live_feed();
    let (mine, set_mine) = signal(0u64);
    Effect::new(move |seen: Option<u64>| {
        let now = feed.tickets.get();
        if let Some(seen) = seen.filter(|s| *s != now) {
            let here = untrack(&id);
            let concerned = feed.recent.with_untracked(|recent| {
                // Changes older than the ones kept may have been about this ticket.
                let lost = recent.front().is_none_or(|(n, _)| *n > seen + 1);
                lost || recent
                    .iter()
                    .any(|(n, t)| *n > seen && (t.is_none() || *t == here))
            });
            if concerned {
                set_mine.update(|n| *n += 1);
            }
        }
        now
    });
    mine
}

/// A signal that changes when the notification bell may have a new count: the user got a
/// notification, or a ticket changed (new-ticket notices to the desk travel with those).
pub fn use_live_notices() -> Signal<(u64, u64)> {
    let feed = use_live_feed();
    Signal::derive(move || (feed.tickets.get(), feed.notices.get()))
}

fn open_live_feed() -> LiveFeed {
    let (tick, set_tick) = signal(0u64);
    let recent = RwSignal::new(std::collections::VecDeque::new());
    let (notices, set_notices) = signal(0u64);
    let feed = LiveFeed {
        tickets: tick,
        recent,
        notices,
    };
    // Counts a change (to `ticket`, or to anything) and keeps the last few.
    let changed = move |ticket: Option<crate::types::TicketId>| {
        let n = tick.get_untracked() + 1;
        recent.update_untracked(|r| {
            r.push_back((n, ticket));
            if r.len() > 64 {
                r.pop_front();
            }
        });
        set_tick.set(n);
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{closure::Closure, JsCast};
        let Ok(source) = web_sys::EventSource::new("/live/tickets") else {
            return;
        };
        let on_ticket =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let changed_ticket = e
                    .data()
                    .as_string()
                    .and_then(|d| serde_json::from_str::<crate::types::TicketChanged>(&d).ok());
                // An event we cannot read counts as a change to anything.
                changed(changed_ticket.map(|c| c.ticket_id));
            });
        let on_resync = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| changed(None));
        let on_notice = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            set_notices.update(|n| *n += 1);
        });
        let _ =
            source.add_event_listener_with_callback("ticket", on_ticket.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
        let _ = source
            .add_event_listener_with_callback("notification", on_notice.as_ref().unchecked_ref());
        // Leaving the page closes the stream. Otherwise a page kept in the back-forward cache
        // holds its connection open, and after a few full page loads the browser's six
        // connections per host are all taken by cached pages: new requests wait. A page
        // restored from that cache reloads, since it missed the changes meanwhile.
        let closer = source.clone();
        let on_hide = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| closer.close());
        let on_show = Closure::<dyn FnMut(web_sys::PageTransitionEvent)>::new(
            move |e: web_sys::PageTransitionEvent| {
                if e.persisted() {
                    if let Some(w) = web_sys::window() {
                        let _ = w.location().reload();
                    }
                }
            },
        );
        if let Some(w) = web_sys::window() {
            let _ =
                w.add_event_listener_with_callback("pagehide", on_hide.as_ref().unchecked_ref());
            let _ =
                w.add_event_listener_with_callback("pageshow", on_show.as_ref().unchecked_ref());
        }
        let held = SendWrapper::new((source, (on_ticket, on_resync, on_notice), on_hide, on_show));
        on_cleanup(move || {
            let (source, _listeners, on_hide, on_show) = held.take();
            source.close();
            if let Some(w) = web_sys::window() {
                let _ = w.remove_event_listener_with_callback(
                    "pagehide",
                    on_hide.as_ref().unchecked_ref(),
                );
                let _ = w.remove_event_listener_with_callback(
                    "pageshow",
                    on_show.as_ref().unchecked_ref(),
                );
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (changed, set_notices);
    feed
}

/// This browser's anonymous reader token (for "was this helpful" votes), kept in local
/// storage; made on first use.
#[cfg(feature = "hydrate")]
pub fn reader_token() -> String {
    const KEY: &str = "steward-reader";
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    if let Some(Ok(Some(token))) = storage.as_ref().map(|s| s.get_item(KEY)) {
        return token;
    }
    let token = uuid::Uuid::new_v4().to_string();
    if let Some(s) = storage {
        let _ = s.set_item(KEY, &token);
    }
    token
}
