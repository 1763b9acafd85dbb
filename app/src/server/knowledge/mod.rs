//! The knowledge base (FR001): FAQs, guides and documentation written by the support desk
//! in Markdown and read by the public, by signed-in clients or by staff only.
//! Invariants: an article reaches a reader only if it is published and its visibility
//! admits them (staff-only never leaves the staff side; drafts reach editors only); bodies
//! are rendered and sanitised when saved, so what is stored as HTML is safe to show; every
//! save is kept as a revision. Search ranks with PostgreSQL full-text search (English).
//! Callers: server functions (console, portal, public pages, the ticket form's suggestions).

pub mod repo;
pub mod rules;
pub mod service;

pub use service::*;
