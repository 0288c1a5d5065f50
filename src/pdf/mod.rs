//! PDF output: laid-out pages → printpdf operations → bytes.
//!
//! This module only serialises what [`crate::layout`] positioned. Text is
//! written as glyph ids of subset, embedded TrueType fonts with a ToUnicode
//! map (so copy/paste and `pdftotext` give the characters back, ligatures
//! included). Output is deterministic: resource names are derived from
//! indexes, the dates come from the document (or the Unix epoch) and the
//! file identifier is a hash of the content.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::Arc;

use printpdf::{
    Actions, BorderArray, ColorArray, FontId, LinkAnnotation, Op, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Pt, RawImage, TextItem, TextMatrix, XObject, XObjectId,
    XObjectTransform,
};

use crate::doc::{Color, Document, ImageData};
use crate::fonts::{FaceId, FontBook};
use crate::layout::{self, GlyphRun, Item, LayoutError, LayoutLimits, Page};
use crate::render_ctx::RenderCtx;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error("image {index} cannot be embedded: {message}")]
    Image { index: usize, message: String },
    #[error("font {0} cannot be embedded")]
    Font(String),
    #[error("writing the PDF failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Lays out `doc` and writes it as PDF to `out`. The document is dropped
/// once laid out, before the (memory-hungry) serialisation starts.
pub fn write(
    book: &FontBook,
    doc: Document,
    limits: LayoutLimits,
    render: &RenderCtx,
    out: &mut dyn Write,
) -> Result<(), PdfError> {
    let mut writer = Writer {
        book,
        height: doc.page.height,
        fonts: BTreeMap::new(),
        chars: BTreeMap::new(),
        images: Vec::new(),
        image_error: None,
    };
    let mut pages: Vec<PdfPage> = Vec::new();
    let pagination = layout::paginate(book, &doc, limits, render, &mut |_, page| {
        pages.push(writer.page(&page));
    })?;
    for (index, page) in pages.iter_mut().enumerate() {
        let fields = pagination
            .page_count_fields
            .iter()
            .find(|(i, _)| *i == index)
            .map_or(&[][..], |(_, f)| f.as_slice());
        let items = layout::finish_page(book, &doc, index, pagination.count, fields)?;
        writer.ops(&items, &mut page.ops);
    }
    if let Some(e) = writer.image_error.take() {
        return Err(e);
    }
    render.check().map_err(LayoutError::from)?;
    let metadata = doc.metadata;
    let doc = &metadata;

    let mut pdf = PdfDocument::new(doc.title.as_deref().unwrap_or(""));
    let info = &mut pdf.metadata.info;
    info.author = doc.author.clone().unwrap_or_default();
    info.subject = doc.subject.clone().unwrap_or_default();
    info.keywords = doc.keywords.clone();
    info.creator = "docsmith".to_string();
    info.producer = concat!("docsmith ", env!("CARGO_PKG_VERSION")).to_string();
    if let Some(secs) = doc.created.as_deref().and_then(unix_seconds)
        && let Ok(date) = printpdf::OffsetDateTime::from_unix_timestamp(secs)
    {
        info.creation_date = date;
        info.modification_date = date;
        info.metadata_date = date;
    }
    for (face, id) in &writer.fonts {
        let mut parsed = book
            .face(*face)
            .pdf_font()
            .ok_or_else(|| PdfError::Font(book.face(*face).family.clone()))?
            .clone();
        // Glyphs without their own text map to the character they drew.
        parsed.reverse_glyph_cache = writer.chars.remove(face).unwrap_or_default();
        pdf.resources
            .fonts
            .map
            .insert(id.clone(), printpdf::PdfFont::new(parsed));
    }
    for (index, (_, raw)) in writer.images.into_iter().enumerate() {
        pdf.resources
            .xobjects
            .map
            .insert(image_id(index), XObject::Image(raw));
    }
    pdf.pages = pages;

    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&options, &mut warnings);
    // Every page now exists twice (operations and encoded streams): keep one.
    drop(pdf);
    compress(&mut lo)?;
    // The file identifier is a hash of the file itself: written first as a
    // placeholder, then replaced in place (same length).
    lo.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::string_literal(ID_PLACEHOLDER),
            lopdf::Object::string_literal(ID_PLACEHOLDER),
        ]),
    );
    let size: usize = lo
        .objects
        .values()
        .map(|o| match o {
            lopdf::Object::Stream(s) => s.content.len() + 128,
            _ => 64,
        })
        .sum();
    let mut bytes = Vec::with_capacity(size + 4096);
    lo.save_to(&mut bytes)?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    let first = hasher.finish();
    pagination.count.hash(&mut hasher);
    let id = format!("{first:016x}{:016x}", hasher.finish());
    let mut from = bytes.len().saturating_sub(4096);
    while let Some(pos) = find(&bytes[from..], ID_PLACEHOLDER.as_bytes()) {
        let at = from + pos;
        bytes[at..at + ID_PLACEHOLDER.len()].copy_from_slice(id.as_bytes());
        from = at + ID_PLACEHOLDER.len();
    }
    out.write_all(&bytes)?;
    Ok(())
}

/// Deflates every stream that is not compressed yet (page contents, fonts,
/// ToUnicode maps). A fast level: a few percent larger than the best level
/// at a fraction of the time.
fn compress(doc: &mut lopdf::Document) -> Result<(), std::io::Error> {
    // One compressor for all streams: setting one up costs more than
    // compressing a small stream.
    let mut deflate = flate2::Compress::new(flate2::Compression::fast(), true);
    for object in doc.objects.values_mut() {
        if let lopdf::Object::Stream(stream) = object {
            // Small streams (ToUnicode maps of a few glyphs) gain little and
            // each costs a compressor reset.
            if stream.dict.has(b"Filter") || stream.content.len() < 2048 {
                continue;
            }
            deflate.reset();
            let mut out = Vec::with_capacity(stream.content.len() / 2 + 64);
            loop {
                let consumed = deflate.total_in() as usize;
                let status = deflate
                    .compress_vec(
                        &stream.content[consumed..],
                        &mut out,
                        flate2::FlushCompress::Finish,
                    )
                    .map_err(std::io::Error::other)?;
                match status {
                    flate2::Status::StreamEnd => break,
                    _ => out.reserve(out.capacity().max(1024)),
                }
            }
            stream
                .dict
                .set("Filter", lopdf::Object::Name(b"FlateDecode".to_vec()));
            stream.set_content(out);
        }
    }
    Ok(())
}

/// 32 characters, like the hex digest that replaces it.
const ID_PLACEHOLDER: &str = "docsmith-file-identifier-0000000";

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

struct Writer<'a> {
    book: &'a FontBook,
    /// Page height, for turning top-down layout coordinates into PDF ones.
    height: f32,
    fonts: BTreeMap<FaceId, FontId>,
    /// Text of every single-character glyph used, per face, for ToUnicode.
    chars: BTreeMap<FaceId, BTreeMap<u16, String>>,
    /// Embedded images, keyed by their data's address (one XObject each).
    images: Vec<(usize, RawImage)>,
    image_error: Option<PdfError>,
}

fn image_id(index: usize) -> XObjectId {
    XObjectId(format!("Im{index}"))
}

/// A PDF subset tag is six capital letters; derive one from the face index.
fn font_id(face: FaceId) -> FontId {
    let mut tag = String::with_capacity(6);
    let mut n = face;
    for _ in 0..6 {
        tag.insert(0, char::from(b'A' + (n % 26) as u8));
        n /= 26;
    }
    FontId(tag.replacen('A', "D", 1))
}

fn rgb(c: Color) -> printpdf::Color {
    printpdf::Color::Rgb(printpdf::Rgb {
        r: f32::from(c.r) / 255.0,
        g: f32::from(c.g) / 255.0,
        b: f32::from(c.b) / 255.0,
        icc_profile: None,
    })
}

impl Writer<'_> {
    fn page(&mut self, page: &Page) -> PdfPage {
        let mut ops = Vec::with_capacity(page.items.len() * 4);
        self.ops(&page.items, &mut ops);
        // Page boxes in points as laid out (no round trip through mm).
        let rect = printpdf::Rect::from_wh(Pt(page.width), Pt(page.height));
        PdfPage {
            media_box: rect.clone(),
            trim_box: rect.clone(),
            crop_box: rect,
            ops,
        }
    }

    fn ops(&mut self, items: &[Item], ops: &mut Vec<Op>) {
        let height = self.height;
        let mut in_text = false;
        let mut fill: Option<Color> = None;
        // Text and stroke state persists in the content stream: set it only
        // when it changes.
        let mut font: Option<(FaceId, f32)> = None;
        let mut stroke: Option<(Color, f32)> = None;
        for item in items {
            if let Item::Glyphs(run) = item {
                if !in_text {
                    ops.push(Op::StartTextSection);
                    in_text = true;
                }
                if fill != Some(run.color) {
                    ops.push(Op::SetFillColor {
                        col: rgb(run.color),
                    });
                    fill = Some(run.color);
                }
                if font != Some((run.face, run.size)) {
                    let id = self
                        .fonts
                        .entry(run.face)
                        .or_insert_with(|| font_id(run.face))
                        .clone();
                    ops.push(Op::SetFont {
                        font: PdfFontHandle::External(id),
                        size: Pt(run.size),
                    });
                    font = Some((run.face, run.size));
                }
                self.glyphs(run, height, ops);
                continue;
            }
            if in_text {
                ops.push(Op::EndTextSection);
                in_text = false;
            }
            match item {
                Item::Glyphs(_) => {}
                Item::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill: color,
                } => {
                    if fill != Some(*color) {
                        ops.push(Op::SetFillColor { col: rgb(*color) });
                        fill = Some(*color);
                    }
                    let mut rect =
                        printpdf::Rect::from_xywh(Pt(*x), Pt(height - y - h), Pt(*w), Pt(*h));
                    rect.mode = Some(printpdf::PaintMode::Fill);
                    ops.push(Op::DrawRectangle { rectangle: rect });
                }
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    color,
                } => {
                    if stroke != Some((*color, *width)) {
                        ops.push(Op::SetOutlineColor { col: rgb(*color) });
                        ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                        stroke = Some((*color, *width));
                    }
                    let point = |x: f32, y: f32| printpdf::LinePoint {
                        p: printpdf::Point {
                            x: Pt(x),
                            y: Pt(height - y),
                        },
                        bezier: false,
                    };
                    ops.push(Op::DrawLine {
                        line: printpdf::Line {
                            points: vec![point(*x1, *y1), point(*x2, *y2)],
                            is_closed: false,
                        },
                    });
                }
                Item::Image { x, y, w, h, data } => {
                    if let Some(index) = self.image(data) {
                        let (pw, ph) = (data.pixel_width as f32, data.pixel_height as f32);
                        ops.push(Op::UseXobject {
                            id: image_id(index),
                            transform: XObjectTransform {
                                translate_x: Some(Pt(*x)),
                                translate_y: Some(Pt(height - y - h)),
                                rotate: None,
                                scale_x: Some(w / pw),
                                scale_y: Some(h / ph),
                                dpi: Some(72.0),
                                no_auto_scale: false,
                            },
                        });
                    }
                }
                Item::Link { x, y, w, h, target } => {
                    let rect =
                        printpdf::Rect::from_xywh(Pt(*x), Pt(height - y - h), Pt(*w), Pt(*h));
                    ops.push(Op::LinkAnnotation {
                        link: LinkAnnotation {
                            rect,
                            actions: Actions::Uri(target.to_string()),
                            border: BorderArray::Solid([0.0, 0.0, 0.0]),
                            color: ColorArray::Transparent,
                            highlighting: Default::default(),
                        },
                    });
                }
            }
        }
        if in_text {
            ops.push(Op::EndTextSection);
        }
    }

    fn glyphs(&mut self, run: &GlyphRun, height: f32, ops: &mut Vec<Op>) {
        let face = self.book.face(run.face);
        let first_dx = run.glyphs.first().map_or(0.0, |g| g.dx);
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Pt(run.x + first_dx), Pt(height - run.y)),
        });
        // The viewer advances by the font's own width after each glyph; a TJ
        // adjustment moves the pen to where the layout put the next glyph.
        let em = 1000.0 / run.size;
        let chars = self.chars.entry(run.face).or_default();
        let mut codepoints = Vec::with_capacity(run.glyphs.len());
        for (i, g) in run.glyphs.iter().enumerate() {
            // The viewer's advance: the /W width, whole thousandths of an em.
            let natural =
                (face.advance(g.gid) * 1000.0 / face.units_per_em).trunc() * run.size / 1000.0;
            let next_dx = run.glyphs.get(i + 1).map_or(0.0, |n| n.dx);
            let wanted = g.advance + next_dx - g.dx;
            let offset = (natural - wanted) * em;
            let offset = if offset.abs() < 0.01 { 0.0 } else { offset };
            let cid = match (&g.text, g.ch) {
                (Some(text), _) => Some(text.to_string()),
                (None, '\0') => Some(String::new()),
                (None, ch) => {
                    chars.entry(g.gid).or_insert_with(|| ch.to_string());
                    None
                }
            };
            codepoints.push(printpdf::Codepoint {
                gid: g.gid,
                offset,
                cid,
            });
        }
        ops.push(Op::ShowText {
            items: vec![TextItem::GlyphIds(codepoints)],
        });
    }

    /// Index of the XObject for `data`, embedding it on first use.
    fn image(&mut self, data: &Arc<ImageData>) -> Option<usize> {
        let key = Arc::as_ptr(data) as usize;
        if let Some(pos) = self.images.iter().position(|(k, _)| *k == key) {
            return Some(pos);
        }
        let mut warnings = Vec::new();
        match RawImage::decode_from_bytes(&data.bytes, &mut warnings) {
            Ok(raw) => {
                self.images.push((key, raw));
                Some(self.images.len() - 1)
            }
            Err(message) => {
                self.image_error.get_or_insert(PdfError::Image {
                    index: self.images.len(),
                    message,
                });
                None
            }
        }
    }
}

/// Seconds since the Unix epoch of an ISO 8601 date or date-time (UTC; an
/// offset, if any, is ignored at second precision of the date part only).
fn unix_seconds(iso: &str) -> Option<i64> {
    let date = iso.get(..10)?;
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    let (mut hh, mut mm, mut ss) = (0, 0, 0);
    if let Some(time) = iso.get(11..19) {
        let mut t = time.split(':');
        hh = t.next()?.parse().ok()?;
        mm = t.next()?.parse().ok()?;
        ss = t.next()?.parse().ok()?;
    }
    // Days from civil (proleptic Gregorian).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}
