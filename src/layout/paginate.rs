//! The whole document: body pages through the flow, then header, footer and
//! page fields once the page count is known.

use std::cell::Cell;

use super::block::{self, Ctx};
use super::flow::{Flow, FlowPage, Slice, stack};
use super::text::{FieldValues, Frame, ShapedText};
use super::{Field, FieldKind, Item, Page};
use crate::doc::{Block, Document, Inline};
use crate::fonts::FontBook;
use crate::render_ctx::{Interrupted, RenderCtx};

/// Limits a layout enforces.
#[derive(Debug, Clone, Copy)]
pub struct LayoutLimits {
    pub max_pages: usize,
}

/// Default for [`LayoutLimits::max_pages`].
pub const DEFAULT_MAX_PAGES: usize = 10_000;

impl Default for LayoutLimits {
    fn default() -> Self {
        Self {
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("the document needs more than {0} pages (the page limit)")]
    TooManyPages(usize),
    #[error("{0}")]
    Code(String),
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// Space between the header and the body, and the body and the footer.
const HEADER_GAP: f32 = 8.0;

/// Lays out the body of `doc`, handing each page to `emit` as soon as it is
/// full, and returns the page count. Header, footer and page fields are drawn
/// afterwards by [`finish_page`].
pub fn paginate(
    book: &FontBook,
    doc: &Document,
    limits: LayoutLimits,
    render: &RenderCtx,
    emit: &mut dyn FnMut(usize, Page),
) -> Result<Pagination, LayoutError> {
    let page = doc.page;
    let body_width = page.width - page.margin.left - page.margin.right;
    let header_h = decoration_height(book, &doc.header, body_width)?;
    let footer_h = decoration_height(book, &doc.footer, body_width)?;
    let top = page.margin.top
        + if header_h > 0.0 {
            header_h + HEADER_GAP
        } else {
            0.0
        };
    let bottom = page.height
        - page.margin.bottom
        - if footer_h > 0.0 {
            footer_h + HEADER_GAP
        } else {
            0.0
        };
    let bottom = bottom.max(top + 36.0);
    let too_many = Cell::new(false);
    let mut counts: Vec<(usize, Vec<Field>)> = Vec::new();
    let mut index = 0usize;
    let mut sink = |flow_page: FlowPage| {
        if index >= limits.max_pages {
            too_many.set(true);
            return;
        }
        let mut items = flow_page.items;
        // Page numbers in the body are known now; page counts are not.
        let mut later = Vec::new();
        for field in flow_page.fields {
            match field.kind {
                FieldKind::PageNumber => field_items(book, &field, index as u32 + 1, &mut items),
                FieldKind::PageCount => later.push(field),
            }
        }
        emit(
            index,
            Page {
                width: page.width,
                height: page.height,
                items,
            },
        );
        if !later.is_empty() {
            counts.push((index, later));
        }
        index += 1;
    };
    let mut flow = Flow::new(page.margin.left, top, bottom, &mut sink);
    let mut ctx = Ctx::new(book, FieldValues::default());
    ctx.render = Some(render);
    for block in &doc.content {
        render.check()?;
        block::blocks(&ctx, std::slice::from_ref(block), body_width, &mut flow)?;
        if too_many.get() {
            return Err(LayoutError::TooManyPages(limits.max_pages));
        }
    }
    let count = flow.finish();
    if too_many.get() || count > limits.max_pages {
        return Err(LayoutError::TooManyPages(limits.max_pages));
    }
    Ok(Pagination {
        count,
        page_count_fields: counts,
    })
}

/// The outcome of [`paginate`].
#[derive(Debug)]
pub struct Pagination {
    pub count: usize,
    /// Page-count fields in the body, by page index, drawn by [`finish_page`].
    pub page_count_fields: Vec<(usize, Vec<Field>)>,
}

/// What to draw on page `index` (0-based) of `count` once the body is done:
/// header, footer and the body's page-count fields.
pub fn finish_page(
    book: &FontBook,
    doc: &Document,
    index: usize,
    count: usize,
    page_count_fields: &[Field],
) -> Result<Vec<Item>, LayoutError> {
    let page = doc.page;
    let width = page.width - page.margin.left - page.margin.right;
    let fields = FieldValues {
        page: Some(index as u32 + 1),
        count: Some(count as u32),
    };
    let mut items = Vec::new();
    let header = decoration(book, &doc.header, width, fields)?;
    let (_, offsets) = stack(&header);
    for (mut s, y) in header.into_iter().zip(offsets) {
        s.translate(page.margin.left, page.margin.top + y);
        items.append(&mut s.items);
    }
    let footer = decoration(book, &doc.footer, width, fields)?;
    let (height, offsets) = stack(&footer);
    let footer_top = page.height - page.margin.bottom - height;
    for (mut s, y) in footer.into_iter().zip(offsets) {
        s.translate(page.margin.left, footer_top + y);
        items.append(&mut s.items);
    }
    for field in page_count_fields {
        field_items(book, field, count as u32, &mut items);
    }
    Ok(items)
}

fn decoration(
    book: &FontBook,
    blocks: &[Block],
    width: f32,
    fields: FieldValues,
) -> Result<Vec<Slice>, LayoutError> {
    let ctx = Ctx::new(book, fields);
    let mut slices: Vec<Slice> = Vec::new();
    block::blocks(&ctx, blocks, width, &mut slices)?;
    Ok(slices)
}

fn decoration_height(book: &FontBook, blocks: &[Block], width: f32) -> Result<f32, LayoutError> {
    if blocks.is_empty() {
        return Ok(0.0);
    }
    let fields = FieldValues {
        page: Some(1),
        count: Some(1),
    };
    Ok(stack(&decoration(book, blocks, width, fields)?).0)
}

/// Draws a page field's value in its slot.
fn field_items(book: &FontBook, field: &Field, value: u32, items: &mut Vec<Item>) {
    let inlines = [Inline::Text {
        text: value.to_string(),
        style: field.style.clone(),
    }];
    let shaped = ShapedText::new(book, &inlines, FieldValues::default());
    if let Some(line) = shaped.lines(f32::INFINITY, 1.0).first() {
        let frame = Frame {
            align: crate::doc::Align::Left,
            x: field.x,
            y: field.y - line.baseline,
            width: line.width,
        };
        let mut slice = Slice::default();
        shaped.place(line, frame, &mut slice);
        items.append(&mut slice.items);
    }
}
