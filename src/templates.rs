//! The template catalog: the templates a job may name, compiled once.
//!
//! Templates live in a directory (the built-in `templates/` or one given with
//! `--templates-dir`): `NAME.xml` is the template (minijinja over docsmith
//! markup) and an optional `NAME.json` describes it:
//! `{"description": "…", "formats": ["pdf", "docx"], "sample_job": "../samples/pdf-NAME.json"}`.
//! The sample job's `data` is served as the template's sample data.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

use minijinja::Environment;
use serde::Serialize;
use utoipa::ToSchema;

use crate::fonts::FontBook;
use crate::template::{self, TemplateError, TemplateLimits};

/// One template, as `GET /v1/templates` lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateInfo {
    #[schema(example = "invoice")]
    pub name: String,
    pub description: String,
    /// Formats the template renders to.
    #[schema(example = json!(["pdf", "docx"]))]
    pub formats: Vec<String>,
    /// Data the template renders with as is (the `data` of its sample job);
    /// absent for a stored template uploaded without.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub sample_data: Option<serde_json::Value>,
    /// Stored templates: this version's number (the latest unless another
    /// was asked for). Built-in templates have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 2)]
    pub version: Option<i64>,
    /// Stored templates: when this version was stored (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-11-27T09:30:00.000Z")]
    pub created_at: Option<String>,
    /// Stored templates, `GET /v1/templates/{name}`: the markup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Stored templates, `GET /v1/templates/{name}`: every version kept,
    /// oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<TemplateVersion>>,
}

/// One kept version of a stored template.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"version": 1, "created_at": "2026-11-26T16:02:11.000Z"}))]
pub struct TemplateVersion {
    #[schema(example = 1)]
    pub version: i64,
    /// When it was stored (RFC 3339).
    #[schema(example = "2026-11-26T16:02:11.000Z")]
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read templates directory {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("template {name}: {error}")]
    Template { name: String, error: TemplateError },
    #[error("template {name}: bad description file: {message}")]
    Meta { name: String, message: String },
}

#[derive(Clone)]
pub struct Catalog {
    infos: BTreeMap<String, Arc<TemplateInfo>>,
    env: Arc<Environment<'static>>,
    /// Stored templates added for one job (see [`Catalog::with_stored`]).
    stored: Arc<StoredSet>,
    limits: TemplateLimits,
    /// The fonts documents from these templates are set in.
    fonts: Arc<FontBook>,
    /// Limits for documents rendered with this catalog.
    pub doc_limits: DocLimits,
}

/// One version of a stored template, as a job renders it.
#[derive(Debug, Clone)]
pub struct StoredSource {
    pub name: String,
    pub version: i64,
    pub source: String,
}

/// The stored templates of one job's catalog.
#[derive(Debug, Default)]
struct StoredSet {
    /// The version a job gets without `template_version`, by name.
    defaults: BTreeMap<String, i64>,
    /// Versions that do not compile (left out of the environment), with
    /// the error.
    broken: BTreeMap<String, String>,
}

/// The key of a stored template's version in a job's catalog. Stored
/// names have no `@`, so keys never clash with names.
fn stored_key(name: &str, version: i64) -> String {
    format!("{name}@{version}")
}

/// Why [`Catalog::key`] found no template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// No template of that name.
    Template,
    /// The stored template has no such version (or it was deleted).
    Version(i64),
    /// `template_version` with a built-in template.
    BuiltinVersion,
    /// The version does not compile any more.
    Broken(String),
}

impl Missing {
    /// What a job naming template `name` is told: the field of the job it
    /// is about (`/template` or `/template_version`) and the message. The
    /// template routes say the same.
    pub fn describe(&self, name: &str) -> (&'static str, String) {
        match self {
            Missing::Template => (
                "/template",
                format!("there is no template named {name:?}; GET /v1/templates lists them"),
            ),
            Missing::Version(version) => (
                "/template_version",
                format!(
                    "template {name:?} has no version {version}; GET /v1/templates/{name} lists its versions"
                ),
            ),
            Missing::BuiltinVersion => (
                "/template_version",
                format!("{name:?} is a built-in template: it has no versions"),
            ),
            Missing::Broken(error) => (
                "/template",
                format!("stored template {name:?} no longer compiles: {error}"),
            ),
        }
    }
}

/// Limits on documents beyond the template's own.
#[derive(Debug, Clone, Copy)]
pub struct DocLimits {
    /// Most pages a document may have.
    pub max_pages: usize,
    /// Largest image, in pixels, checked from its header before decoding.
    pub max_image_pixels: u64,
    /// Largest encoded input of an image job.
    pub max_image_bytes: usize,
    /// Most entries of a zip job, nested archives' included.
    pub max_zip_entries: usize,
    /// Deepest nesting of zip jobs (1: no archive inside an archive).
    pub max_zip_depth: usize,
    /// Most bytes all entries of a zip job may hold, uncompressed.
    pub max_zip_bytes: u64,
}

/// Default of `--max-zip-entries`.
pub const DEFAULT_MAX_ZIP_ENTRIES: usize = 10_000;
/// Default of `--max-zip-depth`.
pub const DEFAULT_MAX_ZIP_DEPTH: usize = 3;
/// Default of `--max-zip-bytes`: 2 GiB.
pub const DEFAULT_MAX_ZIP_BYTES: u64 = 2 << 30;

impl Default for DocLimits {
    fn default() -> Self {
        Self {
            max_pages: crate::layout::paginate::DEFAULT_MAX_PAGES,
            max_image_pixels: crate::doc::DEFAULT_MAX_IMAGE_PIXELS,
            max_image_bytes: crate::image::DEFAULT_MAX_IMAGE_BYTES,
            max_zip_entries: DEFAULT_MAX_ZIP_ENTRIES,
            max_zip_depth: DEFAULT_MAX_ZIP_DEPTH,
            max_zip_bytes: DEFAULT_MAX_ZIP_BYTES,
        }
    }
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("templates", &self.infos.keys())
            .finish()
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self {
            infos: BTreeMap::new(),
            env: Arc::new(template::environment(TemplateLimits::default())),
            stored: Arc::default(),
            limits: TemplateLimits::default(),
            fonts: FontBook::builtin(),
            doc_limits: DocLimits::default(),
        }
    }
}

impl Catalog {
    /// Reads and compiles the templates in `dir`. An unreadable or missing
    /// directory or a template with a syntax error is an error (the service
    /// should not start half-configured).
    pub fn load(dir: &Path) -> Result<Catalog, CatalogError> {
        Self::load_with(dir, TemplateLimits::default())
    }

    /// [`Catalog::load`] with the given template limits.
    pub fn load_with(dir: &Path, limits: TemplateLimits) -> Result<Catalog, CatalogError> {
        let io_err = |source| CatalogError::Io {
            path: dir.display().to_string(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io_err)? {
            paths.push(entry.map_err(io_err)?.path());
        }
        paths.sort();
        let mut templates = Vec::new();
        for path in paths {
            let Some(name) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .filter(|_| path.extension().is_some_and(|ext| ext == "xml"))
                .map(str::to_owned)
            else {
                continue;
            };
            let source = std::fs::read_to_string(&path).map_err(io_err)?;
            let meta = match std::fs::read(dir.join(format!("{name}.json"))) {
                Ok(bytes) => Some(bytes),
                Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(CatalogError::Meta {
                        name,
                        message: e.to_string(),
                    });
                }
            };
            let info = template_info(&name, meta.as_deref(), |rel| std::fs::read(dir.join(rel)))?;
            templates.push((name, source, info));
        }
        Self::compile(templates, limits)
    }

    /// The templates built into the binary (`templates/` of the source
    /// tree, with the sample data from `samples/`).
    pub fn builtin(limits: TemplateLimits) -> Result<Catalog, CatalogError> {
        let mut templates = Vec::new();
        for (name, source, meta, sample) in BUILTIN {
            let info = template_info(name, Some(meta.as_bytes()), |_| {
                Ok(sample.as_bytes().to_vec())
            })?;
            templates.push(((*name).to_owned(), (*source).to_owned(), info));
        }
        Self::compile(templates, limits)
    }

    fn compile(
        templates: Vec<(String, String, TemplateInfo)>,
        limits: TemplateLimits,
    ) -> Result<Catalog, CatalogError> {
        let mut env = template::environment(limits);
        let mut infos = BTreeMap::new();
        for (name, source, info) in templates {
            template::add_checked(&mut env, &name, &source).map_err(|error| {
                CatalogError::Template {
                    name: name.clone(),
                    error,
                }
            })?;
            infos.insert(name, Arc::new(info));
        }
        Ok(Catalog {
            infos,
            env: Arc::new(env),
            stored: Arc::default(),
            limits,
            fonts: FontBook::builtin(),
            doc_limits: DocLimits::default(),
        })
    }

    /// Sets the fonts documents are set in (built-in plus `--fonts-dir`).
    pub fn with_fonts(mut self, fonts: Arc<FontBook>) -> Catalog {
        self.fonts = fonts;
        self
    }

    pub fn fonts(&self) -> &Arc<FontBook> {
        &self.fonts
    }

    /// Whether `name` is a template of the catalog, or the key of a stored
    /// template added to it (see [`Catalog::key`]).
    pub fn contains(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }

    /// Whether `name` is a built-in (or `--templates-dir`) template: such
    /// names cannot be stored.
    pub fn is_builtin(&self, name: &str) -> bool {
        self.infos.contains_key(name)
    }

    /// This catalog with stored templates added, for one job: each version
    /// under the key `NAME@VERSION`, and `defaults` telling which version
    /// a job naming the template without `template_version` gets. A
    /// version that no longer compiles (stored under other limits) is left
    /// out and [`Catalog::key`] says why.
    pub fn with_stored(
        &self,
        sources: Vec<StoredSource>,
        defaults: BTreeMap<String, i64>,
    ) -> Catalog {
        if sources.is_empty() && defaults.is_empty() {
            return self.clone();
        }
        let mut env = (*self.env).clone();
        let mut set = StoredSet {
            defaults,
            ..StoredSet::default()
        };
        for stored in sources {
            let key = stored_key(&stored.name, stored.version);
            if let Err(error) = template::add_checked(&mut env, &key, &stored.source) {
                tracing::warn!(template = %key, %error, "a stored template does not compile");
                set.broken.insert(key, error.to_string());
            }
        }
        Catalog {
            env: Arc::new(env),
            stored: Arc::new(set),
            ..self.clone()
        }
    }

    /// What a job naming template `name` (and `version`, if pinned)
    /// renders: the key of the template in this catalog.
    pub fn key(&self, name: &str, version: Option<i64>) -> Result<String, Missing> {
        if self.infos.contains_key(name) {
            return match version {
                None => Ok(name.to_owned()),
                Some(_) => Err(Missing::BuiltinVersion),
            };
        }
        let Some(version) = version.or_else(|| self.stored.defaults.get(name).copied()) else {
            return Err(Missing::Template);
        };
        let key = stored_key(name, version);
        if self.env.get_template(&key).is_ok() {
            Ok(key)
        } else if let Some(error) = self.stored.broken.get(&key) {
            Err(Missing::Broken(error.clone()))
        } else {
            Err(Missing::Version(version))
        }
    }

    pub fn get(&self, name: &str) -> Option<&TemplateInfo> {
        self.infos.get(name).map(|i| i.as_ref())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.infos.keys().map(String::as_str)
    }

    pub fn infos(&self) -> impl Iterator<Item = &TemplateInfo> {
        self.infos.values().map(|i| i.as_ref())
    }

    pub fn len(&self) -> usize {
        self.infos.len()
    }

    pub fn is_empty(&self) -> bool {
        self.infos.is_empty()
    }

    /// Checks the syntax of template markup (a template to store): the
    /// error with its line and column.
    pub fn check_source(&self, source: &str) -> Result<(), TemplateError> {
        template::check_syntax(&self.env, "source", source)
    }

    /// Renders the named template with `data` into markup.
    pub fn render(&self, name: &str, data: &serde_json::Value) -> Result<String, TemplateError> {
        template::render(&self.env, name, data, self.limits)
    }

    /// Renders a template sent with the job (`template_source`).
    pub fn render_inline(
        &self,
        source: &str,
        data: &serde_json::Value,
    ) -> Result<String, TemplateError> {
        let mut env = (*self.env).clone();
        template::add_checked(&mut env, "template_source", source)?;
        template::render(&env, "template_source", data, self.limits)
    }

    /// Finds where in a template the markup at (`line`, `column`) of its
    /// output came from, by rendering again while recording output spans.
    /// `inline` is the job's `template_source`, if that is the template.
    /// Returns the 1-based line and column in the template. For more than
    /// one position, [`Catalog::tracer`] renders once for all of them.
    pub fn trace(
        &self,
        name: &str,
        inline: Option<&str>,
        data: &serde_json::Value,
        line: u32,
        column: u32,
    ) -> Option<(u32, u32)> {
        self.tracer(name, inline, data)?.locate(line, column)
    }

    /// Renders a template again while recording output spans, so that
    /// [`Tracer::locate`] can tell where in the template any position of
    /// the markup came from. One render serves every position: a render
    /// per position would let one template with many markup errors cost
    /// a hundred renders, each up to the fuel limit. `None` if the template
    /// does not render.
    pub fn tracer(
        &self,
        name: &str,
        inline: Option<&str>,
        data: &serde_json::Value,
    ) -> Option<Tracer> {
        let mut env = (*self.env).clone();
        if let Some(source) = inline {
            env.add_template_owned(name.to_string(), source.to_string())
                .ok()?;
        }
        let template = env.get_template(name).ok()?;
        let ctx = minijinja::Value::from(minijinja::value::Serde(data));
        let (output, mut spans) = template.render_with_spans(ctx).ok()?;
        // Spans of included templates cannot be pointed at.
        spans.retain(|s| s.name() == name);
        let source = template.source().to_string();
        Some(Tracer {
            output_index: TextIndex::new(&output),
            source_index: TextIndex::new(&source),
            output,
            source,
            spans,
        })
    }
}

/// A template's output with the spans of the template it came from; see
/// [`Catalog::tracer`]. Each lookup costs the same however long the output
/// and its lines are (up to 64 MiB, one line if the template likes), so a
/// hundred errors cost no more than one.
pub struct Tracer {
    source: String,
    source_index: TextIndex,
    output: String,
    output_index: TextIndex,
    /// The template's own spans, in output order; they do not overlap.
    spans: Vec<minijinja::OutputSpan>,
}

impl Tracer {
    /// The 1-based line and column in the template that wrote the markup at
    /// (`line`, `column`) of the output (1-based, column in characters).
    pub fn locate(&self, line: u32, column: u32) -> Option<(u32, u32)> {
        let offset = self.output_index.byte_at(&self.output, line, column)?;
        // The span holding `offset`, else the last one before it.
        let after = self
            .spans
            .partition_point(|s| s.output_range().start <= offset);
        let span = &self.spans[after.checked_sub(1)?];
        let at = match span.kind() {
            minijinja::OutputSpanKind::Raw => {
                span.source_range().start + (offset - span.output_range().start)
            }
            _ => span.source_range().start,
        };
        let at = at.min(self.source.len());
        if !self.source.is_char_boundary(at) {
            return None;
        }
        Some(self.source_index.position_of(&self.source, at))
    }
}

/// Lines and characters of a text, indexed so that a 1-based (line,
/// character column) position and a byte offset convert into each other
/// without scanning from the start of a long line.
struct TextIndex {
    /// Character index of the start of every line.
    line_starts: Vec<usize>,
    /// Byte offset of every [`TextIndex::STEP`]-th character.
    marks: Vec<usize>,
    chars: usize,
}

impl TextIndex {
    const STEP: usize = 4096;

    fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        let mut marks = Vec::with_capacity(text.len() / Self::STEP + 1);
        let mut chars = 0;
        for (byte, ch) in text.char_indices() {
            if chars % Self::STEP == 0 {
                marks.push(byte);
            }
            chars += 1;
            if ch == '\n' {
                line_starts.push(chars);
            }
        }
        Self {
            line_starts,
            marks,
            chars,
        }
    }

    /// Byte offset of `column` (1-based, in characters) of `line`; a column
    /// past the line's end runs on into the next lines, and past the text's
    /// end is its end. `None` if there is no such line.
    fn byte_at(&self, text: &str, line: u32, column: u32) -> Option<usize> {
        let start = *self.line_starts.get((line.max(1) - 1) as usize)?;
        let char_index = start.saturating_add(column.saturating_sub(1) as usize);
        if char_index >= self.chars {
            return Some(text.len());
        }
        let mark = self.marks[char_index / Self::STEP];
        text[mark..]
            .char_indices()
            .nth(char_index % Self::STEP)
            .map(|(i, _)| mark + i)
    }

    /// 1-based line and character column of the character at byte `at` (a
    /// character boundary).
    fn position_of(&self, text: &str, at: usize) -> (u32, u32) {
        let step = self.marks.partition_point(|&m| m <= at).max(1) - 1;
        let mark = self.marks.get(step).copied().unwrap_or(0);
        let char_index = step * Self::STEP + text[mark..at].chars().count();
        let line = self.line_starts.partition_point(|&l| l <= char_index);
        let column = char_index - self.line_starts[line - 1] + 1;
        (line as u32, column as u32)
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    #[serde(default)]
    description: String,
    #[serde(default)]
    formats: Vec<String>,
    sample_job: Option<String>,
}

/// The built-in templates: name, markup, description file, sample job.
const BUILTIN: [(&str, &str, &str, &str); 3] = [
    (
        "invoice",
        include_str!("../templates/invoice.xml"),
        include_str!("../templates/invoice.json"),
        include_str!("../samples/pdf-invoice.json"),
    ),
    (
        "letter",
        include_str!("../templates/letter.xml"),
        include_str!("../templates/letter.json"),
        include_str!("../samples/pdf-letter.json"),
    ),
    (
        "report",
        include_str!("../templates/report.xml"),
        include_str!("../templates/report.json"),
        include_str!("../samples/pdf-report.json"),
    ),
];

/// What the catalog tells about a template, from its description file
/// (`NAME.json`, if any) and the sample job it names, read by `read_sample`
/// (given the path as written in the description).
fn template_info(
    name: &str,
    meta: Option<&[u8]>,
    read_sample: impl Fn(&str) -> io::Result<Vec<u8>>,
) -> Result<TemplateInfo, CatalogError> {
    let meta_err = |message: String| CatalogError::Meta {
        name: name.to_string(),
        message,
    };
    let meta: Meta = match meta {
        Some(bytes) => serde_json::from_slice(bytes).map_err(|e| meta_err(e.to_string()))?,
        None => Meta {
            description: String::new(),
            formats: vec!["pdf".into()],
            sample_job: None,
        },
    };
    let sample_data = match &meta.sample_job {
        Some(rel) => {
            let bytes = read_sample(rel).map_err(|e| meta_err(format!("sample job {rel}: {e}")))?;
            let job: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| meta_err(format!("sample job {rel}: {e}")))?;
            job.get("data").cloned()
        }
        None => None,
    };
    Ok(TemplateInfo {
        name: name.to_string(),
        description: meta.description,
        formats: if meta.formats.is_empty() {
            vec!["pdf".into()]
        } else {
            meta.formats
        },
        sample_data,
        version: None,
        created_at: None,
        source: None,
        versions: None,
    })
}

#[cfg(test)]
mod tests {
    use super::TextIndex;

    /// The index agrees with counting from the start, on text with
    /// multi-byte characters and lines longer than a step.
    #[test]
    fn text_index_converts_positions_both_ways() {
        let long = "é".repeat(TextIndex::STEP + 7);
        let text = format!("ab\n{long}x\n\nz€\n");
        let index = TextIndex::new(&text);
        for (at, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let before = &text[..at];
            let line = before.matches('\n').count() as u32 + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            assert_eq!(index.position_of(&text, at), (line, column), "byte {at}");
            assert_eq!(
                index.byte_at(&text, line, column),
                Some(at),
                "{line}:{column}"
            );
        }
        // Past a line's end runs into the next; past the text's end is its end.
        assert_eq!(index.byte_at(&text, 1, 4), Some(3));
        assert_eq!(index.byte_at(&text, 4, 99), Some(text.len()));
        assert_eq!(index.byte_at(&text, 9, 1), None);
        assert_eq!(index.position_of("", 0), (1, 1));
    }
}
