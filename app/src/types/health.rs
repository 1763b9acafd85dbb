//! Account health as the browser and the domain see it.

use super::{AccountId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

text_enum!(
    HealthBand {
        Healthy => "healthy" / "Healthy",
        NeedsAttention => "needs_attention" / "Needs attention",
        AtRisk => "at_risk" / "At risk",
    }
);

text_enum!(
    /// What the score is made of.
    HealthFactorKind {
        Tickets => "tickets" / "Ticket load and SLA breaches",
        Csat => "csat" / "Recent CSAT",
        Nps => "nps" / "Recent NPS",
        Onboarding => "onboarding" / "Onboarding progress",
        Activity => "activity" / "Client activity",
        Payments => "payments" / "Overdue payments",
    }
);

/// One factor's part in a score: what it measured, its sub-score, the share of the weight it
/// carried and the points it contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthFactor {
    pub kind: HealthFactorKind,
    /// The configured (relative) weight.
    pub weight: i32,
    /// The weight's share among the factors with data, in percent.
    pub share_percent: f64,
    /// 0–100; `None` when there is nothing to measure.
    pub sub_score: Option<f64>,
    /// Points this factor adds to the score.
    pub contribution: Option<f64>,
    pub detail: String,
    /// Points gained or lost since the snapshot a week ago.
    #[serde(default)]
    pub change_since_last_week: Option<f64>,
}

/// Weights and band thresholds, as an admin sets them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthSettings {
    pub weight_tickets: i32,
    pub weight_csat: i32,
    pub weight_nps: i32,
    pub weight_onboarding: i32,
    pub weight_activity: i32,
    pub weight_payments: i32,
    pub healthy_from: i32,
    pub attention_from: i32,
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            weight_tickets: 25,
            weight_csat: 20,
            weight_nps: 15,
            weight_onboarding: 15,
            weight_activity: 25,
            weight_payments: 0,
            healthy_from: 70,
            attention_from: 40,
        }
    }
}

/// A day of an account's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthPoint {
    pub day: NaiveDate,
    pub score: Option<i16>,
}

/// The account page's health section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountHealth {
    pub account_id: AccountId,
    pub score: Option<i16>,
    pub band: Option<HealthBand>,
    /// For a parent: its own score before its locations were rolled in.
    pub own_score: Option<i16>,
    pub locations: i64,
    pub factors: Vec<HealthFactor>,
    pub score_last_week: Option<i16>,
    pub computed_at: Option<DateTime<Utc>>,
    pub history: Vec<HealthPoint>,
}

/// One row of the health dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HealthRow {
    pub account_id: AccountId,
    pub account_name: String,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub score: Option<i16>,
    pub band: Option<HealthBand>,
    pub band_since: DateTime<Utc>,
    pub score_last_week: Option<i16>,
    /// The factor that costs the most points (what to look at first).
    pub weakest: Option<String>,
}

/// The health dashboard: counts per band and one page of accounts, at risk first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthBoard {
    pub healthy: i64,
    pub needs_attention: i64,
    pub at_risk: i64,
    pub no_data: i64,
    pub rows: Vec<HealthRow>,
    pub total: i64,
}

/// Filters of the health dashboard.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HealthFilter {
    pub band: Option<HealthBand>,
    pub owner_id: Option<UserId>,
    pub q: Option<String>,
}
