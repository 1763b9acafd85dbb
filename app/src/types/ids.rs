use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[cfg_attr(feature = "ssr", sqlx(transparent))]
        pub struct $name(pub Uuid);

        impl $name {
            /// Time-ordered (UUIDv7): a new row's id lands at the right edge of its index, on a
            /// page that is already in memory and already in the WAL since the last checkpoint,
            /// not on a random page of a large index (docs/BENCHMARKS.md, "UUIDv7").
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}
    };
}

id_type!(AccountId);
id_type!(ContactId);
id_type!(UserId);
id_type!(ApiKeyId);
id_type!(TicketId);
id_type!(TeamId);
id_type!(MessageId);
id_type!(AttachmentId);
id_type!(ConversationId);
id_type!(ChatFileId);
id_type!(CannedResponseId);
id_type!(ArticleId);
id_type!(CategoryId);
id_type!(TemplateId);
id_type!(OnboardingId);
id_type!(OnboardingStepId);
id_type!(DocumentId);
id_type!(SlotId);
id_type!(BookingId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_made_one_after_another_sort_in_the_order_they_were_made() {
        // What keeps new rows at the right edge of their index (see `new`).
        let ids: Vec<TicketId> = (0..2000).map(|_| TicketId::new()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|i| i.0.get_version_num() == 7));
    }
}
