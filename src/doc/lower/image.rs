//! Images: `img` with a `data:` URI or a `file:NAME` attachment.
//!
//! The format is detected from the bytes (PNG or JPEG signature, whatever
//! the URI claims) and the pixel size is read from the header without
//! decoding any pixels; images larger than [`Assets::max_image_pixels`]
//! are refused. The bytes stay encoded for the writer. Each `file:` image is
//! read once however often it is used.
//!
//! [`Assets::max_image_pixels`]: crate::doc::Assets::max_image_pixels

use std::io::Cursor;
use std::sync::Arc;

use bytes::Bytes;

use super::Lowerer;
use super::values::{self, BOX_ALIGN};
use crate::doc::model::{Align, Block, Image, ImageData, ImageFormat};
use crate::doc::node::{Loc, Node};

const SRC_EXPECTED: &str =
    "src must be a data URI (data:image/png;base64,… or data:image/jpeg;base64,…) or file:NAME";

impl Lowerer<'_> {
    pub(super) fn image(&mut self, node: &Node) -> Option<Block> {
        self.expect_empty(node);
        let width = self.get(node, "width", values::positive_length);
        let height = self.get(node, "height", values::positive_length);
        let align = self.get(node, "align", |v| values::keyword(v, BOX_ALIGN));
        let alt = self.get(node, "alt", values::text);
        let space_after = self.get(node, "space-after", values::length);
        let Some(src) = node.attr("src") else {
            self.error(&node.loc, "<img> needs a src attribute");
            return None;
        };
        let text = self.get(node, "src", values::text)?;
        let data = self.image_data(text.trim(), &src.loc)?;
        Some(Block::Image(Image {
            data,
            width,
            height,
            align: align.unwrap_or(Align::Left),
            space_after: space_after.unwrap_or(6.0),
            alt: alt.filter(|a| !a.trim().is_empty()),
        }))
    }

    fn image_data(&mut self, src: &str, loc: &Loc) -> Option<Arc<ImageData>> {
        if let Some(name) = src.strip_prefix("file:") {
            if let Some(data) = self.images.get(name) {
                return Some(data.clone());
            }
            let Some(bytes) = self.assets.files.get(name) else {
                self.error(loc, crate::doc::missing_file(name, self.assets.files));
                return None;
            };
            let data = Arc::new(self.probe(bytes.clone(), loc)?);
            self.images.insert(name.to_owned(), data.clone());
            return Some(data);
        }
        let Some(rest) = src.strip_prefix("data:") else {
            self.error(loc, SRC_EXPECTED);
            return None;
        };
        let Some((header, payload)) = rest.split_once(',') else {
            self.error(loc, SRC_EXPECTED);
            return None;
        };
        let header = header.to_ascii_lowercase();
        let Some(media) = header.strip_suffix(";base64") else {
            self.error(
                loc,
                "only base64 data URIs are supported (data:image/png;base64,…)",
            );
            return None;
        };
        if !matches!(media, "image/png" | "image/jpeg" | "image/jpg") {
            let msg = format!("unsupported image type \"{media}\": use image/png or image/jpeg");
            self.error(loc, msg);
            return None;
        }
        match base64(payload) {
            Ok(bytes) => self.probe(Bytes::from(bytes), loc).map(Arc::new),
            Err(e) => {
                self.error(loc, format!("the data URI is not valid base64: {e}"));
                None
            }
        }
    }

    /// Detects the format and reads the size from the header.
    fn probe(&mut self, bytes: Bytes, loc: &Loc) -> Option<ImageData> {
        // Documents embed PNG and JPEG as they are; other formats would need
        // converting first (an image job does that).
        let format = match crate::image::sniff(&bytes) {
            Some(crate::image::InputFormat::Png) => ImageFormat::Png,
            Some(crate::image::InputFormat::Jpeg) => ImageFormat::Jpeg,
            _ => {
                self.error(loc, "not a PNG or JPEG image");
                return None;
            }
        };
        let reader_format = match format {
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        };
        let reader = image::ImageReader::with_format(Cursor::new(&bytes[..]), reader_format);
        let (width, height) = match reader.into_dimensions() {
            Ok(size) => size,
            Err(e) => {
                self.error(loc, format!("the image is damaged: {e}"));
                return None;
            }
        };
        let pixels = u64::from(width) * u64::from(height);
        if pixels == 0 {
            self.error(loc, "the image has no pixels");
            return None;
        }
        if pixels > self.assets.max_image_pixels {
            let msg = format!(
                "the image is {width} × {height} pixels; at most {} pixels are accepted",
                self.assets.max_image_pixels
            );
            self.error(loc, msg);
            return None;
        }
        Some(ImageData {
            format,
            pixel_width: width,
            pixel_height: height,
            bytes,
        })
    }
}

/// Strict standard base64: the standard alphabet, `=` padding optional but
/// correct if present, ASCII whitespace ignored.
pub fn base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut count = 0usize;
    let mut padding = 0usize;
    for (i, b) in text.bytes().enumerate() {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0C' => continue,
            _ => return Err(format!("unexpected character at position {}", i + 1)),
        };
        if padding > 0 {
            return Err("data after the = padding".into());
        }
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        count += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    let rest = count % 4;
    if rest == 1 {
        return Err("truncated data".into());
    }
    if padding > 0 && (rest == 0 || padding != 4 - rest) {
        return Err("wrong = padding".into());
    }
    if acc != 0 {
        return Err("nonzero bits after the last byte".into());
    }
    Ok(out)
}
