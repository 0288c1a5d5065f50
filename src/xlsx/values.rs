//! Checking and converting row values: the hot loop of validation.
//!
//! A good cell costs no allocation: array rows are converted in place (a wire
//! [`Cell`] and a [`Value`] have the same size and alignment, so collecting the
//! mapped cells reuses the row's buffer), and pointers and messages are only
//! built for cells that are wrong.

use std::collections::HashMap;

use crate::problem::{Diagnostics, escape_token};

use super::cell::{Cell, CellObject, Row};
use super::date::{self, DateError};
use super::model::{Column, ColumnKind, Link, Value};

/// Excel's limit on the length of a cell's text, in UTF-16 units.
pub const MAX_STRING_LEN: usize = 32_767;
/// Excel's limit on the length of a formula, in UTF-16 units.
pub const MAX_FORMULA_LEN: usize = 8_192;
/// Excel's limit on the length of a hyperlink's URL, in UTF-16 units.
pub const MAX_URL_LEN: usize = 2_079;
/// Excel's limit on hyperlinks per worksheet.
pub const MAX_LINKS_PER_SHEET: usize = 65_530;
/// Largest integer a double (and so an Excel cell) holds exactly: 2^53.
const MAX_EXACT_INT: i64 = 1 << 53;

/// The columns of one sheet and how object rows find them.
pub struct RowShape<'a> {
    pub columns: &'a [Column],
    pub keys: HashMap<&'a str, usize>,
    /// Pointer to the sheet's `rows` array.
    pub pointer: String,
}

/// Converts every row of a sheet, reporting each bad value.
pub fn convert_rows(
    rows: Vec<Row>,
    shape: &RowShape,
    diags: &mut Diagnostics,
) -> Vec<Box<[Value]>> {
    let mut links = 0;
    rows.into_iter()
        .enumerate()
        .map(|(r, row)| convert_row(r, row, shape, &mut links, diags))
        .collect()
}

fn convert_row(
    r: usize,
    row: Row,
    shape: &RowShape,
    links: &mut usize,
    diags: &mut Diagnostics,
) -> Box<[Value]> {
    let columns = shape.columns;
    match row {
        Row::Array(cells) => {
            if cells.len() > columns.len() {
                diags.error(
                    format!("{}/{r}", shape.pointer),
                    format!(
                        "too many values: {} for {} columns",
                        cells.len(),
                        columns.len()
                    ),
                );
            }
            cells
                .into_vec()
                .into_iter()
                .enumerate()
                .map(|(c, cell)| match columns.get(c) {
                    Some(column) => check(convert(cell, column, links), column, diags, || {
                        format!("{}/{r}/{c}", shape.pointer)
                    }),
                    None => Value::Empty,
                })
                .collect::<Vec<_>>()
                .into_boxed_slice()
        }
        Row::Object(entries) => {
            let mut values = vec![Value::Empty; columns.len()];
            for (key, cell) in entries {
                let pointer = || format!("{}/{r}/{}", shape.pointer, escape_token(&key));
                match shape.keys.get(&*key) {
                    Some(&c) if !matches!(values[c], Value::Empty) => {
                        diags.error(pointer(), format!("key {key:?} appears twice in this row"));
                    }
                    Some(&c) => {
                        let column = &columns[c];
                        values[c] = check(convert(cell, column, links), column, diags, pointer);
                    }
                    None => diags.error(pointer(), unknown_key(&key, shape)),
                }
            }
            values.into_boxed_slice()
        }
        Row::Invalid(found) => {
            diags.error(
                format!("{}/{r}", shape.pointer),
                format!("expected a row (an array of values or an object keyed by column key), found {found}"),
            );
            Box::new([])
        }
    }
}

fn unknown_key(key: &str, shape: &RowShape) -> String {
    let mut known: Vec<&str> = shape.keys.keys().copied().collect();
    known.sort_unstable_by_key(|k| shape.keys[k]);
    if known.is_empty() {
        format!("unknown column key {key:?}: no column has a `key`")
    } else {
        format!("unknown column key {key:?}; keys are: {}", known.join(", "))
    }
}

/// Reports a conversion error (building the pointer only then).
fn check(
    result: Result<Value, CellError>,
    column: &Column,
    diags: &mut Diagnostics,
    pointer: impl FnOnce() -> String,
) -> Value {
    result.unwrap_or_else(|error| {
        diags.error(pointer(), error.message(column));
        Value::Empty
    })
}

/// What is wrong with one value; turned into words only when reported.
#[derive(Debug, PartialEq)]
enum CellError {
    Expected {
        what: &'static str,
        found: &'static str,
    },
    NotInteger(f64),
    InexactInteger,
    Date(DateError),
    TooLong {
        what: &'static str,
        limit: usize,
    },
    EmptyFormula,
    UrlScheme,
    TooManyLinks,
    Object(String),
}

impl CellError {
    fn message(&self, column: &Column) -> String {
        let name = &column.header;
        let kind = column.kind.name();
        match self {
            CellError::Expected { what, found } => {
                format!("expected {what} for column {name:?} (type {kind}), found {found}")
            }
            CellError::NotInteger(value) => {
                format!("expected an integer for column {name:?}, found {value}")
            }
            CellError::InexactInteger => format!(
                "integer out of range for column {name:?}: Excel stores integers exactly only up to ±{MAX_EXACT_INT}"
            ),
            CellError::Date(error) => format!("invalid {kind} for column {name:?}: {error}"),
            CellError::TooLong { what, limit } => {
                format!("{what} is longer than Excel's limit of {limit} characters")
            }
            CellError::EmptyFormula => "empty formula".to_owned(),
            CellError::UrlScheme => {
                "hyperlinks must start with http://, https:// or mailto:".to_owned()
            }
            CellError::TooManyLinks => {
                format!("too many hyperlinks: Excel allows {MAX_LINKS_PER_SHEET} per worksheet")
            }
            CellError::Object(problem) => problem.clone(),
        }
    }
}

/// Checks one wire value against its column and converts it.
fn convert(cell: Cell, column: &Column, links: &mut usize) -> Result<Value, CellError> {
    use ColumnKind as K;
    let expected = |what: &'static str, cell: &Cell| CellError::Expected {
        what,
        found: cell.kind(),
    };
    Ok(match (column.kind, cell) {
        (_, Cell::Null) => Value::Empty,
        (_, Cell::Object(object)) => return convert_object(*object, column.kind, links),
        (K::String, Cell::Text(text)) => Value::Text(limit(text, MAX_STRING_LEN, "text")?),
        (K::String, Cell::Int(n)) => Value::Text(n.to_string().into()),
        (K::String, Cell::Float(x)) => Value::Text(x.to_string().into()),
        (K::String, Cell::Bool(b)) => Value::Text(if b { "true" } else { "false" }.into()),
        (K::Number | K::Currency | K::Percent, Cell::Int(n)) => Value::Number(n as f64),
        (K::Number | K::Currency | K::Percent, Cell::Float(x)) => Value::Number(x),
        (K::Integer, Cell::Int(n)) if (-MAX_EXACT_INT..=MAX_EXACT_INT).contains(&n) => {
            Value::Number(n as f64)
        }
        (K::Integer, Cell::Int(_)) => return Err(CellError::InexactInteger),
        (K::Integer, Cell::Float(x)) if x.fract() != 0.0 => return Err(CellError::NotInteger(x)),
        (K::Integer, Cell::Float(x)) if x.abs() > MAX_EXACT_INT as f64 => {
            return Err(CellError::InexactInteger);
        }
        (K::Integer, Cell::Float(x)) => Value::Number(x),
        (K::Date | K::DateTime, Cell::Text(text)) => {
            Value::Number(date::parse_serial(&text).map_err(CellError::Date)?)
        }
        (K::Bool, Cell::Bool(b)) => Value::Bool(b),
        (K::Formula, Cell::Text(text)) => Value::Formula(formula(text)?),
        (K::Hyperlink, Cell::Text(url)) => {
            count_link(links)?;
            Value::Url(url_checked(url)?)
        }
        (K::Number | K::Integer | K::Currency | K::Percent, cell) => {
            return Err(expected("a number", &cell));
        }
        (K::Date, cell) => return Err(expected("a date string (YYYY-MM-DD)", &cell)),
        (K::DateTime, cell) => {
            return Err(expected("a date-time string (YYYY-MM-DDThh:mm:ss)", &cell));
        }
        (K::Bool, cell) => return Err(expected("true or false", &cell)),
        (K::Formula, cell) => return Err(expected("a formula string", &cell)),
        (K::Hyperlink, cell) => return Err(expected("a URL string or {\"url\", \"text\"}", &cell)),
        (K::String, cell) => return Err(expected("a string", &cell)),
    })
}

fn convert_object(
    object: CellObject,
    kind: ColumnKind,
    links: &mut usize,
) -> Result<Value, CellError> {
    let problem = |text: &str| Err(CellError::Object(text.to_owned()));
    if let Some(problem) = object.problem {
        return Err(CellError::Object(problem));
    }
    match object {
        CellObject {
            formula: Some(f),
            url: None,
            text: None,
            ..
        } => Ok(Value::Formula(formula(f)?)),
        CellObject {
            formula: Some(_), ..
        } => problem("a cell object has either \"formula\" or \"url\"/\"text\", not both"),
        CellObject {
            url: Some(url),
            text,
            ..
        } if kind == ColumnKind::Hyperlink => {
            count_link(links)?;
            let url = url_checked(url)?;
            match text {
                Some(text) if !text.is_empty() => {
                    let text = limit(text, MAX_STRING_LEN, "link text")?;
                    Ok(Value::Link(Box::new(Link { url, text })))
                }
                _ => Ok(Value::Url(url)),
            }
        }
        CellObject { url: Some(_), .. } => problem(
            "{\"url\": …} cells are only allowed in hyperlink columns; use a formula such as =HYPERLINK(\"…\") elsewhere",
        ),
        CellObject { text: Some(_), .. } => problem("a link object needs a \"url\""),
        _ => {
            problem("an empty cell object; expected {\"formula\": …} or {\"url\": …, \"text\": …}")
        }
    }
}

fn count_link(links: &mut usize) -> Result<(), CellError> {
    *links += 1;
    if *links > MAX_LINKS_PER_SHEET {
        Err(CellError::TooManyLinks)
    } else {
        Ok(())
    }
}

fn formula(text: Box<str>) -> Result<Box<str>, CellError> {
    if text.trim_start_matches('=').trim().is_empty() {
        return Err(CellError::EmptyFormula);
    }
    limit(text, MAX_FORMULA_LEN, "the formula")
}

fn url_checked(url: Box<str>) -> Result<Box<str>, CellError> {
    let has_scheme = |scheme: &str| {
        url.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
            && url.len() > scheme.len()
    };
    if !(has_scheme("http://") || has_scheme("https://") || has_scheme("mailto:")) {
        return Err(CellError::UrlScheme);
    }
    limit(url, MAX_URL_LEN, "the URL")
}

/// Checks Excel's UTF-16 length limits without counting in the common case: a
/// string never has more UTF-16 units than UTF-8 bytes.
fn limit(text: Box<str>, limit: usize, what: &'static str) -> Result<Box<str>, CellError> {
    if text.len() > limit && text.encode_utf16().count() > limit {
        return Err(CellError::TooLong { what, limit });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xlsx::model::TotalFn;

    fn column(kind: ColumnKind) -> Column {
        Column {
            header: "C".into(),
            kind,
            num_format: None,
            width: None,
            total: TotalFn::None,
        }
    }

    #[track_caller]
    fn check(kind: ColumnKind, json: &str, expected: Result<Value, &str>) {
        let cell: Cell = serde_json::from_str(json).expect("cell parses");
        let column = column(kind);
        let actual = convert(cell, &column, &mut 0).map_err(|e| e.message(&column));
        assert_eq!(
            actual,
            expected.map_err(str::to_owned),
            "{} {json}",
            kind.name()
        );
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn values_by_column_type() {
        use ColumnKind as K;
        check(K::String, r#""abc""#, Ok(text("abc")));
        check(K::String, "12", Ok(text("12")));
        check(K::String, "1.5", Ok(text("1.5")));
        check(K::String, "false", Ok(text("false")));
        check(K::String, "null", Ok(Value::Empty));
        check(K::Number, "1.25", Ok(Value::Number(1.25)));
        check(K::Currency, "-3", Ok(Value::Number(-3.0)));
        check(K::Percent, "0.15", Ok(Value::Number(0.15)));
        check(K::Integer, "42", Ok(Value::Number(42.0)));
        check(K::Integer, "42.0", Ok(Value::Number(42.0)));
        check(
            K::Integer,
            "9007199254740992",
            Ok(Value::Number(9_007_199_254_740_992.0)),
        );
        check(K::Date, r#""2026-01-15""#, Ok(Value::Number(46_037.0)));
        check(
            K::DateTime,
            r#""2026-01-15T12:00:00Z""#,
            Ok(Value::Number(46_037.5)),
        );
        check(K::Bool, "true", Ok(Value::Bool(true)));
        check(
            K::Formula,
            r#""=B2*C2""#,
            Ok(Value::Formula("=B2*C2".into())),
        );
        check(
            K::Number,
            r#"{"formula": "SUM(A1:A3)"}"#,
            Ok(Value::Formula("SUM(A1:A3)".into())),
        );
        check(
            K::Hyperlink,
            r#""https://example.com""#,
            Ok(Value::Url("https://example.com".into())),
        );
        check(
            K::Hyperlink,
            r#""MAILTO:a@b.c""#,
            Ok(Value::Url("MAILTO:a@b.c".into())),
        );
        check(
            K::Hyperlink,
            r#"{"url": "http://x.y/", "text": "X"}"#,
            Ok(Value::Link(Box::new(Link {
                url: "http://x.y/".into(),
                text: "X".into(),
            }))),
        );
        check(
            K::Hyperlink,
            r#"{"url": "http://x.y/"}"#,
            Ok(Value::Url("http://x.y/".into())),
        );
    }

    #[test]
    fn wrong_values() {
        use ColumnKind as K;
        check(
            K::Currency,
            r#""12""#,
            Err("expected a number for column \"C\" (type currency), found a string"),
        );
        check(
            K::Integer,
            "2.5",
            Err("expected an integer for column \"C\", found 2.5"),
        );
        check(
            K::Integer,
            "9007199254740993",
            Err(
                "integer out of range for column \"C\": Excel stores integers exactly only up to ±9007199254740992",
            ),
        );
        check(
            K::Date,
            r#""2026-02-30""#,
            Err(
                "invalid date for column \"C\": day 30 is out of range for 2026-02 (it has 28 days)",
            ),
        );
        check(
            K::Date,
            r#""1899-12-31""#,
            Err("invalid date for column \"C\": Excel cannot store dates before 1900-01-01"),
        );
        check(
            K::Date,
            "46037",
            Err("expected a date string (YYYY-MM-DD) for column \"C\" (type date), found a number"),
        );
        check(
            K::Bool,
            "1",
            Err("expected true or false for column \"C\" (type bool), found a number"),
        );
        check(
            K::String,
            "[1]",
            Err("expected a string for column \"C\" (type string), found an array"),
        );
        check(K::Formula, r#""=""#, Err("empty formula"));
        check(
            K::Hyperlink,
            r#""ftp://x""#,
            Err("hyperlinks must start with http://, https:// or mailto:"),
        );
        check(
            K::Hyperlink,
            r#""javascript:alert(1)""#,
            Err("hyperlinks must start with http://, https:// or mailto:"),
        );
        check(
            K::Hyperlink,
            r#""https://""#,
            Err("hyperlinks must start with http://, https:// or mailto:"),
        );
        check(
            K::String,
            r#"{"url": "https://x"}"#,
            Err(
                "{\"url\": …} cells are only allowed in hyperlink columns; use a formula such as =HYPERLINK(\"…\") elsewhere",
            ),
        );
        check(
            K::String,
            "{}",
            Err("an empty cell object; expected {\"formula\": …} or {\"url\": …, \"text\": …}"),
        );
        check(
            K::String,
            r#"{"formula": "=A1", "url": "https://x"}"#,
            Err("a cell object has either \"formula\" or \"url\"/\"text\", not both"),
        );
        check(
            K::String,
            r#"{"value": 1}"#,
            Err("unknown field \"value\" in a cell object; expected formula, url or text"),
        );
        let long = format!("\"{}\"", "é".repeat(MAX_STRING_LEN + 1));
        check(
            K::String,
            &long,
            Err("text is longer than Excel's limit of 32767 characters"),
        );
        let fits = "é".repeat(MAX_STRING_LEN);
        check(K::String, &format!("\"{fits}\""), Ok(text(&fits)));
    }

    #[test]
    fn too_many_links() {
        let column = column(ColumnKind::Hyperlink);
        let mut links = MAX_LINKS_PER_SHEET - 1;
        assert!(convert(Cell::Text("https://a".into()), &column, &mut links).is_ok());
        assert_eq!(
            convert(Cell::Text("https://a".into()), &column, &mut links),
            Err(CellError::TooManyLinks)
        );
    }

    #[test]
    fn value_fits_in_a_cell_slot() {
        assert_eq!(std::mem::size_of::<Value>(), std::mem::size_of::<Cell>());
        assert_eq!(std::mem::align_of::<Value>(), std::mem::align_of::<Cell>());
    }
}
