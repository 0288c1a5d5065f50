//! Problems as HTTP responses (`application/problem+json`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::job::JobError;
use crate::problem::Problem;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Longest detail, message or pointer a problem carries, in bytes: a value
/// quoted back from a huge job is cut, so a problem stays small.
const MAX_TEXT_BYTES: usize = 1024;

fn clip(text: &mut String) {
    if text.len() <= MAX_TEXT_BYTES {
        return;
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let cut = text.len() - end;
    text.truncate(end);
    text.push_str(&format!("… ({cut} more bytes)"));
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        clip(&mut self.detail);
        for error in &mut self.errors {
            clip(&mut error.message);
            clip(&mut error.pointer);
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JobError> for Problem {
    fn from(err: JobError) -> Self {
        match err {
            JobError::Malformed {
                message,
                line,
                column,
            } => {
                let mut p = Problem::new(
                    400,
                    "malformed-json",
                    "Malformed JSON",
                    format!("{message} at line {line}, column {column}"),
                );
                p.line = Some(line);
                p.column = Some(column);
                p
            }
            JobError::Invalid(errors) => Problem::invalid_job(errors),
            JobError::UnknownTemplate(name) => Problem::new(
                404,
                "unknown-template",
                "Unknown template",
                format!("there is no template named {name:?}; GET /v1/templates lists them"),
            )
            .with_errors(vec![crate::problem::FieldError::new(
                "/template",
                format!("unknown template {name:?}"),
            )]),
        }
    }
}

/// The problem responses every job route can give, for the OpenAPI document.
pub struct JobProblems;

/// Only the render route queues and runs jobs, so only it answers these.
pub struct RenderProblems;

const JOB_PROBLEMS: &[(u16, &str)] = &[
    (
        400,
        "Malformed JSON (with line and column) or a broken multipart body",
    ),
    (
        401,
        "API keys are configured and the request has no known key",
    ),
    (403, "The API key may not call this route"),
    (404, "Unknown template"),
    (408, "The request body did not arrive within --body-timeout"),
    (413, "Body too large"),
    (415, "Unsupported Content-Type"),
    (422, "Invalid job: every problem with its JSON pointer"),
    (
        429,
        "The API key is at its concurrency limit: retry after `Retry-After` seconds",
    ),
];

const RENDER_PROBLEMS: &[(u16, &str)] = &[
    (503, "Over capacity: retry after `Retry-After` seconds"),
    (504, "The job ran past its time limit"),
];

fn problem_responses(
    list: &[(u16, &str)],
) -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    list.iter()
        .map(|(status, description)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let response = ResponseBuilder::new()
                .description(*description)
                .content(PROBLEM_JSON, content)
                .build();
            (status.to_string(), response.into())
        })
        .collect()
}

impl utoipa::IntoResponses for JobProblems {
    fn responses()
    -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        problem_responses(JOB_PROBLEMS)
    }
}

impl utoipa::IntoResponses for RenderProblems {
    fn responses()
    -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        let mut all = problem_responses(JOB_PROBLEMS);
        all.extend(problem_responses(RENDER_PROBLEMS));
        all
    }
}
