//! Tests of the two document sources and of lowering, data-driven where the
//! cases are alike: markup in, the resulting blocks or the located error
//! messages out.

mod cascade;
mod errors;
mod images;
mod json;
mod markup;
mod tables;

use std::sync::LazyLock;

use crate::doc::model::{Block, Document, Inline, Paragraph, RunStyle};
use crate::doc::{Assets, DEFAULT_MAX_IMAGE_PIXELS, Files, from_markup};

/// Files the tests' documents may reference as `file:NAME`.
static FILES: LazyLock<Files> = LazyLock::new(|| {
    let mut files = Files::new();
    files.insert("logo.png".into(), bytes::Bytes::from(png(4, 3)));
    files.insert(
        "notes.txt".into(),
        bytes::Bytes::from_static(b"not an image"),
    );
    files
});

fn assets() -> Assets<'static> {
    Assets {
        files: &FILES,
        max_image_pixels: DEFAULT_MAX_IMAGE_PIXELS,
        fonts: None,
    }
}

/// Lowers markup that must be valid.
fn doc(markup: &str) -> Document {
    match from_markup(markup, assets()) {
        Ok(doc) => doc,
        Err(errors) => panic!("unexpected errors: {}", show(&errors)),
    }
}

/// The content of `<document>BODY</document>`.
fn body(body: &str) -> Vec<Block> {
    doc(&format!("<document>{body}</document>")).content
}

/// The located messages of markup that must be invalid.
fn errors(markup: &str) -> Vec<String> {
    match from_markup(markup, assets()) {
        Ok(doc) => panic!("expected errors, got {:?}", doc.content),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// Asserts that `markup` fails with exactly `expected` ("line L, column C:
/// message" each, in order).
#[track_caller]
fn check_errors(markup: &str, expected: &[&str]) {
    assert_eq!(errors(markup), expected, "markup: {markup}");
}

fn show(errors: &[crate::doc::DocError]) -> String {
    errors.iter().map(|e| format!("\n  {e}")).collect()
}

/// The paragraph a block must be.
#[track_caller]
fn para(block: &Block) -> &Paragraph {
    match block {
        Block::Paragraph(p) => p,
        other => panic!("expected a paragraph, got {other:?}"),
    }
}

/// The text of a paragraph's inlines, `|` between runs, `⏎` for breaks.
fn runs(p: &Paragraph) -> String {
    let parts: Vec<String> = p
        .inlines
        .iter()
        .map(|i| match i {
            Inline::Text { text, .. } => text.clone(),
            Inline::Break => "⏎".into(),
            Inline::PageNumber(_) => "#".into(),
            Inline::PageCount(_) => "##".into(),
        })
        .collect();
    parts.join("|")
}

/// The style of the `n`th inline (text or field).
#[track_caller]
fn run_style(p: &Paragraph, n: usize) -> &RunStyle {
    match &p.inlines[n] {
        Inline::Text { style, .. } | Inline::PageNumber(style) | Inline::PageCount(style) => style,
        Inline::Break => panic!("inline {n} is a break"),
    }
}

/// A `width` × `height` PNG.
fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 10, 10]));
    let mut out = std::io::Cursor::new(Vec::new());
    match image.write_to(&mut out, image::ImageFormat::Png) {
        Ok(()) => out.into_inner(),
        Err(e) => panic!("cannot encode a PNG: {e}"),
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
