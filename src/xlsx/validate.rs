//! Turning a [`WorkbookSpec`] into a trusted [`Workbook`], collecting every
//! problem with its JSON pointer: the workbook and its sheets here; columns in
//! `columns`, table and totals in `table`, row values in `values`, charts in
//! `charts`.

use std::collections::{HashMap, HashSet};

use crate::problem::Diagnostics;

use super::charts::{ChartContext, validate_charts};
use super::columns::{header_style, validate_column};
use super::date;
use super::model::{Column, Properties, Sheet, Workbook};
use super::spec::{PropertiesSpec, SheetSpec, Toggle, WorkbookSpec};
use super::table::{validate_table, validate_totals};
use super::values::{RowShape, convert_rows};

/// Excel's worksheet limits.
pub const MAX_ROWS: usize = 1_048_576;
pub const MAX_COLUMNS: usize = 16_384;
const MAX_SHEET_NAME: usize = 31;
/// Sheets in one workbook. Excel sets no number; this keeps a job from
/// asking for hundreds of thousands (the writer lays sheets out on a thread
/// each).
pub const MAX_SHEETS: usize = 1_000;

/// Validates a workbook spec; see [`super::validate`].
pub fn validate(spec: WorkbookSpec, base: &str, diags: &mut Diagnostics) -> Option<Workbook> {
    let errors_before = diags.count();
    let properties = validate_properties(spec.properties.unwrap_or_default(), base, diags);
    if spec.sheets.is_empty() {
        diags.error(
            format!("{base}/sheets"),
            "a workbook needs at least one sheet",
        );
    }
    if spec.sheets.len() > MAX_SHEETS {
        diags.error(
            format!("{base}/sheets"),
            format!(
                "a workbook has at most {MAX_SHEETS} sheets; this one has {}",
                spec.sheets.len()
            ),
        );
        return None;
    }
    let mut names = Names::reserving(&spec.sheets);
    let sheets: Vec<Sheet> = spec
        .sheets
        .into_iter()
        .enumerate()
        .filter_map(|(i, sheet)| {
            validate_sheet(sheet, i, &format!("{base}/sheets/{i}"), &mut names, diags)
        })
        .collect();
    (diags.count() == errors_before).then_some(Workbook { properties, sheets })
}

/// Names that must be unique in a workbook, lower-cased: those taken so far,
/// and those the job gives explicitly (default names avoid them all).
#[derive(Default)]
struct Names {
    sheets: HashSet<String>,
    tables: HashSet<String>,
    explicit_sheets: HashSet<String>,
    explicit_tables: HashSet<String>,
}

impl Names {
    fn reserving(sheets: &[SheetSpec]) -> Self {
        let lower = |name: &Option<String>| name.as_deref().map(str::to_lowercase);
        Names {
            explicit_sheets: sheets.iter().filter_map(|s| lower(&s.name)).collect(),
            explicit_tables: sheets
                .iter()
                .filter_map(|s| match &s.table {
                    Some(Toggle::On(table)) => lower(&table.name),
                    _ => None,
                })
                .collect(),
            ..Names::default()
        }
    }

    /// `Sheet{n}` for the first n from `start` that no sheet uses.
    fn default_sheet(&self, start: usize) -> String {
        (start..)
            .map(|n| format!("Sheet{n}"))
            .find(|name| {
                let lower = name.to_lowercase();
                !self.sheets.contains(&lower) && !self.explicit_sheets.contains(&lower)
            })
            .unwrap_or_default()
    }
}

fn validate_properties(spec: PropertiesSpec, base: &str, diags: &mut Diagnostics) -> Properties {
    let created = spec.created.as_deref().and_then(|text| {
        date::parse(text)
            .map_err(|error| diags.error(format!("{base}/properties/created"), error.to_string()))
            .ok()
    });
    Properties {
        title: spec.title,
        subject: spec.subject,
        author: spec.author,
        manager: spec.manager,
        company: spec.company,
        category: spec.category,
        keywords: spec.keywords,
        comments: spec.comments,
        created,
    }
}

fn validate_sheet(
    spec: SheetSpec,
    i: usize,
    at: &str,
    names: &mut Names,
    diags: &mut Diagnostics,
) -> Option<Sheet> {
    let errors_before = diags.count();
    let name = spec.name.unwrap_or_else(|| names.default_sheet(i + 1));
    if let Err(problem) = check_sheet_name(&name, &names.sheets) {
        diags.error(format!("{at}/name"), problem);
    }
    names.sheets.insert(name.to_lowercase());

    if spec.columns.is_empty() {
        diags.error(format!("{at}/columns"), "a sheet needs at least one column");
    } else if spec.columns.len() > MAX_COLUMNS {
        diags.error(
            format!("{at}/columns"),
            format!(
                "{} columns exceed Excel's limit of {MAX_COLUMNS}",
                spec.columns.len()
            ),
        );
    }
    let keys: Vec<Option<String>> = spec.columns.iter().map(|c| c.key.clone()).collect();
    let mut key_index = HashMap::new();
    for (j, key) in keys.iter().enumerate() {
        let Some(key) = key else { continue };
        if key.is_empty() {
            diags.error(format!("{at}/columns/{j}/key"), "must not be empty");
        } else if key_index.insert(key.as_str(), j).is_some() {
            diags.error(
                format!("{at}/columns/{j}/key"),
                format!("duplicate key {key:?}"),
            );
        }
    }
    let columns: Vec<Column> = spec
        .columns
        .into_iter()
        .enumerate()
        .map(|(j, column)| validate_column(column, &format!("{at}/columns/{j}"), diags))
        .collect();

    let header = spec
        .header
        .then(|| header_style(spec.header_style.as_ref(), at, diags));
    if !spec.header && spec.header_style.is_some() {
        diags.error(
            format!("{at}/header_style"),
            "there is no header row (`header` is false)",
        );
    }
    let table = match spec.table {
        Some(Toggle::On(table)) => validate_table(
            table,
            &columns,
            at,
            (&mut names.tables, &names.explicit_tables),
            diags,
        ),
        Some(Toggle::Off) | None => None,
    };
    if spec.autofilter && table.is_some() {
        diags.error(
            format!("{at}/autofilter"),
            "a table has its own filter buttons; drop `autofilter` or `table`",
        );
    }
    if spec.autofilter && !spec.header {
        diags.error(
            format!("{at}/autofilter"),
            "an autofilter needs the header row",
        );
    }
    let totals = validate_totals(spec.totals, &columns, at, diags);

    let extra_rows = usize::from(header.is_some()) + usize::from(totals.is_some());
    if spec.rows.len() + extra_rows > MAX_ROWS {
        diags.error(
            format!("{at}/rows"),
            format!(
                "{} rows (with header and totals: {}) exceed Excel's limit of {MAX_ROWS}",
                spec.rows.len(),
                spec.rows.len() + extra_rows
            ),
        );
    }
    let shape = RowShape {
        columns: &columns,
        keys: key_index,
        pointer: format!("{at}/rows"),
    };
    // Without columns every value would be reported as extra: one problem is enough.
    let rows = if columns.is_empty() {
        Vec::new()
    } else {
        convert_rows(spec.rows, &shape, diags)
    };

    let chart_cx = ChartContext {
        columns: &columns,
        keys: &shape.keys,
        data_rows: rows.len(),
        pointer: at,
    };
    let charts = validate_charts(spec.charts, &chart_cx, diags);

    (diags.count() == errors_before).then_some(Sheet {
        name,
        columns,
        rows,
        header,
        freeze_header: spec.freeze_header,
        autofilter: spec.autofilter,
        table,
        totals,
        charts,
    })
}

fn check_sheet_name(name: &str, taken: &HashSet<String>) -> Result<(), String> {
    let length = name.chars().count();
    if length == 0 || length > MAX_SHEET_NAME {
        return Err(format!(
            "sheet names have 1 to {MAX_SHEET_NAME} characters; {name:?} has {length}"
        ));
    }
    if let Some(c) = name.chars().find(|c| "[]:*?/\\".contains(*c)) {
        return Err(format!("sheet names cannot contain {c:?}; {name:?} does"));
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return Err(format!(
            "sheet names cannot start or end with an apostrophe: {name:?}"
        ));
    }
    if name.eq_ignore_ascii_case("history") {
        return Err("\"History\" is reserved by Excel".to_owned());
    }
    if taken.contains(&name.to_lowercase()) {
        return Err(format!(
            "duplicate sheet name {name:?} (names are compared ignoring case)"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names() {
        let taken: HashSet<String> = ["sales".to_owned()].into();
        let check =
            |name: &str, ok: bool| assert_eq!(check_sheet_name(name, &taken).is_ok(), ok, "{name}");
        check("Summary", true);
        check("Q1 2026 (draft)", true);
        check(&"x".repeat(31), true);
        check(&"é".repeat(31), true);
        check(&"x".repeat(32), false);
        check("", false);
        check("a/b", false);
        check("a[1]", false);
        check("why?", false);
        check("'quoted'", false);
        check("history", false);
        check("SALES", false);
    }
}
