//! The validated document: what the PDF and DOCX generators trust.
//!
//! Every style is already resolved here (document defaults → named style →
//! element defaults → attributes → inline elements), so a generator never
//! cascades anything itself; the name of the named style a block used is kept
//! for generators that have styles of their own (DOCX). Lengths are points
//! (1/72 inch), colours are sRGB.

use std::sync::Arc;

/// A whole document: page setup, metadata, header/footer and content.
#[derive(Debug, Clone)]
pub struct Document {
    pub page: PageSetup,
    pub metadata: Metadata,
    /// Named styles as declared, for generators that keep styles (DOCX).
    pub styles: Vec<NamedStyle>,
    /// Drawn at the top of every page, inside the margins, above the content.
    pub header: Vec<Block>,
    /// Drawn at the bottom of every page, inside the margins, below the content.
    pub footer: Vec<Block>,
    pub content: Vec<Block>,
}

/// Page size and margins, in points. Orientation is already applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageSetup {
    pub width: f32,
    pub height: f32,
    pub margin: Edges,
}

impl Default for PageSetup {
    fn default() -> Self {
        Self {
            width: 595.276,
            height: 841.89,
            margin: Edges::all(56.69), // 20 mm
        }
    }
}

/// Four lengths, clockwise from the top like CSS.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Edges {
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
    pub left: f32,
}

impl Edges {
    pub const fn all(v: f32) -> Self {
        Self {
            top: v,
            right: v,
            bottom: v,
            left: v,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub keywords: Vec<String>,
    /// BCP 47 language tag of the content (`de-DE`).
    pub language: Option<String>,
    /// Creation date as given by the job (ISO 8601); generators use a fixed
    /// date when absent so output is reproducible.
    pub created: Option<String>,
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Color {
    pub const BLACK: Color = Color { r: 0, g: 0, b: 0 };
    pub const WHITE: Color = Color {
        r: 255,
        g: 255,
        b: 255,
    };
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Align {
    #[default]
    Left,
    Right,
    Center,
    Justify,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VAlign {
    #[default]
    Top,
    Middle,
    Bottom,
}

/// How one run of text looks. Fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStyle {
    /// Font family name, looked up in the font book (fallbacks are per glyph).
    pub font: Arc<str>,
    /// Size in points.
    pub size: f32,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    pub color: Color,
    /// Target of a hyperlink (`https:`, `mailto:` or `#anchor`).
    pub link: Option<Arc<str>>,
}

impl Default for RunStyle {
    fn default() -> Self {
        Self {
            font: Arc::from(DEFAULT_FONT),
            size: 10.0,
            bold: false,
            italic: false,
            underline: false,
            strike: false,
            color: Color::BLACK,
            link: None,
        }
    }
}

/// The family the built-in fonts provide and documents use unless they say otherwise.
pub const DEFAULT_FONT: &str = "Noto Sans";

/// How a paragraph is set. Fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ParaStyle {
    pub align: Align,
    /// Line height as a multiple of the font size.
    pub line_height: f32,
    pub space_before: f32,
    pub space_after: f32,
    /// Left indent of every line, in points.
    pub indent: f32,
    /// Filled behind the paragraph's box.
    pub background: Option<Color>,
    /// Keep this paragraph on the same page as the next block (headings).
    pub keep_with_next: bool,
    /// Smallest number of lines left at the bottom of a page / carried to the
    /// next one when a paragraph breaks (orphans / widows).
    pub orphans: u8,
    pub widows: u8,
}

impl Default for ParaStyle {
    fn default() -> Self {
        Self {
            align: Align::Left,
            line_height: 1.3,
            space_before: 0.0,
            space_after: 6.0,
            indent: 0.0,
            background: None,
            keep_with_next: false,
            orphans: 2,
            widows: 2,
        }
    }
}

/// A named style as declared (`<style name="note" size="8"/>`): the
/// attributes it sets, unresolved, so DOCX can emit a Word style.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedStyle {
    pub name: String,
    /// Resolved against the document defaults (what a paragraph with only this
    /// style would look like).
    pub run: RunStyle,
    pub para: ParaStyle,
}

/// One piece of a paragraph.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text {
        text: String,
        style: RunStyle,
    },
    /// A forced line break (`<br/>`).
    Break,
    /// The current page number, `1`-based.
    PageNumber(RunStyle),
    /// The number of pages in the document.
    PageCount(RunStyle),
}

/// A block of the document flow.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Paragraph(Paragraph),
    List(List),
    Table(Table),
    Image(Image),
    Columns(Columns),
    /// Vertical space in points.
    Spacer(f32),
    PageBreak,
    Rule(Rule),
    Qr(Qr),
    Barcode(Barcode),
}

/// A paragraph or a heading.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    /// `Some(1..=6)` for headings.
    pub heading: Option<u8>,
    /// Named style the paragraph used, if any.
    pub style_name: Option<String>,
    pub style: ParaStyle,
    pub inlines: Vec<Inline>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub ordered: bool,
    /// First number of an ordered list.
    pub start: u32,
    /// Style of the markers (bullet or number).
    pub marker_style: RunStyle,
    /// Each item is a list of blocks (a paragraph, nested lists …).
    pub items: Vec<Vec<Block>>,
}

/// A column width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColWidth {
    /// Fixed, in points.
    Fixed(f32),
    /// A share of what fixed and auto columns leave (`*` = 1, `2*` = 2).
    Relative(f32),
    /// As wide as the content wants, within what is available.
    Auto,
}

/// A line: width in points and colour. Width 0 means none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stroke {
    pub width: f32,
    pub color: Color,
}

impl Stroke {
    pub const NONE: Stroke = Stroke {
        width: 0.0,
        color: Color::BLACK,
    };
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub style_name: Option<String>,
    pub columns: Vec<ColWidth>,
    /// The first `header_rows` rows repeat at the top of every page the table spans.
    pub header_rows: usize,
    pub rows: Vec<Row>,
    pub space_before: f32,
    pub space_after: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// Keep the row on one page (move it whole to the next page) unless it is
    /// taller than a page.
    pub keep_together: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub colspan: u16,
    pub blocks: Vec<Block>,
    pub padding: Edges,
    pub background: Option<Color>,
    pub valign: VAlign,
    pub border_top: Stroke,
    pub border_right: Stroke,
    pub border_bottom: Stroke,
    pub border_left: Stroke,
    /// The typed value the text was formatted from, for generators with typed
    /// cells (XLSX).
    pub value: Option<TypedValue>,
}

/// A typed table value and how it was displayed.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    Number {
        value: f64,
        decimals: u8,
    },
    Currency {
        value: f64,
        currency: String,
    },
    Percent {
        value: f64,
        decimals: u8,
    },
    /// ISO 8601 date (`2026-11-02`).
    Date {
        value: String,
    },
}

/// Decoded enough to lay out: the bytes stay encoded and go to the writer.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub data: Arc<ImageData>,
    /// Box the image is fitted into, aspect kept. `None` = natural size at 96 dpi
    /// limited to the available width.
    pub width: Option<f32>,
    pub height: Option<f32>,
    pub align: Align,
    pub space_after: f32,
    pub alt: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
}

#[derive(PartialEq)]
pub struct ImageData {
    pub format: ImageFormat,
    pub pixel_width: u32,
    pub pixel_height: u32,
    pub bytes: bytes::Bytes,
}

impl std::fmt::Debug for ImageData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageData")
            .field("format", &self.format)
            .field("pixel_width", &self.pixel_width)
            .field("pixel_height", &self.pixel_height)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Blocks side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    pub gap: f32,
    pub columns: Vec<Column>,
    pub space_after: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub width: ColWidth,
    pub blocks: Vec<Block>,
}

/// A horizontal line across the available width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub stroke: Stroke,
    pub space_before: f32,
    pub space_after: f32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrLevel {
    Low,
    Medium,
    Quartile,
    High,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Qr {
    pub data: String,
    /// Side of the symbol including its quiet zone, in points.
    pub size: f32,
    pub level: QrLevel,
    pub align: Align,
    pub color: Color,
    pub space_after: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Barcode {
    pub data: String,
    /// Width of the bars (quiet zones included); `None` = 1 pt per module.
    pub width: Option<f32>,
    pub height: f32,
    /// Print the data under the bars.
    pub human_readable: bool,
    pub align: Align,
    pub color: Color,
    pub space_after: f32,
}
