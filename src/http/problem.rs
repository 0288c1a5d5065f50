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
            JobError::UnknownTemplate { pointer, message } => {
                Problem::new(404, "unknown-template", "Unknown template", message.clone())
                    .with_errors(vec![crate::problem::FieldError::new(pointer, message)])
            }
        }
    }
}

/// The problem responses of the job routes (render, validate, images), for
/// the OpenAPI document: they all run work on the pool.
pub struct RenderProblems;

/// The problem responses of `POST /v1/images`: those of the job routes but
/// 404, since a form names no template.
pub struct ImageProblems;

/// The problem responses of the template routes: only a configured API key
/// can turn a request away there.
pub struct KeyProblems;

/// One documented problem response: its status, what it means, and whether
/// it carries `Retry-After`.
struct Documented(u16, &'static str, bool);

const KEY_PROBLEMS: &[Documented] = &[
    Documented(
        401,
        "API keys are configured and the request has no known key",
        false,
    ),
    Documented(403, "The API key may not call this route", false),
    Documented(
        429,
        "The API key is at its concurrency limit: retry after `Retry-After` seconds",
        true,
    ),
];

const JOB_PROBLEMS: &[Documented] = &[
    Documented(
        400,
        "Malformed JSON (with line and column) or a broken multipart body",
        false,
    ),
    Documented(404, "Unknown template", false),
    Documented(
        408,
        "The request body did not arrive within --body-timeout",
        false,
    ),
    Documented(
        413,
        "Body larger than --max-body (--max-upload for images)",
        false,
    ),
    Documented(
        415,
        "Content-Type is not application/json or multipart/form-data",
        false,
    ),
    Documented(
        422,
        "Invalid job: every problem with its JSON pointer",
        false,
    ),
    Documented(
        500,
        "A bug: the body carries no internals, the log has them with the request id",
        false,
    ),
];

const RENDER_PROBLEMS: &[Documented] = &[
    Documented(
        503,
        "Over capacity (queue full, or no worker before the deadline): retry after `Retry-After` seconds",
        true,
    ),
    Documented(
        504,
        "The job ran past --job-timeout and was cancelled",
        false,
    ),
];

type Responses =
    std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>>;

fn problem_responses(lists: &[&[Documented]]) -> Responses {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
    lists
        .iter()
        .flat_map(|list| list.iter())
        .map(|Documented(status, description, retry_after)| {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build();
            let mut response = ResponseBuilder::new()
                .description(*description)
                .content(PROBLEM_JSON, content);
            if *retry_after {
                let seconds = ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0));
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(seconds))
                        .description(Some("Seconds after which a retry may succeed"))
                        .build(),
                );
            }
            (status.to_string(), response.build().into())
        })
        .collect()
}

impl utoipa::IntoResponses for KeyProblems {
    fn responses() -> Responses {
        problem_responses(&[KEY_PROBLEMS])
    }
}

impl utoipa::IntoResponses for RenderProblems {
    fn responses() -> Responses {
        problem_responses(&[KEY_PROBLEMS, JOB_PROBLEMS, RENDER_PROBLEMS])
    }
}

impl utoipa::IntoResponses for ImageProblems {
    fn responses() -> Responses {
        let mut responses = problem_responses(&[KEY_PROBLEMS, JOB_PROBLEMS, RENDER_PROBLEMS]);
        responses.remove("404");
        responses
    }
}
