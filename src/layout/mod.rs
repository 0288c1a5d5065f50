//! The layout engine: a [`Document`](crate::doc::Document) in, positioned
//! pages out.
//!
//! Text is shaped ([`text`]), blocks are measured and cut into slices
//! ([`block`], [`table`]), and the [`flow::Flow`] places slices on pages,
//! handing each finished page to a sink as soon as it is full — a table of
//! 100,000 rows never exists as a whole layout. Header, footer and
//! page-count fields are drawn once the page count is known ([`paginate`]).
//!
//! Coordinates are points with the origin at the top-left corner of the page
//! and y growing downwards; the writer converts to PDF space. Nothing here
//! knows about PDF.

pub mod block;
pub mod flow;
pub mod paginate;
pub mod table;
pub mod text;

use std::sync::Arc;

use crate::doc::{Color, ImageData, RunStyle};
use crate::fonts::FaceId;

pub use paginate::{LayoutError, LayoutLimits, Pagination, finish_page, paginate};

/// One glyph, positioned relative to the pen.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub gid: u16,
    /// How far the pen moves after this glyph, in points (kerning and
    /// justification included).
    pub advance: f32,
    /// Offset of the glyph from the pen, in points (marks, Arabic).
    pub dx: f32,
    pub dy: f32,
    /// The character this glyph stands for, when its cluster is one
    /// character; `'\0'` for glyphs after the first of a cluster.
    pub ch: char,
    /// The text of a cluster of several characters drawn by this glyph
    /// (ligatures such as "fi", Arabic lam-alef).
    pub text: Option<Box<str>>,
}

/// Glyphs of one face, size and colour on one baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct GlyphRun {
    pub face: FaceId,
    pub size: f32,
    pub color: Color,
    /// Pen position of the first glyph: left end of the run, on the baseline.
    pub x: f32,
    pub y: f32,
    pub glyphs: Vec<Glyph>,
}

/// A drawing instruction on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Glyphs(GlyphRun),
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Color,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Color,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        data: Arc<ImageData>,
    },
    /// A clickable area.
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        target: Arc<str>,
    },
}

impl Item {
    /// Moves the item by (dx, dy).
    pub fn translate(&mut self, dx: f32, dy: f32) {
        match self {
            Item::Glyphs(run) => {
                run.x += dx;
                run.y += dy;
            }
            Item::Rect { x, y, .. } | Item::Image { x, y, .. } | Item::Link { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
            Item::Line { x1, y1, x2, y2, .. } => {
                *x1 += dx;
                *x2 += dx;
                *y1 += dy;
                *y2 += dy;
            }
        }
    }
}

/// A page number or page count, drawn once its value is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub kind: FieldKind,
    pub style: RunStyle,
    /// Left end of the slot and its baseline.
    pub x: f32,
    pub y: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    PageNumber,
    PageCount,
}

/// A finished page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub items: Vec<Item>,
}
