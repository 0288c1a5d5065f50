//! Checking chart specs: chart type, the columns they plot, anchor and size.

use std::collections::HashMap;

use rust_xlsxwriter::{ChartLegendPosition, ChartType};

use crate::problem::Diagnostics;

use super::model::{Chart, Column};
use super::spec::{ChartSpec, ColumnRef};

const KINDS: &[(&str, ChartType)] = &[
    ("column", ChartType::Column),
    ("column_stacked", ChartType::ColumnStacked),
    ("bar", ChartType::Bar),
    ("bar_stacked", ChartType::BarStacked),
    ("line", ChartType::Line),
    ("area", ChartType::Area),
    ("area_stacked", ChartType::AreaStacked),
    ("pie", ChartType::Pie),
    ("doughnut", ChartType::Doughnut),
    ("scatter", ChartType::Scatter),
];

const LEGENDS: &[(&str, Option<ChartLegendPosition>)] = &[
    ("right", Some(ChartLegendPosition::Right)),
    ("left", Some(ChartLegendPosition::Left)),
    ("top", Some(ChartLegendPosition::Top)),
    ("bottom", Some(ChartLegendPosition::Bottom)),
    ("none", None),
];

pub const DEFAULT_WIDTH: u32 = 480;
pub const DEFAULT_HEIGHT: u32 = 288;
const MIN_SIZE: u32 = 50;
const MAX_SIZE: u32 = 4_000;
/// Default row height in pixels, to stack default-placed charts.
const ROW_PIXELS: u32 = 20;

/// What charts need to know about their sheet.
pub struct ChartContext<'a> {
    pub columns: &'a [Column],
    pub keys: &'a HashMap<&'a str, usize>,
    pub data_rows: usize,
    /// Pointer to the sheet.
    pub pointer: &'a str,
}

pub fn validate_charts(
    specs: Vec<ChartSpec>,
    cx: &ChartContext,
    diags: &mut Diagnostics,
) -> Vec<Chart> {
    let mut charts = Vec::with_capacity(specs.len());
    // Charts without an anchor go right of the data, one below the other.
    let mut next_default_row = 1;
    for (i, spec) in specs.into_iter().enumerate() {
        let pointer = format!("{}/charts/{i}", cx.pointer);
        let errors_before = diags.count();
        let chart = validate_chart(spec, cx, &pointer, &mut next_default_row, diags);
        if diags.count() == errors_before {
            charts.extend(chart);
        }
    }
    charts
}

fn validate_chart(
    spec: ChartSpec,
    cx: &ChartContext,
    pointer: &str,
    next_default_row: &mut u32,
    diags: &mut Diagnostics,
) -> Option<Chart> {
    let kind = match spec.kind.as_deref() {
        None => {
            diags.error(
                pointer.to_owned(),
                format!("missing chart `type`; expected one of {}", kind_names()),
            );
            None
        }
        Some(name) => {
            let kind = KINDS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|&(_, kind)| kind);
            if kind.is_none() {
                diags.error(
                    format!("{pointer}/type"),
                    format!(
                        "unknown chart type {name:?}; expected one of {}",
                        kind_names()
                    ),
                );
            }
            kind
        }
    };
    let one_series = matches!(kind, Some(ChartType::Pie | ChartType::Doughnut));
    let scatter = kind == Some(ChartType::Scatter);

    let categories = spec.categories.as_ref().and_then(|reference| {
        let c = resolve(reference, cx, &format!("{pointer}/categories"), diags)?;
        if scatter && !(cx.columns[c].kind.is_numeric() || cx.columns[c].kind.is_date()) {
            diags.error(
                format!("{pointer}/categories"),
                format!(
                    "scatter charts need numeric or date x values; column {:?} is {}",
                    cx.columns[c].header,
                    cx.columns[c].kind.name()
                ),
            );
        }
        Some(c)
    });
    if scatter && spec.categories.is_none() {
        diags.error(
            format!("{pointer}/categories"),
            "scatter charts need a `categories` column for the x values",
        );
    }

    if spec.values.is_empty() {
        diags.error(
            format!("{pointer}/values"),
            "give at least one column to plot",
        );
    } else if one_series && spec.values.len() > 1 {
        diags.error(
            format!("{pointer}/values"),
            "pie and doughnut charts plot one column; give exactly one",
        );
    }
    let mut values = Vec::with_capacity(spec.values.len());
    for (j, reference) in spec.values.iter().enumerate() {
        let at = format!("{pointer}/values/{j}");
        if let Some(c) = resolve(reference, cx, &at, diags) {
            let column = &cx.columns[c];
            if column.kind.is_numeric() {
                values.push(c);
            } else {
                diags.error(at, format!(
                    "column {:?} has type {}; charts plot number, integer, currency, percent or formula columns",
                    column.header,
                    column.kind.name()
                ));
            }
        }
    }
    if cx.data_rows == 0 {
        diags.error(pointer.to_owned(), "the sheet has no data rows to plot");
    }

    let width = size(
        spec.width,
        DEFAULT_WIDTH,
        &format!("{pointer}/width"),
        diags,
    );
    let height = size(
        spec.height,
        DEFAULT_HEIGHT,
        &format!("{pointer}/height"),
        diags,
    );
    let (row, col) = match spec.anchor.as_deref() {
        Some(anchor) => parse_cell(anchor).or_else(|| {
            diags.error(
                format!("{pointer}/anchor"),
                format!("{anchor:?} is not a cell like H2"),
            );
            None
        })?,
        None => {
            let row = *next_default_row;
            *next_default_row += height / ROW_PIXELS + 2;
            let col = u16::try_from(cx.columns.len() + 1).unwrap_or(0);
            (row, col)
        }
    };
    let legend = match spec.legend.as_deref() {
        None if one_series || values.len() > 1 => Some(ChartLegendPosition::Right),
        None => None,
        Some(name) => match LEGENDS.iter().find(|(n, _)| *n == name) {
            Some(&(_, legend)) => legend,
            None => {
                diags.error(format!("{pointer}/legend"), format!("unknown legend position {name:?}; expected right, left, top, bottom or none"));
                None
            }
        },
    };

    Some(Chart {
        kind: kind?,
        title: spec.title,
        categories,
        values,
        row,
        col,
        width,
        height,
        x_axis: spec.x_axis,
        y_axis: spec.y_axis,
        legend,
    })
}

fn kind_names() -> String {
    KINDS
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn size(value: Option<u32>, default: u32, pointer: &str, diags: &mut Diagnostics) -> u32 {
    match value {
        None => default,
        Some(px) if (MIN_SIZE..=MAX_SIZE).contains(&px) => px,
        Some(px) => {
            diags.error(
                pointer.to_owned(),
                format!("{px} px is out of range {MIN_SIZE}-{MAX_SIZE}"),
            );
            default
        }
    }
}

/// Finds a column by key, then by header, or by 0-based index.
fn resolve(
    reference: &ColumnRef,
    cx: &ChartContext,
    pointer: &str,
    diags: &mut Diagnostics,
) -> Option<usize> {
    let found = match reference {
        ColumnRef::Index(i) => usize::try_from(*i)
            .ok()
            .filter(|&i| i < cx.columns.len())
            .ok_or_else(|| {
                format!(
                    "no column at index {i} (the sheet has {})",
                    cx.columns.len()
                )
            }),
        ColumnRef::Name(name) => match cx.keys.get(name.as_str()) {
            Some(&c) => Ok(c),
            None => {
                let mut matching = cx
                    .columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.header == *name);
                match (matching.next(), matching.next()) {
                    (Some((c, _)), None) => Ok(c),
                    (Some(_), Some(_)) => Err(format!(
                        "several columns have the header {name:?}; refer to one by key or index"
                    )),
                    (None, _) => Err(format!("no column with key or header {name:?}")),
                }
            }
        },
    };
    found
        .map_err(|message| diags.error(pointer.to_owned(), message))
        .ok()
}

/// Parses an A1 cell reference (`H2`, `$H$2`) into 0-based row and column.
pub fn parse_cell(text: &str) -> Option<(u32, u16)> {
    let rest = text.strip_prefix('$').unwrap_or(text);
    let split = rest.find(|c: char| !c.is_ascii_alphabetic())?;
    let (letters, rest) = rest.split_at(split);
    let digits = rest.strip_prefix('$').unwrap_or(rest);
    let valid_digits = !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit());
    if letters.is_empty() || letters.len() > 3 || !valid_digits {
        return None;
    }
    let col = letters.bytes().fold(0u32, |acc, b| {
        acc * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row: u32 = digits.parse().ok()?;
    if col > 16_384 || row > 1_048_576 {
        return None;
    }
    Some((row - 1, u16::try_from(col - 1).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        let check = |text: &str, expected: Option<(u32, u16)>| {
            assert_eq!(parse_cell(text), expected, "{text}")
        };
        check("A1", Some((0, 0)));
        check("H2", Some((1, 7)));
        check("$H$2", Some((1, 7)));
        check("aa10", Some((9, 26)));
        check("XFD1048576", Some((1_048_575, 16_383)));
        check("XFE1", None);
        check("A1048577", None);
        check("A0", None);
        check("A01", None);
        check("1A", None);
        check("A", None);
        check("A1:B2", None);
        check("", None);
        check("ABCD1", None);
    }
}
