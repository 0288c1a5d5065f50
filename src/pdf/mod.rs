//! PDF output: laid-out pages → content streams and font subsets → bytes.
//!
//! This module only serialises what [`crate::layout`] positioned. Text is
//! written as glyph codes of subset, embedded TrueType fonts with a
//! ToUnicode map (so copy/paste and `pdftotext` give the characters back,
//! ligatures included). Output is deterministic: resource names are derived
//! from indexes, font subset tags from the glyphs used, the dates come from
//! the document (or the Unix epoch) and the file identifier is a hash of the
//! content.

mod content;
mod font;
mod subset;

pub use subset::supported as font_supported;

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::Arc;

use lopdf::{Dictionary, Object, ObjectId, Stream};
use printpdf::{
    Actions, BorderArray, ColorArray, LinkAnnotation, Op, PdfDocument, PdfPage, PdfSaveOptions, Pt,
    RawImage, XObject, XObjectId,
};

use crate::doc::{Document, ImageData};
use crate::fonts::FontBook;
use crate::layout::{self, LayoutError, LayoutLimits};
use crate::render_ctx::RenderCtx;

use crate::deflate::Deflate;
use content::Content;
use font::Fonts;

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

/// A laid-out page waiting for the document to be assembled: its content
/// (deflated as soon as the page is done) and its links.
struct PageOut {
    width: f32,
    height: f32,
    /// The page body, deflated.
    body: Vec<u8>,
    /// Header, footer and page-count fields, drawn once the page count is
    /// known; deflated.
    furniture: Vec<u8>,
    links: Vec<Op>,
}

/// Lays out `doc` and writes it as PDF to `out`.
///
/// Page content streams and font subsets are written here, page by page as
/// the layout hands pages over, so a long document holds compressed bytes
/// rather than drawing operations. printpdf assembles the document around
/// them: page tree, resources, images, link annotations and metadata.
pub fn write(
    book: &FontBook,
    doc: Document,
    limits: LayoutLimits,
    render: &RenderCtx,
    out: &mut dyn Write,
) -> Result<(), PdfError> {
    DEFLATE.with_borrow_mut(|deflate| write_with(book, doc, limits, render, deflate, out))
}

thread_local! {
    /// One deflate compressor per thread, reused across documents: setting
    /// one up (a few hundred KB of zeroed tables) costs more than
    /// compressing a small page.
    static DEFLATE: std::cell::RefCell<Deflate> = std::cell::RefCell::new(Deflate::new(true, 1));
}

fn write_with(
    book: &FontBook,
    doc: Document,
    limits: LayoutLimits,
    render: &RenderCtx,
    deflate: &mut Deflate,
    out: &mut dyn Write,
) -> Result<(), PdfError> {
    let mut fonts = Fonts::default();
    let mut res = PageResources::default();
    let mut pages: Vec<PageOut> = Vec::new();
    let mut io_error = None;
    let height = doc.page.height;
    let pagination = layout::paginate(book, &doc, limits, render, &mut |_, page| {
        let mut content = Content::new(book, height, page.items.len() * 48);
        content.items(&page.items, &mut fonts, &mut res);
        let body = deflate.bytes(&content.out).unwrap_or_else(|e| {
            io_error.get_or_insert(e);
            Vec::new()
        });
        pages.push(PageOut {
            width: page.width,
            height: page.height,
            body,
            furniture: Vec::new(),
            links: std::mem::take(&mut res.links),
        });
    })?;
    if let Some(e) = io_error {
        return Err(e.into());
    }
    for (index, page) in pages.iter_mut().enumerate() {
        let fields = pagination
            .page_count_fields
            .iter()
            .find(|(i, _)| *i == index)
            .map_or(&[][..], |(_, f)| f.as_slice());
        let items = layout::finish_page(book, &doc, index, pagination.count, fields)?;
        let mut content = Content::new(book, page.height, items.len() * 48);
        content.items(&items, &mut fonts, &mut res);
        page.furniture = deflate.bytes(&content.out)?;
        page.links.append(&mut res.links);
    }
    if let Some(e) = res.error.take() {
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
    for (index, (_, raw)) in res.images.into_iter().enumerate() {
        pdf.resources
            .xobjects
            .map
            .insert(image_id(index), XObject::Image(raw));
    }
    let mut contents = Vec::with_capacity(pages.len());
    pdf.pages = pages
        .into_iter()
        .map(|page| {
            contents.push((page.body, page.furniture));
            // Page boxes in points as laid out (no round trip through mm).
            let rect = printpdf::Rect::from_wh(Pt(page.width), Pt(page.height));
            PdfPage {
                media_box: rect.clone(),
                trim_box: rect.clone(),
                crop_box: rect,
                ops: page.links,
            }
        })
        .collect();

    let options = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&options, &mut warnings);
    drop(pdf);
    attach_contents(&mut lo, contents)?;
    attach_fonts(&mut lo, book, &fonts)?;
    compress(&mut lo, deflate)?;
    // The file identifier is a hash of the file itself: written first as a
    // placeholder, then replaced in place (same length).
    lo.trailer.set(
        "ID",
        Object::Array(vec![
            Object::string_literal(ID_PLACEHOLDER),
            Object::string_literal(ID_PLACEHOLDER),
        ]),
    );
    let size: usize = lo
        .objects
        .values()
        .map(|o| match o {
            Object::Stream(s) => s.content.len() + 128,
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

/// Gives every page its two content streams (body, then header and footer)
/// in place of the empty one printpdf wrote.
fn attach_contents(
    lo: &mut lopdf::Document,
    contents: Vec<(Vec<u8>, Vec<u8>)>,
) -> Result<(), PdfError> {
    let page_ids: Vec<ObjectId> = lo.get_pages().into_values().collect();
    if page_ids.len() != contents.len() {
        return Err(PdfError::Io(std::io::Error::other(
            "page tree does not match the laid-out pages",
        )));
    }
    for (page_id, (body, furniture)) in page_ids.into_iter().zip(contents) {
        let mut refs = Vec::with_capacity(2);
        for bytes in [body, furniture] {
            if !bytes.is_empty() {
                refs.push(Object::Reference(lo.add_object(deflated(bytes))));
            }
        }
        let Some(Object::Dictionary(page)) = lo.objects.get_mut(&page_id) else {
            continue;
        };
        let old = page.get(b"Contents").and_then(Object::as_reference).ok();
        page.set("Contents", Object::Array(refs));
        if let Some(old) = old {
            lo.objects.remove(&old);
        }
    }
    Ok(())
}

/// Embeds the fonts the pages used and names them in the page resources'
/// shared font dictionary (`/F0`, `/F1`, …).
fn attach_fonts(lo: &mut lopdf::Document, book: &FontBook, fonts: &Fonts) -> Result<(), PdfError> {
    let Some(&first_page) = lo.get_pages().values().next() else {
        return Ok(());
    };
    let font_dict_id = lo
        .get_dictionary(first_page)
        .and_then(|p| p.get(b"Resources"))
        .and_then(Object::as_reference)
        .and_then(|r| lo.get_dictionary(r))
        .and_then(|r| r.get(b"Font"))
        .and_then(Object::as_reference)
        .map_err(|e| PdfError::Io(std::io::Error::other(e.to_string())))?;
    let mut entries = Vec::with_capacity(fonts.used.len());
    for (index, font) in fonts.used.iter().enumerate() {
        entries.push((format!("F{index}"), font.embed(book, lo)?));
    }
    if let Ok(Object::Dictionary(dict)) = lo.get_object_mut(font_dict_id) {
        for (name, font) in entries {
            dict.set(name, font);
        }
    }
    Ok(())
}

fn deflated(bytes: Vec<u8>) -> Stream {
    let mut stream = Stream::new(
        Dictionary::from_iter([("Filter", Object::Name(b"FlateDecode".to_vec()))]),
        bytes,
    );
    stream.allows_compression = false;
    stream
}

/// Deflates every stream that is not compressed yet (fonts, ToUnicode
/// maps, metadata).
fn compress(doc: &mut lopdf::Document, deflate: &mut Deflate) -> Result<(), std::io::Error> {
    for object in doc.objects.values_mut() {
        if let Object::Stream(stream) = object {
            // Small streams (ToUnicode maps of a few glyphs) gain little.
            if stream.dict.has(b"Filter") || stream.content.len() < 512 {
                continue;
            }
            let out = deflate.bytes(&stream.content)?;
            stream
                .dict
                .set("Filter", Object::Name(b"FlateDecode".to_vec()));
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

fn image_id(index: usize) -> XObjectId {
    XObjectId(format!("Im{index}"))
}

/// Images of the document and links of the page being written.
#[derive(Default)]
struct PageResources {
    /// Embedded images, keyed by their data's address (one XObject each).
    images: Vec<(usize, RawImage)>,
    links: Vec<Op>,
    error: Option<PdfError>,
}

impl PageResources {
    /// The XObject index of an image, embedding it on first use.
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
                self.error.get_or_insert(PdfError::Image {
                    index: self.images.len(),
                    message,
                });
                None
            }
        }
    }

    /// A link annotation over a rectangle (PDF coordinates).
    fn link(&mut self, [x1, y1, x2, y2]: [f32; 4], target: &str) {
        self.links.push(Op::LinkAnnotation {
            link: LinkAnnotation {
                rect: printpdf::Rect::from_xywh(Pt(x1), Pt(y1), Pt(x2 - x1), Pt(y2 - y1)),
                actions: Actions::Uri(target.to_string()),
                border: BorderArray::Solid([0.0, 0.0, 0.0]),
                color: ColorArray::Transparent,
                highlighting: Default::default(),
            },
        });
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
