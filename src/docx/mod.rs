//! DOCX output: the document model → docx-rs → a deterministic `.docx`.
//!
//! Every block becomes the Word structure a Word user would have made by
//! hand: headings use the built-in `Heading1`…`Heading6` styles (navigation
//! pane, table of contents), named styles become Word paragraph styles,
//! lists use numbering definitions, tables have a grid, spans, borders,
//! shading, repeated header rows (`tblHeader`) and rows that do not split,
//! and header and footer carry `PAGE` and `NUMPAGES` fields. QR codes and
//! barcodes are embedded as PNG pictures at their size.
//!
//! docx-rs builds the XML parts; docsmith packs them itself (deflated, fixed
//! order and timestamps) and writes the document properties, so the same
//! job gives the same bytes. docx-rs has no element for a repeated table
//! header row: header rows carry a placeholder row height that is replaced
//! by `<w:tblHeader/>` in the document part.

mod pack;
mod picture;

use docx_rs::{
    AbstractNumbering, AlignmentType, BorderType, BreakType, Docx, FieldCharType, Footer, Header,
    HeightRule, Hyperlink, HyperlinkData, HyperlinkType, IndentLevel, InstrNUMPAGES, InstrPAGE,
    InstrText, Level, LevelJc, LevelOverride, LevelText, LineSpacing, LineSpacingType,
    NumberFormat, Numbering, NumberingId, PageMargin, Paragraph, ParagraphBorder,
    ParagraphBorderPosition, ParagraphBorders, ParagraphChild, Run, RunFonts, Shading,
    SpecialIndentType, Start, Style, StyleType, Table, TableCell, TableCellBorder,
    TableCellBorderPosition, TableCellBorders, TableCellMargins, TableLayoutType, TableRow,
    VAlignType, WidthType,
};

use crate::doc::{
    Align, Barcode, Block, Cell, Color, Columns, Document, Image, Inline, List, ParaStyle,
    Paragraph as Para, Qr, Rule, RunStyle, Stroke, Table as DocTable, VAlign,
};
use crate::fonts::FontBook;
use crate::render_ctx::{Interrupted, RenderCtx};

#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    #[error("{0}")]
    Code(String),
    #[error("writing the DOCX failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Twentieths of a point, Word's unit for lengths.
fn twips(pt: f32) -> i32 {
    (pt * 20.0).round() as i32
}

fn utwips(pt: f32) -> usize {
    twips(pt).max(0) as usize
}

/// English Metric Units (914,400 per inch), for pictures.
fn emu(pt: f32) -> u32 {
    (pt.max(0.0) * 12_700.0).round() as u32
}

fn hex(c: Color) -> String {
    format!("{:02X}{:02X}{:02X}", c.r, c.g, c.b)
}

/// The style id of heading level `n` (Word's built-in ids).
fn heading_style(n: u8) -> String {
    format!("Heading{}", n.clamp(1, 6))
}

/// A style id from a document style name: letters and digits only, with a
/// prefix so it cannot collide with Word's own ids.
fn style_id(name: &str) -> String {
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    format!("ds{clean}")
}

/// Writes `doc` as DOCX into `out`.
pub fn write(
    book: &FontBook,
    doc: &Document,
    render: &RenderCtx,
    out: &mut Vec<u8>,
) -> Result<(), DocxError> {
    let mut w = Writer::new(book);
    let content_width = doc.page.width - doc.page.margin.left - doc.page.margin.right;
    let mut docx = Docx::new()
        .page_size(twips(doc.page.width) as u32, twips(doc.page.height) as u32)
        .page_margin(PageMargin {
            top: twips(doc.page.margin.top),
            left: twips(doc.page.margin.left),
            bottom: twips(doc.page.margin.bottom),
            right: twips(doc.page.margin.right),
            header: twips(doc.page.margin.top / 2.0),
            footer: twips(doc.page.margin.bottom / 2.0),
            gutter: 0,
        })
        .default_fonts(fonts(crate::doc::DEFAULT_FONT))
        .default_size(20);
    if doc.page.width > doc.page.height {
        docx = docx.page_orient(docx_rs::PageOrientationType::Landscape);
    }
    for level in 1..=6u8 {
        docx = docx.add_style(heading(level));
    }
    for style in &doc.styles {
        docx = docx.add_style(named_style(style));
    }

    let mut body = Vec::new();
    for (i, block) in doc.content.iter().enumerate() {
        if i % 64 == 0 {
            render.check()?;
        }
        w.block(block, content_width, 0, &mut body)?;
    }
    docx = fill(docx, body, Docx::add_paragraph, Docx::add_table);
    if !doc.header.is_empty() {
        let items = w.blocks(&doc.header, content_width)?;
        docx = docx.header(fill(
            Header::new(),
            items,
            Header::add_paragraph,
            Header::add_table,
        ));
    }
    if !doc.footer.is_empty() {
        let items = w.blocks(&doc.footer, content_width)?;
        docx = docx.footer(fill(
            Footer::new(),
            items,
            Footer::add_paragraph,
            Footer::add_table,
        ));
    }
    for (id, ordered, start) in &w.lists {
        let abstract_id = if *ordered { 1 } else { 2 };
        let mut numbering = Numbering::new(*id, abstract_id);
        if *ordered {
            numbering = numbering
                .add_override(LevelOverride::new(0).start(usize::try_from(*start).unwrap_or(1)));
        }
        docx = docx.add_numbering(numbering);
    }
    docx = docx
        .add_abstract_numbering(abstract_numbering(1, true))
        .add_abstract_numbering(abstract_numbering(2, false));
    render.check()?;
    let mut xml = docx.build();
    xml.doc_props.core = core_properties(&doc.metadata);
    pack::mark_header_rows(&mut xml.document);
    pack::widow_control_by_default(&mut xml.styles);
    pack::pack(xml, out)?;
    Ok(())
}

/// `part` (the body, a header or a footer) with `items` added in order.
fn fill<T>(
    mut part: T,
    items: Vec<Item>,
    paragraph: fn(T, Paragraph) -> T,
    table: fn(T, Table) -> T,
) -> T {
    for item in items {
        part = match item {
            Item::P(p) => paragraph(part, *p),
            Item::T(t) => table(part, *t),
        };
    }
    part
}

/// A paragraph or a table, as they sit in a body, header, footer or cell.
enum Item {
    P(Box<Paragraph>),
    T(Box<Table>),
}

struct Writer<'a> {
    /// Measures auto-width table columns the way the PDF layout does.
    book: &'a FontBook,
    /// Numbering instances: (id, ordered, first number).
    lists: Vec<(usize, bool, u32)>,
    next_image: usize,
    next_para: usize,
    next_link: usize,
}

impl<'a> Writer<'a> {
    fn new(book: &'a FontBook) -> Writer<'a> {
        Writer {
            book,
            lists: Vec::new(),
            next_image: 1,
            next_para: 1,
            next_link: 1,
        }
    }

    /// A new paragraph with a deterministic id.
    fn paragraph(&mut self) -> Paragraph {
        let id = format!("{:08X}", self.next_para);
        self.next_para += 1;
        Paragraph::new().id(id)
    }

    fn blocks(&mut self, blocks: &[Block], width: f32) -> Result<Vec<Item>, DocxError> {
        let mut items = Vec::new();
        for block in blocks {
            self.block(block, width, 0, &mut items)?;
        }
        Ok(items)
    }

    fn block(
        &mut self,
        block: &Block,
        width: f32,
        depth: usize,
        out: &mut Vec<Item>,
    ) -> Result<(), DocxError> {
        match block {
            Block::Paragraph(p) => {
                let para = self.para(p);
                out.push(Item::P(Box::new(para)));
            }
            Block::List(list) => self.list(list, width, depth, out)?,
            Block::Table(t) => {
                let table = self.table(t, width)?;
                out.push(Item::T(Box::new(table)));
                if t.space_after > 0.0 {
                    out.push(Item::P(Box::new(self.spacer(t.space_after))));
                }
            }
            Block::Image(img) => out.push(Item::P(Box::new(self.image(img, width)))),
            Block::Columns(cols) => {
                let table = self.columns(cols, width)?;
                out.push(Item::T(Box::new(table)));
                if cols.space_after > 0.0 {
                    out.push(Item::P(Box::new(self.spacer(cols.space_after))));
                }
            }
            Block::Spacer(h) => out.push(Item::P(Box::new(self.spacer(*h)))),
            Block::PageBreak => {
                let p = self
                    .paragraph()
                    .add_run(Run::new().add_break(BreakType::Page));
                out.push(Item::P(Box::new(p)));
            }
            Block::Rule(rule) => out.push(Item::P(Box::new(self.rule(rule)))),
            Block::Qr(qr) => out.push(Item::P(Box::new(self.qr(qr)?))),
            Block::Barcode(bc) => {
                out.extend(self.barcode(bc)?.into_iter().map(|p| Item::P(Box::new(p))))
            }
        }
        Ok(())
    }

    /// A paragraph built in place: docx-rs's builder methods move the
    /// (large) paragraph on every call, which dominated long documents.
    fn para(&mut self, p: &Para) -> Paragraph {
        let mut para = self.paragraph();
        let style = match (p.heading, &p.style_name) {
            (Some(level), _) => Some(heading_style(level)),
            (None, Some(name)) => Some(style_id(name)),
            (None, None) => None,
        };
        if let Some(style) = style {
            para.property.style = Some(docx_rs::ParagraphStyle::new(Some(style)));
        }
        let size = p
            .inlines
            .iter()
            .filter_map(|i| match i {
                Inline::Text { style, .. }
                | Inline::PageNumber(style)
                | Inline::PageCount(style) => Some(style.size),
                Inline::Break => None,
            })
            .fold(0.0f32, f32::max);
        let size = if size > 0.0 { size } else { 10.0 };
        set_para_style(&mut para.property, &p.style, size);
        if is_rtl(&p.inlines) {
            para.property.bidi = Some(true);
        }
        para.children.reserve(p.inlines.len());
        for inline in &p.inlines {
            self.inline(&mut para.children, inline);
        }
        para
    }

    fn inline(&mut self, children: &mut Vec<ParagraphChild>, inline: &Inline) {
        let push = |children: &mut Vec<ParagraphChild>, run: Run| {
            children.push(ParagraphChild::Run(Box::new(run)));
        };
        match inline {
            Inline::Text { text, style } => {
                let run = run(style).add_text(text.as_str());
                match &style.link {
                    Some(target) if target.starts_with('#') => {
                        children.push(ParagraphChild::Hyperlink(
                            Hyperlink::new(&target[1..], HyperlinkType::Anchor).add_run(run),
                        ))
                    }
                    Some(target) => {
                        let mut link = Hyperlink::new(target.to_string(), HyperlinkType::External);
                        if let HyperlinkData::External { rid, .. } = &mut link.link {
                            *rid = format!("rIdLink{}", self.next_link);
                            self.next_link += 1;
                        }
                        children.push(ParagraphChild::Hyperlink(link.add_run(run)));
                    }
                    None => push(children, run),
                }
            }
            Inline::Break => push(children, Run::new().add_break(BreakType::TextWrapping)),
            Inline::PageNumber(style) => {
                field(children, style, InstrText::PAGE(InstrPAGE::new()), "1")
            }
            Inline::PageCount(style) => field(
                children,
                style,
                InstrText::NUMPAGES(InstrNUMPAGES::new()),
                "1",
            ),
        }
    }

    fn list(
        &mut self,
        list: &List,
        width: f32,
        depth: usize,
        out: &mut Vec<Item>,
    ) -> Result<(), DocxError> {
        // One numbering instance per list, so each ordered list counts from
        // its own start.
        let id = self.lists.len() + 1;
        self.lists.push((id, list.ordered, list.start));
        let level = depth.min(8);
        let indent = twips(18.0 * (level as f32 + 1.0));
        for item in &list.items {
            let mut first = true;
            for block in item {
                match block {
                    Block::Paragraph(p) => {
                        let mut para = self.para(p);
                        if first {
                            para = para.numbering(NumberingId::new(id), IndentLevel::new(level));
                        } else {
                            para = para.indent(Some(indent), None, None, None);
                        }
                        out.push(Item::P(Box::new(para)));
                    }
                    Block::List(inner) => self.list(inner, width, depth + 1, out)?,
                    other => self.block(other, width, depth, out)?,
                }
                first = false;
            }
        }
        Ok(())
    }

    fn table(&mut self, t: &DocTable, width: f32) -> Result<Table, DocxError> {
        let widths = crate::layout::table::widths_for(self.book, t, width);
        let padding = t
            .rows
            .first()
            .and_then(|r| r.cells.first())
            .map(|c| c.padding)
            .unwrap_or_default();
        let mut rows = Vec::with_capacity(t.rows.len());
        for (r, row) in t.rows.iter().enumerate() {
            let mut cells = Vec::with_capacity(row.cells.len());
            let mut col = 0usize;
            for cell in &row.cells {
                let span = usize::from(cell.colspan.max(1));
                let w: f32 = widths.iter().skip(col).take(span).sum();
                col += span;
                cells.push(self.cell(cell, span, w)?);
            }
            let mut tr = TableRow::new(cells);
            if row.keep_together {
                tr = tr.cant_split();
            }
            if r < t.header_rows {
                tr = tr
                    .row_height(pack::HEADER_ROW_MARK)
                    .height_rule(HeightRule::Auto);
            }
            rows.push(tr);
        }
        let total: f32 = widths.iter().sum();
        Ok(Table::without_borders(rows)
            .set_grid(widths.iter().map(|w| utwips(*w)).collect())
            .width(utwips(total), WidthType::Dxa)
            .layout(TableLayoutType::Fixed)
            .margins(TableCellMargins::new().margin(
                utwips(padding.top),
                utwips(padding.right),
                utwips(padding.bottom),
                utwips(padding.left),
            )))
    }

    fn cell(&mut self, cell: &Cell, span: usize, width: f32) -> Result<TableCell, DocxError> {
        let inner = (width - cell.padding.left - cell.padding.right).max(1.0);
        let mut items = self.blocks(&cell.blocks, inner)?;
        trim_spacing(&mut items);
        let mut tc = TableCell::new().width(utwips(width), WidthType::Dxa);
        if items.is_empty() {
            tc = tc.add_paragraph(self.paragraph());
        }
        for item in items {
            tc = match item {
                Item::P(p) => tc.add_paragraph(*p),
                Item::T(t) => tc.add_table(*t),
            };
        }
        if span > 1 {
            tc = tc.grid_span(span);
        }
        if let Some(bg) = cell.background {
            tc = tc.shading(Shading::new().fill(hex(bg)).color("auto"));
        }
        // Top is Word's default.
        match cell.valign {
            VAlign::Top => {}
            VAlign::Middle => tc = tc.vertical_align(VAlignType::Center),
            VAlign::Bottom => tc = tc.vertical_align(VAlignType::Bottom),
        }
        // The table itself has no borders: a cell lists only the sides it
        // draws.
        let sides = [
            (TableCellBorderPosition::Top, cell.border_top),
            (TableCellBorderPosition::Right, cell.border_right),
            (TableCellBorderPosition::Bottom, cell.border_bottom),
            (TableCellBorderPosition::Left, cell.border_left),
        ];
        if sides.iter().any(|(_, s)| s.width > 0.0) {
            let mut borders = TableCellBorders::with_empty();
            for (position, stroke) in sides {
                if stroke.width > 0.0 {
                    borders = borders.set(cell_border(position, stroke));
                }
            }
            tc = tc.set_borders(borders);
        }
        Ok(tc)
    }

    /// Columns as a one-row table without borders.
    fn columns(&mut self, cols: &Columns, width: f32) -> Result<Table, DocxError> {
        let widths = crate::layout::block::column_widths_for(self.book, cols, width);
        let mut cells = Vec::with_capacity(cols.columns.len());
        let last = cols.columns.len().saturating_sub(1);
        for (i, (column, w)) in cols.columns.iter().zip(&widths).enumerate() {
            let mut items = self.blocks(&column.blocks, *w)?;
            trim_spacing(&mut items);
            let cell_width = if i < last { w + cols.gap } else { *w };
            let mut tc = TableCell::new()
                .width(utwips(cell_width), WidthType::Dxa)
                .set_borders(TableCellBorders::with_empty());
            if items.is_empty() {
                tc = tc.add_paragraph(self.paragraph());
            }
            for item in items {
                tc = match item {
                    Item::P(p) => tc.add_paragraph(*p),
                    Item::T(t) => tc.add_table(*t),
                };
            }
            cells.push(tc);
        }
        let grid: Vec<usize> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| utwips(if i < last { w + cols.gap } else { *w }))
            .collect();
        let total = grid.iter().sum();
        Ok(Table::without_borders(vec![TableRow::new(cells)])
            .set_grid(grid)
            .width(total, WidthType::Dxa)
            .layout(TableLayoutType::Fixed)
            .margins(TableCellMargins::new().margin(0, 0, 0, 0)))
    }

    fn spacer(&mut self, height: f32) -> Paragraph {
        self.paragraph().line_spacing(
            LineSpacing::new()
                .before(0)
                .after(0)
                .line(twips(height.max(1.0)))
                .line_rule(LineSpacingType::Exact),
        )
    }

    fn rule(&mut self, rule: &Rule) -> Paragraph {
        let mut p = self.paragraph().line_spacing(
            LineSpacing::new()
                .before(utwips(rule.space_before) as u32)
                .after(utwips(rule.space_after) as u32)
                .line(20)
                .line_rule(LineSpacingType::Exact),
        );
        p.property = p.property.set_borders(
            ParagraphBorders::with_empty().set(
                ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                    .val(BorderType::Single)
                    .size(eighths(rule.stroke.width))
                    .space(0)
                    .color(hex(rule.stroke.color)),
            ),
        );
        p
    }

    /// A paragraph holding one picture.
    fn picture(
        &mut self,
        media: picture::Media,
        w: f32,
        h: f32,
        align: Align,
        space_after: f32,
    ) -> Paragraph {
        let rid = format!("rIdImage{}", self.next_image);
        self.next_image += 1;
        let pic = docx_rs::Pic::new_with_dimensions(media.bytes, media.width, media.height)
            .id(rid)
            .size(emu(w), emu(h));
        self.paragraph()
            .align(alignment(align))
            .line_spacing(
                LineSpacing::new()
                    .before(0)
                    .after(utwips(space_after) as u32),
            )
            .add_run(Run::new().add_image(pic))
    }

    fn image(&mut self, img: &Image, width: f32) -> Paragraph {
        let data = &img.data;
        let (pw, ph) = (
            data.pixel_width.max(1) as f32,
            data.pixel_height.max(1) as f32,
        );
        // The same box the PDF layout uses: the given box, aspect kept, or
        // the natural size at 96 dpi, never wider than the column.
        let (mut w, mut h) = match (img.width, img.height) {
            (Some(w), Some(h)) => {
                let s = (w / pw).min(h / ph);
                (pw * s, ph * s)
            }
            (Some(w), None) => (w, w * ph / pw),
            (None, Some(h)) => (h * pw / ph, h),
            (None, None) => (pw * 0.75, ph * 0.75),
        };
        if w > width {
            h *= width / w;
            w = width;
        }
        let media = picture::Media::encoded(data);
        self.picture(media, w, h, img.align, img.space_after)
    }

    fn qr(&mut self, qr: &Qr) -> Result<Paragraph, DocxError> {
        let media = picture::qr(qr).map_err(DocxError::Code)?;
        Ok(self.picture(media, qr.size, qr.size, qr.align, qr.space_after))
    }

    fn barcode(&mut self, bc: &Barcode) -> Result<Vec<Paragraph>, DocxError> {
        let (media, modules) = picture::barcode(bc).map_err(DocxError::Code)?;
        let width = bc.width.unwrap_or(modules as f32);
        let mut out = vec![self.picture(
            media,
            width,
            bc.height,
            bc.align,
            if bc.human_readable {
                0.0
            } else {
                bc.space_after
            },
        )];
        if bc.human_readable {
            let style = RunStyle {
                size: 8.0,
                color: bc.color,
                ..RunStyle::default()
            };
            let p = self
                .paragraph()
                .align(alignment(bc.align))
                .line_spacing(
                    LineSpacing::new()
                        .before(0)
                        .after(utwips(bc.space_after) as u32),
                )
                .add_run(run(&style).add_text(bc.data.as_str()));
            out.push(p);
        }
        Ok(out)
    }
}

/// Drops the space before the first and after the last paragraph of a
/// cell: the PDF layout does not add space at the edges of a cell either.
fn trim_spacing(items: &mut [Item]) {
    if let Some(Item::P(p)) = items.first_mut()
        && let Some(ls) = p.property.line_spacing.take()
    {
        p.property.line_spacing = Some(ls.before(0));
    }
    if let Some(Item::P(p)) = items.last_mut()
        && let Some(ls) = p.property.line_spacing.take()
    {
        p.property.line_spacing = Some(ls.after(0));
    }
}

/// Border widths are eighths of a point in Word (2 to 96).
fn eighths(width: f32) -> usize {
    ((width * 8.0).round() as usize).clamp(2, 96)
}

fn cell_border(position: TableCellBorderPosition, stroke: Stroke) -> TableCellBorder {
    if stroke.width <= 0.0 {
        return TableCellBorder::new(position).border_type(BorderType::Nil);
    }
    TableCellBorder::new(position)
        .border_type(BorderType::Single)
        .size(eighths(stroke.width))
        .color(hex(stroke.color))
}

fn alignment(align: Align) -> AlignmentType {
    match align {
        Align::Left => AlignmentType::Left,
        Align::Right => AlignmentType::Right,
        Align::Center => AlignmentType::Center,
        Align::Justify => AlignmentType::Both,
    }
}

fn fonts(family: &str) -> RunFonts {
    RunFonts::new()
        .ascii(family)
        .hi_ansi(family)
        .cs(family)
        .east_asia(family)
}

/// A run with the properties that differ from the document defaults (Noto
/// Sans, 10 pt, black): a long document repeats them in every run.
fn run(style: &RunStyle) -> Run {
    // Set in place: docx-rs's builder methods move the whole run property
    // on every call.
    let mut run = Run::new();
    let p = &mut run.run_property;
    if &*style.font != crate::doc::DEFAULT_FONT {
        p.fonts = Some(fonts(&style.font));
    }
    let half_points = (style.size * 2.0).round().max(1.0) as usize;
    if half_points != 20 {
        p.sz = Some(docx_rs::Sz::new(half_points));
        p.sz_cs = Some(docx_rs::SzCs::new(half_points));
    }
    if style.color != Color::BLACK {
        p.color = Some(docx_rs::Color::new(hex(style.color)));
    }
    if style.bold {
        p.bold = Some(docx_rs::Bold::new());
        p.bold_cs = Some(docx_rs::BoldCs::new());
    }
    if style.italic {
        p.italic = Some(docx_rs::Italic::new());
        p.italic_cs = Some(docx_rs::ItalicCs::new());
    }
    if style.underline {
        p.underline = Some(docx_rs::Underline::new("single"));
    }
    if style.strike {
        p.strike = Some(docx_rs::Strike::new());
    }
    run
}

/// A field (`PAGE`, `NUMPAGES`) with `shown` as its last computed result.
fn field(children: &mut Vec<ParagraphChild>, style: &RunStyle, instr: InstrText, shown: &str) {
    for run in [
        run(style).add_field_char(FieldCharType::Begin, true),
        run(style).add_instr_text(instr),
        run(style).add_field_char(FieldCharType::Separate, false),
        run(style).add_text(shown),
        run(style).add_field_char(FieldCharType::End, false),
    ] {
        children.push(ParagraphChild::Run(Box::new(run)));
    }
}

/// Spacing of a paragraph whose largest text is `size` points: lines at
/// least `line_height` × `size` apart, as the PDF layout sets them (Word's
/// "multiple" spacing would multiply the font's own, taller line instead).
fn line_spacing(style: &ParaStyle, size: f32) -> LineSpacing {
    LineSpacing::new()
        .before(utwips(style.space_before) as u32)
        .after(utwips(style.space_after) as u32)
        .line(twips(style.line_height * size))
        .line_rule(LineSpacingType::AtLeast)
}

fn set_para_style(prop: &mut docx_rs::ParagraphProperty, style: &ParaStyle, size: f32) {
    if style.align != Align::Left {
        prop.alignment = Some(docx_rs::Justification::new(
            alignment(style.align).to_string(),
        ));
    }
    prop.line_spacing = Some(line_spacing(style, size));
    // Widow and orphan control is on in the document defaults
    // (`pack::widow_control_by_default`).
    if style.orphans <= 1 && style.widows <= 1 {
        prop.widow_control = Some(false);
    }
    if style.indent > 0.0 {
        prop.indent = Some(docx_rs::Indent::new(
            Some(twips(style.indent)),
            None,
            None,
            None,
        ));
    }
    if style.keep_with_next {
        prop.keep_next = Some(true);
    }
    if let Some(bg) = style.background {
        prop.shading = Some(Shading::new().fill(hex(bg)).color("auto"));
    }
}

/// Whether a paragraph's first strong character is right-to-left.
fn is_rtl(inlines: &[Inline]) -> bool {
    for inline in inlines {
        if let Inline::Text { text, .. } = inline {
            for ch in text.chars() {
                match unicode_bidi::bidi_class(ch) {
                    unicode_bidi::BidiClass::R | unicode_bidi::BidiClass::AL => return true,
                    unicode_bidi::BidiClass::L => return false,
                    _ => {}
                }
            }
        }
    }
    false
}

fn heading(level: u8) -> Style {
    let size = [24.0f32, 18.0, 14.0, 12.0, 11.0, 10.0][usize::from(level - 1)];
    Style::new(heading_style(level), StyleType::Paragraph)
        .name(format!("heading {level}"))
        .based_on("Normal")
        .next("Normal")
        .q_format(true)
        .bold()
        .size((size * 2.0) as usize)
        .outline_lvl(usize::from(level - 1))
        .line_spacing(
            LineSpacing::new()
                .before(utwips(size * 0.8) as u32)
                .after(utwips(size * 0.4) as u32),
        )
}

fn named_style(style: &crate::doc::NamedStyle) -> Style {
    let r = &style.run;
    let mut s = Style::new(style_id(&style.name), StyleType::Paragraph)
        .name(style.name.clone())
        .based_on("Normal")
        .q_format(true)
        .fonts(fonts(&r.font))
        .size((r.size * 2.0).round() as usize)
        .color(hex(r.color))
        .align(alignment(style.para.align))
        .line_spacing(line_spacing(&style.para, r.size));
    if r.bold {
        s = s.bold();
    }
    if r.italic {
        s = s.italic();
    }
    if r.underline {
        s = s.underline("single");
    }
    s
}

/// Level `n` of a list: bullets (•, ◦, ▪ in turn) or decimal numbers, each
/// level indented by a further 18 pt with a hanging marker.
fn abstract_numbering(id: usize, ordered: bool) -> AbstractNumbering {
    let mut numbering = AbstractNumbering::new(id);
    for level in 0..9usize {
        let (format, text) = if ordered {
            ("decimal", format!("%{}.", level + 1))
        } else {
            ("bullet", ["•", "◦", "▪"][level % 3].to_string())
        };
        numbering = numbering.add_level(
            Level::new(
                level,
                Start::new(1),
                NumberFormat::new(format),
                LevelText::new(text),
                LevelJc::new("left"),
            )
            .indent(
                Some(twips(18.0 * (level as f32 + 1.0))),
                Some(SpecialIndentType::Hanging(twips(14.0))),
                None,
                None,
            ),
        );
    }
    numbering
}

/// `docProps/core.xml`: title, subject, author, keywords and the creation
/// date (the job's, or a fixed one so output is reproducible).
fn core_properties(meta: &crate::doc::Metadata) -> Vec<u8> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let date = meta.created.as_deref().filter(|d| d.len() >= 10).map_or(
        "1980-01-01T00:00:00Z".to_string(),
        |d| {
            if d.len() == 10 {
                format!("{d}T00:00:00Z")
            } else {
                d.to_string()
            }
        },
    );
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#,
    );
    let mut tag = |name: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            xml.push_str(&format!("<{name}>{}</{name}>", esc(v)));
        }
    };
    tag("dc:title", meta.title.as_deref());
    tag("dc:subject", meta.subject.as_deref());
    tag("dc:creator", meta.author.as_deref());
    let keywords = meta.keywords.join(", ");
    tag("cp:keywords", Some(&keywords));
    tag("dc:language", meta.language.as_deref());
    tag("cp:lastModifiedBy", Some("docsmith"));
    xml.push_str(&format!(
        r#"<dcterms:created xsi:type="dcterms:W3CDTF">{0}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{0}</dcterms:modified></cp:coreProperties>"#,
        esc(&date)
    ));
    xml.into_bytes()
}
