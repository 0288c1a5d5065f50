//! Slices and the flow that places them on pages.
//!
//! Every block is cut into [`Slice`]s: a line of a paragraph, a table row, an
//! image. A slice is never split; a page may break between two slices unless
//! the first says `keep_with_next` (headings, the first and last lines of a
//! paragraph for orphans/widows, table header rows). Blocks inside table
//! cells, list items and columns are stacked into a `Vec<Slice>` first; blocks
//! at the top level go straight into the [`Flow`], which emits each page as
//! soon as it is full.

use super::{Field, Item};

/// A horizontal strip of drawing, placed as a unit.
#[derive(Debug, Clone, Default)]
pub struct Slice {
    pub height: f32,
    /// Relative to the slice's top-left corner.
    pub items: Vec<Item>,
    pub fields: Vec<Field>,
    /// Space wanted above; collapses with the previous slice's `space_after`
    /// (the larger wins) and is dropped at the top of a page.
    pub space_before: f32,
    pub space_after: f32,
    pub keep_with_next: bool,
    /// Baseline of the first line, from the top (list markers align to it).
    pub baseline: Option<f32>,
}

impl Slice {
    pub fn new(height: f32) -> Slice {
        Slice {
            height,
            ..Slice::default()
        }
    }

    pub fn translate(&mut self, dx: f32, dy: f32) {
        for item in &mut self.items {
            item.translate(dx, dy);
        }
        for field in &mut self.fields {
            field.x += dx;
            field.y += dy;
        }
    }
}

/// Where laid-out slices go.
pub trait SliceSink {
    fn push(&mut self, slice: Slice);
    /// Slices placed again at the top of every following page (table header
    /// rows) until [`SliceSink::end_repeat`].
    fn begin_repeat(&mut self, _slices: Vec<Slice>) {}
    fn end_repeat(&mut self) {}
    /// Starts a new page; meaningless inside a cell.
    fn page_break(&mut self) {}
    /// Height available for a slice on an empty page.
    fn page_height(&self) -> f32 {
        f32::INFINITY
    }
}

impl SliceSink for Vec<Slice> {
    fn push(&mut self, slice: Slice) {
        Vec::push(self, slice);
    }
}

/// Height of slices stacked with collapsed spacing, and the offset of each.
pub fn stack(slices: &[Slice]) -> (f32, Vec<f32>) {
    let mut y = 0.0;
    let mut offsets = Vec::with_capacity(slices.len());
    let mut prev_after: Option<f32> = None;
    for slice in slices {
        if let Some(after) = prev_after {
            y += after.max(slice.space_before);
        }
        offsets.push(y);
        y += slice.height;
        prev_after = Some(slice.space_after);
    }
    (y, offsets)
}

/// A finished page of body content.
#[derive(Debug, Default)]
pub struct FlowPage {
    pub items: Vec<Item>,
    pub fields: Vec<Field>,
}

/// Places slices into the body area of successive pages.
pub struct Flow<'a> {
    x: f32,
    top: f32,
    bottom: f32,
    cursor: f32,
    /// Something other than repeated headers is on the current page.
    has_content: bool,
    prev_after: Option<f32>,
    page: FlowPage,
    pages: usize,
    pending: Vec<Slice>,
    repeat: Vec<Vec<Slice>>,
    /// Stacked height of each entry of `repeat`.
    repeat_heights: Vec<f32>,
    sink: &'a mut dyn FnMut(FlowPage),
}

impl<'a> Flow<'a> {
    /// A flow into the box from (x, top) to `bottom`; full pages go to `sink`.
    pub fn new(x: f32, top: f32, bottom: f32, sink: &'a mut dyn FnMut(FlowPage)) -> Flow<'a> {
        Flow {
            x,
            top,
            bottom,
            cursor: top,
            has_content: false,
            prev_after: None,
            page: FlowPage::default(),
            pages: 0,
            pending: Vec::new(),
            repeat: Vec::new(),
            repeat_heights: Vec::new(),
            sink,
        }
    }

    fn gap(&self, slice: &Slice) -> f32 {
        match self.prev_after {
            Some(after) if self.cursor > self.top => after.max(slice.space_before),
            _ => 0.0,
        }
    }

    fn new_page(&mut self) {
        let page = std::mem::take(&mut self.page);
        (self.sink)(page);
        self.pages += 1;
        self.cursor = self.top;
        self.prev_after = None;
        self.has_content = false;
        let repeat: Vec<Slice> = self.repeat.iter().flatten().cloned().collect();
        for slice in repeat {
            self.place(slice);
        }
    }

    fn place(&mut self, mut slice: Slice) {
        let gap = self.gap(&slice);
        let y = self.cursor + gap;
        slice.translate(self.x, y);
        self.page.items.append(&mut slice.items);
        self.page.fields.append(&mut slice.fields);
        self.cursor = y + slice.height;
        self.prev_after = Some(slice.space_after);
    }

    fn place_group(&mut self) {
        let group = std::mem::take(&mut self.pending);
        let total: f32 = {
            let (h, _) = stack(&group);
            h + group.first().map_or(0.0, |s| self.gap(s))
        };
        if self.has_content
            && self.cursor + total > self.bottom + 0.01
            && total <= self.room_on_new_page()
        {
            self.new_page();
        }
        for slice in group {
            let needed = self.gap(&slice) + slice.height;
            if self.has_content && self.cursor + needed > self.bottom + 0.01 {
                self.new_page();
            }
            self.place(slice);
            self.has_content = true;
        }
    }

    /// Height a group has on a fresh page, below the repeated headers.
    fn room_on_new_page(&self) -> f32 {
        self.bottom - self.top - self.repeat_heights.iter().sum::<f32>()
    }

    /// Places what is pending and emits the last page. Returns the page count.
    pub fn finish(mut self) -> usize {
        if !self.pending.is_empty() {
            self.place_group();
        }
        let page = std::mem::take(&mut self.page);
        (self.sink)(page);
        self.pages + 1
    }
}

impl SliceSink for Flow<'_> {
    fn push(&mut self, slice: Slice) {
        let keep = slice.keep_with_next;
        self.pending.push(slice);
        if !keep {
            self.place_group();
        }
    }

    fn begin_repeat(&mut self, slices: Vec<Slice>) {
        self.repeat_heights.push(stack(&slices).0);
        self.repeat.push(slices);
    }

    fn end_repeat(&mut self) {
        self.repeat.pop();
        self.repeat_heights.pop();
    }

    fn page_break(&mut self) {
        if !self.pending.is_empty() {
            self.place_group();
        }
        if self.has_content {
            self.new_page();
        }
    }

    fn page_height(&self) -> f32 {
        self.room_on_new_page()
    }
}
