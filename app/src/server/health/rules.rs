//! The health score as plain arithmetic: each factor turns its measurements into a sub-score
//! from 0 to 100; the score is the weighted mean of the factors that have data (weights of
//! factors without data are spread over the others); bands come from two thresholds; parents
//! roll up their locations.

use crate::types::{HealthBand, HealthFactor, HealthFactorKind, HealthSettings};

/// What is measured about one account (inputs of the factors).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Signals {
    pub open_tickets: i64,
    /// Tickets whose SLA was breached in the last 90 days (open or not).
    pub breached_90d: i64,
    pub csat_answers_90d: i64,
    pub csat_satisfied_90d: i64,
    pub nps_answers_180d: i64,
    pub promoters_180d: i64,
    pub detractors_180d: i64,
    /// A running onboarding's progress in percent, and its overdue steps.
    pub onboarding_progress: Option<i32>,
    pub onboarding_overdue: i64,
    /// Days since the client last signed in to the portal, chatted or wrote; `None`: never.
    pub days_since_activity: Option<i64>,
    /// Whether the client was ever invited (no portal users, no chats and no tickets: no data).
    pub has_client_channel: bool,
}

/// Each factor's sub-score (0–100) and a sentence saying what it measured, or `None` when the
/// account gives it nothing to measure.
pub fn factor_scores(s: &Signals) -> Vec<(HealthFactorKind, Option<(f64, String)>)> {
    use HealthFactorKind::*;
    let tickets = {
        // Ten points per open ticket beyond the first two, twenty per breach: a busy but
        // well-served account stays healthy; breaches weigh more than volume.
        let penalty = 10 * (s.open_tickets - 2).max(0) + 20 * s.breached_90d;
        Some((
            (100 - penalty).clamp(0, 100) as f64,
            format!(
                "{} open ticket{}, {} SLA breach{} in 90 days",
                s.open_tickets,
                plural(s.open_tickets),
                s.breached_90d,
                if s.breached_90d == 1 { "" } else { "es" }
            ),
        ))
    };
    let csat = (s.csat_answers_90d > 0).then(|| {
        let pct = 100.0 * s.csat_satisfied_90d as f64 / s.csat_answers_90d as f64;
        (
            pct,
            format!(
                "CSAT {:.0} % ({} of {} satisfied, 90 days)",
                pct, s.csat_satisfied_90d, s.csat_answers_90d
            ),
        )
    });
    let nps = (s.nps_answers_180d > 0).then(|| {
        let nps = 100.0 * (s.promoters_180d - s.detractors_180d) as f64 / s.nps_answers_180d as f64;
        (
            (nps + 100.0) / 2.0,
            format!("NPS {:+.0} ({} answers, 180 days)", nps, s.nps_answers_180d),
        )
    });
    let onboarding = s.onboarding_progress.map(|p| {
        let sub = (f64::from(p) - 15.0 * s.onboarding_overdue as f64).clamp(0.0, 100.0);
        (
            sub,
            format!(
                "onboarding {p} % done, {} step{} overdue",
                s.onboarding_overdue,
                plural(s.onboarding_overdue)
            ),
        )
    });
    let activity = if s.has_client_channel {
        Some(match s.days_since_activity {
            // Full marks within two weeks, nothing after ninety days, linear between.
            Some(d) => (
                (100.0 * (90 - d.clamp(14, 90)) as f64 / 76.0).clamp(0.0, 100.0),
                format!("last client activity {d} day{} ago", plural(d)),
            ),
            None => (0.0, "the client has never been active".to_string()),
        })
    } else {
        None
    };
    vec![
        (Tickets, tickets),
        (Csat, csat),
        (Nps, nps),
        (Onboarding, onboarding),
        (Activity, activity),
        // ERP payments are not imported yet: the factor is configured but has no data.
        (Payments, None),
    ]
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub fn weight(settings: &HealthSettings, kind: HealthFactorKind) -> i32 {
    match kind {
        HealthFactorKind::Tickets => settings.weight_tickets,
        HealthFactorKind::Csat => settings.weight_csat,
        HealthFactorKind::Nps => settings.weight_nps,
        HealthFactorKind::Onboarding => settings.weight_onboarding,
        HealthFactorKind::Activity => settings.weight_activity,
        HealthFactorKind::Payments => settings.weight_payments,
    }
}

/// The score and its explanation: each factor's sub-score, its share of the weight among the
/// factors with data, and the points it contributes (the contributions add up to the score,
/// before rounding). `None` when no weighted factor has data.
pub fn score(settings: &HealthSettings, s: &Signals) -> (Option<i16>, Vec<HealthFactor>) {
    let measured = factor_scores(s);
    let total_weight: i32 = measured
        .iter()
        .filter(|(_, m)| m.is_some())
        .map(|(k, _)| weight(settings, *k))
        .sum();
    let mut sum = 0.0;
    let factors = measured
        .into_iter()
        .map(|(kind, m)| {
            let w = weight(settings, kind);
            let share = if total_weight > 0 && m.is_some() {
                f64::from(w) / f64::from(total_weight)
            } else {
                0.0
            };
            let (sub, detail) = match m {
                Some((sub, detail)) => (Some(round1(sub)), detail),
                None => (None, "no data".to_string()),
            };
            let contribution = sub.map(|v| round1(v * share));
            sum += sub.unwrap_or(0.0) * share;
            HealthFactor {
                kind,
                weight: w,
                share_percent: round1(100.0 * share),
                sub_score: sub,
                contribution,
                detail,
                change_since_last_week: None,
            }
        })
        .collect();
    let score = (total_weight > 0).then(|| sum.round().clamp(0.0, 100.0) as i16);
    (score, factors)
}

pub fn band(settings: &HealthSettings, score: Option<i16>) -> Option<HealthBand> {
    let s = i32::from(score?);
    Some(if s >= settings.healthy_from {
        HealthBand::Healthy
    } else if s >= settings.attention_from {
        HealthBand::NeedsAttention
    } else {
        HealthBand::AtRisk
    })
}

/// A parent's rolled-up score: the mean of its own score and its locations' scores, each
/// weighted by its activity (tickets in the last 90 days, plus one so that quiet locations
/// still count). A location with no score is left out.
pub fn roll_up(parts: &[(Option<i16>, i64)]) -> Option<i16> {
    let (mut sum, mut weights) = (0.0, 0.0);
    for (score, tickets) in parts {
        if let Some(s) = score {
            let w = (*tickets).max(0) as f64 + 1.0;
            sum += f64::from(*s) * w;
            weights += w;
        }
    }
    (weights > 0.0).then(|| (sum / weights).round() as i16)
}

/// Fills each factor's change in contribution since an earlier explanation (last week's).
pub fn compare(now: &mut [HealthFactor], before: &[HealthFactor]) {
    for f in now.iter_mut() {
        let earlier = before.iter().find(|b| b.kind == f.kind);
        f.change_since_last_week = match (f.contribution, earlier.and_then(|b| b.contribution)) {
            (Some(a), Some(b)) => Some(round1(a - b)),
            (Some(a), None) => Some(a),
            (None, Some(b)) => Some(-b),
            (None, None) => None,
        };
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> HealthSettings {
        HealthSettings::default()
    }

    #[test]
    fn a_quiet_happy_account_is_healthy() {
        let s = Signals {
            open_tickets: 1,
            csat_answers_90d: 4,
            csat_satisfied_90d: 4,
            days_since_activity: Some(3),
            has_client_channel: true,
            ..Default::default()
        };
        let (score, factors) = score(&defaults(), &s);
        // Tickets 100 (w25), CSAT 100 (w20), activity 100 (w25); NPS, onboarding, payments
        // have no data: 100 over weights 70.
        assert_eq!(score, Some(100));
        assert_eq!(band(&defaults(), score), Some(HealthBand::Healthy));
        let csat = factors
            .iter()
            .find(|f| f.kind == HealthFactorKind::Csat)
            .unwrap();
        assert_eq!(csat.share_percent, 28.6);
        assert_eq!(csat.contribution, Some(28.6));
        let nps = factors
            .iter()
            .find(|f| f.kind == HealthFactorKind::Nps)
            .unwrap();
        assert_eq!((nps.sub_score, nps.contribution), (None, None));
        assert_eq!(nps.detail, "no data");
    }

    #[test]
    fn contributions_add_up_to_the_score_for_a_hand_computed_fixture() {
        // Tickets: 4 open (−20), 1 breach (−20) → 60, weight 25.
        // CSAT: 1 of 4 satisfied → 25, weight 20.
        // NPS: 1 promoter, 2 detractors of 4 → −25 → 37.5, weight 15.
        // Onboarding: 50 % with 1 overdue → 35, weight 15.
        // Activity: 52 days → (90 − 52) / 76 × 100 = 50, weight 25.
        // Score = (60×25 + 25×20 + 37.5×15 + 35×15 + 50×25) / 100 = 43.375 → 43.
        let s = Signals {
            open_tickets: 4,
            breached_90d: 1,
            csat_answers_90d: 4,
            csat_satisfied_90d: 1,
            nps_answers_180d: 4,
            promoters_180d: 1,
            detractors_180d: 2,
            onboarding_progress: Some(50),
            onboarding_overdue: 1,
            days_since_activity: Some(52),
            has_client_channel: true,
        };
        let (score, factors) = score(&defaults(), &s);
        assert_eq!(score, Some(43));
        assert_eq!(band(&defaults(), score), Some(HealthBand::NeedsAttention));
        let subs: Vec<Option<f64>> = factors.iter().map(|f| f.sub_score).collect();
        assert_eq!(
            subs,
            vec![
                Some(60.0),
                Some(25.0),
                Some(37.5),
                Some(35.0),
                Some(50.0),
                None
            ]
        );
        let total: f64 = factors.iter().filter_map(|f| f.contribution).sum();
        assert!((total - 43.4).abs() < 0.2, "{total}");
    }

    #[test]
    fn a_neglected_account_with_breaches_is_at_risk() {
        let s = Signals {
            open_tickets: 6,
            breached_90d: 3,
            csat_answers_90d: 2,
            csat_satisfied_90d: 0,
            days_since_activity: None,
            has_client_channel: true,
            ..Default::default()
        };
        let (score, _) = score(&defaults(), &s);
        assert_eq!(score, Some(0));
        assert_eq!(band(&defaults(), score), Some(HealthBand::AtRisk));
    }

    #[test]
    fn no_data_and_no_weight_give_no_score() {
        let mut settings = defaults();
        settings.weight_tickets = 0;
        let (score, _) = score(&settings, &Signals::default());
        assert_eq!(score, None, "tickets unweighted and nothing else measured");
        assert_eq!(band(&settings, score), None);
    }

    #[test]
    fn bands_follow_the_thresholds() {
        let s = defaults();
        assert_eq!(band(&s, Some(70)), Some(HealthBand::Healthy));
        assert_eq!(band(&s, Some(69)), Some(HealthBand::NeedsAttention));
        assert_eq!(band(&s, Some(40)), Some(HealthBand::NeedsAttention));
        assert_eq!(band(&s, Some(39)), Some(HealthBand::AtRisk));
    }

    #[test]
    fn parents_roll_up_their_locations_weighted_by_activity() {
        // Parent 90 with 1 ticket (w2), location A 30 with 5 tickets (w6), location B 80
        // with none (w1), location C without a score: (180 + 180 + 80) / 9 = 48.9 → 49.
        assert_eq!(
            roll_up(&[(Some(90), 1), (Some(30), 5), (Some(80), 0), (None, 7)]),
            Some(49)
        );
        assert_eq!(roll_up(&[(None, 3)]), None);
    }

    #[test]
    fn changes_since_last_week_compare_contributions() {
        let s = Signals {
            open_tickets: 0,
            has_client_channel: true,
            days_since_activity: Some(0),
            ..Default::default()
        };
        let (_, before) = score(&defaults(), &s);
        let worse = Signals {
            breached_90d: 1,
            ..s
        };
        let (_, mut now) = score(&defaults(), &worse);
        compare(&mut now, &before);
        let tickets = now
            .iter()
            .find(|f| f.kind == HealthFactorKind::Tickets)
            .unwrap();
        // 80 × 0.5 − 100 × 0.5 = −10 points.
        assert_eq!(tickets.change_since_last_week, Some(-10.0));
    }
}
