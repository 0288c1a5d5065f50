//! Block containers and the simple blocks: lists, columns, `spacer`,
//! `page-break`, `hr`, `qr` and `barcode`.
//!
//! Inline content directly inside a block container (`document`, `header`,
//! `footer`, `li`, `td`, `th`, `column`) forms implicit paragraphs: each run
//! of consecutive text and inline elements becomes one paragraph, and a run
//! that is only whitespace is dropped.

use super::attrs::{self, BLOCKS, DOCUMENT_PARTS, INLINES, is_blank};
use super::style::defaults;
use super::values::{self, BOX_ALIGN};
use super::{Container, Lowerer, Scope, free};
use crate::doc::model::{
    Align, Barcode, Block, ColWidth, Color, Column, Columns, List, Qr, QrLevel, Rule, Stroke,
};
use crate::doc::node::{Child, Loc, Node};

/// Longest QR code content, in characters.
const MAX_QR_CHARS: usize = 2000;
/// Longest barcode content, in characters.
const MAX_BARCODE_CHARS: usize = 80;

impl Lowerer<'_> {
    /// Lowers the content of a block container into `out`, freeing each
    /// block element once it is lowered.
    pub(super) fn blocks(&mut self, parent: &mut Node, scope: Scope, out: &mut Vec<Block>) {
        // Consecutive text and inline elements form one implicit paragraph.
        let mut run_start = 0;
        for i in 0..parent.children.len() {
            let Child::Element(node) = &parent.children[i] else {
                continue;
            };
            if INLINES.contains(&node.name.as_str()) {
                continue;
            }
            let run = &parent.children[run_start..i];
            self.implicit_paragraph(run, &parent.name, scope, out);
            run_start = i + 1;
            let Child::Element(node) = &mut parent.children[i] else {
                continue;
            };
            if BLOCKS.contains(&node.name.as_str()) {
                self.block(node, scope, out);
                free(node);
            } else if !(parent.name == "document" && DOCUMENT_PARTS.contains(&node.name.as_str())) {
                let mut expected = BLOCKS.to_vec();
                expected.extend(INLINES);
                if parent.name == "document" {
                    expected.extend(DOCUMENT_PARTS);
                }
                self.misplaced(node, &parent.name, &expected);
            }
        }
        let run = &parent.children[run_start..];
        self.implicit_paragraph(run, &parent.name, scope, out);
    }

    /// Checks `node`'s attributes against its element's.
    pub(super) fn checked(&mut self, node: &Node) {
        if let Some(spec) = attrs::element(&node.name) {
            self.check_attrs(node, spec);
        }
    }

    fn block(&mut self, node: &mut Node, scope: Scope, out: &mut Vec<Block>) {
        if !self.enter(node) {
            return;
        }
        self.checked(node);
        let block = match node.name.as_str() {
            "ul" | "ol" => Some(self.list(node, scope)),
            "table" => self.table(node),
            "img" => self.image(node),
            "columns" => self.columns(node, scope),
            "spacer" => self.spacer(node),
            "page-break" => self.page_break(node, scope),
            "hr" => Some(self.rule(node)),
            "qr" => self.qr(node),
            "barcode" => self.barcode(node),
            _ => Some(self.paragraph(node, scope)),
        };
        out.extend(block);
        self.leave();
    }

    fn list(&mut self, node: &mut Node, scope: Scope) -> Block {
        let ordered = node.name == "ol";
        let start = match ordered {
            true => self.get(node, "start", |v| values::integer(v, 0, 1_000_000)),
            false => None,
        };
        let (_, named) = self.named_style(node);
        let own = self.own_patch(node, true, true, &[]);
        let (marker_style, _) = self.resolve(&defaults(scope, &node.name), &named, &own);
        let item_scope = Scope {
            container: Container::Item,
            ..scope
        };
        let items = self.inheriting(named.with(&own), |lw| {
            let mut items = Vec::new();
            for child in &mut node.children {
                match child {
                    Child::Element(li) if li.name == "li" => {
                        if !lw.enter(li) {
                            continue;
                        }
                        lw.checked(li);
                        let (_, patch) = lw.inherit_patch(li, &[]);
                        let mut blocks = Vec::new();
                        lw.inheriting(patch, |lw| lw.blocks(li, item_scope, &mut blocks));
                        items.push(blocks);
                        lw.leave();
                    }
                    Child::Element(other) => lw.misplaced(other, &node.name, &["li"]),
                    Child::Text(text, loc) => lw.stray_text(text, loc, &node.name, "li"),
                }
            }
            items
        });
        Block::List(List {
            ordered,
            start: start.unwrap_or(1),
            marker_style,
            items,
        })
    }

    /// Reports non-blank text directly inside an element that only takes
    /// `wrapper` elements.
    pub(super) fn stray_text(&mut self, text: &str, loc: &Loc, parent: &str, wrapper: &str) {
        if !is_blank(text) {
            let msg =
                format!("text cannot appear directly inside <{parent}>; put it in <{wrapper}>");
            self.error(loc, msg);
        }
    }

    fn columns(&mut self, node: &mut Node, scope: Scope) -> Option<Block> {
        let gap = self.get(node, "gap", values::length).unwrap_or(12.0);
        let space_after = self.get(node, "space-after", values::length).unwrap_or(6.0);
        let column_scope = Scope {
            container: Container::Column,
            no_page_break: Some("column"),
            ..scope
        };
        let mut columns = Vec::new();
        let errors = self.error_count();
        for child in &mut node.children {
            let column = match child {
                Child::Element(column) if column.name == "column" => column,
                Child::Element(other) => {
                    self.misplaced(other, "columns", &["column"]);
                    continue;
                }
                Child::Text(text, loc) => {
                    self.stray_text(text, loc, "columns", "column");
                    continue;
                }
            };
            if !self.enter(column) {
                continue;
            }
            self.checked(column);
            let width = self.get(column, "width", values::col_width);
            let (_, patch) = self.inherit_patch(column, &[]);
            let mut blocks = Vec::new();
            self.inheriting(patch, |lw| lw.blocks(column, column_scope, &mut blocks));
            columns.push(Column {
                width: width.unwrap_or(ColWidth::Relative(1.0)),
                blocks,
            });
            self.leave();
        }
        if columns.is_empty() {
            if self.error_count() == errors {
                self.error(&node.loc, "<columns> needs at least one <column>");
            }
            return None;
        }
        Some(Block::Columns(Columns {
            gap,
            columns,
            space_after,
        }))
    }

    fn spacer(&mut self, node: &Node) -> Option<Block> {
        self.expect_empty(node);
        if node.attr("height").is_none() {
            self.error(&node.loc, "<spacer> needs a height attribute");
        }
        self.get(node, "height", values::length).map(Block::Spacer)
    }

    fn page_break(&mut self, node: &Node, scope: Scope) -> Option<Block> {
        self.expect_empty(node);
        if let Some(inside) = scope.no_page_break {
            self.error(
                &node.loc,
                format!("<page-break> is not allowed inside <{inside}>"),
            );
            return None;
        }
        Some(Block::PageBreak)
    }

    fn rule(&mut self, node: &Node) -> Block {
        self.expect_empty(node);
        let width = self.get(node, "thickness", values::length).unwrap_or(0.5);
        let color = self.get(node, "color", values::color);
        Block::Rule(Rule {
            stroke: Stroke {
                width,
                color: color.unwrap_or(values::rgb(0x99, 0x99, 0x99)),
            },
            space_before: self
                .get(node, "space-before", values::length)
                .unwrap_or(6.0),
            space_after: self.get(node, "space-after", values::length).unwrap_or(6.0),
        })
    }

    /// The data of a `qr` or `barcode`: the `data` attribute or the text
    /// content (trimmed), exactly one of them.
    fn code_data(&mut self, node: &Node) -> Option<(String, Loc)> {
        let mut content = String::new();
        for child in &node.children {
            match child {
                Child::Text(text, _) => content.push_str(text),
                Child::Element(inner) => {
                    let msg = format!("<{}> cannot appear inside <{}>", inner.name, node.name);
                    self.error(&inner.loc, msg);
                }
            }
        }
        let content = content.trim();
        match (node.attr("data"), content.is_empty()) {
            (Some(attr), true) => {
                let data = self.get(node, "data", values::text)?;
                Some((data, attr.loc.clone()))
            }
            (None, false) => Some((content.to_owned(), node.loc.clone())),
            (Some(attr), false) => {
                let msg = format!(
                    "<{}> has both a data attribute and text content; give one",
                    node.name
                );
                self.error(&attr.loc, msg);
                None
            }
            (None, true) => {
                let msg = format!(
                    "<{}> needs data: a data attribute or text content",
                    node.name
                );
                self.error(&node.loc, msg);
                None
            }
        }
    }

    fn qr(&mut self, node: &Node) -> Option<Block> {
        let levels = [
            ("L", QrLevel::Low),
            ("M", QrLevel::Medium),
            ("Q", QrLevel::Quartile),
            ("H", QrLevel::High),
        ];
        let level = self.get(node, "level", |v| values::keyword(v, &levels));
        let qr = Qr {
            data: String::new(),
            size: self
                .get(node, "size", values::positive_length)
                .unwrap_or(80.0),
            level: level.unwrap_or(QrLevel::Medium),
            align: self
                .get(node, "align", |v| values::keyword(v, BOX_ALIGN))
                .unwrap_or(Align::Left),
            color: self
                .get(node, "color", values::color)
                .unwrap_or(Color::BLACK),
            space_after: self.get(node, "space-after", values::length).unwrap_or(6.0),
        };
        let (data, loc) = self.code_data(node)?;
        if data.is_empty() {
            self.error(&loc, "the QR code data is empty");
            return None;
        }
        if data.chars().count() > MAX_QR_CHARS {
            let msg = format!("a QR code holds at most {MAX_QR_CHARS} characters");
            self.error(&loc, msg);
            return None;
        }
        Some(Block::Qr(Qr { data, ..qr }))
    }

    fn barcode(&mut self, node: &Node) -> Option<Block> {
        self.get(node, "type", |v| values::keyword(v, &[("code128", ())]));
        let barcode = Barcode {
            data: String::new(),
            width: self.get(node, "width", values::positive_length),
            height: self
                .get(node, "height", values::positive_length)
                .unwrap_or(40.0),
            human_readable: self
                .get(node, "human-readable", values::boolean)
                .unwrap_or(true),
            align: self
                .get(node, "align", |v| values::keyword(v, BOX_ALIGN))
                .unwrap_or(Align::Left),
            color: self
                .get(node, "color", values::color)
                .unwrap_or(Color::BLACK),
            space_after: self.get(node, "space-after", values::length).unwrap_or(6.0),
        };
        let (data, loc) = self.code_data(node)?;
        let printable = data.bytes().all(|b| (0x20..=0x7e).contains(&b));
        if data.is_empty() || !printable || data.len() > MAX_BARCODE_CHARS {
            let msg = format!(
                "barcode data must be 1 to {MAX_BARCODE_CHARS} printable ASCII characters \
                 (Code 128), found {:?}",
                data.chars().take(100).collect::<String>()
            );
            self.error(&loc, msg);
            return None;
        }
        Some(Block::Barcode(Barcode { data, ..barcode }))
    }
}
