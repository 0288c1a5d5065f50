//! Finishing table cells: borders, backgrounds, padding and alignment.
//!
//! Rows and cells are first lowered into drafts that keep what their own
//! attributes say; once the header rows are known, [`finish_row`] resolves
//! each cell against its row and the table's [`TableLook`] (precedence in
//! the [`super::table`] docs).

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
    pub from_thead: bool,
    pub all_th: bool,
    pub background: Option<Color>,
    pub border_top: Option<f32>,
    pub border_bottom: Option<f32>,
    pub border_color: Option<Color>,
    pub keep_together: bool,
    pub cells: Vec<CellDraft>,
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

pub(super) fn finish_row(
    look: &TableLook,
    mut row: RowDraft,
    body_index: Option<usize>,
    last_header: bool,
) -> Row {
    let drafts = std::mem::take(&mut row.cells);
    let cells = drafts
        .into_iter()
        .map(|draft| finish_cell(look, &row, draft, body_index, last_header))
        .collect();
    Row {
        cells,
        keep_together: row.keep_together,
    }
}

fn finish_cell(
    look: &TableLook,
    row: &RowDraft,
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
