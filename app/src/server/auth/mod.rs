//! Authentication and authorization: who the caller is (`Caller`), what each
//! role may do (`Permission`), passwords, single-use tokens, sessions and API keys.
//! Every domain verb takes a `&Caller` first and asks it for a permission.

pub mod api_keys;
mod context;
pub mod passwords;
pub mod service;
pub mod tokens;

pub use context::*;
