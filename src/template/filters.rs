//! Template filters (money, numbers, percent, dates) and their locale data.
//!
//! [`register`] adds four filters to a minijinja environment:
//!
//! | filter | arguments | example |
//! |---|---|---|
//! | `money` | `currency=none, locale=none, decimals=none` | `1234.5\|money("EUR", "de-DE")` → `1.234,50 €` |
//! | `number` | `decimals=2, locale=none` | `1234.5\|number` → `1,234.50` |
//! | `percent` | `decimals=0, locale=none` | `0.19\|percent` → `19%` |
//! | `date` | `format="medium", locale=none` | `"2026-11-02"\|date("long")` → `November 2, 2026` |
//!
//! Arguments may be positional or keyword (`money("EUR", locale="fr")`).
//! A missing `locale` falls back to a `locale` variable of the render
//! context, then to `en-US`; a missing `currency` falls back to a `currency`
//! variable. Values may be integers, floats or numeric strings (`"12.50"`).
//!
//! The same formatting is available to Rust code as [`format_money`],
//! [`format_number`], [`format_percent`] and [`format_date`], so that the
//! PDF/DOCX generators format typed table cells exactly like templates do.
//!
//! Numbers are formatted from their decimal digits, never by float
//! arithmetic: a float is first written in Rust's shortest round-trip form
//! (`2.675` stays `2.675`), then rounded half away from zero on the digit
//! string, so `1.005` → `1.01` and `2.675` → `2.68`. Integers and numeric
//! strings keep every digit (`i64::MAX`, `"12345678901234567890.5"`).
//!
//! Dates are ISO 8601 strings (`2026-11-02`, `2026-11-02T09:30:00+01:00`);
//! the date is shown as written, without time-zone conversion. Calendar
//! arithmetic is proleptic Gregorian, years 0000–9999.
//!
//! Locale tables live in [`super::locale`].

use std::fmt::Write as _;
use std::str::FromStr;

use minijinja::value::{Kwargs, Rest, Value, ValueKind, ValueOrKwargs, from_args};
use minijinja::{Environment, Error, ErrorKind, State};

use super::locale::NBSP;
pub use super::locale::{
    Currency, DateStyle, Locale, SUPPORTED_LOCALES, SymbolPosition, currency, default_locale,
    locale,
};

/// The largest `decimals` the filters and `format_*` functions accept.
pub const MAX_DECIMALS: u8 = 10;

/// Why a value could not be formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The value is not a number; the text says what it was instead
    /// (`a map`, `the string "abc"`).
    #[error("expected a number, got {0}")]
    NotANumber(String),
    /// Infinity or NaN.
    #[error("expected a finite number, got {0}")]
    NonFinite(String),
    /// `decimals` outside `0..=MAX_DECIMALS` (or not an integer).
    #[error("decimals must be an integer between 0 and {MAX_DECIMALS}, got {0}")]
    Decimals(String),
    /// Not three ASCII letters.
    #[error("invalid currency code {0:?}: expected three letters such as \"EUR\"")]
    InvalidCurrency(String),
    /// `money` without a currency argument or `currency` variable.
    #[error("no currency given: pass one (money(\"EUR\")) or define a `currency` variable")]
    MissingCurrency,
    /// A locale whose language is not supported, or a malformed tag.
    #[error("unknown locale {0:?}; supported: {list}", list = SUPPORTED_LOCALES.join(", "))]
    UnknownLocale(String),
    /// Not an ISO 8601 date, or a date that does not exist.
    #[error("invalid date {value:?}: {reason}")]
    InvalidDate {
        /// The input as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An unknown named format or a bad `%`-pattern.
    #[error("invalid date format {format:?}: {reason}")]
    InvalidDateFormat {
        /// The format as given.
        format: String,
        /// What is wrong with it.
        reason: String,
    },
}

// ---------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------

/// A number to format: a float, an integer or an exact decimal.
///
/// Every `format_*` function takes `impl Into<Number>`, so callers pass
/// `f64`, `i64`, `u64` … directly; [`Number::parse`] reads a decimal string
/// exactly (`"0.1"` is one tenth, not the nearest float). Non-finite floats
/// are accepted here and rejected when formatting.
#[derive(Debug, Clone, PartialEq)]
pub struct Number(Repr);

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    Float(f64),
    Exact(Digits),
}

impl Number {
    /// Parses `[+-]digits[.digits][e[+-]digits]` (surrounding whitespace
    /// allowed), keeping every digit. `inf`, `NaN`, `1,5`, `0x10` and
    /// exponents beyond ±1000 are rejected.
    pub fn parse(text: &str) -> Result<Number, FormatError> {
        Digits::parse(text)
            .map(|d| Number(Repr::Exact(d)))
            .ok_or_else(|| FormatError::NotANumber(format!("the string {:?}", clip(text))))
    }

    fn digits(&self) -> Result<Digits, FormatError> {
        match &self.0 {
            Repr::Exact(d) => Ok(d.clone()),
            Repr::Float(f) if !f.is_finite() => Err(FormatError::NonFinite(f.to_string())),
            // Display of a finite f64 is its shortest round-trip decimal,
            // never in exponent form, so it always parses.
            Repr::Float(f) => {
                Digits::parse(&f.to_string()).ok_or_else(|| FormatError::NotANumber(f.to_string()))
            }
        }
    }
}

impl FromStr for Number {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Number::parse(s)
    }
}

impl From<f64> for Number {
    fn from(value: f64) -> Self {
        Number(Repr::Float(value))
    }
}

impl From<f32> for Number {
    /// Uses the f32's own shortest form: `0.1f32` is `0.1`, not
    /// `0.10000000149011612`.
    fn from(value: f32) -> Self {
        match Digits::parse(&value.to_string()) {
            Some(d) if value.is_finite() => Number(Repr::Exact(d)),
            _ => Number(Repr::Float(f64::from(value))),
        }
    }
}

macro_rules! number_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Self {
                let text = value.to_string();
                let (negative, digits) = match text.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, text.as_str()),
                };
                Number(Repr::Exact(Digits::from_parts(negative, digits, digits.len() as i64)))
            }
        }
    )*};
}

number_from_int!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

/// A decimal as ASCII digits: `int` without leading zeros (`"0"` for
/// zero), `frac` without trailing zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Digits {
    negative: bool,
    int: String,
    frac: String,
}

/// Largest decimal exponent [`Digits::parse`] accepts.
const MAX_EXPONENT: i64 = 1000;

impl Digits {
    /// `mantissa` are ASCII digits with the decimal point after `point`
    /// of them (`point` may be negative or beyond the end).
    fn from_parts(negative: bool, mantissa: &str, point: i64) -> Digits {
        let len = mantissa.len() as i64;
        let (int, frac) = if point <= 0 {
            let zeros = "0".repeat(point.unsigned_abs() as usize);
            (String::new(), zeros + mantissa)
        } else if point >= len {
            let zeros = "0".repeat((point - len) as usize);
            (mantissa.to_string() + &zeros, String::new())
        } else {
            let (i, f) = mantissa.split_at(point as usize);
            (i.to_string(), f.to_string())
        };
        let int = int.trim_start_matches('0');
        let int = if int.is_empty() { "0" } else { int };
        Digits {
            negative,
            int: int.to_string(),
            frac: frac.trim_end_matches('0').to_string(),
        }
    }

    fn parse(text: &str) -> Option<Digits> {
        let text = text.trim();
        let (negative, body) = match text.as_bytes().first() {
            Some(b'-') => (true, text.get(1..)?),
            Some(b'+') => (false, text.get(1..)?),
            _ => (false, text),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(at) => (body.get(..at)?, parse_exponent(body.get(at + 1..)?)?),
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let point = int.len() as i64 + exponent;
        Some(Digits::from_parts(negative, &format!("{int}{frac}"), point))
    }

    /// Multiplies by 10^`places` (for percentages).
    fn shifted(&self, places: i64) -> Digits {
        let mantissa = format!("{}{}", self.int, self.frac);
        Digits::from_parts(self.negative, &mantissa, self.int.len() as i64 + places)
    }

    /// Rounds half away from zero to exactly `decimals` fraction digits.
    /// Returns (negative, integer digits, fraction digits); a result that
    /// rounds to zero is never negative.
    fn rounded(&self, decimals: usize) -> (bool, String, String) {
        let mut int = self.int.clone().into_bytes();
        let mut frac = self.frac.clone().into_bytes();
        let round_up = frac.get(decimals).is_some_and(|&d| d >= b'5');
        frac.resize(decimals, b'0');
        if round_up {
            let mut carry = true;
            for digit in frac.iter_mut().rev().chain(int.iter_mut().rev()) {
                if *digit == b'9' {
                    *digit = b'0';
                } else {
                    *digit += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                int.insert(0, b'1');
            }
        }
        let zero = int.iter().chain(&frac).all(|&d| d == b'0');
        let text = |v: Vec<u8>| v.into_iter().map(char::from).collect::<String>();
        (self.negative && !zero, text(int), text(frac))
    }
}

fn parse_exponent(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = digits.parse().ok()?;
    let value = if text.starts_with('-') { -value } else { value };
    (value.abs() <= MAX_EXPONENT).then_some(value)
}

/// Shortens user input quoted in error messages.
fn clip(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

fn check_decimals(decimals: u8) -> Result<usize, FormatError> {
    if decimals > MAX_DECIMALS {
        return Err(FormatError::Decimals(decimals.to_string()));
    }
    Ok(usize::from(decimals))
}

/// Formats the magnitude with the locale's separators; returns the sign
/// separately so that callers can place it.
fn magnitude(digits: &Digits, decimals: usize, locale: &Locale) -> (bool, String) {
    let (negative, int, frac) = digits.rounded(decimals);
    let group = locale.group_separator();
    let mut out = String::with_capacity(int.len() * 2 + frac.len() + 2);
    let len = int.len();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (len - i) % 3 == 0 {
            out.push_str(group);
        }
        out.push(ch);
    }
    if !frac.is_empty() {
        out.push_str(locale.decimal_separator());
        out.push_str(&frac);
    }
    (negative, out)
}

fn signed(negative: bool, body: String) -> String {
    if negative { format!("-{body}") } else { body }
}

/// `value` rounded to `decimals` places the way [`format_number`] rounds
/// it (on its decimal digits, half away from zero: `1.005` → `1.01`), as the
/// nearest float; `None` for NaN and infinities.
pub fn round_decimal(value: f64, decimals: u8) -> Option<f64> {
    let decimals = check_decimals(decimals).ok()?;
    let (negative, int, frac) = Number::from(value).digits().ok()?.rounded(decimals);
    let sign = if negative { "-" } else { "" };
    format!("{sign}{int}.{frac}0").parse().ok()
}

/// Formats a number with grouping and the locale's decimal separator,
/// rounded half away from zero to `decimals` (0..=10) places.
///
/// `format_number(1234567.891, 2, locale("de").unwrap())` → `1.234.567,89`.
pub fn format_number(
    value: impl Into<Number>,
    decimals: u8,
    locale: &Locale,
) -> Result<String, FormatError> {
    let decimals = check_decimals(decimals)?;
    let (negative, body) = magnitude(&value.into().digits()?, decimals, locale);
    Ok(signed(negative, body))
}

/// Formats a fraction as a percentage: `0.19` → `19%` (en), `19 %` (de,
/// with U+00A0), `19 %` (fr, with U+202F).
pub fn format_percent(
    value: impl Into<Number>,
    decimals: u8,
    locale: &Locale,
) -> Result<String, FormatError> {
    let decimals = check_decimals(decimals)?;
    let digits = value.into().digits()?.shifted(2);
    let (negative, body) = magnitude(&digits, decimals, locale);
    Ok(signed(
        negative,
        format!("{body}{}%", locale.percent_separator()),
    ))
}

/// Validates a currency code: three ASCII letters, returned upper case.
fn currency_code(code: &str) -> Result<String, FormatError> {
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(FormatError::InvalidCurrency(clip(code)))
    }
}

/// Formats an amount of money in a locale.
///
/// `currency` is an ISO 4217 code (case-insensitive). `decimals` defaults
/// to the currency's minor units (JPY 0, EUR 2, KWD 3). The symbol is the
/// locale's (`zł` in Polish, `US$` in en-GB), else the common one (`€`),
/// else the code; codes not in the table are valid and print as
/// `XYZ 1,234.50` / `1.234,50 XYZ` by the locale's symbol position.
/// A no-break space (U+00A0) separates symbol and amount where the
/// locale spaces them or the symbol is a word (`CHF`). A minus sign leads
/// the whole amount: `-$1,234.50`, `-1.234,50 €`.
///
/// ```text
/// format_money(1234.5, "EUR", locale("de-DE").unwrap(), None) == "1.234,50\u{a0}€"
/// ```
pub fn format_money(
    value: impl Into<Number>,
    currency: &str,
    locale: &Locale,
    decimals: Option<u8>,
) -> Result<String, FormatError> {
    let code = currency_code(currency)?;
    let decimals = match decimals {
        Some(d) => check_decimals(d)?,
        None => usize::from(super::locale::currency(&code).map_or(2, Currency::decimals)),
    };
    let (negative, body) = magnitude(&value.into().digits()?, decimals, locale);
    let symbol = locale.currency_symbol(&code).unwrap_or(&code);
    let position = locale.symbol_position();
    let wordy = match position {
        SymbolPosition::Before => symbol.chars().next_back(),
        SymbolPosition::After => symbol.chars().next(),
    }
    .is_some_and(char::is_alphabetic);
    let space = if locale.symbol_spaced() || wordy {
        NBSP
    } else {
        ""
    };
    let text = match position {
        SymbolPosition::Before => format!("{symbol}{space}{body}"),
        SymbolPosition::After => format!("{body}{space}{symbol}"),
    };
    Ok(signed(negative, text))
}

/// Resolves a locale tag like [`locale`], with an error naming the
/// supported locales when the language is unknown.
pub fn resolve_locale(tag: &str) -> Result<&'static Locale, FormatError> {
    locale(tag).ok_or_else(|| FormatError::UnknownLocale(clip(tag)))
}

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

/// A calendar date with an optional time of day, as read from ISO 8601.
///
/// The time zone offset of the input is validated and dropped: the date is
/// shown as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateValue {
    year: u16,
    month: u8,
    day: u8,
    time: Option<(u8, u8, u8)>,
}

fn is_leap(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl DateValue {
    /// A date without time; errors for dates that do not exist
    /// (`2026-02-30`) and years beyond 9999.
    pub fn new(year: u16, month: u8, day: u8) -> Result<DateValue, FormatError> {
        let value = format!("{year:04}-{month:02}-{day:02}");
        let invalid = |reason: String| FormatError::InvalidDate {
            value: value.clone(),
            reason,
        };
        if year > 9999 {
            return Err(invalid("years beyond 9999 are not supported".into()));
        }
        if !(1..=12).contains(&month) {
            return Err(invalid(format!("month {month} does not exist")));
        }
        let last = days_in_month(year, month);
        if !(1..=last).contains(&day) {
            return Err(invalid(format!(
                "day {day} does not exist ({year:04}-{month:02} has {last} days)"
            )));
        }
        Ok(DateValue {
            year,
            month,
            day,
            time: None,
        })
    }

    /// Adds a time of day (seconds may be 60 for a leap second).
    pub fn with_time(self, hour: u8, minute: u8, second: u8) -> Result<DateValue, FormatError> {
        if hour > 23 || minute > 59 || second > 60 {
            return Err(FormatError::InvalidDate {
                value: format!("{hour:02}:{minute:02}:{second:02}"),
                reason: "time of day out of range".into(),
            });
        }
        Ok(DateValue {
            time: Some((hour, minute, second)),
            ..self
        })
    }

    /// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±hh:mm]`
    /// (`t` or a space may replace `T`; offsets may also be `±hhmm` or
    /// `±hh`).
    pub fn parse(text: &str) -> Result<DateValue, FormatError> {
        parse_date(text).map_err(|reason| FormatError::InvalidDate {
            value: clip(text),
            reason,
        })
    }

    /// The year, 0..=9999.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1..=31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// `(hour, minute, second)` if the input had a time.
    pub fn time(&self) -> Option<(u8, u8, u8)> {
        self.time
    }

    /// Day of the week, 0 = Monday … 6 = Sunday.
    pub fn weekday(&self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        (self.days_since_epoch() + 3).rem_euclid(7) as u8
    }

    /// Day of the year, 1..=366.
    pub fn ordinal(&self) -> u16 {
        let before: u16 = (1..self.month)
            .map(|m| u16::from(days_in_month(self.year, m)))
            .sum();
        before + u16::from(self.day)
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's
    /// `days_from_civil`.
    fn days_since_epoch(&self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }
}

/// Reads `count` ASCII digits at `*at`, advancing it.
fn take_digits(bytes: &[u8], at: &mut usize, count: usize) -> Option<u16> {
    let chunk = bytes.get(*at..*at + count)?;
    if !chunk.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *at += count;
    Some(chunk.iter().fold(0u16, |n, b| n * 10 + u16::from(b - b'0')))
}

fn parse_date(text: &str) -> Result<DateValue, String> {
    let bytes = text.trim().as_bytes();
    let mut at = 0;
    let expected = || "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±hh:mm]".to_string();
    let field = |at: &mut usize, count: usize, sep: Option<u8>| -> Result<u16, String> {
        let n = take_digits(bytes, at, count).ok_or_else(expected)?;
        if let Some(sep) = sep {
            if bytes.get(*at) != Some(&sep) {
                return Err(expected());
            }
            *at += 1;
        }
        Ok(n)
    };
    let year = field(&mut at, 4, Some(b'-'))?;
    let month = field(&mut at, 2, Some(b'-'))?;
    let day = field(&mut at, 2, None)?;
    let date = DateValue::new(year, month as u8, day as u8).map_err(|e| match e {
        FormatError::InvalidDate { reason, .. } => reason,
        other => other.to_string(),
    })?;
    if at == bytes.len() {
        return Ok(date);
    }
    if !matches!(bytes.get(at), Some(b'T' | b't' | b' ')) {
        return Err(expected());
    }
    at += 1;
    let hour = field(&mut at, 2, Some(b':'))?;
    let minute = field(&mut at, 2, None)?;
    let mut second = 0;
    if bytes.get(at) == Some(&b':') {
        at += 1;
        second = field(&mut at, 2, None)?;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            let start = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            if at == start {
                return Err("expected digits after the decimal point of the seconds".into());
            }
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!(
            "time {hour:02}:{minute:02}:{second:02} is out of range"
        ));
    }
    match bytes.get(at) {
        None => {}
        Some(b'Z' | b'z') => at += 1,
        Some(b'+' | b'-') => {
            at += 1;
            let offset_hours = field(&mut at, 2, None)?;
            if bytes.get(at) == Some(&b':') {
                at += 1;
            }
            let offset_minutes = match bytes.get(at) {
                Some(b) if b.is_ascii_digit() => field(&mut at, 2, None)?,
                _ => 0,
            };
            if offset_hours > 23 || offset_minutes > 59 {
                return Err("UTC offset out of range".into());
            }
        }
        Some(_) => return Err(expected()),
    }
    if at != bytes.len() {
        return Err(expected());
    }
    date.with_time(hour as u8, minute as u8, second as u8)
        .map_err(|e| e.to_string())
}

/// Formats an ISO 8601 date string; see [`format_date_value`].
pub fn format_date(value: &str, format: &str, locale: &Locale) -> Result<String, FormatError> {
    format_date_value(&DateValue::parse(value)?, format, locale)
}

/// Formats a date.
///
/// `format` is `short`, `medium`, `long` (the locale's patterns, see
/// [`Locale::date_pattern`]), `iso` (`2026-11-02`) or a pattern with
/// `%Y` (year, 4 digits), `%y` (2 digits), `%m` / `%-m` (month, padded /
/// not), `%d` / `%-d` (day), `%e` (day, space-padded), `%j` (day of year),
/// `%B` (month name; genitive in Polish, as in glibc), `%OB` (month name
/// standing alone), `%b`, `%A`, `%a`, `%H`, `%M`, `%S` (00 for date-only
/// values) and `%%`.
pub fn format_date_value(
    date: &DateValue,
    format: &str,
    locale: &Locale,
) -> Result<String, FormatError> {
    let pattern = match format {
        "short" => locale.date_pattern(DateStyle::Short),
        "medium" => locale.date_pattern(DateStyle::Medium),
        "long" => locale.date_pattern(DateStyle::Long),
        "iso" => "%Y-%m-%d",
        _ if format.contains('%') => format,
        _ => {
            return Err(FormatError::InvalidDateFormat {
                format: clip(format),
                reason: "use short, medium, long, iso or a %-pattern such as \"%d.%m.%Y\"".into(),
            });
        }
    };
    apply_pattern(date, pattern, locale).map_err(|reason| FormatError::InvalidDateFormat {
        format: clip(format),
        reason,
    })
}

fn apply_pattern(date: &DateValue, pattern: &str, locale: &Locale) -> Result<String, String> {
    let (hour, minute, second) = date.time.unwrap_or((0, 0, 0));
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = chars.next().ok_or("the pattern ends with a lone %")?;
        // `write!` into a String cannot fail.
        let _ = match spec {
            '%' => write!(out, "%"),
            'Y' => write!(out, "{:04}", date.year),
            'y' => write!(out, "{:02}", date.year % 100),
            'm' => write!(out, "{:02}", date.month),
            'd' => write!(out, "{:02}", date.day),
            'e' => write!(out, "{:>2}", date.day),
            'j' => write!(out, "{:03}", date.ordinal()),
            'H' => write!(out, "{hour:02}"),
            'M' => write!(out, "{minute:02}"),
            'S' => write!(out, "{second:02}"),
            'B' => write!(out, "{}", locale.month_name(date.month)),
            'b' => write!(out, "{}", locale.month_abbr(date.month)),
            'A' => write!(out, "{}", locale.weekday_name(date.weekday())),
            'a' => write!(out, "{}", locale.weekday_abbr(date.weekday())),
            '-' => match chars.next() {
                Some('d') => write!(out, "{}", date.day),
                Some('m') => write!(out, "{}", date.month),
                Some('H') => write!(out, "{hour}"),
                other => return Err(unsupported('-', other)),
            },
            'O' => match chars.next() {
                Some('B') => write!(out, "{}", locale.month_name_standalone(date.month)),
                other => return Err(unsupported('O', other)),
            },
            other => return Err(format!("unsupported specifier %{other}")),
        };
    }
    Ok(out)
}

fn unsupported(flag: char, spec: Option<char>) -> String {
    match spec {
        Some(spec) => format!("unsupported specifier %{flag}{spec}"),
        None => format!("the pattern ends with %{flag}"),
    }
}

// ---------------------------------------------------------------------------
// minijinja glue
// ---------------------------------------------------------------------------

/// Adds the `money`, `number`, `percent` and `date` filters to `env`.
pub fn register(env: &mut Environment<'_>) {
    env.add_filter("money", money_filter);
    env.add_filter("number", number_filter);
    env.add_filter("percent", percent_filter);
    env.add_filter("date", date_filter);
}

fn money_filter(state: &State, value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    const F: &str = "money";
    let [currency, locale, decimals] = params(F, ["currency", "locale", "decimals"], args)?;
    let number = to_number(value).map_err(fail(F))?;
    let currency = match currency {
        Some(v) => string_arg(F, "currency", &v)?,
        None => context_string(F, state, "currency")?
            .ok_or(FormatError::MissingCurrency)
            .map_err(fail(F))?,
    };
    let locale = resolve(F, state, locale)?;
    let decimals = decimals.map(|v| decimals_arg(F, &v)).transpose()?;
    format_money(number, &currency, locale, decimals).map_err(fail(F))
}

fn number_filter(state: &State, value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    const F: &str = "number";
    let [decimals, locale] = params(F, ["decimals", "locale"], args)?;
    let number = to_number(value).map_err(fail(F))?;
    let locale = resolve(F, state, locale)?;
    let decimals = decimals.map_or(Ok(2), |v| decimals_arg(F, &v))?;
    format_number(number, decimals, locale).map_err(fail(F))
}

fn percent_filter(
    state: &State,
    value: &Value,
    args: Rest<ValueOrKwargs>,
) -> Result<String, Error> {
    const F: &str = "percent";
    let [decimals, locale] = params(F, ["decimals", "locale"], args)?;
    let number = to_number(value).map_err(fail(F))?;
    let locale = resolve(F, state, locale)?;
    let decimals = decimals.map_or(Ok(0), |v| decimals_arg(F, &v))?;
    format_percent(number, decimals, locale).map_err(fail(F))
}

fn date_filter(state: &State, value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    const F: &str = "date";
    let [format, locale] = params(F, ["format", "locale"], args)?;
    let Some(text) = value.as_str() else {
        return Err(invalid(format!(
            "{F}: expected an ISO 8601 date string such as \"2026-11-02\", got {}",
            describe(value)
        )));
    };
    let format = match format {
        Some(v) => string_arg(F, "format", &v)?,
        None => "medium".to_string(),
    };
    let locale = resolve(F, state, locale)?;
    format_date(text, &format, locale).map_err(fail(F))
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message)
}

/// Maps a [`FormatError`] to a minijinja error prefixed with the filter.
fn fail(filter: &'static str) -> impl Fn(FormatError) -> Error {
    move |e| invalid(format!("{filter}: {e}")).with_source(e)
}

/// Splits positional and keyword arguments into `N` named slots; `none`
/// counts as not given.
fn params<const N: usize>(
    filter: &str,
    names: [&str; N],
    args: Rest<ValueOrKwargs>,
) -> Result<[Option<Value>; N], Error> {
    let values = args.into_values();
    let (positional, kwargs): (&[Value], Kwargs) = from_args(&values)?;
    if positional.len() > N {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            format!(
                "{filter}: takes at most {N} arguments ({}), got {}",
                names.join(", "),
                positional.len()
            ),
        ));
    }
    let mut slots: [Option<Value>; N] = std::array::from_fn(|_| None);
    for (i, (slot, name)) in slots.iter_mut().zip(names).enumerate() {
        let given = |v: &Value| !v.is_none() && !v.is_undefined();
        let by_position = positional.get(i).filter(|v| given(v)).cloned();
        let by_name = kwargs.get::<Option<Value>>(name)?;
        if by_position.is_some() && by_name.is_some() {
            return Err(Error::new(
                ErrorKind::TooManyArguments,
                format!("{filter}: argument `{name}` given twice"),
            ));
        }
        *slot = by_position.or(by_name);
    }
    kwargs.assert_all_used().map_err(|e| {
        let detail = e
            .detail()
            .unwrap_or("unexpected keyword argument")
            .to_string();
        Error::new(e.kind(), format!("{filter}: {detail}"))
    })?;
    Ok(slots)
}

/// "a map", "none", "the string \"x\"" … for error messages.
fn describe(value: &Value) -> String {
    match value.kind() {
        ValueKind::String => format!("the string {:?}", clip(value.as_str().unwrap_or(""))),
        ValueKind::Undefined => "an undefined value".into(),
        ValueKind::None => "none".into(),
        ValueKind::Bool => format!("the bool {}", value.is_true()),
        ValueKind::Number => format!("the number {value}"),
        ValueKind::Bytes => "bytes".into(),
        ValueKind::Seq => "a sequence".into(),
        ValueKind::Map => "a map".into(),
        ValueKind::Iterable => "an iterator".into(),
        ValueKind::Plain => "a plain object".into(),
        ValueKind::Invalid => "an invalid value".into(),
        _ => format!("a value of kind {}", value.kind()),
    }
}

fn to_number(value: &Value) -> Result<Number, FormatError> {
    match value.kind() {
        // Integers (up to 128 bits) go through their exact decimal text.
        ValueKind::Number if value.is_integer() => Number::parse(&value.to_string()),
        ValueKind::Number => f64::try_from(value.clone())
            .map(Number::from)
            .map_err(|_| FormatError::NotANumber(describe(value))),
        ValueKind::String => Number::parse(value.as_str().unwrap_or("")),
        _ => Err(FormatError::NotANumber(describe(value))),
    }
}

fn string_arg(filter: &str, name: &str, value: &Value) -> Result<String, Error> {
    value.as_str().map(str::to_string).ok_or_else(|| {
        invalid(format!(
            "{filter}: `{name}` must be a string, got {}",
            describe(value)
        ))
    })
}

fn decimals_arg(filter: &'static str, value: &Value) -> Result<u8, Error> {
    let n = if value.is_integer() {
        i128::try_from(value.clone()).ok()
    } else {
        None
    };
    n.and_then(|n| u8::try_from(n).ok())
        .filter(|&n| n <= MAX_DECIMALS)
        .ok_or_else(|| fail(filter)(FormatError::Decimals(describe(value))))
}

/// A string variable of the render context; `None` if undefined or none.
fn context_string(filter: &str, state: &State, name: &str) -> Result<Option<String>, Error> {
    match state.lookup(name) {
        Some(v) if !v.is_undefined() && !v.is_none() => {
            v.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                invalid(format!(
                    "{filter}: the `{name}` variable must be a string, got {}",
                    describe(&v)
                ))
            })
        }
        _ => Ok(None),
    }
}

/// The `locale` argument, else the `locale` variable, else en-US.
fn resolve(
    filter: &'static str,
    state: &State,
    arg: Option<Value>,
) -> Result<&'static Locale, Error> {
    let tag = match arg {
        Some(v) => Some(string_arg(filter, "locale", &v)?),
        None => context_string(filter, state, "locale")?,
    };
    match tag {
        Some(tag) => resolve_locale(&tag).map_err(fail(filter)),
        None => Ok(default_locale()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    /// Expected strings spell U+00A0 as `_` and U+202F as `~`.
    fn nb(expected: &str) -> String {
        expected.replace('_', "\u{a0}").replace('~', "\u{202f}")
    }

    fn loc(tag: &str) -> &'static Locale {
        locale(tag).unwrap_or_else(|| panic!("locale {tag} missing"))
    }

    #[test]
    fn money_in_every_locale() {
        let check = |tag: &str, code: &str, value: f64, expected: &str| {
            let got = format_money(value, code, loc(tag), None);
            assert_eq!(got, Ok(nb(expected)), "{tag} {code} {value}");
        };
        check("en-US", "USD", 1234.5, "$1,234.50");
        check("en-GB", "GBP", 1234.5, "£1,234.50");
        check("en-GB", "USD", 1234.5, "US$1,234.50");
        check("de-DE", "EUR", 1234.5, "1.234,50_€");
        check("de-AT", "EUR", 1234.5, "€_1_234,50");
        check("de-CH", "CHF", 1234.5, "CHF_1’234.50");
        check("fr-FR", "EUR", 1234.5, "1~234,50_€");
        check("fr-CH", "CHF", 1234.5, "1~234,50_CHF");
        check("es-ES", "EUR", 1234.5, "1.234,50_€");
        check("it-IT", "EUR", 1234.5, "1.234,50_€");
        check("nl-NL", "EUR", 1234.5, "€_1.234,50");
        check("pl-PL", "PLN", 1234.5, "1_234,50_zł");
        check("pt-BR", "BRL", 1234.5, "R$_1.234,50");
        check("pt-PT", "EUR", 1234.5, "1_234,50_€");
        check("sv-SE", "SEK", 1234.5, "1_234,50_kr");
        check("ja-JP", "JPY", 1234.5, "¥1,235");
        check("zh-CN", "CNY", 1234.5, "¥1,234.50");
        check("ar", "SAR", 1234.5, "1,234.50_SAR");
        check("he-IL", "ILS", 1234.5, "1,234.50_₪");
    }

    #[test]
    fn money_signs_zero_large_and_currency_rules() {
        let check = |tag: &str, code: &str, value: Number, decimals: Option<u8>, expected: &str| {
            let got = format_money(value.clone(), code, loc(tag), decimals);
            assert_eq!(got, Ok(nb(expected)), "{tag} {code} {value:?} {decimals:?}");
        };
        let n = Number::from;
        check("en-US", "USD", n(-1234.5), None, "-$1,234.50");
        check("de-DE", "EUR", n(-1234.5), None, "-1.234,50_€");
        check("de-CH", "CHF", n(-1234.5), None, "-CHF_1’234.50");
        check("fr-FR", "EUR", n(-0.5), None, "-0,50_€");
        check("en-US", "USD", n(0.0), None, "$0.00");
        check("en-US", "USD", n(-0.0), None, "$0.00");
        check("en-US", "USD", n(-0.001), None, "$0.00");
        check("de-DE", "EUR", Number::from(0), None, "0,00_€");
        check("de-DE", "EUR", n(1e12), None, "1.000.000.000.000,00_€");
        check("en-US", "USD", n(1e12), None, "$1,000,000,000,000.00");
        check(
            "en-US",
            "USD",
            Number::from(i64::MAX),
            None,
            "$9,223,372,036,854,775,807.00",
        );
        // ISO 4217 minor units, and explicit decimals overriding them.
        check("en-US", "JPY", n(1234.5), None, "¥1,235");
        check("en-US", "JPY", n(1234.5), Some(2), "¥1,234.50");
        check("en-US", "KRW", n(999.5), None, "₩1,000");
        check("en-US", "BHD", n(1234.5), None, "BHD_1,234.500");
        check("de-DE", "KWD", n(1.0005), None, "1,001_KWD");
        check("en-US", "EUR", n(1234.5), Some(0), "€1,235");
        // Codes: case-insensitive; unknown ones print as the code, spaced.
        check("de-DE", "eur", n(1.0), None, "1,00_€");
        check("en-US", "XYZ", n(1234.5), None, "XYZ_1,234.50");
        check("de-DE", "XYZ", n(1234.5), None, "1.234,50_XYZ");
        check("en-US", "CHF", n(12.0), None, "CHF_12.00");
        check("ja-JP", "CNY", n(12.0), None, "元_12.00");
        check("fr-FR", "USD", n(12.0), None, "12,00_$US");
        check("pl-PL", "USD", n(12.0), None, "12,00_USD");
        check(
            "en-US",
            "USD",
            Number::parse("19.999").expect("num"),
            None,
            "$20.00",
        );
    }

    #[test]
    fn money_errors() {
        let en = loc("en-US");
        for code in ["EURO", "E1R", "", "€", "US", "ÄÖÜ"] {
            assert!(
                matches!(
                    format_money(1.0, code, en, None),
                    Err(FormatError::InvalidCurrency(_))
                ),
                "{code:?}"
            );
        }
        assert_eq!(
            format_money(f64::NAN, "EUR", en, None),
            Err(FormatError::NonFinite("NaN".into()))
        );
        assert_eq!(
            format_money(1.0, "EUR", en, Some(11)),
            Err(FormatError::Decimals("11".into()))
        );
    }

    #[test]
    fn numbers_in_every_locale() {
        let check = |tag: &str, expected: &str| {
            let got = format_number(-1234567.891, 2, loc(tag));
            assert_eq!(got, Ok(nb(expected)), "{tag}");
        };
        check("en-US", "-1,234,567.89");
        check("en-GB", "-1,234,567.89");
        check("de-DE", "-1.234.567,89");
        check("de-AT", "-1_234_567,89");
        check("de-CH", "-1’234’567.89");
        check("fr-FR", "-1~234~567,89");
        check("fr-CH", "-1~234~567,89");
        check("es-ES", "-1.234.567,89");
        check("it-IT", "-1.234.567,89");
        check("nl-NL", "-1.234.567,89");
        check("pl-PL", "-1_234_567,89");
        check("pt-BR", "-1.234.567,89");
        check("pt-PT", "-1_234_567,89");
        check("sv-SE", "-1_234_567,89");
        check("ja-JP", "-1,234,567.89");
        check("zh-CN", "-1,234,567.89");
        check("ar", "-1,234,567.89");
        check("he-IL", "-1,234,567.89");
    }

    #[test]
    fn round_decimal_agrees_with_formatting() {
        let en = loc("en");
        for value in [
            1.005,
            2.675,
            0.125,
            -1.005,
            1234.5649,
            0.0,
            -0.004,
            5162.655,
            1e15 + 0.5,
        ] {
            let rounded = round_decimal(value, 2).expect("finite");
            assert_eq!(
                format_number(rounded, 2, en),
                format_number(value, 2, en),
                "{value}"
            );
        }
        assert_eq!(round_decimal(1.005, 2), Some(1.01));
        assert_eq!(round_decimal(f64::NAN, 2), None);
    }

    #[test]
    fn rounding_and_digits() {
        let en = loc("en-US");
        let check = |value: Number, decimals: u8, expected: &str| {
            let got = format_number(value.clone(), decimals, en);
            assert_eq!(got, Ok(expected.to_string()), "{value:?} at {decimals}");
        };
        let n = Number::from;
        check(n(1.005), 2, "1.01");
        check(n(2.675), 2, "2.68");
        check(n(1.45), 1, "1.5");
        check(n(0.125), 2, "0.13");
        check(n(-0.125), 2, "-0.13");
        check(n(0.994999), 2, "0.99");
        check(n(9.995), 2, "10.00");
        check(n(999.995), 2, "1,000.00");
        check(n(-999999.5), 0, "-1,000,000");
        check(n(0.5), 0, "1");
        check(n(-0.5), 0, "-1");
        check(n(0.49), 0, "0");
        check(n(-0.004), 2, "0.00");
        check(n(0.1 + 0.2), 2, "0.30");
        check(n(0.1 + 0.2), 10, "0.3000000000");
        check(n(1.0 / 3.0), 10, "0.3333333333");
        check(n(123.0), 0, "123");
        check(n(1234.0), 0, "1,234");
        check(n(1e12), 0, "1,000,000,000,000");
        check(n(1e21), 0, "1,000,000,000,000,000,000,000");
        check(n(1e-7), 2, "0.00");
        check(n(5e-7), 6, "0.000001");
        check(Number::from(0.1f32), 10, "0.1000000000");
        check(Number::from(-42i32), 1, "-42.0");
        check(
            Number::from(u128::MAX),
            0,
            "340,282,366,920,938,463,463,374,607,431,768,211,455",
        );
        let p = |s: &str| Number::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        check(p("12.50"), 2, "12.50");
        check(p(" 12.5 "), 2, "12.50");
        check(p("+3"), 2, "3.00");
        check(p(".5"), 2, "0.50");
        check(p("5."), 2, "5.00");
        check(p("007"), 0, "7");
        check(p("1e3"), 2, "1,000.00");
        check(p("-1.5E-2"), 3, "-0.015");
        check(p("2.5e+1"), 0, "25");
        check(p("12345678901234567890.5"), 0, "12,345,678,901,234,567,891");
        check(p("0.000000000049"), 10, "0.0000000000");
        check(p("0.00000000005"), 10, "0.0000000001");
    }

    #[test]
    fn number_parse_errors() {
        for text in [
            "", " ", "abc", "1,5", "1.2.3", "inf", "-inf", "NaN", "0x10", "1e", "e5", "-", "+",
            ".", "1e99999", "1e1001", "1_000", "١٢", "12abc",
        ] {
            assert_eq!(
                Number::parse(text),
                Err(FormatError::NotANumber(format!("the string {text:?}"))),
                "{text:?}"
            );
        }
        let en = loc("en-US");
        assert_eq!(
            format_number(f64::INFINITY, 2, en),
            Err(FormatError::NonFinite("inf".into()))
        );
        assert_eq!(
            format_number(f64::NEG_INFINITY, 2, en),
            Err(FormatError::NonFinite("-inf".into()))
        );
        assert_eq!(format_number(1.0, 10, en), Ok("1.0000000000".into()));
        assert_eq!(
            format_number(1.0, 11, en),
            Err(FormatError::Decimals("11".into()))
        );
    }

    #[test]
    fn percent_in_every_locale() {
        let check = |tag: &str, expected: &str| {
            assert_eq!(format_percent(0.19, 0, loc(tag)), Ok(nb(expected)), "{tag}");
        };
        check("en-US", "19%");
        check("en-GB", "19%");
        check("de-DE", "19_%");
        check("de-AT", "19_%");
        check("de-CH", "19%");
        check("fr-FR", "19~%");
        check("fr-CH", "19%");
        check("es-ES", "19_%");
        check("it-IT", "19%");
        check("nl-NL", "19%");
        check("pl-PL", "19%");
        check("pt-BR", "19%");
        check("pt-PT", "19%");
        check("sv-SE", "19_%");
        check("ja-JP", "19%");
        check("zh-CN", "19%");
        check("ar", "19%");
        check("he-IL", "19%");
    }

    #[test]
    fn percent_values() {
        let check = |value: f64, decimals: u8, tag: &str, expected: &str| {
            let got = format_percent(value, decimals, loc(tag));
            assert_eq!(got, Ok(nb(expected)), "{value} {decimals} {tag}");
        };
        check(0.0, 0, "en-US", "0%");
        check(1.0, 0, "en-US", "100%");
        check(0.125, 0, "en-US", "13%");
        check(0.125, 1, "de-DE", "12,5_%");
        check(-0.075, 1, "en-US", "-7.5%");
        check(0.00005, 2, "en-US", "0.01%");
        check(-0.00004, 2, "en-US", "0.00%");
        check(12.3456, 2, "fr-FR", "1~234,56~%");
        check(0.07, 0, "en-US", "7%");
        check(0.0725, 2, "en-US", "7.25%");
    }

    #[test]
    fn dates_in_several_locales() {
        let check = |value: &str, format: &str, tag: &str, expected: &str| {
            let got = format_date(value, format, loc(tag));
            assert_eq!(got, Ok(expected.to_string()), "{value} {format} {tag}");
        };
        let d = "2026-11-02";
        check(d, "short", "en-US", "11/2/2026");
        check(d, "short", "en-GB", "02/11/2026");
        check(d, "short", "de-DE", "02.11.2026");
        check(d, "short", "de-CH", "02.11.2026");
        check(d, "short", "fr-FR", "02/11/2026");
        check(d, "short", "fr-CH", "02.11.2026");
        check(d, "short", "es-ES", "02/11/2026");
        check(d, "short", "nl-NL", "02-11-2026");
        check(d, "short", "pl-PL", "02.11.2026");
        check(d, "short", "sv-SE", "2026-11-02");
        check(d, "short", "ja-JP", "2026/11/02");
        check(d, "short", "zh-CN", "2026/11/2");
        check(d, "short", "he-IL", "2.11.2026");
        check(d, "medium", "en-US", "Nov 2, 2026");
        check(d, "medium", "en-GB", "2 Nov 2026");
        check(d, "medium", "de-DE", "02.11.2026");
        check(d, "medium", "fr-FR", "2 nov. 2026");
        check(d, "medium", "es-ES", "2 nov 2026");
        check(d, "medium", "it-IT", "2 nov 2026");
        check(d, "medium", "nl-NL", "2 nov 2026");
        check(d, "medium", "pl-PL", "2 lis 2026");
        check(d, "medium", "pt-BR", "2 de nov. de 2026");
        check(d, "medium", "pt-PT", "02/11/2026");
        check(d, "medium", "sv-SE", "2 nov. 2026");
        check(d, "medium", "zh-CN", "2026年11月2日");
        check(d, "long", "en-US", "November 2, 2026");
        check(d, "long", "en-GB", "2 November 2026");
        check(d, "long", "de-DE", "2. November 2026");
        check("2026-01-02", "long", "de-DE", "2. Januar 2026");
        check("2026-01-02", "long", "de-AT", "2. Jänner 2026");
        check(d, "long", "fr-FR", "2 novembre 2026");
        check("2026-02-01", "long", "fr-FR", "1 février 2026");
        check(d, "long", "es-ES", "2 de noviembre de 2026");
        check(d, "long", "it-IT", "2 novembre 2026");
        check(d, "long", "nl-NL", "2 november 2026");
        check(d, "long", "pl-PL", "2 listopada 2026");
        check("2026-09-30", "long", "pl-PL", "30 września 2026");
        check(d, "long", "pt-PT", "2 de novembro de 2026");
        check(d, "long", "pt-BR", "2 de novembro de 2026");
        check(d, "long", "sv-SE", "2 november 2026");
        check(d, "long", "ja-JP", "2026年11月2日");
        check(d, "long", "zh-CN", "2026年11月2日");
        check(d, "long", "ar", "2 نوفمبر 2026");
        check(d, "long", "he-IL", "2 בנובמבר 2026");
        check(d, "iso", "de-DE", "2026-11-02");
        check("2026-11-02T23:30:00+05:00", "iso", "en-US", "2026-11-02");
        check(
            "2026-11-02T23:30-05:00",
            "long",
            "en-US",
            "November 2, 2026",
        );
    }

    #[test]
    fn date_patterns() {
        let check = |value: &str, format: &str, tag: &str, expected: &str| {
            let got = format_date(value, format, loc(tag));
            assert_eq!(got, Ok(expected.to_string()), "{value} {format} {tag}");
        };
        let d = "2026-11-02";
        check(d, "%A, %-d. %B %Y", "de-DE", "Montag, 2. November 2026");
        check(d, "%a %e %b", "en-US", "Mon  2 Nov");
        check("2026-11-12", "%a %e %b", "en-US", "Thu 12 Nov");
        check(d, "%d.%m.%y", "de-DE", "02.11.26");
        check(d, "%-d/%-m/%Y", "en-US", "2/11/2026");
        check(d, "%j", "en-US", "306");
        check("2024-12-31", "%j", "en-US", "366");
        check(d, "%OB %Y", "pl-PL", "listopad 2026");
        check(d, "%B", "pl-PL", "listopada");
        check(d, "%A", "fr-FR", "lundi");
        check(d, "%A", "es-ES", "lunes");
        check(d, "%A", "it-IT", "lunedì");
        check(d, "%A", "nl-NL", "maandag");
        check(d, "%A", "pl-PL", "poniedziałek");
        check(d, "%A", "pt-PT", "segunda-feira");
        check(d, "%A", "sv-SE", "måndag");
        check(d, "%A", "ja-JP", "月曜日");
        check(d, "100%% %Y", "en-US", "100% 2026");
        check("2026-11-02T09:05:07Z", "%H:%M:%S", "en-US", "09:05:07");
        check("2026-11-02t09:05", "%-H.%M", "en-US", "9.05");
        check(
            "2026-11-02 09:05:07.250+0130",
            "%H:%M:%S",
            "en-US",
            "09:05:07",
        );
        check(d, "%H:%M:%S", "en-US", "00:00:00");
        // Weekdays across centuries (day-of-week algorithm).
        check("2000-01-01", "%A", "en-US", "Saturday");
        check("2000-02-29", "%A", "en-US", "Tuesday");
        check("2024-02-29", "%A", "en-US", "Thursday");
        check("1970-01-01", "%A", "en-US", "Thursday");
        check("1969-12-31", "%A", "en-US", "Wednesday");
        check("2023-12-31", "%A", "en-US", "Sunday");
        check("1900-01-01", "%A", "en-US", "Monday");
        check("1600-03-01", "%A", "en-US", "Wednesday");
        check("0001-01-01", "%A %Y", "en-US", "Monday 0001");
        check("9999-12-31", "%A", "en-US", "Friday");
    }

    #[test]
    fn invalid_dates() {
        let en = loc("en-US");
        for value in [
            "2026-02-30",
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-11-00",
            "2026-11-31",
            "26-11-02",
            "2026/11/02",
            "2026-11-2",
            "2026-11-02T25:00",
            "2026-11-02T10:60",
            "2026-11-02T10",
            "2026-11-02T10:00+25:00",
            "2026-11-02T10:00:00.",
            "2026-11-02Z",
            "2026-11-02 junk",
            "2026-11-02T",
            "",
            "２０２６-11-02",
            "November 2, 2026",
        ] {
            assert!(
                matches!(
                    format_date(value, "iso", en),
                    Err(FormatError::InvalidDate { .. })
                ),
                "{value:?} should be rejected"
            );
        }
        assert_eq!(
            format_date("2026-02-30", "iso", en).map_err(|e| e.to_string()),
            Err("invalid date \"2026-02-30\": day 30 does not exist (2026-02 has 28 days)".into())
        );
        assert!(format_date("2000-02-29", "iso", en).is_ok());
        assert!(DateValue::new(2026, 2, 29).is_err());
        assert_eq!(
            DateValue::new(2024, 2, 29).map(|d| d.weekday()),
            Ok(3),
            "Thursday"
        );
    }

    #[test]
    fn invalid_date_formats() {
        let en = loc("en-US");
        for format in ["%Q", "abc%", "%-x", "%O", "%Ob", "nonsense", "Y-m-d", ""] {
            assert!(
                matches!(
                    format_date("2026-11-02", format, en),
                    Err(FormatError::InvalidDateFormat { .. })
                ),
                "{format:?} should be rejected"
            );
        }
    }

    #[test]
    fn unknown_locale_lists_supported() {
        let e = resolve_locale("xx-YY").expect_err("xx");
        let text = e.to_string();
        assert!(
            text.starts_with("unknown locale \"xx-YY\"; supported: en-US, en-GB"),
            "{text}"
        );
        assert!(text.ends_with("ar, he-IL"), "{text}");
        assert_eq!(resolve_locale("de_AT").map(Locale::tag), Ok("de-AT"));
    }

    fn render(source: &str, ctx: Value) -> Result<String, Error> {
        let mut env = Environment::new();
        register(&mut env);
        env.render_str(source, ctx)
    }

    #[test]
    fn template_filters_and_context_fallbacks() {
        let check = |source: &str, ctx: Value, expected: &str| {
            let got = render(source, ctx).map_err(|e| e.to_string());
            assert_eq!(got, Ok(nb(expected)), "{source}");
        };
        let none = context! {};
        // Defaults: en-US, 2 decimals for number, 0 for percent, medium dates.
        check("{{ 1234.5|number }}", none.clone(), "1,234.50");
        check("{{ 0.19|percent }}", none.clone(), "19%");
        check("{{ '2026-11-02'|date }}", none.clone(), "Nov 2, 2026");
        check("{{ 1234.5|money('USD') }}", none.clone(), "$1,234.50");
        check(
            "{{ 1234.5|money('EUR', 'de-DE') }}",
            none.clone(),
            "1.234,50_€",
        );
        check(
            "{{ 1234.5|money('EUR', locale='fr') }}",
            none.clone(),
            "1~234,50_€",
        );
        check(
            "{{ 1234.5|money('EUR', 'de', 0) }}",
            none.clone(),
            "1.235_€",
        );
        check(
            "{{ 1234.5|money(currency='EUR', decimals=1) }}",
            none.clone(),
            "€1,234.5",
        );
        check("{{ '12.50'|number(1) }}", none.clone(), "12.5");
        check("{{ 3|number(decimals=0) }}", none.clone(), "3");
        check("{{ 2.675|number }}", none.clone(), "2.68");
        check(
            "{{ 1000000000000|number(0, 'de') }}",
            none.clone(),
            "1.000.000.000.000",
        );
        check(
            "{{ '2026-11-02'|date('%d.%m.%Y') }}",
            none.clone(),
            "02.11.2026",
        );
        check(
            "{{ x|money('EUR', none, 0) }}",
            context! { x => -12.5 },
            "-€13",
        );
        // The `locale` and `currency` context variables.
        let de = context! { locale => "de-DE", currency => "EUR" };
        check(
            "{{ 1234.5|money }} | {{ 0.19|percent }} | {{ '2026-11-02'|date('long') }}",
            de.clone(),
            "1.234,50_€ | 19_% | 2. November 2026",
        );
        check(
            "{{ 1234.5|money('USD', 'en-US') }}",
            de.clone(),
            "$1,234.50",
        );
        check("{{ 1234.5|number(locale='de-CH') }}", de, "1’234.50");
        check(
            "{{ 12|money }}",
            context! { locale => "de_CH", currency => "CHF" },
            "CHF_12.00",
        );
        check(
            "{% set locale = 'fr' %}{{ 0.5|percent }}",
            none.clone(),
            "50~%",
        );
        check(
            "{% for l in ['en-GB', 'pl'] %}{% with locale = l %}{{ '2026-11-02'|date('long') }};{% endwith %}{% endfor %}",
            none,
            "2 November 2026;2 listopada 2026;",
        );
        check(
            "{{ 1|number(0) }}",
            context! { locale => Value::from(()) },
            "1",
        );
    }

    #[test]
    fn template_errors() {
        let check = |source: &str, ctx: Value, needle: &str| {
            let err = render(source, ctx).expect_err(source);
            let text = err.to_string();
            assert!(text.contains(needle), "{source}: {text}");
        };
        let none = context! {};
        check(
            "{{ {'a': 1}|money('EUR') }}",
            none.clone(),
            "money: expected a number, got a map",
        );
        check(
            "{{ [1]|number }}",
            none.clone(),
            "number: expected a number, got a sequence",
        );
        check(
            "{{ true|number }}",
            none.clone(),
            "number: expected a number, got the bool true",
        );
        check(
            "{{ nothing|number }}",
            none.clone(),
            "number: expected a number, got an undefined value",
        );
        check(
            "{{ 'abc'|percent }}",
            none.clone(),
            "percent: expected a number, got the string \"abc\"",
        );
        check("{{ 1|money }}", none.clone(), "money: no currency given");
        check(
            "{{ 1|money('EURO') }}",
            none.clone(),
            "money: invalid currency code \"EURO\"",
        );
        check(
            "{{ 1|number(locale='xx') }}",
            none.clone(),
            "number: unknown locale \"xx\"; supported: en-US",
        );
        check(
            "{{ 1|number(11) }}",
            none.clone(),
            "number: decimals must be an integer between 0 and 10",
        );
        check(
            "{{ 1|number(1.5) }}",
            none.clone(),
            "decimals must be an integer",
        );
        check(
            "{{ 1|number(foo=1) }}",
            none.clone(),
            "number: unknown keyword argument 'foo'",
        );
        check(
            "{{ 1|number(2, decimals=2) }}",
            none.clone(),
            "number: argument `decimals` given twice",
        );
        check(
            "{{ 1|number(2, 'en', 3) }}",
            none.clone(),
            "number: takes at most 2 arguments",
        );
        check(
            "{{ 1|number(locale=5) }}",
            none.clone(),
            "number: `locale` must be a string",
        );
        check(
            "{{ 20261102|date }}",
            none.clone(),
            "date: expected an ISO 8601 date string",
        );
        check(
            "{{ '2026-02-30'|date }}",
            none.clone(),
            "date: invalid date \"2026-02-30\"",
        );
        check(
            "{{ '2026-11-02'|date('fancy') }}",
            none,
            "date: invalid date format \"fancy\"",
        );
        check(
            "{{ 1|number }}",
            context! { locale => 5 },
            "number: the `locale` variable must be a string",
        );
        check(
            "{{ 1|number }}",
            context! { locale => "tlh" },
            "number: unknown locale \"tlh\"",
        );
        let err = render("{{ 'x'|number }}", context! {}).expect_err("x");
        assert_eq!(err.kind(), ErrorKind::InvalidOperation);
    }
}
