//! Jobs that produce a document (PDF now, DOCX next): where the document
//! comes from, and turning it into a [`Document`] on the worker.

use std::sync::Arc;

use serde_json::Value;

use crate::doc::{self, Assets, DocError, Document, Files, Loc};
use crate::fonts::FontBook;
use crate::problem::{Diagnostics, FieldError};
use crate::template::TemplateError;
use crate::templates::Catalog;

use super::JobRequest;

/// Where a document job's document comes from.
#[derive(Debug, Clone)]
pub enum DocSource {
    /// A template of the catalog, by name.
    Template(String),
    /// Markup (with template syntax) sent in the job.
    Inline(String),
    /// The JSON form of the document model.
    Document(Value),
}

/// A validated document job. Rendering the template and reading the markup
/// happen on the worker (they can be heavy), so their problems are reported
/// then, still before any byte is sent.
#[derive(Debug, Clone)]
pub struct DocJob {
    pub source: DocSource,
    pub data: Value,
    pub templates: Catalog,
    pub fonts: Arc<FontBook>,
    pub limits: crate::templates::DocLimits,
}

/// Checks the document fields of a job for `format` (`pdf`, `docx`).
pub fn validate(
    request: JobRequest,
    format: &str,
    templates: &Catalog,
    fonts: &Arc<FontBook>,
    diags: &mut Diagnostics,
) -> Option<DocJob> {
    super::reject_unused(&request, &["/template_source", "/document"], format, diags);
    let given = [
        request.template.is_some(),
        request.template_source.is_some(),
        request.document.is_some(),
    ];
    let source = match (request.template, request.template_source, request.document) {
        (Some(name), None, None) => Some(DocSource::Template(name)),
        (None, Some(source), None) => {
            if source.trim().is_empty() {
                diags.error("/template_source", "must not be empty");
            }
            Some(DocSource::Inline(source))
        }
        (None, None, Some(document)) => {
            if !document.is_object() {
                diags.error("/document", "expected an object (the document model)");
            }
            if request.data.is_some() {
                diags.error(
                    "/data",
                    "`data` is only used with `template` or `template_source`",
                );
            }
            Some(DocSource::Document(document))
        }
        (None, None, None) => {
            diags.error(
                "",
                format!("{format} jobs need one of `template` (+ `data`), `template_source` (+ `data`) or `document`"),
            );
            None
        }
        _ => {
            let names = ["template", "template_source", "document"];
            let present: Vec<&str> = names
                .iter()
                .zip(given)
                .filter(|(_, g)| *g)
                .map(|(n, _)| *n)
                .collect();
            diags.error(
                format!("/{}", present[1]),
                format!("give only one of `{}`", present.join("`, `")),
            );
            None
        }
    };
    let data = request.data.unwrap_or(Value::Object(Default::default()));
    if !data.is_object() {
        diags.error("/data", "expected an object");
    }
    Some(DocJob {
        source: source?,
        data,
        templates: templates.clone(),
        fonts: fonts.clone(),
        limits: templates.doc_limits,
    })
}

impl DocJob {
    /// Renders the template (if any) and reads the document. Every problem
    /// points into the job or at a line and column of the template.
    pub fn document(&self, files: &Files) -> Result<Document, Vec<FieldError>> {
        let assets = Assets {
            files,
            max_image_pixels: self.limits.max_image_pixels,
            fonts: Some(&self.fonts),
        };
        let (markup, pointer) = match &self.source {
            DocSource::Document(value) => {
                return doc::from_json(value, "/document", assets)
                    .map_err(|errs| to_field_errors(errs, "/document"));
            }
            DocSource::Template(name) => (self.templates.render(name, &self.data), "/template"),
            DocSource::Inline(source) => (
                self.templates.render_inline(source, &self.data),
                "/template_source",
            ),
        };
        let markup = markup.map_err(|e| vec![template_error(e, pointer)])?;
        // The markup of a big report is tens of megabytes: let it go once the
        // tree is read, before lowering builds the document.
        let lowered = doc::markup::parse(&markup)
            .map_err(|e| vec![e])
            .and_then(|tree| {
                drop(markup);
                doc::lower::lower(tree, assets)
            });
        lowered.map_err(|errs| {
            let (name, inline) = match &self.source {
                DocSource::Template(name) => (name.as_str(), None),
                _ => ("template_source", self.inline_source()),
            };
            let mut seen = std::collections::HashSet::new();
            // Rendered again once, at the first problem in the markup, for
            // all of them (up to MAX_REPORTED_ERRORS).
            let mut tracer = None;
            errs.into_iter()
                .map(|e| match e.loc {
                    Loc::Markup { line, column } => {
                        // Point at the template line that wrote the markup.
                        let traced = tracer
                            .get_or_insert_with(|| self.templates.tracer(name, inline, &self.data))
                            .as_ref()
                            .and_then(|t| t.locate(line, column));
                        let (line, column) = traced.unwrap_or((line, column));
                        let mut err = FieldError::new(
                            pointer,
                            format!("{}: {}", location(Some(line), Some(column)), e.message),
                        );
                        err.line = Some(line);
                        err.column = Some(column);
                        err
                    }
                    Loc::Pointer(p) => FieldError::new(p, e.message),
                })
                // A template line inside a loop produces the same problem
                // once per iteration: report it once.
                .filter(|e| seen.insert((e.pointer.clone(), e.line, e.column, e.message.clone())))
                .collect()
        })
    }

    fn inline_source(&self) -> Option<&str> {
        match &self.source {
            DocSource::Inline(source) => Some(source),
            _ => None,
        }
    }
}

pub(crate) fn template_error(e: TemplateError, pointer: &str) -> FieldError {
    let located = match e.line {
        Some(_) => format!("{}: {}", location(e.line, e.column), e.message),
        None => e.message.clone(),
    };
    let mut err = FieldError::new(pointer, located);
    err.line = e.line;
    err.column = e.column;
    if let Some(path) = e.data_path {
        // A missing value: point at where in `data` it was looked for.
        let tokens: Vec<String> = path
            .iter()
            .map(|t| crate::problem::escape_token(t))
            .collect();
        err.message = format!("{} (template {})", e.message, location(e.line, e.column));
        err.pointer = format!("/data/{}", tokens.join("/"));
    }
    err
}

fn location(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}"),
        (Some(l), None) => format!("line {l}"),
        _ => "position unknown".into(),
    }
}

fn to_field_errors(errors: Vec<DocError>, pointer: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| match e.loc {
            Loc::Pointer(p) => FieldError::new(p, e.message),
            Loc::Markup { line, column } => {
                let mut err = FieldError::new(
                    pointer,
                    format!(
                        "markup {}: {}",
                        location(Some(line), Some(column)),
                        e.message
                    ),
                );
                err.line = Some(line);
                err.column = Some(column);
                err
            }
        })
        .collect()
}
