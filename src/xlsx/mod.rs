//! XLSX generator: the `workbook` model of a job → an Excel file.
//!
//! A job's `workbook` arrives as a [`WorkbookSpec`] (wire types in `spec`,
//! rows and cells in `cell`), [`validate`] checks it once — every problem
//! reported with its JSON pointer — and converts it into a [`Workbook`] whose
//! values already have the shape Excel needs, and [`write`] turns that into
//! the bytes of an .xlsx file with rust_xlsxwriter.
//!
//! Code map:
//! - `spec`, `cell`: what clients send (serde + OpenAPI schema).
//! - `validate` (workbook, sheets), `columns`, `table`, `charts`, `values`:
//!   checks and conversion; `values` is the per-cell hot loop, `date` parses
//!   ISO-8601 into Excel serial numbers.
//! - `model`: the validated workbook.
//! - `write`, `widths`, `numfmt`: output — formats, column widths, tables,
//!   totals, charts.
//!
//! The same workbook always produces the same bytes: the creation time is
//! fixed unless the job sets `properties.created`, and ZIP entry times are
//! fixed by rust_xlsxwriter.

mod cell;
mod charts;
mod columns;
mod date;
mod model;
mod numfmt;
mod spec;
mod table;
mod validate;
mod values;
mod widths;
mod write;

use crate::problem::Diagnostics;
use crate::render_ctx::{Interrupted, RenderCtx};

pub use cell::{Cell, CellObject, Row};
pub use model::Workbook;
pub use spec::{
    ChartSpec, ColumnRef, ColumnSpec, HeaderStyleSpec, PropertiesSpec, SheetSpec, TableSpec,
    Toggle, TotalsSpec, WorkbookSpec,
};

/// Why writing a valid workbook failed.
#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    /// Cancelled or past the deadline.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// rust_xlsxwriter refused the workbook or failed to write it (a bug in
    /// validation, or a temporary file that could not be written).
    #[error("the xlsx writer failed: {0}")]
    Writer(#[from] rust_xlsxwriter::XlsxError),
}

/// Validates a workbook spec, recording every problem in `diags` with a JSON
/// pointer under `base` (the caller passes `"/workbook"`). Returns `None` if
/// anything was wrong. Takes the spec by value so rows are moved, not copied.
pub fn validate(spec: WorkbookSpec, base: &str, diags: &mut Diagnostics) -> Option<Workbook> {
    validate::validate(spec, base, diags)
}

/// Writes the .xlsx file. Checks `ctx` every few thousand rows and returns
/// [`XlsxError::Interrupted`] when the job was cancelled or timed out.
pub fn write(book: &Workbook, ctx: &RenderCtx) -> Result<Vec<u8>, XlsxError> {
    write::write(book, ctx)
}

/// Number of data rows in the workbook (for metrics).
pub fn row_count(book: &Workbook) -> usize {
    book.row_count()
}
