//! Row and cell values as they arrive in a job.
//!
//! A workbook with a million cells must parse quickly and stay small in memory,
//! so rows are not parsed through `serde_json::Value`: each cell becomes one
//! 24-byte [`Cell`] and each row one boxed slice of them. Anything unexpected
//! (an array inside a cell, an object with unknown fields, a row that is a
//! string) is kept as a marker instead of failing the whole parse, so that
//! validation can report it with its JSON pointer next to every other problem.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// One cell value on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// `null`: an empty cell.
    Null,
    Bool(bool),
    /// An integer literal (kept apart from floats so `integer` columns can
    /// tell `3` from `3.5` and check that large values are exact).
    Int(i64),
    /// Any other number.
    Float(f64),
    Text(Box<str>),
    /// An object cell: `{"formula": ...}` or `{"url": ..., "text": ...}`.
    Object(Box<CellObject>),
    /// A JSON array: never a valid cell, reported by validation.
    Array,
}

/// The fields an object cell may carry; which ones are allowed depends on the
/// column and is checked by validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellObject {
    pub formula: Option<Box<str>>,
    pub url: Option<Box<str>>,
    pub text: Option<Box<str>>,
    /// First thing wrong with the object itself (an unknown or mistyped field).
    pub problem: Option<String>,
}

/// One row on the wire: an array aligned with the columns, or an object keyed
/// by column `key`.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Array(Box<[Cell]>),
    Object(Box<[(Box<str>, Cell)]>),
    /// Something that is neither; the JSON kind is kept for the message.
    Invalid(&'static str),
}

impl Cell {
    /// The JSON kind of this value, for messages ("found a string").
    pub fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "null",
            Cell::Bool(_) => "a boolean",
            Cell::Int(_) | Cell::Float(_) => "a number",
            Cell::Text(_) => "a string",
            Cell::Object(_) => "an object",
            Cell::Array => "an array",
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a cell value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Cell, E> {
        Ok(Cell::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell, E> {
        Ok(Cell::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell, E> {
        Ok(i64::try_from(v).map_or(Cell::Float(v as f64), Cell::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Cell, E> {
        Ok(Cell::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell, E> {
        Ok(Cell::Text(v.into()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Cell, E> {
        Ok(Cell::Text(v.into_boxed_str()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Cell::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
        let mut object = CellObject::default();
        while let Some(key) = map.next_key::<Box<str>>()? {
            let slot = match &*key {
                "formula" => &mut object.formula,
                "url" => &mut object.url,
                "text" => &mut object.text,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    object.problem.get_or_insert_with(|| {
                        format!(
                            "unknown field {key:?} in a cell object; expected formula, url or text"
                        )
                    });
                    continue;
                }
            };
            match map.next_value::<Cell>()? {
                Cell::Text(text) => *slot = Some(text),
                other => {
                    object.problem.get_or_insert_with(|| {
                        format!(
                            "{key:?} in a cell object must be a string, found {}",
                            other.kind()
                        )
                    });
                }
            }
        }
        Ok(Cell::Object(Box::new(object)))
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RowVisitor)
    }
}

struct RowVisitor;

impl RowVisitor {
    fn invalid<E>(kind: &'static str) -> Result<Row, E> {
        Ok(Row::Invalid(kind))
    }
}

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row (an array of cells or an object keyed by column key)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Row, A::Error> {
        let mut cells = Vec::with_capacity(seq.size_hint().unwrap_or(8));
        while let Some(cell) = seq.next_element::<Cell>()? {
            cells.push(cell);
        }
        // Exact-size boxes: a million rows of spare capacity would add up.
        Ok(Row::Array(cells.into_boxed_slice()))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key::<Box<str>>()? {
            entries.push((key, map.next_value::<Cell>()?));
        }
        Ok(Row::Object(entries.into_boxed_slice()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Row, E> {
        Self::invalid("null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Row, E> {
        Self::invalid("null")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Row, E> {
        Self::invalid("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Row, E> {
        Self::invalid("a number")
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Row, E> {
        Self::invalid("a number")
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Row, E> {
        Self::invalid("a number")
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Row, E> {
        Self::invalid("a string")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(json: &str) -> Row {
        serde_json::from_str(json).expect("row parses")
    }

    #[test]
    fn cells_keep_their_json_kind() {
        let Row::Array(cells) = row(
            r#"[null, true, 3, -4, 18446744073709551615, 2.5, "x", [1, [2]], {"formula": "=A1"}]"#,
        ) else {
            panic!("expected an array row");
        };
        assert_eq!(cells[0], Cell::Null);
        assert_eq!(cells[1], Cell::Bool(true));
        assert_eq!(cells[2], Cell::Int(3));
        assert_eq!(cells[3], Cell::Int(-4));
        assert_eq!(cells[4], Cell::Float(18446744073709551615.0));
        assert_eq!(cells[5], Cell::Float(2.5));
        assert_eq!(cells[6], Cell::Text("x".into()));
        assert_eq!(cells[7], Cell::Array);
        let Cell::Object(object) = &cells[8] else {
            panic!("expected an object cell");
        };
        assert_eq!(object.formula.as_deref(), Some("=A1"));
        assert_eq!(object.problem, None);
    }

    #[test]
    fn bad_object_cells_are_kept_for_validation() {
        let Row::Array(cells) = row(r#"[{"url": 5}, {"colour": "red", "text": "t"}]"#) else {
            panic!("expected an array row");
        };
        let problems: Vec<_> = cells
            .iter()
            .map(|cell| match cell {
                Cell::Object(object) => object.problem.clone().unwrap_or_default(),
                _ => String::new(),
            })
            .collect();
        assert_eq!(
            problems,
            [
                "\"url\" in a cell object must be a string, found a number",
                "unknown field \"colour\" in a cell object; expected formula, url or text",
            ]
        );
    }

    #[test]
    fn rows_are_arrays_objects_or_reported() {
        assert_eq!(
            row(r#"{"a": 1, "b/c": "x"}"#),
            Row::Object(
                vec![
                    ("a".into(), Cell::Int(1)),
                    ("b/c".into(), Cell::Text("x".into()))
                ]
                .into()
            )
        );
        assert_eq!(row("\"oops\""), Row::Invalid("a string"));
        assert_eq!(row("7"), Row::Invalid("a number"));
        assert_eq!(row("null"), Row::Invalid("null"));
    }

    #[test]
    fn cell_is_compact() {
        assert!(std::mem::size_of::<Cell>() <= 24);
        assert!(std::mem::size_of::<Row>() <= 24);
    }
}
