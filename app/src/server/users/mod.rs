//! Users: staff with a role, and client users tied to a contact. Admins manage
//! staff; staff with the right role invite clients. New users get an emailed,
//! single-use invitation to choose their password. An admin cannot demote or
//! disable themselves (no lock-out).

pub mod service;

pub use service::*;
