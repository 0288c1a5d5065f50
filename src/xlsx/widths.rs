//! Column widths fitted to the content, in Excel's character units.
//!
//! Large sheets are written row by row and cannot be revisited, so widths are
//! fixed before any row is written: from the header, the totals label and the
//! first [`SAMPLE_ROWS`] data rows. Values are measured as they will be shown
//! (number format applied, roughly) rather than as raw JSON.

use super::model::{Column, ColumnKind, Sheet, Value};

/// Data rows looked at when fitting a width.
pub const SAMPLE_ROWS: usize = 1_000;
const MIN_WIDTH: f64 = 4.0;
const MAX_WIDTH: f64 = 60.0;
/// Room for the cell padding, plus the filter button on header cells.
const PADDING: f64 = 1.5;
const FILTER_BUTTON: f64 = 2.0;
/// Bold header text is a little wider.
const BOLD_FACTOR: f64 = 1.1;
/// Width assumed for a formula result, which is not known when writing.
const FORMULA_WIDTH: usize = 10;

/// Widths of every column: given ones as they are, the rest fitted.
pub fn column_widths(sheet: &Sheet) -> Vec<f64> {
    let filter = sheet.header.is_some() && (sheet.autofilter || sheet.table.is_some());
    sheet
        .columns
        .iter()
        .enumerate()
        .map(|(c, column)| {
            column
                .width
                .unwrap_or_else(|| fit(sheet, c, column, filter))
        })
        .collect()
}

fn fit(sheet: &Sheet, c: usize, column: &Column, filter: bool) -> f64 {
    let shape = NumberShape::of(column);
    let widest_value = sheet
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .filter_map(|row| row.get(c))
        .map(|value| value_width(value, &shape))
        .max()
        .unwrap_or(0);
    let mut width = widest_value as f64;
    if let Some(style) = &sheet.header {
        let mut header = column.header.chars().count() as f64;
        if style.bold {
            header *= BOLD_FACTOR;
        }
        if filter {
            header += FILTER_BUTTON;
        }
        width = width.max(header);
    }
    if let Some(totals) = &sheet.totals
        && totals.label_column == Some(c)
    {
        width = width.max(totals.label.chars().count() as f64 * BOLD_FACTOR);
    }
    (width + PADDING).clamp(MIN_WIDTH, MAX_WIDTH)
}

/// How a column shows numbers, read once from its format code.
struct NumberShape {
    kind: ColumnKind,
    /// Fixed width of dates and date-times (from the format code).
    date_width: usize,
    /// Decimal places, or `None` for General.
    decimals: Option<usize>,
    grouping: bool,
    percent: bool,
    /// Literal text (currency symbols, spaces) shown beside the number.
    literal: usize,
}

impl NumberShape {
    fn of(column: &Column) -> Self {
        let code = column.num_format.as_deref().unwrap_or("General");
        // Only the positive section matters for the width.
        let code = code.split(';').next().unwrap_or(code);
        let mut literal = 0;
        let mut digits_part = String::new();
        let mut in_quotes = false;
        let mut in_brackets = false;
        for ch in code.chars() {
            match ch {
                '"' => in_quotes = !in_quotes,
                _ if in_quotes => literal += 1,
                '[' => in_brackets = true,
                ']' => in_brackets = false,
                _ if in_brackets => {}
                ' ' => literal += 1,
                _ => digits_part.push(ch),
            }
        }
        let general = code.eq_ignore_ascii_case("general");
        let decimals = (!general).then(|| {
            digits_part.split_once('.').map_or(0, |(_, after)| {
                after.chars().take_while(|c| *c == '0' || *c == '#').count()
            })
        });
        NumberShape {
            kind: column.kind,
            date_width: date_width(&digits_part) + literal,
            decimals,
            grouping: digits_part.contains(','),
            percent: digits_part.contains('%'),
            literal,
        }
    }
}

/// Width of a date shown with `code`: month and day names take up to 9
/// characters, other tokens their own length.
fn date_width(code: &str) -> usize {
    let lower = code.to_ascii_lowercase();
    let long_names = lower.matches("mmmm").count() + lower.matches("dddd").count();
    code.chars().filter(|c| *c != '\\').count() + long_names * 5
}

fn value_width(value: &Value, shape: &NumberShape) -> usize {
    match value {
        Value::Empty => 0,
        Value::Bool(_) => 5,
        Value::Text(text) => text.chars().take(MAX_WIDTH as usize + 1).count(),
        Value::Url(url) => url.chars().take(MAX_WIDTH as usize + 1).count(),
        Value::Link(link) => link.text.chars().take(MAX_WIDTH as usize + 1).count(),
        Value::Formula(_) => FORMULA_WIDTH,
        Value::Number(_) if shape.kind.is_date() => shape.date_width,
        Value::Number(n) => number_width(*n, shape),
    }
}

fn number_width(n: f64, shape: &NumberShape) -> usize {
    let Some(decimals) = shape.decimals else {
        // General shows at most about 11 characters.
        return n.to_string().len().min(11);
    };
    let shown = if shape.percent { n * 100.0 } else { n };
    let integer = shown.abs().trunc();
    let digits = if integer < 1.0 {
        1
    } else {
        integer.log10().floor() as usize + 1
    };
    let separators = if shape.grouping { (digits - 1) / 3 } else { 0 };
    let point = usize::from(decimals > 0);
    usize::from(n < 0.0)
        + digits
        + separators
        + point
        + decimals
        + usize::from(shape.percent)
        + shape.literal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xlsx::model::TotalFn;

    fn shape(kind: ColumnKind, format: Option<&str>) -> NumberShape {
        NumberShape::of(&Column {
            header: String::new(),
            kind,
            num_format: format.map(str::to_owned),
            width: None,
            total: TotalFn::None,
        })
    }

    #[test]
    fn numbers_are_measured_as_shown() {
        let check = |kind, format, n: f64, expected: usize| {
            assert_eq!(
                number_width(n, &shape(kind, format)),
                expected,
                "{format:?} {n}"
            );
        };
        check(ColumnKind::Number, None, 1.5, 3);
        check(ColumnKind::Number, None, 1.0 / 3.0, 11);
        check(ColumnKind::Integer, Some("0"), 12345.0, 5);
        check(ColumnKind::Number, Some("#,##0.00"), 1234567.891, 12);
        check(ColumnKind::Currency, Some("\"$\"#,##0.00"), -1234.5, 10);
        check(ColumnKind::Currency, Some("#,##0.00 \"kr\""), 5.0, 7);
        check(ColumnKind::Percent, Some("0.00%"), 0.155, 6);
        check(ColumnKind::Number, Some("[Red]0.0;[Blue]-0.0"), 10.0, 4);
    }

    #[test]
    fn dates_are_measured_by_their_format() {
        assert_eq!(shape(ColumnKind::Date, Some("yyyy-mm-dd")).date_width, 10);
        assert_eq!(shape(ColumnKind::Date, Some("dd mmm yyyy")).date_width, 11);
        assert_eq!(shape(ColumnKind::Date, Some("dddd, mmmm d")).date_width, 22);
        assert_eq!(
            shape(ColumnKind::DateTime, Some("yyyy-mm-dd hh:mm:ss")).date_width,
            19
        );
    }
}
