//! iCalendar (RFC 5545) for training calls, built with the `icalendar` crate. Times are
//! written in UTC (`…Z`), which Outlook, Google and Apple calendars all read without a
//! VTIMEZONE block; each reader's calendar shows them in its own zone.

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A new or changed invitation.
    Request,
    /// The call is off.
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// A person on the invitation.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone)]
pub struct Call {
    /// Stable for the booking's life: calendars match updates by it.
    pub uid: String,
    /// Raised on every change, so calendars replace what they hold.
    pub sequence: u32,
    pub start: DateTime<Utc>,
    pub minutes: i32,
    pub summary: String,
    pub description: String,
    pub url: Option<String>,
    pub organizer: Person,
    pub attendees: Vec<Person>,
    pub cancelled: bool,
}

fn event(call: &Call) -> Event {
    let mut e = Event::new();
    e.uid(&call.uid)
        .sequence(call.sequence)
        .timestamp(Utc::now())
        .starts(call.start)
        .ends(call.start + Duration::minutes(i64::from(call.minutes)))
        .summary(&call.summary)
        .description(&call.description)
        .status(if call.cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if let Some(url) = &call.url {
        e.url(url).location(url);
    }
    e.append_property(
        Property::new("ORGANIZER", format!("mailto:{}", call.organizer.email))
            .add_parameter("CN", &call.organizer.name)
            .done(),
    );
    for a in &call.attendees {
        e.append_multi_property(
            Property::new("ATTENDEE", format!("mailto:{}", a.email))
                .add_parameter("CN", &a.name)
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "NEEDS-ACTION")
                .add_parameter("RSVP", "TRUE")
                .done(),
        );
    }
    e.done()
}

/// A one-event invitation carrying its METHOD, as mail attaches it.
pub fn invitation(method: Method, call: &Call) -> String {
    let mut cal = Calendar::new();
    cal.append_property(Property::new("METHOD", method.as_str()));
    cal.push(event(call));
    cal.done().to_string()
}

/// A subscribed calendar (no METHOD): the calls a staff user hosts.
pub fn feed(name: &str, calls: &[Call]) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    for call in calls {
        cal.push(event(call));
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn call() -> Call {
        Call {
            uid: "booking-1@steward.test".into(),
            sequence: 2,
            start: Utc
                .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
                .single()
                .expect("time"),
            minutes: 45,
            summary: "First training call".into(),
            description: "Bring questions, commas, and; semicolons".into(),
            url: Some("https://meet.example.test/abc".into()),
            organizer: Person {
                name: "Sam Support".into(),
                email: "sam@steward.test".into(),
            },
            attendees: vec![Person {
                name: "Ada Client".into(),
                email: "ada@client.test".into(),
            }],
            cancelled: false,
        }
    }

    #[test]
    fn an_invitation_reads_back_with_its_method_uid_sequence_and_times() {
        let text = invitation(Method::Request, &call());
        assert!(text.contains("\r\n"), "lines end in CRLF");
        let parsed: Calendar = text.parse().expect("parses");
        assert_eq!(parsed.property_value("METHOD"), Some("REQUEST"));
        let e = parsed.events().next().expect("one event");
        assert_eq!(e.get_uid(), Some("booking-1@steward.test"));
        assert_eq!(e.get_sequence(), Some(2));
        assert_eq!(
            e.get_description(),
            Some("Bring questions, commas, and; semicolons")
        );
        let start = e.get_start().expect("start");
        assert_eq!(
            start,
            icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(call().start))
        );
        assert!(text.contains("ORGANIZER;CN=Sam Support:mailto:sam@steward.test"));
        assert!(text.contains("DTEND:20261201T094500Z"));
    }

    #[test]
    fn a_cancellation_says_cancel_and_is_marked_cancelled() {
        let mut c = call();
        c.cancelled = true;
        let parsed: Calendar = invitation(Method::Cancel, &c).parse().expect("parses");
        assert_eq!(parsed.property_value("METHOD"), Some("CANCEL"));
        let e = parsed.events().next().expect("event");
        assert_eq!(e.get_status(), Some(EventStatus::Cancelled));
    }
}
