//! Zip jobs: an archive of entries (nested jobs of any format, files sent
//! with the job, inline text) and an optional batch (one document job over
//! many data items, one entry each).
//!
//! Everything that can be checked before rendering is checked here, so a
//! wrong job is a 422 before any byte: every nested job, every entry path
//! (normalised and made unique, see [`crate::bundle::path`]), the number
//! of entries at every depth, the nesting depth, and the size of the files
//! and texts.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value};

use serde_json::value::RawValue;

use super::{BatchRequest, Job, JobBody, JobError, JobRequest};
use crate::bundle::path::{self, Paths};
use crate::doc::Files;
use crate::problem::{Diagnostics, FieldError, escape_token};
use crate::templates::Catalog;

/// Name of the manifest entry.
pub const MANIFEST: &str = "manifest.json";

/// A validated zip job.
#[derive(Debug)]
pub struct ZipJob {
    /// The explicit entries, in archive order.
    pub entries: Vec<Entry>,
    /// Entries made from one job and many data items, after `entries`.
    pub batch: Option<Batch>,
    pub on_error: OnError,
    /// Whether `manifest.json` ends the archive.
    pub manifest: bool,
    /// Entries in this archive and every archive nested in it.
    pub total_entries: usize,
    /// Most bytes all entries may hold, uncompressed, nested ones included.
    pub max_bytes: u64,
}

/// What a failed entry does to the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// The request fails: a problem before the first byte, or a cut
    /// download once the archive is under way.
    Fail,
    /// The entry is left out and listed in `manifest.json` with its error.
    Skip,
}

impl OnError {
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Fail => "fail",
            OnError::Skip => "skip",
        }
    }
}

/// How an entry's data is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Deflate what is not compressed already (text, XML, CSV…), store the
    /// rest (PDF, DOCX, XLSX, images, archives).
    Auto,
    Store,
    Deflate,
}

/// One explicit entry.
#[derive(Debug)]
pub struct Entry {
    /// Its path in the archive: normalised and unique.
    pub path: String,
    /// Where it is in the job (`/entries/3`).
    pub pointer: String,
    pub content: Content,
    pub compression: Compression,
}

#[derive(Debug)]
pub enum Content {
    /// A nested job; a zip job here becomes a nested archive.
    Job(Box<Job>),
    /// A file sent with the job; its bytes once attached.
    File { name: String, bytes: Option<Bytes> },
    /// Bytes given in the job (`text`, or a `data:` URL as `file`).
    Inline(Bytes),
}

/// One document job over many data items.
#[derive(Debug)]
pub struct Batch {
    /// The job every item is rendered with; its `data` is the item.
    pub job: Box<Job>,
    /// Each item as the JSON text it came as, read when it is rendered.
    pub items: Vec<Box<RawValue>>,
    /// The entry path of each item.
    pub paths: Vec<String>,
    pub compression: Compression,
}

impl Batch {
    /// The job for item `index`. Validation read every item already, so
    /// reading one again cannot fail; if it did, the item is reported.
    pub fn item_job(&self, index: usize) -> Result<Job, FieldError> {
        let data: Value = serde_json::from_str(self.items[index].get())
            .map_err(|e| FieldError::new("/data", e.to_string()))?;
        let body = match &self.job.body {
            JobBody::Pdf(doc) => JobBody::Pdf(super::document::DocJob {
                data,
                ..doc.clone()
            }),
            JobBody::Docx(doc) => JobBody::Docx(super::document::DocJob {
                data,
                ..doc.clone()
            }),
            _ => {
                return Err(FieldError::new(
                    "/batch/job/format",
                    "a batch job is a pdf or docx job",
                ));
            }
        };
        Ok(Job {
            format: self.job.format,
            filename: self.paths[index].clone(),
            body,
            files: self.job.files.clone(),
            filename_given: true,
        })
    }
}

/// Fuel for rendering one entry path from a batch's `path` template.
const PATH_FUEL: u64 = 50_000;

/// Checks the zip fields of `request`; `depth` is 1 for the job itself.
pub(super) fn validate(
    request: JobRequest,
    templates: &Catalog,
    depth: usize,
    diags: &mut Diagnostics,
) -> Option<Arc<ZipJob>> {
    super::reject_unused(
        &request,
        &["/entries", "/batch", "/on_error", "/manifest"],
        "zip",
        diags,
    );
    if request.template.is_some() {
        diags.error(
            "/template",
            "not used by zip jobs; put the template in `batch.job` or an entry's `job`",
        );
    }
    if request.data.is_some() {
        diags.error("/data", "not used by zip jobs; give `batch.items`");
    }
    let limits = templates.doc_limits;
    if depth > limits.max_zip_depth {
        diags.error(
            "/format",
            format!(
                "zip jobs nest at most {} deep (--max-zip-depth)",
                limits.max_zip_depth
            ),
        );
        return None;
    }
    let on_error = match request.on_error.as_deref() {
        None | Some("fail") => OnError::Fail,
        Some("skip") => OnError::Skip,
        Some(other) => {
            diags.error(
                "/on_error",
                format!("unknown value {other:?}; expected \"fail\" or \"skip\""),
            );
            OnError::Fail
        }
    };
    // A skipped entry is only ever reported in the manifest.
    let manifest = request.manifest.unwrap_or(on_error == OnError::Skip);
    if !manifest && on_error == OnError::Skip && request.manifest.is_some() {
        diags.error(
            "/manifest",
            "with on_error \"skip\", failed entries are reported in manifest.json: it cannot be turned off",
        );
    }

    let mut paths = Paths::new();
    if manifest {
        // Cannot clash: nothing is claimed yet.
        let _ = paths.claim(MANIFEST);
    }
    let mut zip = ZipJob {
        entries: Vec::new(),
        batch: None,
        on_error,
        manifest,
        total_entries: 0,
        max_bytes: limits.max_zip_bytes,
    };
    match request.entries {
        None | Some(Value::Null) => {}
        Some(Value::Array(entries)) => {
            for (i, value) in entries.into_iter().enumerate() {
                let pointer = format!("/entries/{i}");
                if let Some(entry) =
                    validate_entry(value, &pointer, templates, depth, &mut paths, diags)
                {
                    zip.total_entries += 1 + nested_entries(&entry.content);
                    zip.entries.push(entry);
                }
            }
        }
        Some(_) => diags.error("/entries", "expected an array of entries"),
    }
    if let Some(batch) = request.batch {
        zip.batch = validate_batch(batch, templates, &mut paths, diags);
        zip.total_entries += zip.batch.as_ref().map_or(0, |b| b.items.len());
    }
    if zip.entries.is_empty()
        && zip.batch.as_ref().is_none_or(|b| b.items.is_empty())
        && diags.is_empty()
    {
        diags.error(
            "",
            "a zip job needs `entries` or a `batch` with at least one item",
        );
    }
    if zip.total_entries > limits.max_zip_entries {
        diags.error(
            "",
            format!(
                "the archive would have {} entries (nested archives included); at most {} are allowed (--max-zip-entries)",
                zip.total_entries, limits.max_zip_entries
            ),
        );
    }
    // The size of files and texts is checked once the files are attached.
    Some(Arc::new(zip))
}

fn nested_entries(content: &Content) -> usize {
    match content {
        Content::Job(job) => match &job.body {
            JobBody::Zip(zip) => zip.total_entries,
            _ => 0,
        },
        _ => 0,
    }
}

fn validate_entry(
    value: Value,
    pointer: &str,
    templates: &Catalog,
    depth: usize,
    paths: &mut Paths,
    diags: &mut Diagnostics,
) -> Option<Entry> {
    let Value::Object(mut fields) = value else {
        diags.error(
            pointer,
            "expected an entry object: {\"path\": …, and one of \"job\", \"file\", \"text\"}",
        );
        return None;
    };
    let raw_path = fields.remove("path");
    let compression = compression(fields.remove("compression"), pointer, diags);
    let job = fields.remove("job");
    let file = fields.remove("file");
    let text = fields.remove("text");
    for key in fields.keys() {
        diags.error(
            format!("{pointer}/{}", escape_token(key)),
            "unknown field; an entry has `path`, one of `job`, `file`, `text`, and optionally `compression`",
        );
    }

    let content = match (job, file, text) {
        (Some(job), None, None) => {
            let job_pointer = format!("{pointer}/job");
            nested_job(job, &job_pointer, templates, depth, diags)
                .map(|job| Content::Job(Box::new(job)))
        }
        (None, Some(file), None) => match file {
            Value::String(reference) => {
                file_reference(&reference, &format!("{pointer}/file"), diags)
            }
            _ => {
                diags.error(
                    format!("{pointer}/file"),
                    "expected the name of a file sent with the job",
                );
                None
            }
        },
        (None, None, Some(text)) => match text {
            Value::String(text) => Some(Content::Inline(Bytes::from(text))),
            _ => {
                diags.error(format!("{pointer}/text"), "expected a string");
                None
            }
        },
        (None, None, None) => {
            diags.error(pointer, "an entry needs one of `job`, `file` or `text`");
            None
        }
        _ => {
            diags.error(pointer, "give only one of `job`, `file` or `text`");
            None
        }
    };

    let path = match raw_path {
        Some(Value::String(raw)) => path::normalise(&raw)
            .and_then(|p| paths.claim(&p))
            .map_err(|m| diags.error(format!("{pointer}/path"), m))
            .ok(),
        Some(_) => {
            diags.error(format!("{pointer}/path"), "expected a string");
            None
        }
        None => {
            diags.error(format!("{pointer}/path"), "missing required field");
            None
        }
    };
    Some(Entry {
        path: path?,
        pointer: pointer.to_owned(),
        content: content?,
        compression,
    })
}

fn compression(value: Option<Value>, pointer: &str, diags: &mut Diagnostics) -> Compression {
    match value.as_ref().map(|v| v.as_str()) {
        None => Compression::Auto,
        Some(Some("auto")) => Compression::Auto,
        Some(Some("store")) => Compression::Store,
        Some(Some("deflate")) => Compression::Deflate,
        Some(_) => {
            diags.error(
                format!("{pointer}/compression"),
                "expected \"auto\", \"store\" or \"deflate\"",
            );
            Compression::Auto
        }
    }
}

/// `NAME` or `file:NAME` (a file sent with the job), or a base64 `data:` URL.
fn file_reference(reference: &str, pointer: &str, diags: &mut Diagnostics) -> Option<Content> {
    if reference.starts_with("data:") {
        let payload = reference
            .split_once(',')
            .filter(|(header, _)| header.to_ascii_lowercase().ends_with(";base64"));
        return match payload {
            Some((_, payload)) => match crate::doc::lower::base64(payload) {
                Ok(bytes) => Some(Content::Inline(Bytes::from(bytes))),
                Err(e) => {
                    diags.error(pointer, format!("the data URL is not valid base64: {e}"));
                    None
                }
            },
            None => {
                diags.error(
                    pointer,
                    "only base64 data URLs are supported (data:…;base64,…)",
                );
                None
            }
        };
    }
    let name = reference.strip_prefix("file:").unwrap_or(reference);
    if name.is_empty() {
        diags.error(pointer, "expected the name of a file sent with the job");
        return None;
    }
    Some(Content::File {
        name: name.to_owned(),
        bytes: None,
    })
}

/// Validates a job inside the zip job; its problems point into it.
fn nested_job(
    value: Value,
    pointer: &str,
    templates: &Catalog,
    depth: usize,
    diags: &mut Diagnostics,
) -> Option<Job> {
    let request: JobRequest = match serde_path_to_error::deserialize(value) {
        Ok(request) => request,
        Err(err) => {
            let inner = super::path_to_pointer(err.path());
            diags.error(format!("{pointer}{inner}"), err.into_inner().to_string());
            return None;
        }
    };
    match super::validate_at(request, templates, depth + 1) {
        Ok(job) => Some(job),
        Err(JobError::Invalid(errors)) => {
            for e in errors {
                diags.push(prefixed(e, pointer));
            }
            None
        }
        Err(JobError::UnknownTemplate {
            pointer: inner,
            message,
        }) => {
            diags.error(format!("{pointer}{inner}"), message);
            None
        }
        Err(other) => {
            diags.error(pointer, other.to_string());
            None
        }
    }
}

/// `error` with its pointer moved under `prefix`.
pub fn prefixed(mut error: FieldError, prefix: &str) -> FieldError {
    error.pointer = format!("{prefix}{}", error.pointer);
    error
}

fn validate_batch(
    request: BatchRequest,
    templates: &Catalog,
    paths: &mut Paths,
    diags: &mut Diagnostics,
) -> Option<Batch> {
    let compression = compression(request.compression.map(Value::String), "/batch", diags);
    let job = match request.job {
        Some(Value::Object(job)) => {
            if job.contains_key("data") {
                diags.error(
                    "/batch/job/data",
                    "a batch job takes its data from each item of `items`",
                );
            }
            let job = nested_job(Value::Object(job), "/batch/job", templates, 1, diags);
            match job {
                Some(job) if matches!(job.body, JobBody::Pdf(_) | JobBody::Docx(_)) => Some(job),
                Some(_) => {
                    diags.error(
                        "/batch/job/format",
                        "a batch renders a template per item: its job is a pdf or docx job",
                    );
                    None
                }
                None => None,
            }
        }
        Some(_) => {
            diags.error("/batch/job", "expected a job object");
            None
        }
        None => {
            diags.error("/batch/job", "missing required field");
            None
        }
    };
    let items = request.items.unwrap_or_else(|| {
        diags.error("/batch/items", "missing required field");
        Vec::new()
    });
    let Some(path_source) = request.path else {
        diags.error(
            "/batch/path",
            "missing required field: the entry path of each item, such as \"invoices/{{ number }}.pdf\"",
        );
        return None;
    };
    let paths = item_paths(&path_source, &items, paths, diags)?;
    Some(Batch {
        job: Box::new(job?),
        items,
        paths,
        compression,
    })
}

/// Reads each item, renders the batch's path template with it, then
/// normalises and claims the path. The context holds only the item fields
/// the template names, so a big item costs no more than a small one.
fn item_paths(
    source: &str,
    items: &[Box<RawValue>],
    paths: &mut Paths,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(PATH_FUEL));
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    crate::template::register_filters(&mut env);
    if let Err(e) = crate::template::check_shape(source) {
        diags.error(
            "/batch/path",
            format!("not a valid path template: {}", e.message),
        );
        return None;
    }
    let template = match env.template_from_str(source) {
        Ok(template) => template,
        Err(e) => {
            diags.error("/batch/path", format!("not a valid path template: {e}"));
            return None;
        }
    };
    let names = template.undeclared_variables(false);
    let mut out = Vec::with_capacity(items.len());
    for (i, raw) in items.iter().enumerate() {
        let pointer = format!("/batch/items/{i}");
        // Only the top level is read here; just the fields the path names
        // are read in full.
        let fields: HashMap<String, &RawValue> = match serde_json::from_str(raw.get()) {
            Ok(fields) => fields,
            Err(_) => {
                diags.error(pointer, "expected an object (the data of one document)");
                continue;
            }
        };
        let mut context = Map::with_capacity(names.len());
        for name in &names {
            let raw_value = match name.as_str() {
                "item" if !fields.contains_key("item") => Some(&**raw),
                _ => fields.get(name.as_str()).copied(),
            };
            if let Some(value) = raw_value.and_then(|v| serde_json::from_str(v.get()).ok()) {
                context.insert(name.clone(), value);
            }
        }
        if names.contains("index") && !fields.contains_key("index") {
            context.insert("index".to_owned(), Value::from(i + 1));
        }
        let context = minijinja::Value::from(minijinja::value::Serde(&Value::Object(context)));
        let rendered = match template.render(context) {
            Ok(rendered) => rendered,
            Err(e) => {
                let detail = e.detail().map_or_else(|| e.to_string(), str::to_owned);
                diags.error(
                    pointer,
                    format!("the batch path template fails for this item: {detail}"),
                );
                continue;
            }
        };
        match path::normalise(&rendered).and_then(|p| paths.claim(&p)) {
            Ok(path) => out.push(path),
            Err(m) => diags.error(pointer, format!("entry path: {m}")),
        }
        if diags.count() > 50 {
            // One mistake in the template repeats for every item.
            return None;
        }
    }
    Some(out)
}

/// Finds each entry's file among `files` and attaches them to every
/// nested job.
pub fn attach(zip: &mut ZipJob, files: &Files) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for entry in &mut zip.entries {
        match &mut entry.content {
            Content::Job(job) => {
                if let Err(errs) = job.attach(files.clone()) {
                    errors.extend(
                        errs.into_iter()
                            .map(|e| prefixed(e, &format!("{}/job", entry.pointer))),
                    );
                }
            }
            Content::File { name, bytes } => match files.get(name.as_str()) {
                Some(found) => *bytes = Some(found.clone()),
                None => errors.push(FieldError::new(
                    format!("{}/file", entry.pointer),
                    crate::doc::missing_file(name, files),
                )),
            },
            Content::Inline(_) => {}
        }
    }
    if let Some(batch) = &mut zip.batch {
        batch.job.files = files.clone();
    }
    let file_bytes: u64 = zip
        .entries
        .iter()
        .filter_map(|e| match &e.content {
            Content::File { bytes: Some(b), .. } | Content::Inline(b) => Some(b.len() as u64),
            _ => None,
        })
        .sum();
    if file_bytes > zip.max_bytes {
        errors.push(FieldError::new(
            "/entries",
            format!(
                "the files and texts hold {file_bytes} bytes, more than the archive may hold ({} bytes, --max-zip-bytes)",
                zip.max_bytes
            ),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The checks left to the worker, for `/v1/validate`: every nested document
/// job's template is rendered and its markup read, every batch item's too.
pub fn check_documents(
    zip: &ZipJob,
    ctx: &crate::render_ctx::RenderCtx,
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    for entry in &zip.entries {
        if ctx.check().is_err() {
            break;
        }
        if let Content::Job(job) = &entry.content
            && let Err(errs) = job.check_document_in(ctx)
        {
            let prefix = format!("{}/job", entry.pointer);
            errors.extend(errs.into_iter().map(|e| prefixed(e, &prefix)));
        }
    }
    if let Some(batch) = &zip.batch {
        for i in 0..batch.items.len() {
            if ctx.check().is_err() {
                break;
            }
            let checked = batch
                .item_job(i)
                .map_err(|e| vec![e])
                .and_then(|job| job.check_document_in(ctx));
            if let Err(errs) = checked {
                errors.extend(errs.into_iter().map(|e| item_error(e, i)));
            }
            if errors.len() > 50 {
                break;
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A problem of batch item `index`'s document, pointed into the job: its
/// data is the item, the rest is the batch's job.
pub fn item_error(mut error: FieldError, index: usize) -> FieldError {
    error.pointer = match error.pointer.strip_prefix("/data") {
        Some(rest) => format!("/batch/items/{index}{rest}"),
        None => format!("/batch/job{}", error.pointer),
    };
    error.message = format!("item {index}: {}", error.message);
    error
}
