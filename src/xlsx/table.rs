//! Checking table options and the totals row.

use std::collections::HashSet;

use rust_xlsxwriter::TableStyle;

use crate::problem::Diagnostics;

use super::model::{Column, Table, TotalFn, Totals};
use super::numfmt;
use super::spec::{TableSpec, Toggle, TotalsSpec};

const MAX_TABLE_NAME: usize = 255;

/// Checks table options (name, style, unique headers). `taken` holds the
/// table names used so far, `explicit` those the job gives; default names
/// avoid both.
pub fn validate_table(
    spec: TableSpec,
    columns: &[Column],
    at: &str,
    (taken, explicit): (&mut HashSet<String>, &HashSet<String>),
    diags: &mut Diagnostics,
) -> Option<Table> {
    let name = match spec.name {
        Some(name) => {
            if let Err(problem) = check_table_name(&name, taken) {
                diags.error(format!("{at}/table/name"), problem);
            }
            name
        }
        None => (1..)
            .map(|n| format!("Table{n}"))
            .find(|candidate| {
                let lower = candidate.to_lowercase();
                !taken.contains(&lower) && !explicit.contains(&lower)
            })
            .unwrap_or_default(),
    };
    taken.insert(name.to_lowercase());
    let style = match spec.style.as_deref() {
        None => TableStyle::Medium9,
        Some(style) => numfmt::table_style(style).unwrap_or_else(|| {
            diags.error(
                format!("{at}/table/style"),
                format!("unknown table style {style:?}; expected none, light1-light21, medium1-medium28 or dark1-dark11"),
            );
            TableStyle::Medium9
        }),
    };
    let mut headers = HashSet::new();
    for (j, column) in columns.iter().enumerate() {
        if column.header.trim().is_empty() {
            diags.error(
                format!("{at}/columns/{j}/header"),
                "table columns need a header",
            );
        } else if !headers.insert(column.header.to_lowercase()) {
            diags.error(
                format!("{at}/columns/{j}/header"),
                format!(
                    "duplicate header {:?}: table headers must be unique (ignoring case)",
                    column.header
                ),
            );
        }
    }
    Some(Table {
        name,
        style,
        banded_rows: spec.banded_rows.unwrap_or(true),
        banded_columns: spec.banded_columns.unwrap_or(false),
    })
}

fn check_table_name(name: &str, taken: &HashSet<String>) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '\\');
    let rest_ok = chars.all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    if !first_ok || !rest_ok || name.chars().count() > MAX_TABLE_NAME {
        return Err(format!(
            "{name:?} is not a table name: start with a letter or _, then letters, digits, _ or . (at most {MAX_TABLE_NAME})"
        ));
    }
    if looks_like_reference(name) {
        return Err(format!(
            "{name:?} looks like a cell reference, which Excel does not allow as a table name"
        ));
    }
    if taken.contains(&name.to_lowercase()) {
        return Err(format!(
            "duplicate table name {name:?} (names are compared ignoring case)"
        ));
    }
    Ok(())
}

/// `A1`-style or `R1C1`-style references (and `R`, `C`) are not valid names.
fn looks_like_reference(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper == "R" || upper == "C" {
        return true;
    }
    let letters = upper.trim_end_matches(|c: char| c.is_ascii_digit());
    let a1 = letters.len() < upper.len()
        && (1..=3).contains(&letters.len())
        && letters.bytes().all(|b| b.is_ascii_uppercase());
    let r1c1 = upper.starts_with('R')
        && upper[1..].split_once('C').is_some_and(|(r, c)| {
            r.bytes().all(|b| b.is_ascii_digit()) && c.bytes().all(|b| b.is_ascii_digit())
        });
    a1 || r1c1
}

/// The totals row: on with `totals`, or when any column has a `total`
/// (unless `totals` is `false`).
pub fn validate_totals(
    spec: Option<Toggle<TotalsSpec>>,
    columns: &[Column],
    at: &str,
    diags: &mut Diagnostics,
) -> Option<Totals> {
    let any_total = columns.iter().any(|c| c.total != TotalFn::None);
    let label = match spec {
        Some(Toggle::Off) => return None,
        Some(Toggle::On(totals)) => {
            if !any_total && !columns.is_empty() {
                diags.error(
                    format!("{at}/totals"),
                    "no column has a `total` function (sum, average, count, …)",
                );
            }
            totals.label
        }
        None if any_total => None,
        None => return None,
    };
    Some(Totals {
        label: label.unwrap_or_else(|| "Total".to_owned()),
        label_column: columns.iter().position(|c| c.total == TotalFn::None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names() {
        let taken: HashSet<String> = ["salestable".to_owned()].into();
        let check =
            |name: &str, ok: bool| assert_eq!(check_table_name(name, &taken).is_ok(), ok, "{name}");
        check("Sales_2026", true);
        check("_t.x", true);
        check("Tbl", true);
        check("SalesTable", false);
        check("2026", false);
        check("A1", false);
        check("XFD99", false);
        check("R1C1", false);
        check("R", false);
        check("has space", false);
        check("a-b", false);
    }
}
