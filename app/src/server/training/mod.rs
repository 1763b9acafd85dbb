//! The training scheduler (FR007): staff publish slots (start, duration, time zone,
//! capacity); a client books the first training call in the portal, seeing times in their
//! own zone; both sides get a calendar invitation (iCalendar METHOD:REQUEST), a reminder the
//! day before, and an update on reschedule (same UID, higher SEQUENCE) or cancel
//! (METHOD:CANCEL). Each staff user can subscribe to a private feed of the calls they host.
//! Invariants: a slot never holds more bookings than its capacity (the slot row is locked
//! while booking); an account holds one live booking; mails go through the durable outbox in
//! the transaction of the change.
//! Callers: server functions, the calendar-feed route, the worker (reminders).

pub mod ics;
pub mod service;

pub use service::*;
