//! Contacts: the people at an account. Invariants: every contact belongs to an
//! account; an email address belongs to at most one contact (email-to-case relies
//! on it). Staff read and write per role; a client reads the people of their own
//! account subtree and edits only their own profile.

pub mod repo;
pub mod rules;
pub mod service;

pub use service::*;
