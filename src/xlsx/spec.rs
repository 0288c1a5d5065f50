//! The workbook model as clients send it (the `workbook` field of a job).
//!
//! Nothing here is trusted: [`super::validate`] turns a [`WorkbookSpec`] into a
//! [`super::Workbook`] or a list of problems. Enum-like fields (column `type`,
//! chart `type`, `total`, …) are plain strings so that a wrong value is reported
//! together with every other problem instead of failing the parse. Unknown
//! fields are rejected by the parser.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor, value::MapAccessDeserializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use super::cell::Row;

/// A workbook: document properties and one or more sheets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "properties": {"title": "Sales", "author": "Finance"},
    "sheets": [{
        "name": "Sales",
        "columns": [
            {"header": "Date", "key": "date", "type": "date"},
            {"header": "Amount", "key": "amount", "type": "currency", "currency": "EUR", "total": "sum"}
        ],
        "rows": [["2026-01-15", 1234.5], {"date": "2026-01-16", "amount": 99}],
        "totals": true
    }]
}))]
pub struct WorkbookSpec {
    /// Document properties (File ▸ Info in Excel).
    #[serde(default)]
    pub properties: Option<PropertiesSpec>,
    /// The worksheets, in tab order; at least one.
    #[serde(default)]
    pub sheets: Vec<SheetSpec>,
}

/// Document properties. All optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Monthly sales report, January 2026",
    "author": "Finance team",
    "company": "Example Trading GmbH",
    "created": "2026-02-01T08:00:00Z"
}))]
pub struct PropertiesSpec {
    pub title: Option<String>,
    pub subject: Option<String>,
    pub author: Option<String>,
    pub manager: Option<String>,
    pub company: Option<String>,
    pub category: Option<String>,
    pub keywords: Option<String>,
    pub comments: Option<String>,
    /// Creation date-time (ISO-8601). Default: 1980-01-01T00:00:00Z, a fixed
    /// value so that the same job always produces the same bytes.
    #[schema(example = "2026-01-31T09:00:00Z")]
    pub created: Option<String>,
}

/// One worksheet: typed columns, rows of values, and presentation options.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Sales",
    "columns": [
        {"header": "Date", "key": "date", "type": "date"},
        {"header": "Region", "key": "region"},
        {"header": "Revenue", "key": "revenue", "type": "currency", "currency": "EUR", "total": "sum"}
    ],
    "rows": [["2026-01-02", "North", 1500], {"date": "2026-01-03", "region": "South", "revenue": 1596}],
    "header_style": {"bold": true, "color": "#FFFFFF", "background": "#1F4E78"},
    "table": {"name": "SalesTable", "style": "medium2"},
    "totals": {"label": "Total"},
    "charts": [{"type": "column", "title": "Revenue by day", "categories": "date", "values": ["revenue"],
                "anchor": "F2", "x_axis": "Day", "y_axis": "Revenue (EUR)"}]
}))]
pub struct SheetSpec {
    /// Tab name: 1–31 characters, none of `[ ] : * ? / \`, unique ignoring
    /// case. Default `Sheet1`, `Sheet2`, … by position.
    #[schema(example = "Sales")]
    pub name: Option<String>,
    /// The columns, left to right; at least one.
    #[serde(default)]
    pub columns: Vec<ColumnSpec>,
    /// The data rows. Each is an array aligned with `columns` (missing trailing
    /// values are empty) or an object keyed by column `key` (missing keys are
    /// empty). `null` is an empty cell. Any cell may be `{"formula": "=…"}`.
    #[serde(default)]
    #[schema(schema_with = rows_schema)]
    pub rows: Vec<Row>,
    /// Write a header row with the column headers (default true).
    #[serde(default = "yes")]
    pub header: bool,
    /// Header row style. Default: bold (tables use their own style instead).
    pub header_style: Option<HeaderStyleSpec>,
    /// Keep the header row visible while scrolling (default true).
    #[serde(default = "yes")]
    pub freeze_header: bool,
    /// Filter buttons on the header row (default false; not with `table`).
    #[serde(default)]
    pub autofilter: bool,
    /// Make header, rows and totals an Excel table: `true` or options.
    #[schema(schema_with = table_schema)]
    pub table: Option<Toggle<TableSpec>>,
    /// Add a totals row computed by each column's `total`: `true` or options.
    #[schema(schema_with = totals_schema)]
    pub totals: Option<Toggle<TotalsSpec>>,
    /// Charts drawn from this sheet's columns.
    #[serde(default)]
    pub charts: Vec<ChartSpec>,
}

/// One column: its header, value type and display format.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"header": "Revenue", "key": "revenue", "type": "currency", "currency": "EUR", "total": "sum"}))]
pub struct ColumnSpec {
    /// Header text (default empty).
    #[serde(default)]
    #[schema(example = "Amount")]
    pub header: String,
    /// Name used by object rows and chart references; unique in the sheet.
    #[schema(example = "amount")]
    pub key: Option<String>,
    /// Value type: `string` (default), `number`, `integer`, `currency`,
    /// `percent` (0.15 is 15 %), `date`, `datetime`, `bool`, `formula`,
    /// `hyperlink`.
    #[serde(rename = "type")]
    #[schema(example = "currency")]
    pub kind: Option<String>,
    /// Excel number-format code; overrides the type's default format.
    #[schema(example = "#,##0.00 \"€\"")]
    pub format: Option<String>,
    /// ISO 4217 code for `currency` columns: `"$"#,##0.00` for USD,
    /// `#,##0.00 "€"` for EUR, likewise GBP, JPY (no decimals), CHF and about
    /// twenty more; other codes are shown as text (`"XYZ" #,##0.00`).
    /// Without it: `#,##0.00`, no symbol.
    #[schema(example = "EUR")]
    pub currency: Option<String>,
    /// Decimal places for `number`, `currency` and `percent` (0–15).
    pub decimals: Option<i64>,
    /// Width in characters (0–255). Default: fitted to the header and the
    /// first 1,000 values.
    pub width: Option<f64>,
    /// Function for the totals row: `none` (default), `sum`, `average`,
    /// `count`, `count_numbers`, `min`, `max`, `std_dev`, `var`.
    #[schema(example = "sum")]
    pub total: Option<String>,
}

/// Header row style.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bold": true, "color": "#FFFFFF", "background": "#1F4E78"}))]
pub struct HeaderStyleSpec {
    /// Bold text (default true).
    pub bold: Option<bool>,
    /// Italic text (default false).
    pub italic: Option<bool>,
    /// Text colour, `#RRGGBB`.
    #[schema(example = "#1F3864")]
    pub color: Option<String>,
    /// Fill colour, `#RRGGBB`.
    #[schema(example = "#DDEBF7")]
    pub background: Option<String>,
}

/// Excel table options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Table name used in formulas: starts with a letter or `_`, then letters,
    /// digits, `_` or `.`; unique in the workbook. Default `Table1`, `Table2`, ….
    #[schema(example = "SalesTable")]
    pub name: Option<String>,
    /// Built-in style: `none`, `light1`–`light21`, `medium1`–`medium28`,
    /// `dark1`–`dark11` (default `medium9`).
    #[schema(example = "medium9")]
    pub style: Option<String>,
    /// Shade alternate rows (default true).
    pub banded_rows: Option<bool>,
    /// Shade alternate columns (default false).
    pub banded_columns: Option<bool>,
}

/// Totals row options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotalsSpec {
    /// Text written in the first column that has no total function
    /// (default `Total`).
    #[schema(example = "Total")]
    pub label: Option<String>,
}

/// A chart drawn from columns of its sheet. Series span the data rows (not the
/// header or totals).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "type": "column", "title": "Revenue by day", "categories": "date", "values": ["revenue"],
    "anchor": "F2", "x_axis": "Day", "y_axis": "Revenue (EUR)"
}))]
pub struct ChartSpec {
    /// `column`, `column_stacked`, `bar`, `bar_stacked`, `line`, `area`,
    /// `area_stacked`, `pie`, `doughnut` or `scatter`.
    #[serde(rename = "type")]
    #[schema(example = "column")]
    pub kind: Option<String>,
    /// Chart title.
    pub title: Option<String>,
    /// Column holding the category labels (x values for `scatter`).
    pub categories: Option<ColumnRef>,
    /// Columns plotted as series, one series each; numeric columns only.
    #[serde(default)]
    pub values: Vec<ColumnRef>,
    /// Top-left cell of the chart, e.g. `H2`. Default: right of the data.
    #[schema(example = "H2")]
    pub anchor: Option<String>,
    /// Width in pixels (default 480).
    pub width: Option<u32>,
    /// Height in pixels (default 288).
    pub height: Option<u32>,
    /// Title of the category (x) axis.
    pub x_axis: Option<String>,
    /// Title of the value (y) axis.
    pub y_axis: Option<String>,
    /// Legend position: `right`, `left`, `top`, `bottom` or `none`. Default:
    /// `right` for pie and doughnut charts and for several series, else `none`.
    pub legend: Option<String>,
}

/// A column named by its `key`, its `header`, or its 0-based position.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnRef {
    Index(u64),
    Name(String),
}

/// A feature switched on with `true` (defaults) or an object (options).
#[derive(Debug, Clone, PartialEq)]
pub enum Toggle<T> {
    Off,
    On(T),
}

fn yes() -> bool {
    true
}

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Toggle<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ToggleVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for ToggleVisitor<T> {
            type Value = Toggle<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("true, false or an options object")
            }
            fn visit_bool<E: de::Error>(self, on: bool) -> Result<Toggle<T>, E> {
                Ok(if on {
                    Toggle::On(T::default())
                } else {
                    Toggle::Off
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Toggle<T>, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(Toggle::On)
            }
        }

        deserializer.deserialize_any(ToggleVisitor(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for ColumnRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RefVisitor;

        impl Visitor<'_> for RefVisitor {
            type Value = ColumnRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column key, header or 0-based index")
            }
            fn visit_u64<E: de::Error>(self, index: u64) -> Result<ColumnRef, E> {
                Ok(ColumnRef::Index(index))
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<ColumnRef, E> {
                Ok(ColumnRef::Name(name.to_owned()))
            }
        }

        deserializer.deserialize_any(RefVisitor)
    }
}

impl PartialSchema for ColumnRef {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .description(Some("A column key, header or 0-based index"))
            .examples([serde_json::json!("amount")])
            .into()
    }
}

impl ToSchema for ColumnRef {}

fn toggle_schema(options: RefOr<Schema>, description: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(options)
        .description(Some(description))
        .into()
}

fn table_schema() -> RefOr<Schema> {
    toggle_schema(
        TableSpec::schema(),
        "`true` for a table with default options, or options",
    )
}

fn totals_schema() -> RefOr<Schema> {
    toggle_schema(
        TotalsSpec::schema(),
        "`true` for a totals row labelled `Total`, or options",
    )
}

fn rows_schema() -> RefOr<Schema> {
    let any = || ObjectBuilder::new().schema_type(SchemaType::AnyValue);
    let row = OneOfBuilder::new()
        .item(
            ArrayBuilder::new()
                .items(any())
                .description(Some("Values aligned with `columns`")),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .additional_properties(Some(any()))
                .description(Some("Values keyed by column `key`")),
        );
    ArrayBuilder::new()
        .items(row)
        .description(Some(
            "Data rows: arrays aligned with `columns` or objects keyed by column `key`",
        ))
        .examples([
            serde_json::json!([["2026-01-15", 1234.5], {"date": "2026-01-16", "amount": 99}]),
        ])
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggles_take_bools_or_options() {
        let sheet: SheetSpec = serde_json::from_str(
            r#"{"columns": [], "table": {"name": "T", "style": "light1"}, "totals": true}"#,
        )
        .expect("parses");
        assert!(
            matches!(sheet.table, Some(Toggle::On(TableSpec { ref name, .. })) if name.as_deref() == Some("T"))
        );
        assert!(matches!(
            sheet.totals,
            Some(Toggle::On(TotalsSpec { label: None }))
        ));
        let sheet: SheetSpec = serde_json::from_str(r#"{"table": false}"#).expect("parses");
        assert!(matches!(sheet.table, Some(Toggle::Off)));
        assert!(sheet.header && sheet.freeze_header && !sheet.autofilter);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let err = serde_json::from_str::<SheetSpec>(r#"{"colums": []}"#).expect_err("rejected");
        assert!(err.to_string().contains("unknown field `colums`"), "{err}");
        let err =
            serde_json::from_str::<SheetSpec>(r#"{"table": {"nme": "T"}}"#).expect_err("rejected");
        assert!(err.to_string().contains("unknown field `nme`"), "{err}");
    }

    /// Every `$ref` in an OpenAPI document built from `WorkbookSpec` resolves.
    #[test]
    fn openapi_references_resolve() {
        #[derive(utoipa::OpenApi)]
        #[openapi(components(schemas(WorkbookSpec)))]
        struct Doc;

        fn refs(value: &serde_json::Value, out: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                        out.push(r.clone());
                    }
                    map.values().for_each(|v| refs(v, out));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }

        let doc = serde_json::to_value(<Doc as utoipa::OpenApi>::openapi()).expect("serializes");
        let schemas = &doc["components"]["schemas"];
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(!found.is_empty());
        for r in found {
            let name = r.trim_start_matches("#/components/schemas/");
            assert!(schemas.get(name).is_some(), "unresolved {r} in {doc:#}");
        }
        for name in [
            "WorkbookSpec",
            "SheetSpec",
            "ColumnSpec",
            "ChartSpec",
            "ColumnRef",
        ] {
            assert!(schemas.get(name).is_some(), "{name} missing");
        }
    }

    #[test]
    fn schema_serializes() {
        let schema = serde_json::to_value(WorkbookSpec::schema()).expect("serializes");
        let text = schema.to_string();
        assert!(text.contains("\"rows\""), "{text}");
        assert!(text.contains("oneOf"), "{text}");
    }
}
