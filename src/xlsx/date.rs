//! ISO-8601 dates and date-times → Excel serial numbers.
//!
//! Excel stores a date as a count of days (serial 1 is 1900-01-01) and a time
//! of day as the fraction of a day, shown through a date number format.
//! docsmith computes the serial itself and writes it as a plain number with the
//! column's date format: exact, and much cheaper than building date objects.
//!
//! Excel also counts a 1900-02-29 that never existed (serial 60, kept for
//! compatibility with Lotus 1-2-3), so from 1900-03-01 on a serial is the
//! number of days since 1899-12-30, and in January and February 1900 the
//! number of days since 1899-12-31.
//!
//! Accepted forms: `YYYY-MM-DD`, optionally followed by `T` (or a space) and
//! `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fff…`, optionally followed by `Z` or an
//! offset `±hh:mm` / `±hhmm` / `±hh`. Excel has no time zones: the wall-clock
//! time is stored as written and the offset is checked but otherwise ignored
//! (`2026-01-15T10:30:00+01:00` is stored as 10:30).

use std::fmt;

/// Why a string is not a date docsmith can store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|±hh:mm]`.
    Syntax,
    Month(u32),
    Day {
        year: u32,
        month: u32,
        day: u32,
    },
    Time,
    Offset,
    /// Excel cannot store dates before 1900-01-01.
    Before1900,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::Syntax => {
                f.write_str("expected an ISO-8601 date like 2026-01-15 or 2026-01-15T10:30:00")
            }
            DateError::Month(month) => write!(f, "month {month} is out of range 1-12"),
            DateError::Day { year, month, day } => write!(
                f,
                "day {day} is out of range for {year}-{month:02} (it has {} days)",
                days_in_month(*year, *month)
            ),
            DateError::Time => f.write_str("the time of day is out of range (00:00:00-23:59:59)"),
            DateError::Offset => f.write_str("the UTC offset is out of range (-23:59 to +23:59)"),
            DateError::Before1900 => f.write_str("Excel cannot store dates before 1900-01-01"),
        }
    }
}

/// A calendar date and wall-clock time as written in the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanos: u32,
}

impl DateTime {
    /// The Excel serial number: days plus the fraction of the day.
    pub fn serial(&self) -> f64 {
        let days = excel_days(self.year.into(), self.month.into(), self.day.into());
        let seconds =
            f64::from(self.hour) * 3600.0 + f64::from(self.minute) * 60.0 + f64::from(self.second);
        days as f64 + (seconds + f64::from(self.nanos) / 1e9) / 86_400.0
    }
}

/// Parses an ISO-8601 date or date-time into an Excel serial number.
pub fn parse_serial(text: &str) -> Result<f64, DateError> {
    parse(text).map(|datetime| datetime.serial())
}

/// Parses an ISO-8601 date or date-time (see the module docs).
pub fn parse(text: &str) -> Result<DateTime, DateError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let year = p.digits(4)?;
    p.expect(b'-')?;
    let month = p.digits(2)?;
    p.expect(b'-')?;
    let day = p.digits(2)?;
    if !(1..=12).contains(&month) {
        return Err(DateError::Month(month));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(DateError::Day { year, month, day });
    }
    if year < 1900 {
        return Err(DateError::Before1900);
    }
    // Four digits, 1-12 and 1-31: the narrowing below cannot fail.
    let mut datetime = DateTime {
        year: u16::try_from(year).unwrap_or(u16::MAX),
        month: u8::try_from(month).unwrap_or(u8::MAX),
        day: u8::try_from(day).unwrap_or(u8::MAX),
        hour: 0,
        minute: 0,
        second: 0,
        nanos: 0,
    };
    if p.at_end() {
        return Ok(datetime);
    }
    if !matches!(p.next(), Some(b'T' | b't' | b' ')) {
        return Err(DateError::Syntax);
    }
    let hour = p.digits(2)?;
    p.expect(b':')?;
    let minute = p.digits(2)?;
    let mut second = 0;
    if p.peek() == Some(b':') {
        p.pos += 1;
        second = p.digits(2)?;
        if matches!(p.peek(), Some(b'.' | b',')) {
            p.pos += 1;
            datetime.nanos = p.fraction()?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(DateError::Time);
    }
    p.offset()?;
    datetime.hour = u8::try_from(hour).unwrap_or(u8::MAX);
    datetime.minute = u8::try_from(minute).unwrap_or(u8::MAX);
    datetime.second = u8::try_from(second).unwrap_or(u8::MAX);
    Ok(datetime)
}

/// Excel serial of a calendar date on or after 1900-01-01 (see the module docs).
pub fn excel_days(year: u32, month: u32, day: u32) -> i64 {
    let days = days_from_civil(year, month, day) - days_from_civil(1899, 12, 30);
    // Before 1900-03-01 Excel is one day behind because of its phantom 1900-02-29.
    if days < 61 { days - 1 } else { days }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the classic
/// era-based algorithm: years are shifted to start in March so that the leap
/// day is the last day of the shifted year).
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let shifted_month = if m > 2 { m - 3 } else { m + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let byte = self.peek();
        self.pos += 1;
        byte
    }
    fn expect(&mut self, byte: u8) -> Result<(), DateError> {
        if self.next() == Some(byte) {
            Ok(())
        } else {
            Err(DateError::Syntax)
        }
    }
    /// Exactly `count` ASCII digits.
    fn digits(&mut self, count: usize) -> Result<u32, DateError> {
        let mut value = 0;
        for _ in 0..count {
            match self.next() {
                Some(byte @ b'0'..=b'9') => value = value * 10 + u32::from(byte - b'0'),
                _ => return Err(DateError::Syntax),
            }
        }
        Ok(value)
    }
    /// One or more digits after the decimal point, as nanoseconds (digits
    /// past the ninth are checked and dropped).
    fn fraction(&mut self) -> Result<u32, DateError> {
        let start = self.pos;
        let mut nanos = 0;
        while let Some(byte @ b'0'..=b'9') = self.peek() {
            if self.pos - start < 9 {
                nanos = nanos * 10 + u32::from(byte - b'0');
            }
            self.pos += 1;
        }
        let len = self.pos - start;
        if len == 0 {
            return Err(DateError::Syntax);
        }
        Ok(nanos * 10u32.pow(9 - len.min(9) as u32))
    }
    /// Nothing, `Z`, `±hh`, `±hhmm` or `±hh:mm`, then the end of the text.
    fn offset(&mut self) -> Result<(), DateError> {
        match self.next() {
            None => return Ok(()),
            Some(b'Z' | b'z') => {}
            Some(b'+' | b'-') => {
                let hours = self.digits(2)?;
                let mut minutes = 0;
                if !self.at_end() {
                    if self.peek() == Some(b':') {
                        self.pos += 1;
                    }
                    minutes = self.digits(2)?;
                }
                if hours > 23 || minutes > 59 {
                    return Err(DateError::Offset);
                }
            }
            Some(_) => return Err(DateError::Syntax),
        }
        if self.at_end() {
            Ok(())
        } else {
            Err(DateError::Syntax)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: Result<f64, DateError>) {
        let actual = parse_serial(input);
        match (actual, expected) {
            (Ok(a), Ok(e)) => assert!((a - e).abs() < 1e-9, "{input}: got {a}, expected {e}"),
            (a, e) => assert_eq!(a, e, "{input}"),
        }
    }

    #[test]
    fn dates() {
        check("1900-01-01", Ok(1.0));
        check("1900-02-28", Ok(59.0));
        check("1900-03-01", Ok(61.0));
        check("1970-01-01", Ok(25_569.0));
        check("2000-02-29", Ok(36_585.0));
        check("2026-01-15", Ok(46_037.0));
        check("9999-12-31", Ok(2_958_465.0));
    }

    #[test]
    fn date_times() {
        check("2026-01-15T12:00:00", Ok(46_037.5));
        check("2026-01-15 06:00", Ok(46_037.25));
        check("2026-01-15t18:00:00Z", Ok(46_037.75));
        check("2026-01-15T00:00:01.5", Ok(46_037.0 + 1.5 / 86_400.0));
        check(
            "2026-01-15T00:00:00.1234567891",
            Ok(46_037.0 + 0.123_456_789 / 86_400.0),
        );
        check("2026-01-15T10:30:00+01:00", Ok(46_037.0 + 10.5 / 24.0));
        check("2026-01-15T10:30:00-0530", Ok(46_037.0 + 10.5 / 24.0));
        check("2026-01-15T10:30:00+05", Ok(46_037.0 + 10.5 / 24.0));
        check("2026-01-15T23:59:59", Ok(46_037.0 + 86_399.0 / 86_400.0));
    }

    #[test]
    fn rejected() {
        check(
            "2026-02-30",
            Err(DateError::Day {
                year: 2026,
                month: 2,
                day: 30,
            }),
        );
        check(
            "1900-02-29",
            Err(DateError::Day {
                year: 1900,
                month: 2,
                day: 29,
            }),
        );
        check("2026-13-01", Err(DateError::Month(13)));
        check("1899-12-31", Err(DateError::Before1900));
        check("2026-01-15T24:00:00", Err(DateError::Time));
        check("2026-01-15T10:60", Err(DateError::Time));
        check("2026-01-15T10:00+24:00", Err(DateError::Offset));
        for bad in [
            "",
            "2026-1-15",
            "15/01/2026",
            "2026-01-15T",
            "2026-01-15T10",
            "2026-01-15T10:00:00.",
            "2026-01-15T10:00:00+1",
            "2026-01-15T10:00:00ZZ",
            "2026-01-15x",
            " 2026-01-15",
            "２026-01-15",
        ] {
            check(bad, Err(DateError::Syntax));
        }
    }

    #[test]
    fn messages() {
        assert_eq!(
            DateError::Day {
                year: 2026,
                month: 2,
                day: 30
            }
            .to_string(),
            "day 30 is out of range for 2026-02 (it has 28 days)"
        );
    }
}
