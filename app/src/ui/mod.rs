//! Shared components: form fields, messages, pagination, the two shells.

pub mod chat;
mod forms;
mod shells;

pub use forms::*;
pub use shells::*;

use leptos::prelude::*;

#[derive(Clone, Copy)]
struct LiveTickets(ReadSignal<u64>);

/// A counter that goes up whenever the server says a ticket the user may see changed, or the
/// user got a notification (server-sent events on `/live/tickets`); lists, ticket pages and
/// the notification bell refetch on it.
/// The shells open the one connection per tab; pages share it.
pub fn use_live_tickets() -> ReadSignal<u64> {
    match use_context::<LiveTickets>() {
        Some(LiveTickets(tick)) => tick,
        None => provide_live_tickets(),
    }
}

pub(crate) fn provide_live_tickets() -> ReadSignal<u64> {
    let tick = open_live_tickets();
    provide_context(LiveTickets(tick));
    tick
}

fn open_live_tickets() -> ReadSignal<u64> {
    let (tick, set_tick) = signal(0u64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::{closure::Closure, JsCast};
        let Ok(source) = web_sys::EventSource::new("/live/tickets") else {
            return;
        };
        let bump = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            set_tick.update(|n| *n += 1);
        });
        let _ = source.add_event_listener_with_callback("ticket", bump.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("resync", bump.as_ref().unchecked_ref());
        // A new notification for this user: the bell (and anything else on the page) refetches.
        let _ =
            source.add_event_listener_with_callback("notification", bump.as_ref().unchecked_ref());
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
        let held = SendWrapper::new((source, bump, on_hide, on_show));
        on_cleanup(move || {
            let (source, _bump, on_hide, on_show) = held.take();
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
    let _ = set_tick;
    tick
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
