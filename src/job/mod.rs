//! Jobs: parsing the wire form, validating it once, and the validated [`Job`]
//! every generator trusts.

pub mod document;
pub mod image;
mod wire;
pub mod zip;

use std::collections::BTreeSet;
use std::fmt;

pub use wire::{BatchRequest, JobRequest};

use crate::format::Format;
use crate::problem::{Diagnostics, FieldError};
use crate::templates::{Catalog, Missing};
use crate::xlsx;

/// A validated job.
#[derive(Debug)]
pub struct Job {
    pub format: Format,
    /// File name offered to the client; safe to put in a header.
    pub filename: String,
    pub body: JobBody,
    /// Files sent with the job (multipart parts, `--file`), by name; set
    /// with [`Job::attach`].
    pub files: crate::doc::Files,
    /// Whether the job named its file (otherwise image jobs name it after
    /// their source once it is known).
    filename_given: bool,
}

/// The format-specific part of a validated job.
#[derive(Debug)]
pub enum JobBody {
    Xlsx(xlsx::Workbook),
    Pdf(document::DocJob),
    /// The same document job as PDF, written as Word.
    Docx(document::DocJob),
    Image(image::ImageJob),
    /// An archive; shared with the tasks that render its entries.
    Zip(std::sync::Arc<zip::ZipJob>),
}

impl Job {
    /// The checks validation leaves to the worker because they can be heavy:
    /// rendering a document job's template and reading its markup. Layout
    /// and output are not run. Used by `/v1/validate` and `docsmith validate`.
    pub fn check_document(&self) -> Result<(), Vec<FieldError>> {
        self.check_document_in(&crate::render_ctx::RenderCtx::default())
    }

    /// [`Job::check_document`] that stops between the entries of a zip job
    /// once `ctx` is cancelled or past its deadline, with what it found so
    /// far.
    pub fn check_document_in(
        &self,
        ctx: &crate::render_ctx::RenderCtx,
    ) -> Result<(), Vec<FieldError>> {
        match &self.body {
            JobBody::Pdf(doc_job) | JobBody::Docx(doc_job) => {
                doc_job.document(&self.files).map(|_| ())
            }
            JobBody::Zip(zip) => zip::check_documents(zip, ctx),
            JobBody::Xlsx(_) | JobBody::Image(_) => Ok(()),
        }
    }

    /// Attaches the files sent with the job. An image job finds its source
    /// among them now, so a missing or unreadable source is reported
    /// before the job is queued.
    pub fn attach(&mut self, files: crate::doc::Files) -> Result<(), Vec<FieldError>> {
        match &mut self.body {
            JobBody::Image(image) => {
                let output = image.attach(&files).map_err(|e| vec![e])?;
                if !self.filename_given {
                    self.filename = format!("{}.{}", image.stem(), output.extension());
                }
            }
            JobBody::Zip(zip) => {
                // Nothing else holds the job before it is attached.
                let Some(zip) = std::sync::Arc::get_mut(zip) else {
                    return Err(vec![FieldError::new(
                        "",
                        "the job's files were attached twice",
                    )]);
                };
                zip::attach(zip, &files)?;
            }
            _ => {}
        }
        self.files = files;
        Ok(())
    }

    /// The media type of the result.
    pub fn content_type(&self) -> &'static str {
        match &self.body {
            JobBody::Image(image) => image
                .output
                .or(image.spec.output.format)
                .map_or("application/octet-stream", |f| f.media_type()),
            _ => self.format.content_type(),
        }
    }
}

/// Why a job was not accepted.
#[derive(Debug)]
pub enum JobError {
    /// The body is not JSON (400). Line and column are 1-based.
    Malformed {
        message: String,
        line: usize,
        column: usize,
    },
    /// Well-formed but wrong: every problem found (422).
    Invalid(Vec<FieldError>),
    /// `template` names no template, or `template_version` no version of
    /// it (404): what is missing, at `pointer`.
    UnknownTemplate {
        pointer: &'static str,
        message: String,
    },
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Malformed {
                message,
                line,
                column,
            } => {
                write!(
                    f,
                    "malformed JSON at line {line}, column {column}: {message}"
                )
            }
            JobError::Invalid(errors) => {
                write!(f, "invalid job:")?;
                for e in errors {
                    write!(f, "\n  {}: {}", display_pointer(&e.pointer), e.message)?;
                }
                Ok(())
            }
            JobError::UnknownTemplate { message, .. } => f.write_str(message),
        }
    }
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "(job)" } else { pointer }
}

/// Parses a job from JSON bytes. Syntax errors carry line/column; a value of
/// the wrong JSON type carries the pointer of where it is.
pub fn parse(bytes: &[u8]) -> Result<JobRequest, JobError> {
    parse_json(bytes)
}

/// [`parse`] for any request body (a stored template's, say).
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JobError> {
    // Plain serde_json first: tracking the path of every value costs a few
    // percent of a small job, and only a failed parse needs it.
    match serde_json::from_slice(bytes) {
        Ok(request) => Ok(request),
        Err(_) => parse_tracking_path(bytes),
    }
}

/// Parses again, this time tracking where in the document the error is.
fn parse_tracking_path<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, JobError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match parsed {
        Ok(request) => {
            // Trailing data after the job object is a syntax error too.
            de.end().map_err(|err| malformed(&err))?;
            Ok(request)
        }
        Err(err) => {
            let pointer = path_to_pointer(err.path());
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => Err(JobError::Invalid(vec![FieldError::new(
                    pointer,
                    message(&inner),
                )])),
                _ => Err(malformed(&inner)),
            }
        }
    }
}

fn malformed(err: &serde_json::Error) -> JobError {
    JobError::Malformed {
        message: message(err),
        line: err.line(),
        column: err.column(),
    }
}

/// serde_json's message without the " at line L column C" it appends; we
/// report those as fields of their own.
fn message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push('/');
                pointer.push_str(&crate::problem::escape_token(key));
            }
            Segment::Unknown => {}
        }
    }
    pointer
}

/// The templates a job names, with the version it pins (if any): its own
/// and those of the jobs in its entries and batch, however deeply nested.
/// The caller looks up the stored ones before validating the job.
pub fn template_refs(request: &JobRequest) -> BTreeSet<(String, Option<i64>)> {
    let mut refs = BTreeSet::new();
    if let Some(name) = &request.template {
        refs.insert((name.clone(), request.template_version));
    }
    if let Some(serde_json::Value::Array(entries)) = &request.entries {
        for job in entries.iter().filter_map(|entry| entry.get("job")) {
            nested_refs(job, &mut refs, 1);
        }
    }
    if let Some(job) = request.batch.as_ref().and_then(|b| b.job.as_ref()) {
        nested_refs(job, &mut refs, 1);
    }
    refs
}

/// [`template_refs`] of a nested job that is still JSON.
fn nested_refs(job: &serde_json::Value, refs: &mut BTreeSet<(String, Option<i64>)>, depth: usize) {
    // Deeper than JSON nests (serde_json stops at 128 levels, three per
    // job): only a guard.
    if depth > 64 {
        return;
    }
    if let Some(serde_json::Value::String(name)) = job.get("template") {
        let version = job
            .get("template_version")
            .and_then(serde_json::Value::as_i64);
        refs.insert((name.clone(), version));
    }
    if let Some(serde_json::Value::Array(entries)) = job.get("entries") {
        for job in entries.iter().filter_map(|entry| entry.get("job")) {
            nested_refs(job, refs, depth + 1);
        }
    }
    if let Some(job) = job.get("batch").and_then(|b| b.get("job")) {
        nested_refs(job, refs, depth + 1);
    }
}

/// Most bytes a file name may have.
const MAX_FILENAME_BYTES: usize = 255;

/// Validates a parsed job against the contract, reporting every problem.
pub fn validate(request: JobRequest, templates: &Catalog) -> Result<Job, JobError> {
    validate_at(request, templates, 1)
}

/// Validates a job nested `depth - 1` levels deep in zip jobs.
fn validate_at(
    mut request: JobRequest,
    templates: &Catalog,
    depth: usize,
) -> Result<Job, JobError> {
    let mut diags = Diagnostics::new();

    let format = match request.format.as_deref() {
        None => {
            diags.error(
                "/format",
                format!("missing required field; expected one of {}", format_list()),
            );
            None
        }
        Some(name) => match Format::parse(name) {
            Some(format) => Some(format),
            None => {
                diags.error(
                    "/format",
                    format!("unknown format {name:?}; expected one of {}", format_list()),
                );
                None
            }
        },
    };

    if let Some(filename) = &request.filename {
        check_filename(filename, &mut diags);
    }

    // The template as the catalog knows it: a stored one's version is
    // part of its key. The name stays for the default file name.
    let mut template_key = None;
    match (&request.template, request.template_version) {
        (Some(name), version) => match templates.key(name, version) {
            Ok(key) => template_key = Some(key),
            Err(missing) => {
                let (pointer, message) = missing.describe(name);
                // A missing template is a 404 only when nothing else is
                // wrong; otherwise it is one problem among the others. A
                // version of a built-in template is just wrong.
                if diags.is_empty() && missing != Missing::BuiltinVersion {
                    return Err(JobError::UnknownTemplate { pointer, message });
                }
                diags.error(pointer, message);
            }
        },
        (None, Some(_)) => diags.error("/template_version", "only used with `template`"),
        (None, None) => {}
    }

    let Some(format) = format else {
        return Err(JobError::Invalid(diags.into_errors()));
    };
    let filename_given = request.filename.is_some();
    let filename = request.filename.clone().unwrap_or_else(|| {
        let stem = match format {
            Format::Zip => "archive",
            _ => request.template.as_deref().unwrap_or("document"),
        };
        format!("{stem}.{}", format.extension())
    });
    if template_key.is_some() {
        request.template = template_key;
    }

    let body = match format {
        Format::Xlsx => validate_xlsx(request, templates, &mut diags).map(JobBody::Xlsx),
        Format::Pdf => {
            let fonts = templates.fonts().clone();
            document::validate(request, "pdf", templates, &fonts, &mut diags).map(JobBody::Pdf)
        }
        Format::Docx => {
            let fonts = templates.fonts().clone();
            document::validate(request, "docx", templates, &fonts, &mut diags).map(JobBody::Docx)
        }
        Format::Image => image::validate(request, templates, &mut diags).map(JobBody::Image),
        Format::Zip => zip::validate(request, templates, depth, &mut diags).map(JobBody::Zip),
    };

    match body {
        Some(body) if diags.is_empty() => Ok(Job {
            format,
            filename,
            body,
            files: crate::doc::Files::new(),
            filename_given,
        }),
        _ => Err(JobError::Invalid(diags.into_errors())),
    }
}

fn validate_xlsx(
    request: JobRequest,
    templates: &Catalog,
    diags: &mut Diagnostics,
) -> Option<xlsx::Workbook> {
    reject_unused(&request, &["/workbook"], "xlsx", diags);
    match (request.workbook, &request.template) {
        (Some(_), Some(_)) => {
            diags.error(
                "/template",
                "give either `workbook` or `template`, not both",
            );
            None
        }
        (None, Some(name)) => {
            if templates.contains(name) {
                diags.error(
                    "/template",
                    "xlsx from a template's tables is not available yet; send a `workbook`",
                );
            }
            None
        }
        (None, None) => {
            diags.error("/workbook", "missing required field for xlsx jobs");
            None
        }
        (Some(spec), None) => {
            if request.data.is_some() {
                diags.error("/data", "`data` is only used with `template`");
            }
            xlsx::validate(spec, "/workbook", diags)
        }
    }
}

/// Reports every format-specific field of `request` that a job of `format`
/// does not read (`used` lists the ones it does, besides `template`/`data`).
fn reject_unused(request: &JobRequest, used: &[&str], format: &str, diags: &mut Diagnostics) {
    let fields: [(&str, bool); 13] = [
        ("/template_source", request.template_source.is_some()),
        ("/document", request.document.is_some()),
        ("/workbook", request.workbook.is_some()),
        ("/source", request.source.is_some()),
        ("/resize", request.resize.is_some()),
        ("/output", request.output.is_some()),
        ("/strip_metadata", request.strip_metadata.is_some()),
        ("/auto_orient", request.auto_orient.is_some()),
        ("/entries", request.entries.is_some()),
        ("/batch", request.batch.is_some()),
        ("/on_error", request.on_error.is_some()),
        ("/manifest", request.manifest.is_some()),
        ("/options", request.options.is_some()),
    ];
    for (pointer, present) in fields {
        if present && !used.contains(&pointer) {
            diags.error(pointer, format!("not used by {format} jobs"));
        }
    }
}

fn format_list() -> String {
    Format::ALL
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_filename(name: &str, diags: &mut Diagnostics) {
    if name.trim().is_empty() {
        diags.error("/filename", "must not be empty");
    } else if name.len() > MAX_FILENAME_BYTES {
        diags.error(
            "/filename",
            format!("longer than {MAX_FILENAME_BYTES} bytes"),
        );
    } else if name
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        diags.error(
            "/filename",
            "must be a plain file name: no path separators or control characters",
        );
    } else if name == "." || name == ".." {
        diags.error("/filename", "must be a plain file name");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_parse_error(input: &str, expect: &str) {
        match parse(input.as_bytes()) {
            Err(JobError::Malformed { line, column, .. }) => {
                assert_eq!(
                    format!("malformed {line}:{column}"),
                    expect,
                    "input {input}"
                )
            }
            Err(JobError::Invalid(errors)) => {
                assert_eq!(
                    format!("invalid {}", errors[0].pointer),
                    expect,
                    "input {input}"
                )
            }
            other => panic!("{input}: unexpected {other:?}"),
        }
    }

    #[test]
    fn parse_errors_point_at_the_problem() {
        check_parse_error("{", "malformed 1:1");
        check_parse_error("{\n  \"format\": \"xlsx\",\n  oops\n}", "malformed 3:3");
        check_parse_error("{\"format\": 3}", "invalid /format");
        check_parse_error("{\"nope\": 1}", "invalid /nope");
        check_parse_error("{\"format\":\"xlsx\"} x", "malformed 1:19");
    }

    #[test]
    fn filename_rules() {
        for (name, ok) in [
            ("report.xlsx", true),
            ("Überblick 2026.xlsx", true),
            ("", false),
            ("../etc/passwd", false),
            ("a\\b", false),
            ("a\nb", false),
            ("..", false),
        ] {
            let mut diags = Diagnostics::new();
            check_filename(name, &mut diags);
            assert_eq!(diags.is_empty(), ok, "{name:?}");
        }
    }
}
