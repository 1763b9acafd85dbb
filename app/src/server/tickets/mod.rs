//! Support tickets: raised by clients (portal, email, web form) or staff, worked by the
//! support desk against SLA targets, every change kept in the ticket's history.
//! Invariants: a client reaches only tickets of their own account and its locations;
//! internal notes never leave the staff side (not in the portal, not in mail); status
//! moves follow `TicketStatus::can_become`; every change announces itself on
//! `steward_tickets` (LISTEN/NOTIFY) when its transaction commits.
//! Callers: server functions, REST handlers, the inbound-mail endpoint, the worker.

pub mod acknowledgement;
pub mod arrivals;
pub mod attachments;
pub mod desk;
pub mod inbound;
pub mod intake;
pub mod repo;
pub mod rules;
pub mod search;
pub mod service;
pub mod settings;
pub mod sla;
pub mod sla_terms;
pub mod sweep;
pub mod web_form;

pub use service::*;
