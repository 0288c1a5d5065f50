//! The fonts of one PDF: which glyphs each face drew, their codes in the
//! content streams, and the font objects that embed them.
//!
//! Every face is embedded as a Type 0 font with `Identity-H` encoding over a
//! `CIDFontType2` subset ([`super::subset`]). Codes are handed out in order
//! of first use, so the content stream can be written while the page is laid
//! out; code 0 is `.notdef`. Each code's width (`/W`) is the face's own
//! advance in whole thousandths of an em — the same number the content
//! stream's glyph offsets are computed against — and its text (`/ToUnicode`)
//! is the character or cluster the glyph first stood for.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};

use lopdf::{Dictionary, Object, Stream};

use crate::fonts::{Face, FaceId, FontBook};

use super::PdfError;
use super::subset;

/// The glyphs one face drew in a document.
pub(super) struct FontUse {
    pub face: FaceId,
    /// Code + 1 of each original glyph, 0 while unused.
    codes: Vec<u16>,
    /// Original glyph of each code.
    gids: Vec<u16>,
    /// Text of each code (empty: none, such as the second glyph of a
    /// cluster).
    texts: Vec<Box<str>>,
    /// Width of each code in thousandths of an em.
    widths: Vec<u16>,
    units_per_em: f32,
}

impl FontUse {
    fn new(face_id: FaceId, face: &Face) -> FontUse {
        let mut font = FontUse {
            face: face_id,
            codes: vec![0; usize::from(face.shaper().number_of_glyphs())],
            gids: Vec::new(),
            texts: Vec::new(),
            widths: Vec::new(),
            units_per_em: face.units_per_em,
        };
        font.code(face, 0, "");
        font
    }

    /// The code of glyph `gid`, assigning one on first use.
    pub fn code(&mut self, face: &Face, gid: u16, text: &str) -> u16 {
        let Some(slot) = self.codes.get_mut(usize::from(gid)) else {
            return 0;
        };
        if *slot != 0 {
            let code = *slot - 1;
            if self.texts[usize::from(code)].is_empty() && !text.is_empty() {
                self.texts[usize::from(code)] = text.into();
            }
            return code;
        }
        let code = self.gids.len() as u16;
        *slot = code + 1;
        self.gids.push(gid);
        self.texts.push(text.into());
        self.widths.push(width(face, gid));
        code
    }

    /// The width the viewer advances by after the glyph, in thousandths of
    /// an em (the `/W` entry).
    pub fn width_of(&self, code: u16) -> u16 {
        self.widths.get(usize::from(code)).copied().unwrap_or(0)
    }

    /// Adds the font's objects to `doc`; returns the Type 0 font's id.
    pub fn embed(&self, book: &FontBook, doc: &mut lopdf::Document) -> Result<Object, PdfError> {
        let face = book.face(self.face);
        let data = face.data();
        let file = subset::subset(data, &self.gids)
            .map_err(|e| PdfError::Font(format!("{}: {e}", face.family)))?;
        let name = format!("{}+{}", self.tag(), pdf_name(&face.postscript_name));
        let scale = 1000.0 / self.units_per_em;
        let shaper = face.shaper();
        let bbox = shaper.global_bounding_box();
        let cap_height = shaper.capital_height().map_or(face.ascender, f32::from);
        let italic_angle = shaper.italic_angle();
        let length1 = file.len() as i64;
        let font_file = doc.add_object(Stream::new(
            Dictionary::from_iter([("Length1", Object::Integer(length1))]),
            file,
        ));
        let mut flags = 4; // symbolic: glyphs are addressed by number
        if face.italic {
            flags |= 64;
        }
        let descriptor = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"FontDescriptor".to_vec())),
            ("FontName", Object::Name(name.clone().into_bytes())),
            ("Flags", Object::Integer(flags)),
            (
                "FontBBox",
                Object::Array(
                    [bbox.x_min, bbox.y_min, bbox.x_max, bbox.y_max]
                        .iter()
                        .map(|&v| Object::Integer((f32::from(v) * scale).round() as i64))
                        .collect(),
                ),
            ),
            ("ItalicAngle", Object::Real(italic_angle)),
            (
                "Ascent",
                Object::Integer((face.ascender * scale).round() as i64),
            ),
            (
                "Descent",
                Object::Integer((face.descender * scale).round() as i64),
            ),
            (
                "CapHeight",
                Object::Integer((cap_height * scale).round() as i64),
            ),
            ("StemV", Object::Integer(if face.bold { 120 } else { 80 })),
            ("FontFile2", Object::Reference(font_file)),
        ]));
        let widths = Object::Array(vec![
            Object::Integer(0),
            Object::Array(
                self.widths
                    .iter()
                    .map(|&w| Object::Integer(i64::from(w)))
                    .collect(),
            ),
        ]);
        let cid_font = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"CIDFontType2".to_vec())),
            ("BaseFont", Object::Name(name.clone().into_bytes())),
            (
                "CIDSystemInfo",
                Object::Dictionary(Dictionary::from_iter([
                    ("Registry", Object::string_literal("Adobe")),
                    ("Ordering", Object::string_literal("Identity")),
                    ("Supplement", Object::Integer(0)),
                ])),
            ),
            ("FontDescriptor", Object::Reference(descriptor)),
            ("DW", Object::Integer(0)),
            ("W", widths),
            ("CIDToGIDMap", Object::Name(b"Identity".to_vec())),
        ]));
        let to_unicode = doc.add_object(Stream::new(Dictionary::new(), self.to_unicode()));
        let font = doc.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Font".to_vec())),
            ("Subtype", Object::Name(b"Type0".to_vec())),
            ("BaseFont", Object::Name(name.into_bytes())),
            ("Encoding", Object::Name(b"Identity-H".to_vec())),
            (
                "DescendantFonts",
                Object::Array(vec![Object::Reference(cid_font)]),
            ),
            ("ToUnicode", Object::Reference(to_unicode)),
        ]));
        Ok(Object::Reference(font))
    }

    /// Six capital letters derived from the face and the glyphs used, so a
    /// different subset of the same face gets a different name.
    fn tag(&self) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.face.hash(&mut hasher);
        self.gids.hash(&mut hasher);
        let mut n = hasher.finish();
        (0..6)
            .map(|_| {
                let c = char::from(b'A' + (n % 26) as u8);
                n /= 26;
                c
            })
            .collect()
    }

    /// The ToUnicode CMap: each code's text as UTF-16BE.
    fn to_unicode(&self) -> Vec<u8> {
        let mut out = String::with_capacity(300 + self.texts.len() * 24);
        out.push_str(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let mapped: Vec<(usize, &str)> = self
            .texts
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .map(|(code, t)| (code, &**t))
            .collect();
        // At most 100 entries per block.
        for block in mapped.chunks(100) {
            let _ = writeln!(out, "{} beginbfchar", block.len());
            for (code, text) in block {
                let _ = write!(out, "<{code:04X}> <");
                for unit in text.encode_utf16() {
                    let _ = write!(out, "{unit:04X}");
                }
                out.push_str(">\n");
            }
            out.push_str("endbfchar\n");
        }
        out.push_str("endcmap\nCMapName currentdict /defineresource pop\nend\nend\n");
        out.into_bytes()
    }
}

/// The faces a document draws with, in order of first use.
#[derive(Default)]
pub(super) struct Fonts {
    pub used: Vec<FontUse>,
}

impl Fonts {
    /// The index of `face` among the document's fonts (its resource name is
    /// `F` + index).
    pub fn index(&mut self, book: &FontBook, face: FaceId) -> usize {
        if let Some(i) = self.used.iter().position(|f| f.face == face) {
            return i;
        }
        self.used.push(FontUse::new(face, book.face(face)));
        self.used.len() - 1
    }
}

/// The viewer's advance for `gid`: whole thousandths of an em.
fn width(face: &Face, gid: u16) -> u16 {
    (face.advance(gid) * 1000.0 / face.units_per_em).trunc() as u16
}

/// A PostScript name with only the characters a PDF name may hold bare.
fn pdf_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_graphic() && !"()<>[]{}/%#".contains(*c))
        .collect()
}
