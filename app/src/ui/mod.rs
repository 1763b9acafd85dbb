//! Shared components: form fields, messages, pagination, the two shells.

mod forms;
mod shells;

pub use forms::*;
pub use shells::*;
