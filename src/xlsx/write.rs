//! Writing a validated [`Workbook`] with rust_xlsxwriter.
//!
//! Each column's formats are built once and reused for every cell. Large
//! sheets use rust_xlsxwriter's constant-memory mode (rows are streamed to a
//! temporary file as they are written, strings are stored inline), so
//! everything that must come before the rows — column widths, the table — is
//! set up first and rows are written strictly in order.

use std::borrow::Cow;

use rust_xlsxwriter::{
    Chart as XlsxChart, ChartType, DocProperties, ExcelDateTime, Format, FormatBorder, Formula,
    Table as XlsxTable, TableColumn, Worksheet, utility::row_col_to_cell,
};

use crate::render_ctx::RenderCtx;

use super::XlsxError;
use super::model::{Chart, Column, HeaderStyle, Properties, Sheet, TotalFn, Value, Workbook};
use super::widths::column_widths;

/// Sheets with more cells than this are written in constant-memory mode.
/// Smaller ones stay in memory: that avoids a temporary file per sheet, which
/// costs more than it saves for a small sheet.
pub const CONSTANT_MEMORY_CELLS: usize = 20_000;
/// Rows written between two checks for cancellation and the deadline.
const CHECK_EVERY_ROWS: usize = 4_096;
/// Creation time when the job gives none: a fixed value (the ZIP epoch, which
/// rust_xlsxwriter also uses for entry times) keeps the output reproducible.
const DEFAULT_CREATED: (u16, u8, u8) = (1980, 1, 1);
/// Deflate level for the package. On a million cells level 6 (the zip
/// default) takes about 0.8 s to compress, level 3 (what Excel uses) 0.33 s for
/// a file 12 % larger, level 1 0.17 s for one 50 % larger; 3 is the middle.
const ZIP_LEVEL: u8 = 3;
/// Workbooks up to this many cells use level 1: their parts are a few
/// kilobytes either way, and most of the time of a small job goes to setting
/// up a deflate stream per part.
const SMALL_CELLS: usize = 5_000;

/// Writes the workbook into an .xlsx file in memory; see [`super::write`].
pub fn write(book: &Workbook, ctx: &RenderCtx) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    workbook.set_properties(&doc_properties(&book.properties)?);
    let level = if book.cell_count() > SMALL_CELLS {
        ZIP_LEVEL
    } else {
        1
    };
    workbook.set_zip_compression_level(level);
    for sheet in &book.sheets {
        let large = sheet.rows.len().saturating_mul(sheet.columns.len()) > CONSTANT_MEMORY_CELLS;
        let worksheet = if large {
            workbook.add_worksheet_with_constant_memory()?
        } else {
            workbook.add_worksheet()
        };
        write_sheet(worksheet, sheet, ctx)?;
    }
    ctx.check()?;
    Ok(workbook.save_to_buffer()?)
}

fn doc_properties(properties: &Properties) -> Result<DocProperties, XlsxError> {
    let created = match properties.created {
        Some(t) => ExcelDateTime::from_ymd(t.year, t.month, t.day)?.and_hms(
            u16::from(t.hour),
            t.minute,
            f64::from(t.second),
        )?,
        None => {
            let (year, month, day) = DEFAULT_CREATED;
            ExcelDateTime::from_ymd(year, month, day)?
        }
    };
    let mut doc = DocProperties::new().set_creation_datetime(&created);
    type Setter = fn(DocProperties, &str) -> DocProperties;
    let fields: [(&Option<String>, Setter); 8] = [
        (&properties.title, |d, v| d.set_title(v)),
        (&properties.subject, |d, v| d.set_subject(v)),
        (&properties.author, |d, v| d.set_author(v)),
        (&properties.manager, |d, v| d.set_manager(v)),
        (&properties.company, |d, v| d.set_company(v)),
        (&properties.category, |d, v| d.set_category(v)),
        (&properties.keywords, |d, v| d.set_keywords(v)),
        (&properties.comments, |d, v| d.set_comment(v)),
    ];
    for (value, set) in fields {
        if let Some(value) = value {
            doc = set(doc, value);
        }
    }
    Ok(doc)
}

/// Where things go on a sheet.
struct Layout {
    first_data_row: u32,
    /// Data rows spanned by the table and totals formulas: at least one, so
    /// an empty table is still valid and a total never refers to itself.
    span: u32,
    totals_row: Option<u32>,
    last_col: u16,
}

impl Layout {
    fn of(sheet: &Sheet) -> Self {
        let first_data_row = sheet.first_data_row();
        // Validation keeps every count within Excel's limits, so these fit.
        let rows = u32::try_from(sheet.rows.len()).unwrap_or(u32::MAX);
        let span = if sheet.table.is_some() || sheet.totals.is_some() {
            rows.max(1)
        } else {
            rows
        };
        Layout {
            first_data_row,
            span,
            totals_row: sheet.totals.as_ref().map(|_| first_data_row + span),
            last_col: u16::try_from(sheet.columns.len().saturating_sub(1)).unwrap_or(u16::MAX),
        }
    }

    /// Last data row (the header row when there are none).
    fn last_data_row(&self) -> u32 {
        (self.first_data_row + self.span).saturating_sub(1)
    }
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet, ctx: &RenderCtx) -> Result<(), XlsxError> {
    ws.set_name(&sheet.name)?;
    let layout = Layout::of(sheet);
    for (c, width) in column_widths(sheet).into_iter().enumerate() {
        ws.set_column_width(col_num(c), width)?;
    }
    let formats: Vec<Option<Format>> = sheet.columns.iter().map(data_format).collect();
    // Number formats sit on the columns: a cell written without a format of
    // its own takes its column's, which spares rust_xlsxwriter a format
    // lookup per cell (a tenth of a small job's time) and lets Excel format
    // the cells a user adds later. Hyperlink formats stay on their cells.
    let mut cell_formats: Vec<Option<&Format>> = Vec::with_capacity(formats.len());
    for (c, (column, format)) in sheet.columns.iter().zip(&formats).enumerate() {
        match format {
            Some(format) if column.kind != super::model::ColumnKind::Hyperlink => {
                ws.set_column_format(col_num(c), format)?;
                cell_formats.push(None);
            }
            other => cell_formats.push(other.as_ref()),
        }
    }

    // The table goes first: in constant-memory mode its header and totals
    // cells must be placed before the rows stream past them.
    if let Some(table) = &sheet.table {
        let columns: Vec<TableColumn> = sheet
            .columns
            .iter()
            .enumerate()
            .map(|(c, column)| {
                let mut tc = TableColumn::new().set_header(&column.header);
                if let Some(totals) = sheet.totals.as_ref().filter(|t| t.label_column == Some(c)) {
                    tc = tc.set_total_label(&totals.label);
                }
                tc.set_total_function(column.total.table_function())
            })
            .collect();
        let xlsx_table = XlsxTable::new()
            .set_name(&table.name)
            .set_style(table.style)
            .set_banded_rows(table.banded_rows)
            .set_banded_columns(table.banded_columns)
            .set_header_row(sheet.header.is_some())
            .set_total_row(sheet.totals.is_some())
            .set_columns(&columns);
        let last_row = layout.totals_row.unwrap_or_else(|| layout.last_data_row());
        ws.add_table(0, 0, last_row, layout.last_col, &xlsx_table)?;
    }

    if let Some(style) = &sheet.header {
        // A table styles its own header unless the job asked for a style.
        if sheet.table.is_none() || style.explicit {
            let format = header_format(style);
            for (c, column) in sheet.columns.iter().enumerate() {
                ws.write_string_with_format(0, col_num(c), &column.header, &format)?;
            }
        }
    }

    let table_name = sheet.table.as_ref().map(|t| t.name.as_str());
    for (r, row) in sheet.rows.iter().enumerate() {
        if r % CHECK_EVERY_ROWS == 0 {
            ctx.check()?;
        }
        let row_num = layout.first_data_row + u32::try_from(r).unwrap_or(u32::MAX);
        for (c, value) in row.iter().enumerate() {
            write_value(ws, row_num, col_num(c), value, cell_formats[c], table_name)?;
        }
    }

    if let Some(totals_row) = layout.totals_row {
        write_totals(ws, sheet, &layout, totals_row)?;
    }
    if sheet.header.is_some() && sheet.freeze_header {
        ws.set_freeze_panes(1, 0)?;
    }
    if sheet.autofilter {
        ws.autofilter(0, 0, layout.last_data_row(), layout.last_col)?;
    }
    for chart in &sheet.charts {
        ws.insert_chart(chart.row, chart.col, &build_chart(chart, sheet, &layout))?;
    }
    Ok(())
}

fn col_num(c: usize) -> u16 {
    // Validation caps a sheet at 16,384 columns.
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn data_format(column: &Column) -> Option<Format> {
    match (&column.num_format, column.kind) {
        (Some(code), super::model::ColumnKind::Hyperlink) => {
            Some(Format::new().set_hyperlink().set_num_format(code))
        }
        (None, super::model::ColumnKind::Hyperlink) => Some(Format::new().set_hyperlink()),
        (Some(code), _) => Some(Format::new().set_num_format(code)),
        (None, _) => None,
    }
}

fn header_format(style: &HeaderStyle) -> Format {
    let mut format = Format::new();
    if style.bold {
        format = format.set_bold();
    }
    if style.italic {
        format = format.set_italic();
    }
    if let Some(color) = style.color {
        format = format.set_font_color(color);
    }
    if let Some(background) = style.background {
        format = format.set_background_color(background);
    }
    format
}

fn write_value(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    format: Option<&Format>,
    table: Option<&str>,
) -> Result<(), XlsxError> {
    match (value, format) {
        (Value::Empty, _) => return Ok(()),
        (Value::Number(n), Some(f)) => ws.write_number_with_format(row, col, *n, f)?,
        (Value::Number(n), None) => ws.write_number(row, col, *n)?,
        (Value::Text(text), Some(f)) => ws.write_string_with_format(row, col, &**text, f)?,
        (Value::Text(text), None) => ws.write_string(row, col, &**text)?,
        (Value::Bool(b), Some(f)) => ws.write_boolean_with_format(row, col, *b, f)?,
        (Value::Bool(b), None) => ws.write_boolean(row, col, *b)?,
        (Value::Formula(formula), Some(f)) => {
            ws.write_formula_with_format(row, col, this_row_refs(formula, table).as_ref(), f)?
        }
        (Value::Formula(formula), None) => {
            ws.write_formula(row, col, this_row_refs(formula, table).as_ref())?
        }
        (Value::Url(url), _) => ws.write_url_with_options(row, col, &**url, "", "", format)?,
        (Value::Link(link), _) => {
            ws.write_url_with_options(row, col, &*link.url, &*link.text, "", format)?
        }
    };
    Ok(())
}

fn write_totals(
    ws: &mut Worksheet,
    sheet: &Sheet,
    layout: &Layout,
    row: u32,
) -> Result<(), XlsxError> {
    let Some(totals) = &sheet.totals else {
        return Ok(());
    };
    let in_table = sheet.table.is_some();
    for (c, column) in sheet.columns.iter().enumerate() {
        let col = col_num(c);
        // A table's style makes its totals row bold; a plain one gets a rule.
        let mut format = if in_table {
            Format::new()
        } else {
            Format::new().set_bold().set_border_top(FormatBorder::Thin)
        };
        if !column.total.is_count()
            && let Some(code) = &column.num_format
        {
            format = format.set_num_format(code);
        }
        if column.total == TotalFn::None {
            if totals.label_column == Some(c) {
                ws.write_string_with_format(row, col, &totals.label, &format)?;
            } else if !in_table {
                ws.write_blank(row, col, &format)?;
            }
            continue;
        }
        let range = if let Some(table) = &sheet.table {
            // Qualified with the table name: LibreOffice does not resolve a
            // bare `[Column]` in a totals row.
            format!("{}[{}]", table.name, escape_table_header(&column.header))
        } else {
            let first = row_col_to_cell(layout.first_data_row, col);
            let last = row_col_to_cell(layout.last_data_row(), col);
            format!("{first}:{last}")
        };
        let text = format!("SUBTOTAL({},{range})", column.total.subtotal_code());
        let mut formula = Formula::new(text);
        // The computed value goes in as the formula's cached result, so
        // readers that do not recalculate (previews, LibreOffice's default,
        // calamine, pandas) show the total rather than 0.
        if let Some(value) = total_result(sheet, c, column.total) {
            formula = formula.set_result(value.to_string());
        }
        ws.write_formula_with_format(row, col, formula, &format)?;
    }
    Ok(())
}

/// Spells references to the current table row the way the file format
/// stores them: `[@Units]` and `[@[Unit price]]` become
/// `SalesTable[[#This Row],[Units]]` and `SalesTable[[#This Row],[Unit price]]`
/// (Excel shows them as `@` again; LibreOffice needs this form). A reference
/// already qualified with a table name keeps it; `table` names the sheet's
/// table for unqualified ones. Text inside string literals is left alone.
fn this_row_refs<'a>(formula: &'a str, table: Option<&str>) -> Cow<'a, str> {
    if !formula.contains("[@") {
        return Cow::Borrowed(formula);
    }
    // Every byte looked at is ASCII, so slicing at them keeps UTF-8 intact.
    let bytes = formula.as_bytes();
    let mut out = String::with_capacity(formula.len() + 48);
    let mut in_string = false;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            in_string = !in_string;
        }
        if in_string || !formula[i..].starts_with("[@") {
            i += 1;
            continue;
        }
        let Some((column, next)) = this_row_column(formula, i + 2) else {
            i += 1;
            continue;
        };
        out.push_str(&formula[copied..i]);
        let qualified = formula[..i]
            .chars()
            .next_back()
            .is_some_and(is_table_name_char);
        if let (false, Some(name)) = (qualified, table) {
            out.push_str(name);
        }
        out.push_str("[[#This Row],[");
        out.push_str(column);
        out.push_str("]]");
        i = next;
        copied = next;
    }
    out.push_str(&formula[copied..]);
    Cow::Owned(out)
}

/// Reads the column of a `[@…]` reference starting at byte `start` (just
/// past the `@`): `Units]` or `[Unit price]]`. Returns the column text
/// (escapes kept) and the index past the closing bracket.
fn this_row_column(formula: &str, start: usize) -> Option<(&str, usize)> {
    let bytes = formula.as_bytes();
    if bytes.get(start) == Some(&b'[') {
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\'' => i += 2,
                b']' => {
                    return (bytes.get(i + 1) == Some(&b']'))
                        .then(|| (&formula[start + 1..i], i + 2));
                }
                _ => i += 1,
            }
        }
        None
    } else {
        let end = start + formula[start..].find(']')?;
        Some((&formula[start..end], end + 1))
    }
}

fn is_table_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.' || c == '\\'
}

/// The value of a totals-row function over a column, when docsmith knows
/// every value in it (not when the column holds formulas).
fn total_result(sheet: &Sheet, c: usize, function: TotalFn) -> Option<f64> {
    let numbers = || {
        sheet.rows.iter().filter_map(move |row| match row.get(c) {
            Some(Value::Number(n)) => Some(*n),
            _ => None,
        })
    };
    let mut non_empty = 0usize;
    for row in &sheet.rows {
        match row.get(c) {
            None | Some(Value::Empty) => {}
            Some(Value::Formula(_)) => return None,
            Some(_) => non_empty += 1,
        }
    }
    let count = numbers().count() as f64;
    let sum: f64 = numbers().sum();
    let sample_variance = || {
        (count > 1.0).then(|| {
            let mean = sum / count;
            numbers().map(|n| (n - mean) * (n - mean)).sum::<f64>() / (count - 1.0)
        })
    };
    match function {
        TotalFn::None => None,
        TotalFn::Sum => Some(sum),
        TotalFn::Average => (count > 0.0).then(|| sum / count),
        TotalFn::Count => Some(non_empty as f64),
        TotalFn::CountNumbers => Some(count),
        TotalFn::Min => Some(numbers().reduce(f64::min).unwrap_or(0.0)),
        TotalFn::Max => Some(numbers().reduce(f64::max).unwrap_or(0.0)),
        TotalFn::StdDev => sample_variance().map(f64::sqrt),
        TotalFn::Var => sample_variance(),
    }
}

/// Escapes a header for a structured reference (`[Header]`), as Excel does.
fn escape_table_header(header: &str) -> String {
    header
        .replace('\'', "''")
        .replace('#', "'#")
        .replace(']', "']")
        .replace('[', "'[")
}

fn build_chart(chart: &Chart, sheet: &Sheet, layout: &Layout) -> XlsxChart {
    let mut xlsx_chart = XlsxChart::new(chart.kind);
    let first = layout.first_data_row;
    let last = layout.last_data_row();
    let name = sheet.name.as_str();
    for &c in &chart.values {
        let col = col_num(c);
        let series = xlsx_chart.add_series();
        series.set_values((name, first, col, last, col));
        if let Some(categories) = chart.categories {
            let cat = col_num(categories);
            series.set_categories((name, first, cat, last, cat));
        }
        if sheet.header.is_some() {
            series.set_name((name, 0, col));
        } else if !sheet.columns[c].header.is_empty() {
            series.set_name(sheet.columns[c].header.as_str());
        }
    }
    if let Some(title) = &chart.title {
        xlsx_chart.title().set_name(title.as_str());
    }
    // Dates on the category axis are shown as dates, not serial numbers.
    if let Some(categories) = chart.categories {
        let column = &sheet.columns[categories];
        let has_axes = !matches!(chart.kind, ChartType::Pie | ChartType::Doughnut);
        if column.kind.is_date() && has_axes {
            let format = column.num_format.as_deref().unwrap_or("yyyy-mm-dd");
            let axis = xlsx_chart.x_axis();
            if chart.kind != ChartType::Scatter {
                axis.set_date_axis(true);
            }
            axis.set_num_format(format);
        }
    }
    if let Some(x_axis) = &chart.x_axis {
        xlsx_chart.x_axis().set_name(x_axis.as_str());
    }
    if let Some(y_axis) = &chart.y_axis {
        xlsx_chart.y_axis().set_name(y_axis.as_str());
    }
    match chart.legend {
        Some(position) => {
            xlsx_chart.legend().set_position(position);
        }
        None => {
            xlsx_chart.legend().set_hidden();
        }
    }
    xlsx_chart.set_width(chart.width).set_height(chart.height);
    xlsx_chart
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_row_references() {
        let check = |input: &str, table: Option<&str>, expected: &str| {
            assert_eq!(this_row_refs(input, table), expected, "{input}")
        };
        let t = Some("SalesTable");
        check("=A1*2", t, "=A1*2");
        check(
            "=[@Units]*[@[Unit price]]",
            t,
            "=SalesTable[[#This Row],[Units]]*SalesTable[[#This Row],[Unit price]]",
        );
        check("=Other[@Units]", t, "=Other[[#This Row],[Units]]");
        check(
            "=\"[@x]\"&[@Name]",
            t,
            "=\"[@x]\"&SalesTable[[#This Row],[Name]]",
        );
        check("=[@[a']b]]", t, "=SalesTable[[#This Row],[a']b]]");
        check("=[@Units]", None, "=[[#This Row],[Units]]");
        check("=@A1:A3", t, "=@A1:A3");
        check("=[@unterminated", t, "=[@unterminated");
    }

    #[test]
    fn table_header_escapes() {
        assert_eq!(escape_table_header("Unit price"), "Unit price");
        assert_eq!(escape_table_header("#[it's]"), "'#'[it''s']");
    }
}
