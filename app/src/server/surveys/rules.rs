//! The rules of surveys, as plain functions: signed links, the answer rule, scores and the
//! CSAT / NPS / CES arithmetic (004: CSAT = satisfied answers, 4 and 5, over all answers).

use crate::types::{FeedbackScores, SurveyKind};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// Why a survey link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this survey link is not valid")]
    Invalid,
    #[error("this survey link has expired")]
    Expired,
}

fn mac(key: &[u8], request: Uuid, expires: i64) -> HmacSha256 {
    // new_from_slice accepts keys of any length; ours are 32 bytes.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(format!("survey:{}:{expires}", request.simple()).as_bytes());
    mac
}

/// `<request>.<expiry, unix seconds>.<HMAC-SHA256 of both>`: the link needs no login, cannot
/// be altered to point at another request or live longer, and works on every instance.
pub fn sign(key: &[u8], request: Uuid, expires_at: DateTime<Utc>) -> String {
    let expires = expires_at.timestamp();
    let tag = mac(key, request, expires).finalize().into_bytes();
    format!(
        "{}.{expires}.{}",
        request.simple(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The request a token names, if its signature holds and it has not expired.
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<Uuid, LinkError> {
    let mut parts = token.trim().split('.');
    let (Some(id), Some(expires), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(LinkError::Invalid);
    };
    let request = Uuid::parse_str(id).map_err(|_| LinkError::Invalid)?;
    let expires: i64 = expires.parse().map_err(|_| LinkError::Invalid)?;
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| LinkError::Invalid)?;
    // Constant-time comparison.
    mac(key, request, expires)
        .verify_slice(&tag)
        .map_err(|_| LinkError::Invalid)?;
    if now.timestamp() >= expires {
        return Err(LinkError::Expired);
    }
    Ok(request)
}

/// What a new answer may do to a request, by the documented rule: the first answer is
/// recorded; within `grace_minutes` of it the same respondent may change it (a mis-click);
/// after that the answer stands and further answers change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerRule {
    First,
    Change,
    Stands,
}

pub fn answer_rule(
    answered_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    grace_minutes: i32,
) -> AnswerRule {
    match answered_at {
        None => AnswerRule::First,
        Some(at) if now < at + Duration::minutes(i64::from(grace_minutes)) => AnswerRule::Change,
        Some(_) => AnswerRule::Stands,
    }
}

/// A score on the kind's scale, and a comment of at most 2,000 characters (blank is none).
pub fn check_answer(
    kind: SurveyKind,
    score: i16,
    comment: Option<&str>,
) -> Result<Option<String>, (&'static str, String)> {
    let scale = kind.scale();
    if !scale.contains(&score) {
        return Err((
            "score",
            format!("must be from {} to {}", scale.start(), scale.end()),
        ));
    }
    let comment = comment.map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > 2000) {
        return Err(("comment", "must be at most 2000 characters".into()));
    }
    Ok(comment.map(str::to_string))
}

/// Raw counts of one group of answers, as SQL returns them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Counts {
    pub csat: i64,
    pub csat_satisfied: i64,
    pub nps: i64,
    pub promoters: i64,
    pub detractors: i64,
    pub ces: i64,
    pub ces_sum: i64,
}

impl Counts {
    /// Counts one answer (for fixtures and the unit tests; SQL counts the same way).
    pub fn add(&mut self, kind: SurveyKind, score: i16) {
        match kind {
            SurveyKind::Csat => {
                self.csat += 1;
                if score >= 4 {
                    self.csat_satisfied += 1;
                }
            }
            SurveyKind::Nps => {
                self.nps += 1;
                if score >= 9 {
                    self.promoters += 1;
                } else if score <= 6 {
                    self.detractors += 1;
                }
            }
            SurveyKind::Ces => {
                self.ces += 1;
                self.ces_sum += i64::from(score);
            }
        }
    }

    /// Adds (or, with `sign` −1, takes away) another group's counts.
    pub fn add_counts(&mut self, other: &Counts, sign: i64) {
        self.csat += sign * other.csat;
        self.csat_satisfied += sign * other.csat_satisfied;
        self.nps += sign * other.nps;
        self.promoters += sign * other.promoters;
        self.detractors += sign * other.detractors;
        self.ces += sign * other.ces;
        self.ces_sum += sign * other.ces_sum;
    }

    /// The percentages, `None` where there are no answers (an empty period is not 0 %).
    pub fn scores(self) -> FeedbackScores {
        let pct = |part: i64, all: i64| (all > 0).then(|| round1(100.0 * part as f64 / all as f64));
        FeedbackScores {
            csat_responses: self.csat,
            csat_satisfied: self.csat_satisfied,
            csat_percent: pct(self.csat_satisfied, self.csat),
            nps_responses: self.nps,
            promoters: self.promoters,
            detractors: self.detractors,
            nps: pct(self.promoters - self.detractors, self.nps),
            ces_responses: self.ces,
            ces_average: (self.ces > 0).then(|| round1(self.ces_sum as f64 / self.ces as f64)),
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_signed_link_verifies_until_it_expires() {
        let id = Uuid::new_v4();
        let now = Utc::now();
        let token = sign(KEY, id, now + Duration::days(14));
        assert_eq!(verify(KEY, &token, now), Ok(id));
        assert_eq!(
            verify(KEY, &token, now + Duration::days(15)),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn a_tampered_link_is_refused() {
        let id = Uuid::new_v4();
        let now = Utc::now();
        let token = sign(KEY, id, now + Duration::days(1));
        let parts: Vec<&str> = token.split('.').collect();
        // Another request, a later expiry, another key, garbage.
        let other = format!("{}.{}.{}", Uuid::new_v4().simple(), parts[1], parts[2]);
        let later = format!(
            "{}.{}.{}",
            parts[0],
            parts[1].parse::<i64>().unwrap() + 86_400,
            parts[2]
        );
        assert_eq!(verify(KEY, &other, now), Err(LinkError::Invalid));
        assert_eq!(verify(KEY, &later, now), Err(LinkError::Invalid));
        assert_eq!(
            verify(b"another key entirely, 32 bytes!!", &token, now),
            Err(LinkError::Invalid)
        );
        assert_eq!(verify(KEY, "nonsense", now), Err(LinkError::Invalid));
        assert_eq!(
            verify(KEY, &format!("{token}.x"), now),
            Err(LinkError::Invalid)
        );
    }

    #[test]
    fn an_answer_can_be_changed_within_the_grace_period_only() {
        let now = Utc::now();
        assert_eq!(answer_rule(None, now, 30), AnswerRule::First);
        assert_eq!(
            answer_rule(Some(now - Duration::minutes(10)), now, 30),
            AnswerRule::Change
        );
        assert_eq!(
            answer_rule(Some(now - Duration::minutes(31)), now, 30),
            AnswerRule::Stands
        );
        assert_eq!(answer_rule(Some(now), now, 0), AnswerRule::Stands);
    }

    #[test]
    fn scores_must_be_on_the_kinds_scale() {
        assert!(check_answer(SurveyKind::Csat, 0, None).is_err());
        assert!(check_answer(SurveyKind::Csat, 6, None).is_err());
        assert!(check_answer(SurveyKind::Nps, 0, None).is_ok());
        assert!(check_answer(SurveyKind::Nps, 11, None).is_err());
        assert!(check_answer(SurveyKind::Ces, 7, None).is_ok());
        assert_eq!(
            check_answer(SurveyKind::Csat, 5, Some("  ")),
            Ok(None),
            "a blank comment is no comment"
        );
        assert!(check_answer(SurveyKind::Csat, 5, Some(&"x".repeat(2001))).is_err());
    }

    #[test]
    fn csat_is_satisfied_answers_over_all_answers() {
        // 004's formula: ratings 4 and 5 are satisfied. 5,5,4,3,1 → 3 of 5 = 60 %.
        let mut c = Counts::default();
        for s in [5, 5, 4, 3, 1] {
            c.add(SurveyKind::Csat, s);
        }
        let s = c.scores();
        assert_eq!((s.csat_responses, s.csat_satisfied), (5, 3));
        assert_eq!(s.csat_percent, Some(60.0));
        // Two of three: 66.7 %, rounded to one decimal.
        let mut c = Counts::default();
        for s in [4, 5, 2] {
            c.add(SurveyKind::Csat, s);
        }
        assert_eq!(c.scores().csat_percent, Some(66.7));
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        // 10, 9, 9 promoters; 8, 7 passives; 6, 0 detractors: (3 - 2) / 7 = 14.3.
        let mut c = Counts::default();
        for s in [10, 9, 9, 8, 7, 6, 0] {
            c.add(SurveyKind::Nps, s);
        }
        let s = c.scores();
        assert_eq!((s.promoters, s.detractors, s.nps_responses), (3, 2, 7));
        assert_eq!(s.nps, Some(14.3));
        let mut all_detractors = Counts::default();
        all_detractors.add(SurveyKind::Nps, 3);
        assert_eq!(all_detractors.scores().nps, Some(-100.0));
    }

    #[test]
    fn an_empty_period_has_no_score_rather_than_zero() {
        let s = Counts::default().scores();
        assert_eq!((s.csat_percent, s.nps, s.ces_average), (None, None, None));
    }

    #[test]
    fn low_scores_are_csat_1_2_and_nps_0_to_6() {
        assert!(SurveyKind::Csat.is_low(2) && !SurveyKind::Csat.is_low(3));
        assert!(SurveyKind::Nps.is_low(6) && !SurveyKind::Nps.is_low(7));
        assert!(SurveyKind::Ces.is_low(1) && !SurveyKind::Ces.is_low(4));
    }
}
