//! Lenient parsing of the `startTime` ARM sends for a Bastion session.
//!
//! The spec types `startTime` as an untyped `object` and its own example is
//! `2019-1-1T12:00:00.0000Z`, which is not RFC 3339 (single-digit month and day). The
//! service has been seen sending 7 fractional digits (.NET ticks). This parser accepts
//! any reasonable ISO-8601 shape and never panics; anything it can't read gives `None`
//! and the caller keeps the raw value.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses an ISO-8601-like timestamp leniently and returns it in UTC.
///
/// Accepted: `YYYY-M-D` (1–2 digit month and day), a `T`, `t` or space separator, `H:M`
/// with optional `:S` and 1–9 (more are truncated) fractional digits after `.` or `,`,
/// then `Z`, `±HH:MM`, `±HHMM`, `±HH` or nothing (taken as UTC). A date alone means
/// midnight UTC. Surrounding whitespace is ignored. Returns `None` for anything else,
/// including out-of-range fields such as month 13.
pub fn parse_lenient(input: &str) -> Option<OffsetDateTime> {
    let s = input.trim().as_bytes();
    let mut p = Cursor { s, i: 0 };
    let year = p.digits(4, 4)? as i32;
    p.expect(b'-')?;
    let month = p.digits(1, 2)?;
    p.expect(b'-')?;
    let day = p.digits(1, 2)?;
    let date =
        Date::from_calendar_date(year, Month::try_from(month as u8).ok()?, day as u8).ok()?;
    if p.done() {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    match p.next()? {
        b'T' | b't' | b' ' => {}
        _ => return None,
    }
    let hour = p.digits(1, 2)?;
    p.expect(b':')?;
    let minute = p.digits(1, 2)?;
    let mut second = 0;
    let mut nanos = 0u32;
    if p.peek() == Some(b':') {
        p.i += 1;
        second = p.digits(1, 2)?;
        if matches!(p.peek(), Some(b'.') | Some(b',')) {
            p.i += 1;
            let start = p.i;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.i += 1;
            }
            let frac = &s[start..p.i];
            if frac.is_empty() {
                return None;
            }
            for k in 0..9 {
                nanos = nanos * 10 + frac.get(k).map_or(0, |d| u32::from(d - b'0'));
            }
        }
    }
    // A leap second (60) is folded into 59.999999999 rather than rejected.
    let (second, nanos) = if second == 60 {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let time = Time::from_hms_nano(hour as u8, minute as u8, second as u8, nanos).ok()?;
    let offset = match p.next() {
        None => UtcOffset::UTC,
        Some(b'Z') | Some(b'z') => UtcOffset::UTC,
        Some(sign @ (b'+' | b'-')) => {
            let h = p.digits(2, 2)?;
            let m = if p.done() {
                0
            } else {
                if p.peek() == Some(b':') {
                    p.i += 1;
                }
                p.digits(2, 2)?
            };
            let (h, m) = (h as i8, m as i8);
            if sign == b'-' {
                UtcOffset::from_hms(-h, -m, 0).ok()?
            } else {
                UtcOffset::from_hms(h, m, 0).ok()?
            }
        }
        Some(_) => return None,
    };
    if !p.done() {
        return None;
    }
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(offset)
            .to_offset(UtcOffset::UTC),
    )
}

/// Formats a timestamp as RFC 3339 in UTC (`...Z`), the form every output uses.
pub fn format_rfc3339_utc(value: OffsetDateTime) -> String {
    value
        .to_offset(UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| value.unix_timestamp().to_string())
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }
    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }
    /// Reads between `min` and `max` ASCII digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let mut n = 0u32;
        let mut count = 0;
        while count < max {
            match self.peek() {
                Some(d @ b'0'..=b'9') => {
                    n = n * 10 + u32::from(d - b'0');
                    self.i += 1;
                    count += 1;
                }
                _ => break,
            }
        }
        (count >= min).then_some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn p(s: &str) -> Option<String> {
        parse_lenient(s).map(format_rfc3339_utc)
    }

    #[test]
    fn spec_example_single_digit_month_and_day() {
        assert_eq!(
            p("2019-1-1T12:00:00.0000Z").as_deref(),
            Some("2019-01-01T12:00:00Z")
        );
    }

    #[test]
    fn seven_fractional_digits_from_dotnet() {
        assert_eq!(
            parse_lenient("2026-11-28T09:15:00.1234567Z"),
            Some(datetime!(2026-11-28 09:15:00.1234567 UTC))
        );
    }

    #[test]
    fn one_to_nine_and_more_fraction_digits() {
        assert_eq!(
            parse_lenient("2026-11-28T09:15:00.5Z"),
            Some(datetime!(2026-11-28 09:15:00.5 UTC))
        );
        assert_eq!(
            parse_lenient("2026-11-28T09:15:00.123456789Z"),
            Some(datetime!(2026-11-28 09:15:00.123456789 UTC))
        );
        assert_eq!(
            parse_lenient("2026-11-28T09:15:00.12345678912Z"),
            Some(datetime!(2026-11-28 09:15:00.123456789 UTC))
        );
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        assert_eq!(
            p("2026-11-28T10:15:00+01:00").as_deref(),
            Some("2026-11-28T09:15:00Z")
        );
        assert_eq!(
            p("2026-11-28T04:15:00-0500").as_deref(),
            Some("2026-11-28T09:15:00Z")
        );
        assert_eq!(
            p("2026-11-28T11:15:00+02").as_deref(),
            Some("2026-11-28T09:15:00Z")
        );
    }

    #[test]
    fn no_zone_space_separator_and_date_only() {
        assert_eq!(
            p("2026-11-28 09:15:00").as_deref(),
            Some("2026-11-28T09:15:00Z")
        );
        assert_eq!(
            p("2026-11-28T09:15").as_deref(),
            Some("2026-11-28T09:15:00Z")
        );
        assert_eq!(p("2026-11-28").as_deref(), Some("2026-11-28T00:00:00Z"));
        assert_eq!(
            p("  2026-11-28T09:15:00Z ").as_deref(),
            Some("2026-11-28T09:15:00Z")
        );
    }

    #[test]
    fn garbage_and_out_of_range_give_none() {
        for s in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-28T25:00:00Z",
            "2026-11-28T09:15:00.Z",
            "2026-11-28T09:15:00Zjunk",
            "2026-11-28X09:15:00Z",
            "11/28/2026 09:15:00",
            "2026-11-28T09:15:00+2",
        ] {
            assert_eq!(parse_lenient(s), None, "{s}");
        }
    }

    #[test]
    fn leap_second_is_folded() {
        assert_eq!(
            parse_lenient("2016-12-31T23:59:60Z"),
            Some(datetime!(2016-12-31 23:59:59.999999999 UTC))
        );
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics(s in "\\PC{0,40}") {
                let _ = parse_lenient(&s);
            }

            #[test]
            fn never_panics_on_near_misses(s in "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}[T ][0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3}(\\.[0-9]{0,12})?)?(Z|[+-][0-9]{1,2}(:?[0-9]{1,2})?)?") {
                let _ = parse_lenient(&s);
            }

            #[test]
            fn rfc3339_round_trips(secs in -62_135_596_800i64..253_402_300_799i64, nanos in 0u32..1_000_000_000) {
                let t = OffsetDateTime::from_unix_timestamp(secs).unwrap()
                    .replace_nanosecond(nanos).unwrap();
                let text = format_rfc3339_utc(t);
                prop_assert_eq!(parse_lenient(&text), Some(t));
            }
        }
    }
}
