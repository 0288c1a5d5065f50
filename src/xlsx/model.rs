//! The validated workbook the writer trusts.
//!
//! Every value already has the shape its column needs: dates are Excel serial
//! numbers, formulas and links are tagged, strings fit Excel's limits. Rows keep
//! the allocation they arrived in (a wire cell and a [`Value`] have the same
//! size, so validation converts them in place).

use std::fmt;

use rust_xlsxwriter::{ChartLegendPosition, ChartType, TableFunction, TableStyle};

/// A validated workbook, ready for [`super::write`].
pub struct Workbook {
    pub(super) properties: Properties,
    pub(super) sheets: Vec<Sheet>,
}

impl Workbook {
    /// Number of data rows over all sheets (for metrics).
    pub fn row_count(&self) -> usize {
        self.sheets.iter().map(|sheet| sheet.rows.len()).sum()
    }

    /// Number of data cells (rows × columns) over all sheets (for metrics).
    pub fn cell_count(&self) -> usize {
        self.sheets
            .iter()
            .map(|sheet| sheet.rows.len() * sheet.columns.len())
            .sum()
    }
}

impl fmt::Debug for Workbook {
    /// Names and sizes only: a workbook can hold millions of cells.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for sheet in &self.sheets {
            list.entry(&format_args!(
                "{:?}: {} rows × {} columns",
                sheet.name,
                sheet.rows.len(),
                sheet.columns.len()
            ));
        }
        list.finish()
    }
}

/// Document properties.
#[derive(Debug, Default)]
pub(super) struct Properties {
    pub title: Option<String>,
    pub subject: Option<String>,
    pub author: Option<String>,
    pub manager: Option<String>,
    pub company: Option<String>,
    pub category: Option<String>,
    pub keywords: Option<String>,
    pub comments: Option<String>,
    pub created: Option<super::date::DateTime>,
}

pub(super) struct Sheet {
    pub name: String,
    pub columns: Vec<Column>,
    /// Data rows; a row may be shorter than `columns` (the rest is empty).
    pub rows: Vec<Box<[Value]>>,
    /// Header row style, or `None` for no header row.
    pub header: Option<HeaderStyle>,
    pub freeze_header: bool,
    pub autofilter: bool,
    pub table: Option<Table>,
    pub totals: Option<Totals>,
    pub charts: Vec<Chart>,
}

impl Sheet {
    /// Row index of the first data row.
    pub fn first_data_row(&self) -> u32 {
        u32::from(self.header.is_some())
    }
}

pub(super) struct Column {
    pub header: String,
    pub kind: ColumnKind,
    /// Number-format code for data cells (`None`: General).
    pub num_format: Option<String>,
    /// Width in characters; `None` fits it to the content.
    pub width: Option<f64>,
    pub total: TotalFn,
}

/// A cell value in the shape its column needs.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Empty,
    Bool(bool),
    /// Also dates and date-times, as Excel serial numbers.
    Number(f64),
    Text(Box<str>),
    /// Formula text; a leading `=` may or may not be present.
    Formula(Box<str>),
    /// A hyperlink shown as its URL.
    Url(Box<str>),
    /// A hyperlink with its own text.
    Link(Box<Link>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Link {
    pub url: Box<str>,
    pub text: Box<str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ColumnKind {
    String,
    Number,
    Integer,
    Currency,
    Percent,
    Date,
    DateTime,
    Bool,
    Formula,
    Hyperlink,
}

impl ColumnKind {
    pub const ALL: [ColumnKind; 10] = [
        ColumnKind::String,
        ColumnKind::Number,
        ColumnKind::Integer,
        ColumnKind::Currency,
        ColumnKind::Percent,
        ColumnKind::Date,
        ColumnKind::DateTime,
        ColumnKind::Bool,
        ColumnKind::Formula,
        ColumnKind::Hyperlink,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ColumnKind::String => "string",
            ColumnKind::Number => "number",
            ColumnKind::Integer => "integer",
            ColumnKind::Currency => "currency",
            ColumnKind::Percent => "percent",
            ColumnKind::Date => "date",
            ColumnKind::DateTime => "datetime",
            ColumnKind::Bool => "bool",
            ColumnKind::Formula => "formula",
            ColumnKind::Hyperlink => "hyperlink",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Holds numbers (formulas count: they usually compute one). Charts plot
    /// these, and every total function applies to them.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ColumnKind::Number
                | ColumnKind::Integer
                | ColumnKind::Currency
                | ColumnKind::Percent
                | ColumnKind::Formula
        )
    }

    pub fn is_date(self) -> bool {
        matches!(self, ColumnKind::Date | ColumnKind::DateTime)
    }
}

/// Function of a column in the totals row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TotalFn {
    None,
    Sum,
    Average,
    Count,
    CountNumbers,
    Min,
    Max,
    StdDev,
    Var,
}

impl TotalFn {
    pub const ALL: [TotalFn; 9] = [
        TotalFn::None,
        TotalFn::Sum,
        TotalFn::Average,
        TotalFn::Count,
        TotalFn::CountNumbers,
        TotalFn::Min,
        TotalFn::Max,
        TotalFn::StdDev,
        TotalFn::Var,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TotalFn::None => "none",
            TotalFn::Sum => "sum",
            TotalFn::Average => "average",
            TotalFn::Count => "count",
            TotalFn::CountNumbers => "count_numbers",
            TotalFn::Min => "min",
            TotalFn::Max => "max",
            TotalFn::StdDev => "std_dev",
            TotalFn::Var => "var",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|function| function.name() == name)
    }

    /// Whether the function means something for a column of this kind.
    pub fn applies_to(self, kind: ColumnKind) -> bool {
        match self {
            TotalFn::None | TotalFn::Count | TotalFn::CountNumbers => true,
            TotalFn::Min | TotalFn::Max | TotalFn::Average => kind.is_numeric() || kind.is_date(),
            TotalFn::Sum | TotalFn::StdDev | TotalFn::Var => kind.is_numeric(),
        }
    }

    /// Counts are shown as plain numbers, not in the column's format.
    pub fn is_count(self) -> bool {
        matches!(self, TotalFn::Count | TotalFn::CountNumbers)
    }

    /// The `SUBTOTAL` function number (the 100s ignore hidden rows, as
    /// Excel's own totals rows do).
    pub fn subtotal_code(self) -> u16 {
        match self {
            TotalFn::None => 0,
            TotalFn::Average => 101,
            TotalFn::CountNumbers => 102,
            TotalFn::Count => 103,
            TotalFn::Max => 104,
            TotalFn::Min => 105,
            TotalFn::StdDev => 107,
            TotalFn::Sum => 109,
            TotalFn::Var => 110,
        }
    }

    pub fn table_function(self) -> TableFunction {
        match self {
            TotalFn::None => TableFunction::None,
            TotalFn::Sum => TableFunction::Sum,
            TotalFn::Average => TableFunction::Average,
            TotalFn::Count => TableFunction::Count,
            TotalFn::CountNumbers => TableFunction::CountNumbers,
            TotalFn::Min => TableFunction::Min,
            TotalFn::Max => TableFunction::Max,
            TotalFn::StdDev => TableFunction::StdDev,
            TotalFn::Var => TableFunction::Var,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct HeaderStyle {
    pub bold: bool,
    pub italic: bool,
    pub color: Option<u32>,
    pub background: Option<u32>,
    /// Set by the job (tables keep their own header style otherwise).
    pub explicit: bool,
}

pub(super) struct Table {
    pub name: String,
    pub style: TableStyle,
    pub banded_rows: bool,
    pub banded_columns: bool,
}

pub(super) struct Totals {
    pub label: String,
    /// Column that shows the label: the first without a total function.
    pub label_column: Option<usize>,
}

pub(super) struct Chart {
    pub kind: ChartType,
    pub title: Option<String>,
    pub categories: Option<usize>,
    pub values: Vec<usize>,
    pub row: u32,
    pub col: u16,
    pub width: u32,
    pub height: u32,
    pub x_axis: Option<String>,
    pub y_axis: Option<String>,
    pub legend: Option<ChartLegendPosition>,
}
