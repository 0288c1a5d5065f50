//! Default number formats per column type, currency symbols, and the names of
//! Excel's built-in table styles.

use rust_xlsxwriter::TableStyle;

use super::model::ColumnKind;

pub const DATE_FORMAT: &str = "yyyy-mm-dd";
pub const DATETIME_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";
pub const INTEGER_FORMAT: &str = "0";
pub const DEFAULT_PERCENT_DECIMALS: u8 = 2;
pub const MAX_DECIMALS: i64 = 15;

/// Currencies shown with a symbol: ISO code, the format-code text before and
/// after the number, and the usual number of decimals. Other valid codes are
/// shown as the code before the amount (`"XYZ" #,##0.00`).
const CURRENCIES: &[(&str, &str, &str, u8)] = &[
    ("USD", "\"$\"", "", 2),
    ("EUR", "", " \"€\"", 2),
    ("GBP", "\"£\"", "", 2),
    ("JPY", "\"¥\"", "", 0),
    ("CHF", "\"CHF\" ", "", 2),
    ("CNY", "\"CN¥\"", "", 2),
    ("INR", "\"₹\"", "", 2),
    ("KRW", "\"₩\"", "", 0),
    ("CAD", "\"CA$\"", "", 2),
    ("AUD", "\"A$\"", "", 2),
    ("NZD", "\"NZ$\"", "", 2),
    ("HKD", "\"HK$\"", "", 2),
    ("SGD", "\"S$\"", "", 2),
    ("BRL", "\"R$\"", "", 2),
    ("MXN", "\"MX$\"", "", 2),
    ("ZAR", "\"R\" ", "", 2),
    ("ILS", "\"₪\"", "", 2),
    ("TRY", "\"₺\"", "", 2),
    ("SEK", "", " \"kr\"", 2),
    ("NOK", "", " \"kr\"", 2),
    ("DKK", "", " \"kr.\"", 2),
    ("PLN", "", " \"zł\"", 2),
    ("CZK", "", " \"Kč\"", 2),
    ("HUF", "", " \"Ft\"", 0),
];

/// Number format of bool columns.
pub const BOOL_FORMAT: &str = "\"TRUE\";\"TRUE\";\"FALSE\"";

/// Whether `code` looks like an ISO 4217 code (three ASCII capitals).
pub fn is_currency_code(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// The number format a column gets when the job gives none; `None` is General.
pub fn default_format(
    kind: ColumnKind,
    currency: Option<&str>,
    decimals: Option<u8>,
) -> Option<String> {
    match kind {
        ColumnKind::Number => decimals.map(grouped),
        ColumnKind::Integer => Some(INTEGER_FORMAT.to_owned()),
        ColumnKind::Currency => Some(currency_format(currency, decimals)),
        ColumnKind::Percent => Some(format!(
            "{}%",
            plain(decimals.unwrap_or(DEFAULT_PERCENT_DECIMALS))
        )),
        ColumnKind::Date => Some(DATE_FORMAT.to_owned()),
        ColumnKind::DateTime => Some(DATETIME_FORMAT.to_owned()),
        // Excel shows booleans as TRUE/FALSE whatever the format; this one
        // makes LibreOffice do the same instead of showing 1 and 0.
        ColumnKind::Bool => Some(BOOL_FORMAT.to_owned()),
        ColumnKind::String | ColumnKind::Formula | ColumnKind::Hyperlink => None,
    }
}

fn currency_format(code: Option<&str>, decimals: Option<u8>) -> String {
    let Some(code) = code else {
        return grouped(decimals.unwrap_or(2));
    };
    match CURRENCIES.iter().find(|(c, ..)| *c == code) {
        Some(&(_, before, after, usual)) => {
            format!("{before}{}{after}", grouped(decimals.unwrap_or(usual)))
        }
        None => format!("\"{code}\" {}", grouped(decimals.unwrap_or(2))),
    }
}

/// `#,##0` with `decimals` places.
fn grouped(decimals: u8) -> String {
    format!("#,##{}", plain(decimals))
}

/// `0` with `decimals` places.
fn plain(decimals: u8) -> String {
    if decimals == 0 {
        "0".to_owned()
    } else {
        format!("0.{}", "0".repeat(usize::from(decimals)))
    }
}

/// Looks up a built-in table style by name (`medium9`, `Light1`, `none`).
pub fn table_style(name: &str) -> Option<TableStyle> {
    use TableStyle as T;
    const LIGHT: [TableStyle; 21] = [
        T::Light1,
        T::Light2,
        T::Light3,
        T::Light4,
        T::Light5,
        T::Light6,
        T::Light7,
        T::Light8,
        T::Light9,
        T::Light10,
        T::Light11,
        T::Light12,
        T::Light13,
        T::Light14,
        T::Light15,
        T::Light16,
        T::Light17,
        T::Light18,
        T::Light19,
        T::Light20,
        T::Light21,
    ];
    const MEDIUM: [TableStyle; 28] = [
        T::Medium1,
        T::Medium2,
        T::Medium3,
        T::Medium4,
        T::Medium5,
        T::Medium6,
        T::Medium7,
        T::Medium8,
        T::Medium9,
        T::Medium10,
        T::Medium11,
        T::Medium12,
        T::Medium13,
        T::Medium14,
        T::Medium15,
        T::Medium16,
        T::Medium17,
        T::Medium18,
        T::Medium19,
        T::Medium20,
        T::Medium21,
        T::Medium22,
        T::Medium23,
        T::Medium24,
        T::Medium25,
        T::Medium26,
        T::Medium27,
        T::Medium28,
    ];
    const DARK: [TableStyle; 11] = [
        T::Dark1,
        T::Dark2,
        T::Dark3,
        T::Dark4,
        T::Dark5,
        T::Dark6,
        T::Dark7,
        T::Dark8,
        T::Dark9,
        T::Dark10,
        T::Dark11,
    ];

    let name = name.to_ascii_lowercase();
    if name == "none" {
        return Some(TableStyle::None);
    }
    let (family, number): (&[TableStyle], &str) = if let Some(n) = name.strip_prefix("light") {
        (&LIGHT, n)
    } else if let Some(n) = name.strip_prefix("medium") {
        (&MEDIUM, n)
    } else if let Some(n) = name.strip_prefix("dark") {
        (&DARK, n)
    } else {
        return None;
    };
    if number.starts_with('0') {
        return None;
    }
    let index = number.parse::<usize>().ok()?.checked_sub(1)?;
    family.get(index).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(
        kind: ColumnKind,
        currency: Option<&str>,
        decimals: Option<u8>,
        expected: Option<&str>,
    ) {
        assert_eq!(
            default_format(kind, currency, decimals).as_deref(),
            expected
        );
    }

    #[test]
    fn defaults() {
        check(ColumnKind::String, None, None, None);
        check(ColumnKind::Number, None, None, None);
        check(ColumnKind::Number, None, Some(2), Some("#,##0.00"));
        check(ColumnKind::Number, None, Some(0), Some("#,##0"));
        check(ColumnKind::Integer, None, None, Some("0"));
        check(ColumnKind::Currency, None, None, Some("#,##0.00"));
        check(
            ColumnKind::Currency,
            Some("EUR"),
            None,
            Some("#,##0.00 \"€\""),
        );
        check(
            ColumnKind::Currency,
            Some("USD"),
            Some(3),
            Some("\"$\"#,##0.000"),
        );
        check(ColumnKind::Currency, Some("JPY"), None, Some("\"¥\"#,##0"));
        check(
            ColumnKind::Currency,
            Some("CHF"),
            None,
            Some("\"CHF\" #,##0.00"),
        );
        check(
            ColumnKind::Currency,
            Some("SEK"),
            None,
            Some("#,##0.00 \"kr\""),
        );
        check(
            ColumnKind::Currency,
            Some("XAU"),
            None,
            Some("\"XAU\" #,##0.00"),
        );
        check(ColumnKind::Percent, None, None, Some("0.00%"));
        check(ColumnKind::Percent, None, Some(0), Some("0%"));
        check(ColumnKind::Date, None, None, Some("yyyy-mm-dd"));
        check(
            ColumnKind::DateTime,
            None,
            None,
            Some("yyyy-mm-dd hh:mm:ss"),
        );
        check(ColumnKind::Hyperlink, None, None, None);
    }

    #[test]
    fn currency_codes() {
        assert!(is_currency_code("EUR"));
        assert!(!is_currency_code("eur"));
        assert!(!is_currency_code("EURO"));
        assert!(!is_currency_code("€"));
    }

    #[test]
    fn table_styles() {
        // TableStyle has no Debug, so compare with `==`.
        assert!(table_style("medium9") == Some(TableStyle::Medium9));
        assert!(table_style("Light21") == Some(TableStyle::Light21));
        assert!(table_style("dark11") == Some(TableStyle::Dark11));
        assert!(table_style("none") == Some(TableStyle::None));
        for bad in [
            "medium0", "medium29", "dark12", "light", "medium09", "blue", "medium-1",
        ] {
            assert!(table_style(bad).is_none(), "{bad}");
        }
    }
}
