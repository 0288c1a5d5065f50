//! The font book: the faces text can be set in, and which face draws which
//! character.
//!
//! The built-in fonts (`fonts/`, compiled into the binary so the service needs
//! no files to start) are Noto Sans in four styles, with Noto Sans Arabic,
//! Noto Sans Hebrew and Droid Sans Fallback (CJK) as fallbacks. Operators add
//! fonts from a directory (`--fonts-dir`); their families become available by
//! name and they join the fallback list. Font bytes live for the whole
//! process: the built-in ones are static, added ones are loaded once.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use rustybuzz::ttf_parser;

/// Code points whose coverage is precomputed per face (Latin, Greek,
/// Cyrillic, Hebrew, Arabic and the punctuation block).
const COVERAGE_CHARS: usize = 0x2100;

/// Index of a face in its [`FontBook`].
pub type FaceId = usize;

/// One font file (one style of one family).
pub struct Face {
    pub family: String,
    pub bold: bool,
    pub italic: bool,
    /// Font design units per em.
    pub units_per_em: f32,
    /// Typographic ascender and descender (descender negative), in font units.
    pub ascender: f32,
    pub descender: f32,
    /// PostScript name, for PDF font names.
    pub postscript_name: String,
    data: &'static [u8],
    shaper: rustybuzz::Face<'static>,
    /// Which of the first [`COVERAGE_CHARS`] code points have a glyph: the
    /// per-character fallback test without a cmap lookup.
    coverage: Vec<u64>,
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Face")
            .field("family", &self.family)
            .field("bold", &self.bold)
            .field("italic", &self.italic)
            .finish()
    }
}

impl Face {
    fn parse(data: &'static [u8]) -> Option<Face> {
        let shaper = rustybuzz::Face::from_slice(data, 0)?;
        let family = name(&shaper, ttf_parser::name_id::TYPOGRAPHIC_FAMILY)
            .or_else(|| name(&shaper, ttf_parser::name_id::FAMILY))?;
        let postscript_name = name(&shaper, ttf_parser::name_id::POST_SCRIPT_NAME)
            .unwrap_or_else(|| family.replace(' ', ""));
        let (ascender, descender) = match shaper.tables().os2 {
            Some(os2) if os2.use_typographic_metrics() => (
                f32::from(os2.typographic_ascender()),
                f32::from(os2.typographic_descender()),
            ),
            _ => (f32::from(shaper.ascender()), f32::from(shaper.descender())),
        };
        let coverage = (0..COVERAGE_CHARS / 64)
            .map(|word| {
                (0..64).fold(0u64, |bits, bit| {
                    let cp = (word * 64 + bit) as u32;
                    let has = char::from_u32(cp).is_some_and(|c| shaper.glyph_index(c).is_some());
                    bits | (u64::from(has) << bit)
                })
            })
            .collect();
        Some(Face {
            coverage,
            bold: shaper.is_bold() || shaper.weight().to_number() >= 600,
            italic: shaper.is_italic() || shaper.is_oblique(),
            units_per_em: f32::from(shaper.units_per_em() as u16),
            ascender,
            descender,
            postscript_name,
            family,
            data,
            shaper,
        })
    }

    /// The face as the shaper sees it.
    pub fn shaper(&self) -> &rustybuzz::Face<'static> {
        &self.shaper
    }

    /// Whether the face has a glyph for `ch`.
    pub fn covers(&self, ch: char) -> bool {
        let cp = ch as usize;
        match self.coverage.get(cp / 64) {
            Some(bits) => bits & (1 << (cp % 64)) != 0,
            None => self.shaper.glyph_index(ch).is_some(),
        }
    }

    /// Advance of `gid` without kerning, in font units.
    pub fn advance(&self, gid: u16) -> f32 {
        f32::from(
            self.shaper
                .glyph_hor_advance(ttf_parser::GlyphId(gid))
                .unwrap_or(0),
        )
    }

    /// The font file.
    pub fn data(&self) -> &'static [u8] {
        self.data
    }
}

fn name(face: &ttf_parser::Face<'_>, id: u16) -> Option<String> {
    face.names()
        .into_iter()
        .filter(|n| n.name_id == id && n.is_unicode())
        .find_map(|n| n.to_string())
}

/// The four styles of a family.
#[derive(Debug, Clone, Copy, Default)]
struct Family {
    regular: Option<FaceId>,
    bold: Option<FaceId>,
    italic: Option<FaceId>,
    bold_italic: Option<FaceId>,
}

impl Family {
    fn slot(&mut self, bold: bool, italic: bool) -> &mut Option<FaceId> {
        match (bold, italic) {
            (false, false) => &mut self.regular,
            (true, false) => &mut self.bold,
            (false, true) => &mut self.italic,
            (true, true) => &mut self.bold_italic,
        }
    }

    /// The closest style present: exact, then same weight upright, then any.
    fn pick(&self, bold: bool, italic: bool) -> Option<FaceId> {
        let exact = match (bold, italic) {
            (false, false) => self.regular,
            (true, false) => self.bold,
            (false, true) => self.italic,
            (true, true) => self.bold_italic,
        };
        let upright = if bold { self.bold } else { self.regular };
        exact
            .or(upright)
            .or(self.regular)
            .or(self.bold)
            .or(self.italic)
            .or(self.bold_italic)
    }
}

/// A shaping plan's identity: face, right-to-left, script tag.
type PlanKey = (FaceId, bool, [u8; 4]);

/// Every face text can be set in.
pub struct FontBook {
    faces: Vec<Face>,
    /// By lower-cased family name.
    families: HashMap<String, Family>,
    /// The family of the first face loaded (Noto Sans).
    default_key: String,
    /// Families tried, in order, for characters the requested family lacks:
    /// every family after the default, in load order.
    fallback_keys: Vec<String>,
    /// Shaping plans, built once per face, direction and script (building
    /// one costs more than shaping a short run).
    plans: Mutex<HashMap<PlanKey, Arc<rustybuzz::ShapePlan>>>,
    /// Short runs shaped before (labels, units, names repeat across rows and
    /// requests), by face, direction and text.
    shaped: Mutex<ShapeCache>,
}

/// Shaped runs by face and direction, then by text.
type ShapeCache = HashMap<(FaceId, bool), HashMap<Box<str>, Arc<[UnitGlyph]>>>;

/// A shaped glyph in font units; `cluster` is a byte offset into the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitGlyph {
    pub gid: u16,
    pub cluster: u32,
    pub advance: i32,
    pub dx: i32,
    pub dy: i32,
}

/// Longest run kept in the shaping cache, in bytes.
const CACHED_RUN_BYTES: usize = 48;
/// Entries the shaping cache holds before it starts over.
const CACHED_RUNS: usize = 50_000;

impl std::fmt::Debug for FontBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontBook")
            .field("families", &self.family_names())
            .finish()
    }
}

/// Why fonts could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("cannot read fonts directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a usable TrueType/OpenType font")]
    Unusable { path: String },
    #[error(
        "{path} has PostScript (CFF) outlines; docsmith embeds fonts with TrueType \
         outlines (glyf): use the .ttf version of the font"
    )]
    Outlines { path: String },
}

macro_rules! builtin {
    ($($file:literal),* $(,)?) => {
        &[$(($file, include_bytes!(concat!("../../fonts/", $file)) as &[u8])),*]
    };
}

/// The fonts compiled into the binary, primary family first.
const BUILTIN: &[(&str, &[u8])] = builtin!(
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSans-Italic.ttf",
    "NotoSans-BoldItalic.ttf",
    "NotoSansArabic-Regular.ttf",
    "NotoSansArabic-Bold.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansHebrew-Bold.ttf",
    "DroidSansFallback.ttf",
);

impl FontBook {
    /// The built-in fonts, parsed once per process.
    pub fn builtin() -> Arc<FontBook> {
        static BOOK: OnceLock<Arc<FontBook>> = OnceLock::new();
        BOOK.get_or_init(|| {
            let mut book = FontBook::empty();
            for (file, data) in BUILTIN {
                // The built-in files are checked by the tests; a bad one is a
                // build problem, not a runtime one.
                if let Some(face) = Face::parse(data) {
                    book.add(face);
                } else {
                    tracing::error!(file, "built-in font does not parse");
                }
            }
            Arc::new(book)
        })
        .clone()
    }

    /// The built-in fonts plus every `.ttf`/`.otf` in `dir`.
    pub fn with_dir(dir: &Path) -> Result<FontBook, FontError> {
        let mut book = FontBook::empty();
        for (_, data) in BUILTIN {
            if let Some(face) = Face::parse(data) {
                book.add(face);
            }
        }
        let entries = std::fs::read_dir(dir).map_err(|source| FontError::Dir {
            path: dir.display().to_string(),
            source,
        })?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("ttf") || e.eq_ignore_ascii_case("otf"))
            })
            .collect();
        paths.sort();
        for path in paths {
            let unusable = || FontError::Unusable {
                path: path.display().to_string(),
            };
            let data = std::fs::read(&path).map_err(|_| unusable())?;
            // Loaded once per process start and used until exit.
            let data: &'static [u8] = Box::leak(data.into_boxed_slice());
            let face = Face::parse(data).ok_or_else(unusable)?;
            if !crate::pdf::font_supported(data) {
                return Err(FontError::Outlines {
                    path: path.display().to_string(),
                });
            }
            book.add(face);
        }
        Ok(book)
    }

    fn empty() -> FontBook {
        FontBook {
            faces: Vec::new(),
            families: HashMap::new(),
            default_key: String::new(),
            fallback_keys: Vec::new(),
            plans: Mutex::new(HashMap::new()),
            shaped: Mutex::new(HashMap::new()),
        }
    }

    fn add(&mut self, face: Face) -> FaceId {
        let id = self.faces.len();
        let key = face.family.to_lowercase();
        let family = self.families.entry(key.clone()).or_default();
        let slot = family.slot(face.bold, face.italic);
        if slot.is_none() {
            *slot = Some(id);
        }
        self.faces.push(face);
        if self.default_key.is_empty() {
            self.default_key = key;
        } else if key != self.default_key && !self.fallback_keys.contains(&key) {
            self.fallback_keys.push(key);
        }
        id
    }

    /// Shapes `text` with `face` (kerning, ligatures, joining), left to right
    /// or right to left, with the script guessed from the text.
    ///
    /// Left-to-right text longer than a cached run is shaped word by word
    /// (each word with the spaces after it), so the words of paragraphs are
    /// cached and reused like short runs. Shaping does not cross a space in
    /// the scripts docsmith sets left to right, with one exception this
    /// gives up: a kerning pair of a space and the letter after it.
    pub fn shape_text(&self, face: FaceId, text: &str, rtl: bool) -> Arc<[UnitGlyph]> {
        if rtl || text.len() <= CACHED_RUN_BYTES {
            return self.shape_run(face, text, rtl);
        }
        let mut glyphs = Vec::with_capacity(text.len());
        let mut start = 0;
        while start < text.len() {
            let rest = &text[start..];
            let word_end = rest.find(' ').unwrap_or(rest.len());
            let end = rest[word_end..]
                .find(|c| c != ' ')
                .map_or(rest.len(), |spaces| word_end + spaces);
            let offset = start as u32;
            glyphs.extend(
                self.shape_run(face, &rest[..end], false)
                    .iter()
                    .map(|g| UnitGlyph {
                        cluster: g.cluster + offset,
                        ..*g
                    }),
            );
            start += end;
        }
        glyphs.into()
    }

    /// Shapes one run, through the cache when it is short.
    fn shape_run(&self, face: FaceId, text: &str, rtl: bool) -> Arc<[UnitGlyph]> {
        let cacheable = text.len() <= CACHED_RUN_BYTES;
        if cacheable
            && let Ok(cache) = self.shaped.lock()
            && let Some(hit) = cache.get(&(face, rtl)).and_then(|runs| runs.get(text))
        {
            return hit.clone();
        }
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(if rtl {
            rustybuzz::Direction::RightToLeft
        } else {
            rustybuzz::Direction::LeftToRight
        });
        buffer.guess_segment_properties();
        let output = self.shape(face, buffer);
        let glyphs: Arc<[UnitGlyph]> = output
            .glyph_infos()
            .iter()
            .zip(output.glyph_positions())
            .map(|(info, pos)| UnitGlyph {
                gid: info.glyph_id as u16,
                cluster: info.cluster,
                advance: pos.x_advance,
                dx: pos.x_offset,
                dy: pos.y_offset,
            })
            .collect();
        if cacheable && let Ok(mut cache) = self.shaped.lock() {
            let runs = cache.entry((face, rtl)).or_default();
            if runs.len() >= CACHED_RUNS {
                runs.clear();
            }
            runs.insert(Box::from(text), glyphs.clone());
        }
        glyphs
    }

    /// Shapes `buffer` (direction and script already set) with `face`.
    pub fn shape(&self, face: FaceId, buffer: rustybuzz::UnicodeBuffer) -> rustybuzz::GlyphBuffer {
        let rtl = buffer.direction() == rustybuzz::Direction::RightToLeft;
        let script = buffer.script();
        let tag = script.tag().to_bytes();
        let key = (face, rtl, tag);
        let cached = self
            .plans
            .lock()
            .ok()
            .and_then(|plans| plans.get(&key).cloned());
        let plan = match cached {
            Some(plan) => plan,
            None => {
                let plan = Arc::new(rustybuzz::ShapePlan::new(
                    self.faces[face].shaper(),
                    buffer.direction(),
                    Some(script),
                    None,
                    &[],
                ));
                if let Ok(mut plans) = self.plans.lock() {
                    plans.insert(key, plan.clone());
                }
                plan
            }
        };
        rustybuzz::shape_with_plan(self.faces[face].shaper(), &plan, buffer)
    }

    pub fn face(&self, id: FaceId) -> &Face {
        &self.faces[id]
    }

    /// Whether a family of this name is loaded (case-insensitive).
    pub fn has_family(&self, family: &str) -> bool {
        self.families.contains_key(&family.to_lowercase())
    }

    /// Names of the loaded families, sorted.
    pub fn family_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .families
            .values()
            .filter_map(|f| f.pick(false, false))
            .map(|id| self.faces[id].family.clone())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The face for a family and style; unknown families get the default.
    pub fn select(&self, family: &str, bold: bool, italic: bool) -> FaceId {
        self.families
            .get(&family.to_lowercase())
            .or_else(|| self.families.get(&self.default_key))
            .and_then(|f| f.pick(bold, italic))
            .unwrap_or(0)
    }

    /// The face that draws `ch`: `primary` if it has the glyph, else the
    /// first fallback (same style) that does, else `primary` (which then
    /// draws its missing-glyph box).
    pub fn face_for(&self, primary: FaceId, ch: char) -> FaceId {
        let face = &self.faces[primary];
        if face.covers(ch) {
            return primary;
        }
        let (bold, italic) = (face.bold, face.italic);
        let keys = std::iter::once(&self.default_key).chain(&self.fallback_keys);
        for family in keys.filter_map(|k| self.families.get(k)) {
            if let Some(id) = family.pick(bold, italic)
                && id != primary
                && self.faces[id].covers(ch)
            {
                return id;
            }
        }
        primary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A font without TrueType outlines cannot be embedded: it is refused
    /// when the fonts directory is loaded, naming the file.
    #[test]
    fn fonts_without_truetype_outlines_are_refused() {
        let dir = std::env::temp_dir().join(format!("docsmith-fonts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut data = BUILTIN[0].1.to_vec();
        // Rename the `glyf` table in the table directory (keeps it sorted).
        let count = usize::from(u16::from_be_bytes([data[4], data[5]]));
        let at = (0..count)
            .map(|i| 12 + 16 * i)
            .find(|&at| &data[at..at + 4] == b"glyf")
            .expect("Noto Sans has glyf");
        data[at..at + 4].copy_from_slice(b"glyg");
        let path = dir.join("NoOutlines.ttf");
        std::fs::write(&path, &data).expect("write font");
        let err = FontBook::with_dir(&dir).expect_err("refused");
        std::fs::remove_dir_all(&dir).ok();
        assert!(matches!(err, FontError::Outlines { .. }), "{err}");
        assert!(err.to_string().contains("NoOutlines.ttf"), "{err}");
    }
}
