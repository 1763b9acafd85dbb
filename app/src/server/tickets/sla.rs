//! SLA arithmetic: business minutes on the support desk's calendar (weekly hours in a
//! time zone, minus holidays). Pure functions; the calendar is loaded by `repo`.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Ten years: the longest a search for open hours may run (a calendar with no open
/// hours at all is treated as always open instead).
const MAX_DAYS: i64 = 3660;

#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    pub tz: Tz,
    /// Minutes after local midnight, Monday first; `open == close` means closed all day.
    pub open_minute: [u32; 7],
    pub close_minute: [u32; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Round the clock, every day: used when no hours are configured.
    pub fn always_open() -> Self {
        BusinessCalendar {
            tz: Tz::UTC,
            open_minute: [0; 7],
            close_minute: [1440; 7],
            holidays: BTreeSet::new(),
        }
    }

    fn has_hours(&self) -> bool {
        (0..7).any(|d| self.close_minute[d] > self.open_minute[d])
    }

    /// The open window of a local date, in UTC, if the desk works that day.
    fn window(&self, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&day) {
            return None;
        }
        let wd = day.weekday().num_days_from_monday() as usize;
        let (open, close) = (self.open_minute[wd], self.close_minute[wd].min(1440));
        if close <= open {
            return None;
        }
        let start = self.local(day, open)?;
        let end = self.local(day, close)?;
        (end > start).then_some((start, end))
    }

    /// A local wall-clock time as UTC. In a DST gap the time does not exist: take the
    /// first instant after it; in an overlap, the earlier one.
    fn local(&self, day: NaiveDate, minute: u32) -> Option<DateTime<Utc>> {
        let naive = if minute >= 1440 {
            day.succ_opt()?.and_time(NaiveTime::MIN)
        } else {
            day.and_hms_opt(minute / 60, minute % 60, 0)?
        };
        match self.tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(a, _) => Some(a.with_timezone(&Utc)),
            LocalResult::None => {
                let later = naive + Duration::hours(1);
                self.tz
                    .from_local_datetime(&later)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            }
        }
    }

    fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// The instant `minutes` business minutes after `start`.
    pub fn add_business_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return start;
        }
        if !self.has_hours() {
            return start + Duration::minutes(minutes);
        }
        let mut remaining = Duration::minutes(minutes);
        // Start one day early: a window of the previous local day may still be open.
        let mut day = self.local_date(start) - Duration::days(1);
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.window(day) {
                let from = open.max(start);
                if close > from {
                    let available = close - from;
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                }
            }
            day = match day.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        // Only reachable with years of holidays: fall back to wall-clock time.
        start + Duration::minutes(minutes)
    }

    /// Business minutes between two instants (0 when `to` is not after `from`).
    pub fn business_minutes_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        if !self.has_hours() {
            return (to - from).num_minutes();
        }
        let mut total = Duration::zero();
        let mut day = self.local_date(from) - Duration::days(1);
        let last = self.local_date(to);
        while day <= last {
            if let Some((open, close)) = self.window(day) {
                let a = open.max(from);
                let b = close.min(to);
                if b > a {
                    total += b - a;
                }
            }
            day = match day.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        total.num_minutes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("valid time")
            .with_timezone(&Utc)
    }

    /// Monday to Friday, 09:00 to 17:00.
    fn office(tz: Tz) -> BusinessCalendar {
        BusinessCalendar {
            tz,
            open_minute: [540, 540, 540, 540, 540, 0, 0],
            close_minute: [1020, 1020, 1020, 1020, 1020, 0, 0],
            holidays: BTreeSet::new(),
        }
    }

    #[test]
    fn minutes_inside_one_working_day() {
        let cal = office(Tz::UTC);
        // Wednesday 2026-11-25 10:00 + 2 h = 12:00.
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-25T10:00:00Z"), 120),
            utc("2026-11-25T12:00:00Z")
        );
    }

    #[test]
    fn the_clock_stops_overnight() {
        let cal = office(Tz::UTC);
        // Wednesday 16:00 + 2 h: one hour today, one from 09:00 Thursday.
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-25T16:00:00Z"), 120),
            utc("2026-11-26T10:00:00Z")
        );
    }

    #[test]
    fn a_ticket_raised_at_night_starts_at_opening_time() {
        let cal = office(Tz::UTC);
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-25T22:30:00Z"), 30),
            utc("2026-11-26T09:30:00Z")
        );
    }

    #[test]
    fn weekends_are_skipped() {
        let cal = office(Tz::UTC);
        // Friday 2026-11-27 16:30 + 1 h = Monday 09:30.
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-27T16:30:00Z"), 60),
            utc("2026-11-30T09:30:00Z")
        );
    }

    #[test]
    fn holidays_are_skipped() {
        let mut cal = office(Tz::UTC);
        cal.holidays
            .insert(NaiveDate::from_ymd_opt(2026, 11, 26).expect("date"));
        // Wednesday 16:00 + 2 h, Thursday a holiday: Friday 10:00.
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-25T16:00:00Z"), 120),
            utc("2026-11-27T10:00:00Z")
        );
    }

    #[test]
    fn hours_are_in_the_desks_time_zone() {
        // New York office hours, 09:00-17:00 EST = 14:00-22:00 UTC in November.
        let cal = office(chrono_tz::America::New_York);
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-25T12:00:00Z"), 60),
            utc("2026-11-25T15:00:00Z")
        );
        // Late on Wednesday in New York is already Thursday in UTC: still Wednesday's window.
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-25T21:30:00Z"), 60),
            utc("2026-11-26T14:30:00Z")
        );
    }

    #[test]
    fn daylight_saving_changes_move_the_utc_window() {
        // Berlin, 09:00-17:00: CEST (UTC+2) before 2026-10-25, CET (UTC+1) after.
        let cal = office(chrono_tz::Europe::Berlin);
        // Friday 2026-10-23 16:00 CEST + 2 h = Monday 2026-10-26 10:00 CET = 09:00 UTC.
        assert_eq!(
            cal.add_business_minutes(utc("2026-10-23T14:00:00Z"), 120),
            utc("2026-10-26T09:00:00Z")
        );
    }

    #[test]
    fn minutes_between_count_only_open_hours() {
        let cal = office(Tz::UTC);
        // Friday 16:00 to Monday 10:00: 1 h + 1 h.
        assert_eq!(
            cal.business_minutes_between(utc("2026-11-27T16:00:00Z"), utc("2026-11-30T10:00:00Z")),
            120
        );
        assert_eq!(
            cal.business_minutes_between(utc("2026-11-30T10:00:00Z"), utc("2026-11-27T16:00:00Z")),
            0
        );
    }

    #[test]
    fn adding_then_measuring_gives_back_the_minutes() {
        let mut cal = office(chrono_tz::Asia::Tokyo);
        cal.holidays
            .insert(NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"));
        let start = utc("2026-11-27T05:17:00Z");
        for minutes in [1, 59, 480, 481, 2000, 9999] {
            let due = cal.add_business_minutes(start, minutes);
            assert_eq!(cal.business_minutes_between(start, due), minutes);
        }
    }

    #[test]
    fn a_calendar_without_hours_counts_wall_clock_time() {
        let mut cal = office(Tz::UTC);
        cal.close_minute = [0; 7];
        assert_eq!(
            cal.add_business_minutes(utc("2026-11-28T00:00:00Z"), 90),
            utc("2026-11-28T01:30:00Z")
        );
    }
}
