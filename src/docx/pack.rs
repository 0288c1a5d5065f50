//! The DOCX package: docx-rs's XML parts written in a fixed order by
//! [`crate::archive::ZipWriter`] (fixed timestamps, one deflate compressor
//! per thread), XML parts over 2 KiB deflated, smaller parts and pictures
//! stored.

use docx_rs::XMLDocx;

use crate::archive::{Method, ZipWriter};

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

    let mut zip = ZipWriter::new(out);
    for (name, bytes) in parts {
        // Small parts gain a few hundred bytes from deflate and cost a
        // compressor reset each.
        let method = if bytes.len() > 2048 {
            Method::Deflate
        } else {
            Method::Store
        };
        zip.add(&name, &bytes, method)?;
    }
    for (name, bytes) in media {
        // Pictures are compressed already.
        zip.add(&name, &bytes, Method::Store)?;
    }
    zip.finish()?;
    Ok(())
}

fn replace(bytes: &mut Vec<u8>, from: &str, to: &str) {
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.contains(from)
    {
        *bytes = text.replace(from, to).into_bytes();
    }
}
