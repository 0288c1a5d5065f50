//! Tables: `table`, `thead`/`tbody`, `tr`, `td`/`th`.
//!
//! Columns come from `columns` (`* 2* 80 auto 25mm`); without it there are as
//! many `*` columns as the widest row spans, and shorter rows are completed
//! with empty cells. With it, every row must span exactly that many.
//!
//! Header rows: `header-rows`, else the rows of a `thead`, else the leading
//! rows made only of `th` cells.
//!
//! Borders, lowest to highest: the table's `border` (all sides of every
//! cell); `row-lines` (below every body row) and `header-line` (below the
//! last header row); the row's `border-top`/`border-bottom`; the cell's
//! `border`, then its `border-top|right|bottom|left`. A border is drawn in
//! the `border-color` of the element that set it (a row's falls back to the
//! table's), except that a cell's own `border-color` colours all its sides.
//! Backgrounds: the cell's, else the row's, else `header-background` (header
//! rows) or `stripe` (every second body row).

use super::cells::{CellDraft, RowDraft, RowLook, TableLook, TableRows};
use super::style::Patch;
use super::typed::Typed;
use super::values;
use super::{Container, Lowerer, Scope, free};
use crate::doc::model::{Align, Block, ColWidth, Color, Edges, Table, VAlign};
use crate::doc::node::{Child, Node};

const VALIGN: &[(&str, VAlign)] = &[
    ("top", VAlign::Top),
    ("middle", VAlign::Middle),
    ("bottom", VAlign::Bottom),
];

/// Most columns a table may have.
const MAX_COLUMNS: u32 = 1000;

impl Lowerer<'_> {
    pub(super) fn table(&mut self, node: &mut Node) -> Option<Block> {
        let columns = self.get(node, "columns", values::col_widths);
        let header_rows = self.get(node, "header-rows", |v| values::integer(v, 0, 100_000));
        let look = TableLook {
            border: self.get(node, "border", values::length).unwrap_or(0.0),
            color: self
                .get(node, "border-color", values::color)
                .unwrap_or(Color::BLACK),
            row_lines: self.get(node, "row-lines", values::length),
            header_line: self.get(node, "header-line", values::length),
            padding: self.get(node, "padding", values::edges).unwrap_or(Edges {
                top: 3.0,
                right: 4.0,
                bottom: 3.0,
                left: 4.0,
            }),
            header_background: self.get(node, "header-background", values::color),
            stripe: self.get(node, "stripe", values::color),
            valign: self
                .get(node, "valign", |v| values::keyword(v, VALIGN))
                .unwrap_or_default(),
        };
        let space_before = self
            .get(node, "space-before", values::length)
            .unwrap_or(0.0);
        let space_after = self.get(node, "space-after", values::length).unwrap_or(6.0);
        let (style_name, patch) = self.inherit_patch(node, &["space-before", "space-after"]);
        let errors = self.error_count();
        let row_nodes = self.row_nodes(node);
        if row_nodes.is_empty() {
            if self.error_count() == errors {
                self.error(&node.loc, "<table> needs at least one <tr>");
            }
            return None;
        }
        let given_header_rows = header_rows.map(|n| n as usize);
        let known_header_rows = match given_header_rows {
            Some(n) => Some(n.min(row_nodes.len())),
            None if row_nodes.iter().any(|(_, head)| *head) => {
                Some(row_nodes.iter().take_while(|(_, head)| *head).count())
            }
            // The leading rows made only of `th`: known at the first other row.
            None => None,
        };
        let mut rows = TableRows::new(
            look,
            columns.as_ref().map(Vec::len),
            known_header_rows,
            row_nodes.len(),
        );
        // Each row is finished, and its subtree freed, once it is lowered;
        // the table's children go with the last one: a long table is never
        // held twice.
        self.inheriting(patch, |lw| {
            for &(at, _) in &row_nodes {
                if let Some(tr) = row_at(&mut node.children, at) {
                    rows.push(lw.row(tr));
                    free(tr);
                }
            }
        });
        node.children = Vec::new();
        let (rows, header_rows, count, problems) = rows.finish_all();
        for (loc, msg) in problems {
            self.error(&loc, msg);
        }
        if count == 0 {
            return None;
        }
        if let Some(n) = given_header_rows
            && n > rows.len()
        {
            let loc = node
                .attr("header-rows")
                .map_or(&node.loc, |a| &a.loc)
                .clone();
            let msg = format!("header-rows is {n} but the table has {} rows", rows.len());
            self.error(&loc, msg);
        }
        Some(Block::Table(Table {
            style_name,
            columns: columns.unwrap_or_else(|| vec![ColWidth::Relative(1.0); count]),
            header_rows,
            rows,
            space_before,
            space_after,
        }))
    }

    /// Where the `tr` elements of a table are, directly or in
    /// `thead`/`tbody`, and whether each is in a `thead`.
    fn row_nodes(&mut self, table: &Node) -> Vec<(RowAt, bool)> {
        let mut rows = Vec::new();
        let mut body_seen = false;
        for (i, child) in table.children.iter().enumerate() {
            match child {
                Child::Element(tr) if tr.name == "tr" => {
                    body_seen = true;
                    rows.push(((i, None), false));
                }
                Child::Element(group) if group.name == "thead" || group.name == "tbody" => {
                    self.checked(group);
                    let head = group.name == "thead";
                    if head && body_seen {
                        self.error(&group.loc, "<thead> must come before the body rows");
                    }
                    body_seen |= !head;
                    for (j, child) in group.children.iter().enumerate() {
                        match child {
                            Child::Element(tr) if tr.name == "tr" => {
                                rows.push(((i, Some(j)), head))
                            }
                            Child::Element(other) => self.misplaced(other, &group.name, &["tr"]),
                            Child::Text(text, loc) => self.stray_text(text, loc, &group.name, "tr"),
                        }
                    }
                }
                Child::Element(other) => self.misplaced(other, "table", &["tr", "thead", "tbody"]),
                Child::Text(text, loc) => self.stray_text(text, loc, "table", "tr"),
            }
        }
        rows
    }

    fn row(&mut self, tr: &mut Node) -> RowDraft {
        let mut row = RowDraft {
            loc: tr.loc.clone(),
            all_th: false,
            look: RowLook::default(),
            keep_together: true,
            cells: Vec::new(),
        };
        if !self.enter(tr) {
            return row;
        }
        self.checked(tr);
        row.look = RowLook {
            background: self.get(tr, "background", values::color),
            border_top: self.get(tr, "border-top", values::length),
            border_bottom: self.get(tr, "border-bottom", values::length),
            border_color: self.get(tr, "border-color", values::color),
        };
        row.keep_together = self
            .get(tr, "keep-together", values::boolean)
            .unwrap_or(true);
        let (_, patch) = self.inherit_patch(tr, &[]);
        let mut all_th = true;
        let cells = tr.children.iter().filter(|c| is_cell(c)).count();
        row.cells = Vec::with_capacity(cells);
        self.inheriting(patch, |lw| {
            for child in &mut tr.children {
                match child {
                    Child::Element(cell) if cell.name == "td" || cell.name == "th" => {
                        all_th &= cell.name == "th";
                        row.cells.push(lw.cell(cell));
                    }
                    Child::Element(other) => lw.misplaced(other, "tr", &["td", "th"]),
                    Child::Text(text, loc) => lw.stray_text(text, loc, "tr", "td"),
                }
            }
        });
        if row.cells.is_empty() {
            self.error(&tr.loc, "<tr> needs at least one <td> or <th>");
        }
        row.all_th = all_th && !row.cells.is_empty();
        self.leave();
        row
    }

    fn cell(&mut self, td: &mut Node) -> CellDraft {
        let mut cell = CellDraft {
            colspan: 1,
            ..CellDraft::default()
        };
        if !self.enter(td) {
            return cell;
        }
        self.checked(td);
        let colspan = self.get(td, "colspan", |v| values::integer(v, 1, MAX_COLUMNS));
        cell.colspan = colspan.and_then(|n| u16::try_from(n).ok()).unwrap_or(1);
        cell.colspan_loc = td.attr("colspan").map(|a| a.loc.clone());
        cell.valign = self.get(td, "valign", |v| values::keyword(v, VALIGN));
        cell.background = self.get(td, "background", values::color);
        cell.padding = self.get(td, "padding", values::edges);
        cell.border = self.get(td, "border", values::length);
        for (i, name) in ["border-top", "border-right", "border-bottom", "border-left"]
            .iter()
            .enumerate()
        {
            cell.sides[i] = self.get(td, name, values::length);
        }
        cell.border_color = self.get(td, "border-color", values::color);
        let typed = self.typed_value(td);
        let th = td.name == "th";
        let inner = Scope {
            container: Container::Cell,
            in_th: th,
            no_page_break: Some(if th { "th" } else { "td" }),
        };
        let (_, patch) = self.inherit_patch(td, &[]);
        let right = Patch {
            align: Some(Align::Right),
            ..Patch::default()
        };
        let numeric = typed.as_ref().is_some_and(|t| t.numeric);
        let mut blocks = Vec::new();
        self.inheriting(if numeric { right } else { Patch::default() }, |lw| {
            lw.inheriting(patch, |lw| match &typed {
                Some(Typed { display, .. }) if is_empty(td) => {
                    let text = Child::Text(display.clone(), td.loc.clone());
                    lw.implicit_paragraph(&[text], &td.name, inner, &mut blocks);
                }
                _ => lw.blocks(td, inner, &mut blocks),
            });
        });
        blocks.shrink_to_fit();
        cell.blocks = blocks;
        cell.value = typed.map(|t| t.value);
        self.leave();
        cell
    }
}

/// Where a row is: the table's child `.0`, or child `.1` of that `thead` or
/// `tbody`.
type RowAt = (usize, Option<usize>);

fn row_at(children: &mut [Child], (i, j): RowAt) -> Option<&mut Node> {
    let Some(Child::Element(node)) = children.get_mut(i) else {
        return None;
    };
    match j {
        None => Some(node),
        Some(j) => match node.children.get_mut(j) {
            Some(Child::Element(tr)) => Some(tr),
            _ => None,
        },
    }
}

fn is_cell(child: &Child) -> bool {
    matches!(child, Child::Element(cell) if cell.name == "td" || cell.name == "th")
}

/// No elements and only whitespace text.
fn is_empty(node: &Node) -> bool {
    node.children
        .iter()
        .all(|c| matches!(c, Child::Text(text, _) if super::attrs::is_blank(text)))
}
