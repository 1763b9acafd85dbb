//! Wire types shared by the server and the browser. Nothing here knows about
//! SQL or HTTP; row types with secrets stay in `server/`.

mod ids;
mod people;
mod records;

pub use ids::*;
pub use people::*;
pub use records::*;

use serde::{Deserialize, Serialize};

/// One page of a list, with the total for "Page x of y".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        ((self.total + per - 1) / per).max(1) as u32
    }
}

/// Sort direction for list pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SortDir {
    #[default]
    Asc,
    Desc,
}
