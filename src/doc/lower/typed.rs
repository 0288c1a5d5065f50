//! Typed table values: `value` + `value-type` on `td`/`th`.
//!
//! A cell may carry a number, an amount of money, a percentage or a date
//! (`<td value="1234.5" value-type="currency"/>`). The value is kept in
//! [`Cell::value`](crate::doc::Cell) for generators with typed cells, and a
//! cell without text content shows it formatted exactly like the template
//! filters (`money`, `number`, `percent`, `date`) would, in the locale of the
//! document's `lang` (en-US when it has none or no supported locale).
//! Numeric values right-align the cell unless it sets `align` itself.

use super::Lowerer;
use super::values::{self, Expected};
use crate::doc::model::TypedValue;
use crate::doc::node::{AttrValue, Node};
use crate::template::filters::{
    FormatError, Number, format_date, format_money, format_number, format_percent,
};

/// A cell's typed value and how it is displayed.
pub struct Typed {
    pub value: TypedValue,
    pub display: String,
    /// Number, currency or percent: right-aligned by default.
    pub numeric: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Currency,
    Percent,
    Date,
}

const KINDS: &[(&str, Kind)] = &[
    ("number", Kind::Number),
    ("currency", Kind::Currency),
    ("percent", Kind::Percent),
    ("date", Kind::Date),
];

/// Which options each value type takes.
const OPTIONS: &[(&str, &[Kind])] = &[
    ("currency", &[Kind::Currency]),
    ("decimals", &[Kind::Number, Kind::Percent]),
    ("format", &[Kind::Date]),
];

impl Lowerer<'_> {
    /// The typed value of a cell, if it has one (problems are reported).
    pub(super) fn typed_value(&mut self, cell: &Node) -> Option<Typed> {
        let kind = self.get(cell, "value-type", |v| values::keyword(v, KINDS));
        let Some(value) = cell.attr("value") else {
            for name in ["value-type", "currency", "decimals", "format"] {
                if let Some(attr) = cell.attr(name) {
                    self.error(&attr.loc, format!("{name} needs a value attribute"));
                }
            }
            return None;
        };
        if cell.attr("value-type").is_some() && kind.is_none() {
            return None;
        }
        let kind = kind.unwrap_or(Kind::Number);
        let kind_name = KINDS
            .iter()
            .find(|(_, k)| *k == kind)
            .map_or("", |(n, _)| *n);
        for (name, kinds) in OPTIONS {
            if let Some(attr) = cell.attr(name)
                && !kinds.contains(&kind)
            {
                let msg = format!("{name} does not apply to value-type=\"{kind_name}\"");
                self.error(&attr.loc, msg);
            }
        }
        let decimals = self.get(cell, "decimals", |v| values::integer(v, 0, 10));
        let decimals = decimals.and_then(|d| u8::try_from(d).ok());
        let locale = self.locale;
        if kind == Kind::Date {
            let text = self.get(cell, "value", values::text)?.trim().to_owned();
            let format = self.get(cell, "format", values::text);
            let format = format.unwrap_or_else(|| "medium".to_owned());
            return match format_date(&text, &format, locale) {
                Ok(display) => Some(Typed {
                    value: TypedValue::Date { value: text },
                    display,
                    numeric: false,
                }),
                Err(FormatError::InvalidDateFormat { reason, .. }) => {
                    let loc = cell.attr("format").map_or(&value.loc, |a| &a.loc).clone();
                    self.error(&loc, format!("format is not a date format: {reason}"));
                    None
                }
                Err(e) => {
                    let msg = format!(
                        "value must be an ISO 8601 date such as 2026-11-02 \
                         (value-type=\"date\"): {e}"
                    );
                    self.error(&value.loc, msg);
                    None
                }
            };
        }
        let (number, float) = match number(&value.value) {
            Ok(n) => n,
            Err(expected) => {
                let msg = format!(
                    "value {expected} (value-type=\"{kind_name}\"), found {}",
                    values::shown(&value.value)
                );
                self.error(&value.loc, msg);
                return None;
            }
        };
        let (typed, display) = match kind {
            Kind::Currency => {
                let currency = self.get(cell, "currency", currency_code);
                let currency = currency.unwrap_or_else(|| self.currency.clone());
                let display = format_money(number, &currency, locale, None);
                let value = TypedValue::Currency {
                    value: float,
                    currency,
                };
                (value, display)
            }
            Kind::Percent => {
                let decimals = decimals.unwrap_or(0);
                let display = format_percent(number, decimals, locale);
                (
                    TypedValue::Percent {
                        value: float,
                        decimals,
                    },
                    display,
                )
            }
            _ => {
                let decimals = decimals.unwrap_or(2);
                let display = format_number(number, decimals, locale);
                (
                    TypedValue::Number {
                        value: float,
                        decimals,
                    },
                    display,
                )
            }
        };
        match display {
            Ok(display) => Some(Typed {
                value: typed,
                display,
                numeric: true,
            }),
            Err(e) => {
                self.error(&value.loc, format!("value cannot be formatted: {e}"));
                None
            }
        }
    }
}

/// A number exactly as written (for display) and as a float (for the model).
fn number(value: &AttrValue) -> Result<(Number, f64), Expected> {
    const EXPECTED: &str = "must be a number";
    match value {
        AttrValue::Num(n) if n.is_finite() => Ok((Number::from(*n), *n)),
        AttrValue::Str(s) => {
            let float = s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
            match (Number::parse(s), float) {
                (Ok(exact), Some(float)) => Ok((exact, float)),
                _ => Err(EXPECTED.into()),
            }
        }
        _ => Err(EXPECTED.into()),
    }
}

/// An ISO 4217 currency code (three letters, any case), upper case.
pub fn currency_code(value: &AttrValue) -> Result<String, Expected> {
    match value {
        AttrValue::Str(s)
            if s.trim().len() == 3 && s.trim().bytes().all(|b| b.is_ascii_alphabetic()) =>
        {
            Ok(s.trim().to_ascii_uppercase())
        }
        _ => Err("must be an ISO 4217 currency code such as EUR or USD".into()),
    }
}
