//! Blocks → slices: paragraphs, lists, images, codes, rules, columns.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::flow::{Slice, SliceSink, stack};
use super::table;
use super::text::{FieldValues, Frame, ShapedText};
use super::{Item, LayoutError};
use crate::codes;
use crate::doc::{
    Align, Barcode, Block, ColWidth, Columns, Image, Inline, List, Paragraph, Qr, QrLevel, Rule,
    RunStyle,
};
use crate::fonts::FontBook;

/// What block layout needs besides the blocks.
pub struct Ctx<'a> {
    pub book: &'a FontBook,
    /// Page fields known up front (header/footer are laid out per page).
    pub fields: FieldValues,
    /// Paragraphs shaped while measuring table columns, by address, taken
    /// out again when the paragraph is laid out (so each is shaped once).
    pub measured: RefCell<HashMap<usize, Rc<ShapedText>>>,
    /// Cancellation and deadline of the job, checked between table rows.
    pub render: Option<&'a crate::render_ctx::RenderCtx>,
}

impl<'a> Ctx<'a> {
    pub fn new(book: &'a FontBook, fields: FieldValues) -> Ctx<'a> {
        Ctx {
            book,
            fields,
            measured: RefCell::new(HashMap::new()),
            render: None,
        }
    }

    /// Stops the layout when the job is cancelled or past its deadline.
    pub fn check(&self) -> Result<(), LayoutError> {
        match self.render {
            Some(render) => Ok(render.check()?),
            None => Ok(()),
        }
    }

    /// The shaped text of `p`, from measuring if it was measured.
    fn shaped(&self, p: &Paragraph, keep: bool) -> Rc<ShapedText> {
        let key = p as *const Paragraph as usize;
        let found = if keep {
            self.measured.borrow().get(&key).cloned()
        } else {
            self.measured.borrow_mut().remove(&key)
        };
        found.unwrap_or_else(|| {
            let shaped = Rc::new(ShapedText::new(self.book, &p.inlines, self.fields));
            if keep {
                self.measured.borrow_mut().insert(key, shaped.clone());
            }
            shaped
        })
    }
}

/// Lays out `blocks` in a column `width` points wide.
pub fn blocks(
    ctx: &Ctx<'_>,
    blocks: &[Block],
    width: f32,
    out: &mut dyn SliceSink,
) -> Result<(), LayoutError> {
    for block in blocks {
        self::block(ctx, block, width, out)?;
    }
    Ok(())
}

fn block(
    ctx: &Ctx<'_>,
    block: &Block,
    width: f32,
    out: &mut dyn SliceSink,
) -> Result<(), LayoutError> {
    match block {
        Block::Paragraph(p) => paragraph(ctx, p, width, out),
        Block::List(list) => self::list(ctx, list, width, 0, out)?,
        Block::Table(t) => table::table(ctx, t, width, out)?,
        Block::Image(img) => image(img, width, out.page_height(), out),
        Block::Columns(cols) => columns(ctx, cols, width, out)?,
        Block::Spacer(h) => out.push(Slice::new(h.min(out.page_height()))),
        Block::PageBreak => out.page_break(),
        Block::Rule(rule) => self::rule(rule, width, out),
        Block::Qr(qr) => self::qr(qr, width, out)?,
        Block::Barcode(bc) => barcode(ctx, bc, width, out)?,
    }
    Ok(())
}

/// A paragraph, one slice per line.
pub fn paragraph(ctx: &Ctx<'_>, p: &Paragraph, width: f32, out: &mut dyn SliceSink) {
    let style = &p.style;
    let shaped = ctx.shaped(p, false);
    let avail = (width - style.indent).max(1.0);
    let lines = shaped.lines(avail, style.line_height);
    let n = lines.len();
    let orphans = usize::from(style.orphans.max(1));
    let widows = usize::from(style.widows.max(1));
    for (i, line) in lines.iter().enumerate() {
        let mut slice = Slice::new(line.height);
        if let Some(bg) = style.background {
            slice.items.push(Item::Rect {
                x: 0.0,
                y: 0.0,
                w: width,
                h: line.height,
                fill: bg,
            });
        }
        let frame = Frame {
            align: style.align,
            x: style.indent,
            y: 0.0,
            width: avail,
        };
        shaped.place(line, frame, &mut slice);
        slice.baseline = Some(line.baseline);
        if i == 0 {
            slice.space_before = style.space_before;
        }
        let last = i + 1 == n;
        if last {
            slice.space_after = style.space_after;
            slice.keep_with_next = style.keep_with_next;
        } else {
            slice.keep_with_next = i + 1 < orphans || i + 1 + widows >= n;
        }
        out.push(slice);
    }
}

/// Natural (unbroken) and minimal widths of blocks, for auto table columns.
pub fn measure(ctx: &Ctx<'_>, blocks: &[Block]) -> (f32, f32) {
    let mut max: f32 = 0.0;
    let mut min: f32 = 0.0;
    for block in blocks {
        let (bmax, bmin) = match block {
            Block::Paragraph(p) => {
                let shaped = ctx.shaped(p, true);
                (
                    shaped.max_width() + p.style.indent,
                    shaped.min_width() + p.style.indent,
                )
            }
            Block::Image(img) => {
                let w = img.width.unwrap_or(img.data.pixel_width as f32 * 0.75);
                (w, w.min(36.0))
            }
            Block::Qr(qr) => (qr.size, qr.size),
            Block::Barcode(bc) => {
                let w = bc.width.unwrap_or(120.0);
                (w, w)
            }
            Block::List(list) => {
                let (a, b) = list
                    .items
                    .iter()
                    .map(|item| measure(ctx, item))
                    .fold((0.0f32, 0.0f32), |acc, m| (acc.0.max(m.0), acc.1.max(m.1)));
                (a + LIST_INDENT, b + LIST_INDENT)
            }
            Block::Table(t) => table::measure(ctx, t),
            Block::Columns(cols) => {
                let gaps = cols.gap * cols.columns.len().saturating_sub(1) as f32;
                cols.columns
                    .iter()
                    .map(|c| match c.width {
                        ColWidth::Fixed(w) => (w, w),
                        _ => measure(ctx, &c.blocks),
                    })
                    .fold((gaps, gaps), |acc, m| (acc.0 + m.0, acc.1 + m.1))
            }
            _ => (0.0, 0.0),
        };
        max = max.max(bmax);
        min = min.max(bmin);
    }
    (max, min)
}

/// Indent of list items, per level.
const LIST_INDENT: f32 = 18.0;

fn list(
    ctx: &Ctx<'_>,
    list: &List,
    width: f32,
    depth: usize,
    out: &mut dyn SliceSink,
) -> Result<(), LayoutError> {
    let inner = (width - LIST_INDENT).max(1.0);
    for (n, item) in list.items.iter().enumerate() {
        let mut slices: Vec<Slice> = Vec::new();
        for block in item {
            match block {
                Block::List(nested) => self::list(ctx, nested, inner, depth + 1, &mut slices)?,
                other => self::block(ctx, other, inner, &mut slices)?,
            }
        }
        let marker = if list.ordered {
            format!("{}.", list.start as usize + n)
        } else {
            ["•", "◦", "▪"][depth % 3].to_string()
        };
        let mut first = true;
        for mut slice in slices {
            slice.translate(LIST_INDENT, 0.0);
            if first {
                let baseline = slice.baseline.unwrap_or(list.marker_style.size);
                marker_items(ctx, &marker, &list.marker_style, baseline, &mut slice);
                first = false;
            }
            out.push(slice);
        }
    }
    Ok(())
}

/// Draws a list marker right-aligned in the indent, on the first baseline.
fn marker_items(ctx: &Ctx<'_>, marker: &str, style: &RunStyle, baseline: f32, slice: &mut Slice) {
    let inlines = [Inline::Text {
        text: marker.to_string(),
        style: style.clone(),
    }];
    let shaped = ShapedText::new(ctx.book, &inlines, ctx.fields);
    let lines = shaped.lines(f32::INFINITY, 1.0);
    if let Some(line) = lines.first() {
        let gutter = LIST_INDENT - 4.0;
        let frame = Frame {
            align: Align::Right,
            x: 0.0,
            y: baseline - line.baseline,
            width: gutter,
        };
        shaped.place(line, frame, slice);
    }
}

/// The size an image gets: its box (aspect kept), or its natural size at
/// 96 dpi, never wider than `width` nor taller than `max_height`.
pub fn image_size(img: &Image, width: f32, max_height: f32) -> (f32, f32) {
    let (pw, ph) = (img.data.pixel_width as f32, img.data.pixel_height as f32);
    let aspect = ph / pw;
    let (mut w, mut h) = match (img.width, img.height) {
        (Some(w), Some(h)) => {
            let scale = (w / pw).min(h / ph);
            (pw * scale, ph * scale)
        }
        (Some(w), None) => (w, w * aspect),
        (None, Some(h)) => (h / aspect, h),
        (None, None) => (pw * 0.75, ph * 0.75),
    };
    if w > width {
        w = width;
        h = w * aspect;
    }
    if h > max_height {
        h = max_height;
        w = h / aspect;
    }
    (w, h)
}

fn aligned(align: Align, width: f32, inner: f32) -> f32 {
    match align {
        Align::Right => width - inner,
        Align::Center => (width - inner) / 2.0,
        Align::Left | Align::Justify => 0.0,
    }
}

fn image(img: &Image, width: f32, max_height: f32, out: &mut dyn SliceSink) {
    let (w, h) = image_size(img, width, max_height);
    let mut slice = Slice::new(h);
    slice.items.push(Item::Image {
        x: aligned(img.align, width, w),
        y: 0.0,
        w,
        h,
        data: img.data.clone(),
    });
    slice.space_after = img.space_after;
    out.push(slice);
}

fn rule(rule: &Rule, width: f32, out: &mut dyn SliceSink) {
    let mut slice = Slice::new(rule.stroke.width);
    let y = rule.stroke.width / 2.0;
    slice.items.push(Item::Line {
        x1: 0.0,
        y1: y,
        x2: width,
        y2: y,
        width: rule.stroke.width,
        color: rule.stroke.color,
    });
    slice.space_before = rule.space_before;
    slice.space_after = rule.space_after;
    out.push(slice);
}

fn qr(qr: &Qr, width: f32, out: &mut dyn SliceSink) -> Result<(), LayoutError> {
    let level = match qr.level {
        QrLevel::Low => codes::EcLevel::Low,
        QrLevel::Medium => codes::EcLevel::Medium,
        QrLevel::Quartile => codes::EcLevel::Quartile,
        QrLevel::High => codes::EcLevel::High,
    };
    let code = codes::qr(&qr.data, level).map_err(|e| LayoutError::Code(e.to_string()))?;
    let size = qr.size.min(width);
    // Four modules of quiet zone on each side.
    let module = size / (code.size() + 8) as f32;
    let x0 = aligned(qr.align, width, size) + module * 4.0;
    let y0 = module * 4.0;
    let mut slice = Slice::new(size);
    for (x, y, w) in code.dark_rects() {
        slice.items.push(Item::Rect {
            x: x0 + x as f32 * module,
            y: y0 + y as f32 * module,
            w: w as f32 * module,
            h: module,
            fill: qr.color,
        });
    }
    slice.space_after = qr.space_after;
    out.push(slice);
    Ok(())
}

fn barcode(
    ctx: &Ctx<'_>,
    bc: &Barcode,
    width: f32,
    out: &mut dyn SliceSink,
) -> Result<(), LayoutError> {
    let code = codes::code128(&bc.data).map_err(|e| LayoutError::Code(e.to_string()))?;
    // Ten modules of quiet zone on each side.
    let modules = code.total_modules() + 20;
    let total = bc.width.unwrap_or(modules as f32).min(width);
    let module = total / modules as f32;
    let x0 = aligned(bc.align, width, total) + module * 10.0;
    let mut slice = Slice::new(bc.height);
    for (x, w) in code.bars() {
        slice.items.push(Item::Rect {
            x: x0 + x as f32 * module,
            y: 0.0,
            w: w as f32 * module,
            h: bc.height,
            fill: bc.color,
        });
    }
    if bc.human_readable {
        let style = RunStyle {
            size: 8.0,
            color: bc.color,
            ..RunStyle::default()
        };
        let inlines = [Inline::Text {
            text: bc.data.clone(),
            style,
        }];
        let shaped = ShapedText::new(ctx.book, &inlines, ctx.fields);
        if let Some(line) = shaped.lines(f32::INFINITY, 1.2).first() {
            let frame = Frame {
                align: Align::Center,
                x: x0 - module * 10.0,
                y: bc.height + 1.0,
                width: total,
            };
            shaped.place(line, frame, &mut slice);
            slice.height += line.height + 1.0;
        }
    }
    slice.space_after = bc.space_after;
    out.push(slice);
    Ok(())
}

fn columns(
    ctx: &Ctx<'_>,
    cols: &Columns,
    width: f32,
    out: &mut dyn SliceSink,
) -> Result<(), LayoutError> {
    let widths = column_widths(ctx, cols, width);
    let mut slice = Slice::default();
    let mut x = 0.0;
    for (col, w) in cols.columns.iter().zip(&widths) {
        let mut stacked: Vec<Slice> = Vec::new();
        blocks(ctx, &col.blocks, *w, &mut stacked)?;
        let (height, offsets) = stack(&stacked);
        for (mut s, y) in stacked.into_iter().zip(offsets) {
            s.translate(x, y);
            slice.items.append(&mut s.items);
            slice.fields.append(&mut s.fields);
        }
        slice.height = slice.height.max(height);
        x += w + cols.gap;
    }
    slice.space_after = cols.space_after;
    out.push(slice);
    Ok(())
}

/// The widths of the columns of `cols` in `width` points (gaps excluded).
fn column_widths(ctx: &Ctx<'_>, cols: &Columns, width: f32) -> Vec<f32> {
    let specs: Vec<_> = cols.columns.iter().map(|c| c.width).collect();
    let gaps = cols.gap * cols.columns.len().saturating_sub(1) as f32;
    let measures: Vec<(f32, f32)> = cols
        .columns
        .iter()
        .map(|c| measure(ctx, &c.blocks))
        .collect();
    table::resolve_widths(&specs, &measures, width - gaps)
}

/// The widths the PDF layout gives the columns of `cols` in `width` points
/// (gaps excluded), for writers that lay out columns themselves (DOCX).
pub fn column_widths_for(book: &FontBook, cols: &Columns, width: f32) -> Vec<f32> {
    column_widths(&Ctx::new(book, Default::default()), cols, width)
}
