//! Checking columns (type, format, currency, width, total) and the header
//! style.

use crate::problem::Diagnostics;

use super::model::{Column, ColumnKind, HeaderStyle, TotalFn};
use super::numfmt::{self, MAX_DECIMALS};
use super::spec::{ColumnSpec, HeaderStyleSpec};
use super::values::MAX_STRING_LEN;

const MAX_NUM_FORMAT: usize = 255;
const MAX_WIDTH: f64 = 255.0;

/// Checks one column and resolves its number format.
pub fn validate_column(spec: ColumnSpec, at: &str, diags: &mut Diagnostics) -> Column {
    let kind = match spec.kind.as_deref() {
        None => ColumnKind::String,
        Some(name) => ColumnKind::parse(name).unwrap_or_else(|| {
            let known: Vec<_> = ColumnKind::ALL.iter().map(|k| k.name()).collect();
            diags.error(
                format!("{at}/type"),
                format!(
                    "unknown column type {name:?}; expected one of {}",
                    known.join(", ")
                ),
            );
            ColumnKind::String
        }),
    };
    let currency = spec.currency.as_deref().filter(|code| {
        let fits = kind == ColumnKind::Currency && numfmt::is_currency_code(code);
        if kind != ColumnKind::Currency {
            diags.error(format!("{at}/currency"), "only used by currency columns");
        } else if !fits {
            diags.error(
                format!("{at}/currency"),
                format!("{code:?} is not an ISO 4217 code like EUR or USD"),
            );
        }
        fits
    });
    let decimals = spec.decimals.and_then(|d| {
        let applies = matches!(
            kind,
            ColumnKind::Number | ColumnKind::Currency | ColumnKind::Percent
        );
        if !applies {
            diags.error(
                format!("{at}/decimals"),
                "only used by number, currency and percent columns",
            );
        } else if !(0..=MAX_DECIMALS).contains(&d) {
            diags.error(
                format!("{at}/decimals"),
                format!("{d} is out of range 0-{MAX_DECIMALS}"),
            );
        }
        u8::try_from(d)
            .ok()
            .filter(|_| applies && d <= MAX_DECIMALS)
    });
    if let Some(format) = &spec.format
        && (format.is_empty() || format.chars().count() > MAX_NUM_FORMAT)
    {
        diags.error(
            format!("{at}/format"),
            format!("number formats have 1 to {MAX_NUM_FORMAT} characters"),
        );
    }
    if let Some(width) = spec.width
        && !(0.0..=MAX_WIDTH).contains(&width)
    {
        diags.error(
            format!("{at}/width"),
            format!("{width} is out of range 0-{MAX_WIDTH}"),
        );
    }
    let total = match spec.total.as_deref() {
        None => TotalFn::None,
        Some(name) => match TotalFn::parse(name) {
            Some(total) if total.applies_to(kind) => total,
            Some(total) => {
                diags.error(
                    format!("{at}/total"),
                    format!(
                        "total {:?} does not apply to a {} column",
                        total.name(),
                        kind.name()
                    ),
                );
                TotalFn::None
            }
            None => {
                let known: Vec<_> = TotalFn::ALL.iter().map(|t| t.name()).collect();
                diags.error(
                    format!("{at}/total"),
                    format!(
                        "unknown total {name:?}; expected one of {}",
                        known.join(", ")
                    ),
                );
                TotalFn::None
            }
        },
    };
    if spec.header.encode_utf16().count() > MAX_STRING_LEN {
        diags.error(
            format!("{at}/header"),
            "longer than Excel's limit of 32767 characters",
        );
    }
    Column {
        num_format: spec
            .format
            .or_else(|| numfmt::default_format(kind, currency, decimals)),
        header: spec.header,
        kind,
        width: spec.width,
        total,
    }
}

/// The header row style: the job's, or bold.
pub fn header_style(
    spec: Option<&HeaderStyleSpec>,
    at: &str,
    diags: &mut Diagnostics,
) -> HeaderStyle {
    let mut color = |value: Option<&String>, field: &str| {
        value.and_then(|text| {
            parse_color(text).or_else(|| {
                diags.error(
                    format!("{at}/header_style/{field}"),
                    format!("{text:?} is not a colour like #DDEBF7"),
                );
                None
            })
        })
    };
    HeaderStyle {
        bold: spec.and_then(|s| s.bold).unwrap_or(true),
        italic: spec.and_then(|s| s.italic).unwrap_or(false),
        color: color(spec.and_then(|s| s.color.as_ref()), "color"),
        background: color(spec.and_then(|s| s.background.as_ref()), "background"),
        explicit: spec.is_some(),
    }
}

/// `#RRGGBB` → 0xRRGGBB.
fn parse_color(text: &str) -> Option<u32> {
    let hex = text.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(hex, 16).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours() {
        assert_eq!(parse_color("#DDEBF7"), Some(0xDD_EB_F7));
        assert_eq!(parse_color("#ddebf7"), Some(0xDD_EB_F7));
        assert_eq!(parse_color("DDEBF7"), None);
        assert_eq!(parse_color("#DDEBF"), None);
        assert_eq!(parse_color("#+DEBF7"), None);
    }
}
