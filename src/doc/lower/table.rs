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

use super::cells::{CellDraft, RowDraft, TableLook, finish_row};
use super::style::Patch;
use super::typed::Typed;
use super::values;
use super::{Container, Lowerer, Scope};
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
    pub(super) fn table(&mut self, node: &Node) -> Option<Block> {
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
        let mut rows: Vec<RowDraft> = self.inheriting(patch, |lw| {
            let rows = row_nodes.iter().map(|(tr, head)| lw.row(tr, *head));
            rows.collect()
        });
        let span = |row: &RowDraft| {
            row.cells
                .iter()
                .map(|c| usize::from(c.colspan))
                .sum::<usize>()
        };
        let count = match &columns {
            Some(columns) => columns.len(),
            None => rows.iter().map(span).max().unwrap_or(0),
        };
        for row in &mut rows {
            let mut bad_colspan = false;
            for cell in &row.cells {
                if usize::from(cell.colspan) > count && count > 0 {
                    let loc = cell.colspan_loc.as_ref().unwrap_or(&row.loc);
                    let msg = format!(
                        "colspan is {} but the table has {count} columns",
                        cell.colspan
                    );
                    self.error(loc, msg);
                    bad_colspan = true;
                }
            }
            let total = span(row);
            if columns.is_none() {
                row.cells.extend((total..count).map(|_| CellDraft {
                    colspan: 1,
                    ..CellDraft::default()
                }));
            } else if total != count && !bad_colspan {
                let msg = format!(
                    "this row spans {total} columns but the table's columns attribute gives {count}"
                );
                self.error(&row.loc, msg);
            }
        }
        if count == 0 {
            return None;
        }
        let header_rows = match header_rows {
            Some(n) => {
                let n = n as usize;
                if n > rows.len() {
                    let loc = node
                        .attr("header-rows")
                        .map_or(&node.loc, |a| &a.loc)
                        .clone();
                    let msg = format!("header-rows is {n} but the table has {} rows", rows.len());
                    self.error(&loc, msg);
                }
                n.min(rows.len())
            }
            None if rows.iter().any(|r| r.from_thead) => {
                rows.iter().take_while(|r| r.from_thead).count()
            }
            None => rows.iter().take_while(|r| r.all_th).count(),
        };
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let body_index = i.checked_sub(header_rows);
                finish_row(&look, row, body_index, i + 1 == header_rows)
            })
            .collect();
        Some(Block::Table(Table {
            style_name,
            columns: columns.unwrap_or_else(|| vec![ColWidth::Relative(1.0); count]),
            header_rows,
            rows,
            space_before,
            space_after,
        }))
    }

    /// The `tr` elements of a table, directly or in `thead`/`tbody`, and
    /// whether each is in a `thead`.
    fn row_nodes<'n>(&mut self, table: &'n Node) -> Vec<(&'n Node, bool)> {
        let mut rows = Vec::new();
        let mut body_seen = false;
        for child in &table.children {
            match child {
                Child::Element(tr) if tr.name == "tr" => {
                    body_seen = true;
                    rows.push((tr, false));
                }
                Child::Element(group) if group.name == "thead" || group.name == "tbody" => {
                    self.checked(group);
                    let head = group.name == "thead";
                    if head && body_seen {
                        self.error(&group.loc, "<thead> must come before the body rows");
                    }
                    body_seen |= !head;
                    for child in &group.children {
                        match child {
                            Child::Element(tr) if tr.name == "tr" => rows.push((tr, head)),
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

    fn row(&mut self, tr: &Node, from_thead: bool) -> RowDraft {
        let mut row = RowDraft {
            loc: tr.loc.clone(),
            from_thead,
            all_th: false,
            background: None,
            border_top: None,
            border_bottom: None,
            border_color: None,
            keep_together: true,
            cells: Vec::new(),
        };
        if !self.enter(tr) {
            return row;
        }
        self.checked(tr);
        row.background = self.get(tr, "background", values::color);
        row.border_top = self.get(tr, "border-top", values::length);
        row.border_bottom = self.get(tr, "border-bottom", values::length);
        row.border_color = self.get(tr, "border-color", values::color);
        row.keep_together = self
            .get(tr, "keep-together", values::boolean)
            .unwrap_or(true);
        let (_, patch) = self.inherit_patch(tr, &[]);
        let mut all_th = true;
        self.inheriting(patch, |lw| {
            for child in &tr.children {
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

    fn cell(&mut self, td: &Node) -> CellDraft {
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
                    lw.implicit_paragraph(&[&text], &td.name, inner, &mut blocks);
                }
                _ => lw.blocks(td, inner, &mut blocks),
            });
        });
        cell.blocks = blocks;
        cell.value = typed.map(|t| t.value);
        self.leave();
        cell
    }
}

/// No elements and only whitespace text.
fn is_empty(node: &Node) -> bool {
    node.children
        .iter()
        .all(|c| matches!(c, Child::Text(text, _) if super::attrs::is_blank(text)))
}
