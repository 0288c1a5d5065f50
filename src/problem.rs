//! Problems: the one error shape docsmith reports, to HTTP clients as RFC 9457
//! `application/problem+json` and to CLI users on stderr.
//!
//! Every module reports what is wrong with a job as [`FieldError`]s that point
//! into the job with a JSON pointer (RFC 6901). Validation collects *all* of
//! them in a [`Diagnostics`] instead of stopping at the first.

use serde::Serialize;
use utoipa::ToSchema;

/// One thing wrong with a job, pointing at where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({
    "pointer": "/template_source",
    "message": "line 2, column 23: </h2> does not match <h1> opened at line 2, column 3",
    "line": 2,
    "column": 23
}))]
pub struct FieldError {
    /// JSON pointer into the job (`/workbook/sheets/0/rows/3/2`); empty for the whole job.
    #[schema(example = "/workbook/sheets/0/rows/3/2")]
    pub pointer: String,
    /// What is wrong, in words a user can act on.
    #[schema(example = "expected a number for column \"Amount\" (type currency), found a string")]
    pub message: String,
    /// Line (1-based) in the template or markup the problem is in, when the
    /// pointer names a template.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 12)]
    pub line: Option<u32>,
    /// Column (1-based, in characters) on that line.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 5)]
    pub column: Option<u32>,
}

impl FieldError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
            line: None,
            column: None,
        }
    }
}

/// Most problems a single validation reports; past it a final entry says how
/// many more were found. Keeps a job with a million bad cells from producing a
/// response larger than the job.
pub const MAX_REPORTED_ERRORS: usize = 100;

/// Collects validation problems.
#[derive(Debug, Default)]
pub struct Diagnostics {
    errors: Vec<FieldError>,
    suppressed: usize,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem at `pointer`.
    pub fn error(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(FieldError::new(pointer, message));
        } else {
            self.suppressed += 1;
        }
    }

    /// Records a problem found elsewhere (a nested job's).
    pub fn push(&mut self, error: FieldError) {
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(error);
        } else {
            self.suppressed += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Number of problems recorded so far, including the ones not kept.
    pub fn count(&self) -> usize {
        self.errors.len() + self.suppressed
    }

    /// The problems, with a last entry summarising those past the cap.
    pub fn into_errors(mut self) -> Vec<FieldError> {
        if self.suppressed > 0 {
            self.errors.push(FieldError::new(
                "",
                format!("{} more problems not listed", self.suppressed),
            ));
        }
        self.errors
    }
}

/// Escapes one reference token of a JSON pointer (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://docsmith.dev/problems/invalid-job",
    "title": "The job is invalid",
    "status": 422,
    "detail": "2 problems found in the job",
    "errors": [
        {"pointer": "/workbook/sheets/0/rows/1/0", "message": "invalid date for column \"Date\": month 13 is out of range 1-12"},
        {"pointer": "/workbook/sheets/0/rows/1/1", "message": "expected a number for column \"Amount\" (type currency), found a string"}
    ]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "https://docsmith.dev/problems/invalid-job")]
    pub kind: String,
    /// Short summary of the kind of problem.
    #[schema(example = "The job is invalid")]
    pub title: String,
    /// HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong in this occurrence.
    #[schema(example = "2 problems found in the job")]
    pub detail: String,
    /// Each problem with its JSON pointer (validation problems only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For malformed JSON: 1-based line of the syntax error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// For malformed JSON: 1-based column of the syntax error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Seconds after which a retry may succeed (503 only).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// Base of the `type` URIs; they name problem kinds and are documented in README.
const TYPE_BASE: &str = "https://docsmith.dev/problems/";

impl Problem {
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("{TYPE_BASE}{slug}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            errors: Vec::new(),
            line: None,
            column: None,
            retry_after: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// 422: the job is well-formed JSON but invalid; lists every problem.
    pub fn invalid_job(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => format!("1 problem found in the job: {}", errors[0].message),
            n => format!("{n} problems found in the job"),
        };
        Self::new(422, "invalid-job", "The job is invalid", detail).with_errors(errors)
    }

    /// 500: a bug. The detail never carries internals; they go to the log.
    pub fn internal() -> Self {
        Self::new(
            500,
            "internal",
            "Internal error",
            "docsmith failed to render this job because of a bug; the error is logged with the request id",
        )
    }

    /// 503 with `Retry-After`.
    pub fn overloaded(detail: impl Into<String>, retry_after: u64) -> Self {
        let mut p = Self::new(503, "overloaded", "Service over capacity", detail);
        p.retry_after = Some(retry_after);
        p
    }
}
