//! The DOCX package: docx-rs's XML parts written into a ZIP in a fixed
//! order with fixed timestamps (1980-01-01), XML parts deflated with one
//! compressor per thread, pictures stored.
//!
//! A DOCX is a dozen small parts. A general ZIP writer sets up a deflate
//! stream per entry, which costs more than the invoice's whole document
//! part; this writer keeps one and writes the few ZIP records a package
//! needs itself (no ZIP64: a package over 4 GiB is refused).

use std::cell::RefCell;

use docx_rs::XMLDocx;

use crate::deflate::Deflate;

/// The row height header rows carry until [`mark_header_rows`] turns it
/// into `<w:tblHeader/>`. A height of 0 with the `auto` rule means nothing
/// to Word, so a row that keeps it by mistake still looks right.
pub const HEADER_ROW_MARK: f32 = 0.0;

/// How docx-rs writes [`HEADER_ROW_MARK`].
const HEADER_ROW_XML: &str = r#"<w:trHeight w:val="0" w:hRule="auto" />"#;

/// Replaces the placeholder row height of header rows by `tblHeader`, which
/// makes Word and LibreOffice repeat the row on every page the table spans.
pub fn mark_header_rows(document: &mut Vec<u8>) {
    replace(document, HEADER_ROW_XML, "<w:tblHeader />");
}

/// Turns widow and orphan control on in the document defaults, so
/// paragraphs need not say so one by one (docx-rs has no setter for it).
pub fn widow_control_by_default(styles: &mut Vec<u8>) {
    replace(
        styles,
        "<w:pPrDefault><w:pPr>",
        "<w:pPrDefault><w:pPr><w:widowControl />",
    );
}

/// Writes the package into `out`.
pub fn pack(mut xml: XMLDocx, out: &mut Vec<u8>) -> std::io::Result<()> {
    // Pictures keep their own format: JPEG photos are not re-encoded, so
    // their parts are named .jpeg (docx-rs names every picture .png).
    let mut media = Vec::with_capacity(xml.media.len());
    for (id, bytes) in std::mem::take(&mut xml.media) {
        let ext = if bytes.starts_with(&[0xFF, 0xD8]) {
            let from = format!("media/{id}.png\"");
            let to = format!("media/{id}.jpeg\"");
            for rels in std::iter::once(&mut xml.document_rels)
                .chain(xml.header_rels.iter_mut())
                .chain(xml.footer_rels.iter_mut())
            {
                replace(rels, &from, &to);
            }
            "jpeg"
        } else {
            "png"
        };
        media.push((format!("word/media/{id}.{ext}"), bytes));
    }
    if media.iter().any(|(name, _)| name.ends_with(".jpeg")) {
        replace(
            &mut xml.content_type,
            "<Default Extension=\"png\"",
            "<Default Extension=\"jpeg\" ContentType=\"image/jpeg\" /><Default Extension=\"png\"",
        );
    }

    let mut parts: Vec<(String, Vec<u8>)> = vec![
        ("[Content_Types].xml".into(), xml.content_type),
        ("_rels/.rels".into(), xml.rels),
        ("docProps/app.xml".into(), xml.doc_props.app),
        ("docProps/core.xml".into(), xml.doc_props.core),
        ("docProps/custom.xml".into(), xml.doc_props.custom),
        ("word/_rels/document.xml.rels".into(), xml.document_rels),
        ("word/document.xml".into(), xml.document),
        ("word/styles.xml".into(), xml.styles),
        ("word/settings.xml".into(), xml.settings),
        ("word/fontTable.xml".into(), xml.font_table),
        ("word/comments.xml".into(), xml.comments),
        ("word/numbering.xml".into(), xml.numberings),
        ("word/commentsExtended.xml".into(), xml.comments_extended),
        ("word/footnotes.xml".into(), xml.footnotes),
    ];
    for (i, (part, rels)) in xml.headers.into_iter().zip(xml.header_rels).enumerate() {
        parts.push((format!("word/header{}.xml", i + 1), part));
        parts.push((format!("word/_rels/header{}.xml.rels", i + 1), rels));
    }
    for (i, (part, rels)) in xml.footers.into_iter().zip(xml.footer_rels).enumerate() {
        parts.push((format!("word/footer{}.xml", i + 1), part));
        parts.push((format!("word/_rels/footer{}.xml.rels", i + 1), rels));
    }

    let mut zip = Zip::default();
    for (name, bytes) in parts {
        zip.add(out, &name, &bytes, true)?;
    }
    for (name, bytes) in media {
        // Pictures are compressed already.
        zip.add(out, &name, &bytes, false)?;
    }
    zip.finish(out)
}

thread_local! {
    /// Raw deflate (no zlib header), as ZIP entries hold it.
    static DEFLATE: RefCell<Deflate> = RefCell::new(Deflate::new(false));
}

/// The central directory, written after the entries.
#[derive(Default)]
struct Zip {
    central: Vec<u8>,
    entries: u16,
}

/// DOS date of 1980-01-01, time 00:00.
const DOS_DATE: u16 = (1 << 5) | 1;

impl Zip {
    fn add(
        &mut self,
        out: &mut Vec<u8>,
        name: &str,
        data: &[u8],
        compress: bool,
    ) -> std::io::Result<()> {
        let too_big = || std::io::Error::other("a DOCX part over 4 GiB");
        let crc = crc32fast::hash(data);
        let packed;
        // Small parts gain a few hundred bytes from deflate and cost a
        // compressor reset each.
        let (method, body): (u16, &[u8]) = if compress && data.len() > 2048 {
            packed = DEFLATE.with_borrow_mut(|d| d.bytes(data))?;
            (8, &packed)
        } else {
            (0, data)
        };
        let offset = u32::try_from(out.len()).map_err(|_| too_big())?;
        let size = u32::try_from(data.len()).map_err(|_| too_big())?;
        let packed_size = u32::try_from(body.len()).map_err(|_| too_big())?;
        let name = name.as_bytes();
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        // Local file header.
        put32(out, 0x0403_4b50);
        put16(out, 20); // version needed: 2.0
        put16(out, 0x0800); // UTF-8 names
        put16(out, method);
        put16(out, 0); // time
        put16(out, DOS_DATE);
        put32(out, crc);
        put32(out, packed_size);
        put32(out, size);
        put16(out, name_len);
        put16(out, 0);
        out.extend_from_slice(name);
        out.extend_from_slice(body);
        // Its central directory record.
        let c = &mut self.central;
        put32(c, 0x0201_4b50);
        put16(c, 20);
        put16(c, 20);
        put16(c, 0x0800);
        put16(c, method);
        put16(c, 0);
        put16(c, DOS_DATE);
        put32(c, crc);
        put32(c, packed_size);
        put32(c, size);
        put16(c, name_len);
        put16(c, 0); // extra
        put16(c, 0); // comment
        put16(c, 0); // disk
        put16(c, 0); // internal attributes
        put32(c, 0); // external attributes
        put32(c, offset);
        c.extend_from_slice(name);
        self.entries = self.entries.checked_add(1).ok_or_else(too_big)?;
        Ok(())
    }

    fn finish(self, out: &mut Vec<u8>) -> std::io::Result<()> {
        let too_big = || std::io::Error::other("a DOCX package over 4 GiB");
        let start = u32::try_from(out.len()).map_err(|_| too_big())?;
        let size = u32::try_from(self.central.len()).map_err(|_| too_big())?;
        out.extend_from_slice(&self.central);
        put32(out, 0x0605_4b50);
        put16(out, 0);
        put16(out, 0);
        put16(out, self.entries);
        put16(out, self.entries);
        put32(out, size);
        put32(out, start);
        put16(out, 0);
        Ok(())
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn replace(bytes: &mut Vec<u8>, from: &str, to: &str) {
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.contains(from)
    {
        *bytes = text.replace(from, to).into_bytes();
    }
}
