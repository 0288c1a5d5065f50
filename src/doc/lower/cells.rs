//! Finishing table cells: borders, backgrounds, padding and alignment.
//!
//! Rows and cells are first lowered into drafts that keep what their own
//! attributes say; once the header rows are known, [`finish_row`] resolves
//! each cell against its row and the table's [`TableLook`] (precedence in
//! the [`super::table`] docs). [`TableRows`] finishes each row as soon as
//! that is known (at once, unless the header is the leading rows of `th`
//! cells), so a long table's drafts are not all held at the same time.

use crate::doc::model::{Block, Cell, Color, Edges, Row, Stroke, TypedValue, VAlign};
use crate::doc::node::Loc;

/// The table-wide settings cells are finished with.
pub(super) struct TableLook {
    pub border: f32,
    pub color: Color,
    pub row_lines: Option<f32>,
    pub header_line: Option<f32>,
    pub padding: Edges,
    pub header_background: Option<Color>,
    pub stripe: Option<Color>,
    pub valign: VAlign,
}

pub(super) struct RowDraft {
    pub loc: Loc,
    pub all_th: bool,
    pub look: RowLook,
    pub keep_together: bool,
    pub cells: Vec<CellDraft>,
}

/// What a row's own attributes say about its cells.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct RowLook {
    pub background: Option<Color>,
    pub border_top: Option<f32>,
    pub border_bottom: Option<f32>,
    pub border_color: Option<Color>,
}

/// The rows of one table, finished as they come.
pub(super) struct TableRows {
    look: TableLook,
    /// The `columns` count, if the table gives one.
    columns: Option<usize>,
    /// `None` while the header is the leading all-`th` rows and none other
    /// has come yet.
    header_rows: Option<usize>,
    /// All-`th` rows while `header_rows` is not known yet.
    pending: Vec<RowDraft>,
    rows: Vec<Row>,
    /// Each row's look, to complete short rows once the widest is known
    /// (tables without `columns`).
    looks: Vec<RowLook>,
    /// Problems with the column count, reported after those of the rows.
    problems: Vec<(Loc, String)>,
}

impl TableRows {
    pub fn new(
        look: TableLook,
        columns: Option<usize>,
        header_rows: Option<usize>,
        capacity: usize,
    ) -> Self {
        Self {
            look,
            columns,
            header_rows,
            pending: Vec::new(),
            rows: Vec::with_capacity(capacity),
            looks: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// Checks a lowered row against the column count and finishes it when
    /// the header rows are known.
    pub fn push(&mut self, row: RowDraft) {
        if let Some(count) = self.columns {
            self.check_span(&row, count);
        }
        match self.header_rows {
            Some(header_rows) => self.finish(row, header_rows),
            None if row.all_th => self.pending.push(row),
            None => {
                let header_rows = self.pending.len();
                self.header_rows = Some(header_rows);
                for pending in std::mem::take(&mut self.pending) {
                    self.finish(pending, header_rows);
                }
                self.finish(row, header_rows);
            }
        }
    }

    fn check_span(&mut self, row: &RowDraft, count: usize) {
        let mut bad_colspan = false;
        for cell in &row.cells {
            if usize::from(cell.colspan) > count && count > 0 {
                let loc = cell.colspan_loc.as_ref().unwrap_or(&row.loc);
                let msg = format!(
                    "colspan is {} but the table has {count} columns",
                    cell.colspan
                );
                self.problems.push((loc.clone(), msg));
                bad_colspan = true;
            }
        }
        let total = span(row.cells.iter().map(|c| c.colspan));
        if total != count && !bad_colspan {
            let msg = format!(
                "this row spans {total} columns but the table's columns attribute gives {count}"
            );
            self.problems.push((row.loc.clone(), msg));
        }
    }

    fn finish(&mut self, row: RowDraft, header_rows: usize) {
        let i = self.rows.len();
        if self.columns.is_none() {
            self.looks.push(row.look);
        }
        let body_index = i.checked_sub(header_rows);
        let last_header = i + 1 == header_rows;
        self.rows
            .push(finish_row(&self.look, row, body_index, last_header));
    }

    /// The rows, the header row count (the leading all-`th` rows unless
    /// given), the column count (the widest row unless given; shorter rows
    /// are completed with empty cells) and the column count problems.
    pub fn finish_all(mut self) -> (Vec<Row>, usize, usize, Vec<(Loc, String)>) {
        let header_rows = match self.header_rows {
            Some(n) => n,
            None => {
                let n = self.pending.len();
                for pending in std::mem::take(&mut self.pending) {
                    self.finish(pending, n);
                }
                n
            }
        };
        let count =
            match self.columns {
                Some(count) => count,
                None => {
                    let spans = self
                        .rows
                        .iter()
                        .map(|r| span(r.cells.iter().map(|c| c.colspan)));
                    let count = spans.max().unwrap_or(0);
                    for (i, (row, look)) in self.rows.iter_mut().zip(&self.looks).enumerate() {
                        let total = span(row.cells.iter().map(|c| c.colspan));
                        let empty = || CellDraft {
                            colspan: 1,
                            ..CellDraft::default()
                        };
                        let body_index = i.checked_sub(header_rows);
                        let last_header = i + 1 == header_rows;
                        row.cells.extend((total..count).map(|_| {
                            finish_cell(&self.look, look, empty(), body_index, last_header)
                        }));
                    }
                    count
                }
            };
        (self.rows, header_rows, count, self.problems)
    }
}

/// The columns cells with these colspans span.
fn span(colspans: impl Iterator<Item = u16>) -> usize {
    colspans.map(usize::from).sum()
}

#[derive(Default)]
pub(super) struct CellDraft {
    pub colspan: u16,
    /// Where `colspan` was given, if it was.
    pub colspan_loc: Option<Loc>,
    pub blocks: Vec<Block>,
    pub padding: Option<Edges>,
    pub background: Option<Color>,
    pub valign: Option<VAlign>,
    /// `border`, then top, right, bottom, left.
    pub border: Option<f32>,
    pub sides: [Option<f32>; 4],
    pub border_color: Option<Color>,
    pub value: Option<TypedValue>,
}

fn finish_row(
    look: &TableLook,
    mut row: RowDraft,
    body_index: Option<usize>,
    last_header: bool,
) -> Row {
    // Not `collect()`: that would reuse the drafts' (larger) allocation.
    let mut cells = Vec::with_capacity(row.cells.len());
    let drafts = row.cells.drain(..);
    cells.extend(drafts.map(|draft| finish_cell(look, &row.look, draft, body_index, last_header)));
    Row {
        cells,
        keep_together: row.keep_together,
    }
}

fn finish_cell(
    look: &TableLook,
    row: &RowLook,
    draft: CellDraft,
    body_index: Option<usize>,
    last_header: bool,
) -> Cell {
    // top, right, bottom, left
    let mut sides = [(look.border, look.color); 4];
    match body_index {
        Some(_) => {
            if let Some(w) = look.row_lines {
                sides[2] = (w, look.color);
            }
        }
        None if last_header => {
            if let Some(w) = look.header_line {
                sides[2] = (w, look.color);
            }
        }
        None => {}
    }
    let row_color = row.border_color.unwrap_or(look.color);
    if let Some(w) = row.border_top {
        sides[0] = (w, row_color);
    }
    if let Some(w) = row.border_bottom {
        sides[2] = (w, row_color);
    }
    let cell_color = draft
        .border_color
        .or(row.border_color)
        .unwrap_or(look.color);
    if let Some(w) = draft.border {
        sides = [(w, cell_color); 4];
    }
    for (side, width) in sides.iter_mut().zip(draft.sides) {
        if let Some(w) = width {
            *side = (w, cell_color);
        }
        if let Some(color) = draft.border_color {
            side.1 = color;
        }
    }
    let stroke = |(width, color): (f32, Color)| {
        if width > 0.0 {
            Stroke { width, color }
        } else {
            Stroke::NONE
        }
    };
    let band = match body_index {
        None => look.header_background,
        Some(i) if i % 2 == 1 => look.stripe,
        Some(_) => None,
    };
    Cell {
        colspan: draft.colspan,
        blocks: draft.blocks,
        padding: draft.padding.unwrap_or(look.padding),
        background: draft.background.or(row.background).or(band),
        valign: draft.valign.unwrap_or(look.valign),
        border_top: stroke(sides[0]),
        border_right: stroke(sides[1]),
        border_bottom: stroke(sides[2]),
        border_left: stroke(sides[3]),
        value: draft.value,
    }
}
