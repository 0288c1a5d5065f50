//! Async jobs over HTTP: `POST /v1/jobs` takes the body `/v1/render` takes
//! and answers 202 at once; `GET /v1/jobs/{id}` shows its state and
//! progress, `GET /v1/jobs/{id}/result` streams the document once it is
//! there, `DELETE /v1/jobs/{id}` cancels or deletes it.
//!
//! With API keys, a job belongs to the key that submitted it: other keys
//! get 404 for it.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::auth::owner;
use super::{AppState, PathParam};
use crate::problem::{FieldError, Problem};
pub use crate::queue::status::{Callback, JobStatus, Links, Progress};
use crate::queue::{Queue, Removed, Submission, Submitted, time};

/// Longest accepted `Idempotency-Key`.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The problems only the job routes answer; the OpenAPI examples are made
/// with these too.
pub(super) mod problems {
    use crate::problem::Problem;

    pub fn async_jobs_off() -> Problem {
        Problem::new(
            503,
            "async-jobs-off",
            "Async jobs are not available",
            "this node runs without a job database; use POST /v1/render",
        )
    }

    pub fn store_unavailable() -> Problem {
        let mut problem = Problem::new(
            503,
            "job-store-unavailable",
            "Job store unavailable",
            "the job database or result storage did not answer; retry later",
        );
        problem.retry_after = Some(5);
        problem
    }

    pub fn unknown_job(id: &str) -> Problem {
        Problem::new(
            404,
            "unknown-job",
            "Unknown job",
            format!("there is no job {id:?} (it never existed, was deleted, or expired long ago)"),
        )
    }

    pub fn bad_idempotency_key() -> Problem {
        Problem::new(
            400,
            "bad-idempotency-key",
            "Bad Idempotency-Key",
            format!(
                "Idempotency-Key must be 1 to {} printable ASCII characters with no space at either end",
                super::MAX_IDEMPOTENCY_KEY
            ),
        )
    }

    /// The key names job `id`, submitted with another body.
    pub fn key_reused(id: &str) -> Problem {
        Problem::new(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            format!(
                "the Idempotency-Key was used for job {id} with another body; use a new key for a new job"
            ),
        )
    }

    /// Job `id` is `state` (queued or running).
    pub fn not_ready(state: &str, id: &str) -> Problem {
        let mut problem = Problem::new(
            409,
            "job-not-ready",
            "The job has not finished",
            format!("the job is {state}; GET /v1/jobs/{id} shows its progress"),
        );
        problem.retry_after = Some(1);
        problem
    }

    /// Job `id` ended `state` (failed or cancelled).
    pub fn no_result(state: &str, id: &str) -> Problem {
        Problem::new(
            409,
            "job-has-no-result",
            "The job has no result",
            format!("the job {state}; GET /v1/jobs/{id} shows why"),
        )
    }

    /// The document expired at `at` (RFC 3339).
    pub fn expired(at: &str) -> Problem {
        Problem::new(
            410,
            "result-expired",
            "The result has expired",
            format!("the document expired at {at} and was deleted; submit the job again"),
        )
    }

    pub fn gone() -> Problem {
        Problem::new(
            410,
            "result-expired",
            "The result is gone",
            "the document is no longer in the result store; submit the job again",
        )
    }
}

fn queue_of(state: &AppState) -> Result<&Arc<Queue>, Box<Response>> {
    state
        .queue
        .as_ref()
        .ok_or_else(|| Box::new(problems::async_jobs_off().into_response()))
}

fn no_such_job(id: &str) -> Response {
    problems::unknown_job(id).into_response()
}

/// 503 for a failure of the job database or result store (logged).
pub(super) fn store_failed(err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, "the job database or result store failed");
    problems::store_unavailable().into_response()
}

/// The `Idempotency-Key` header, if any: 1–255 printable ASCII characters, no space at either end.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Box<Problem>> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().ok().unwrap_or("");
    let printable = |b: u8| b.is_ascii_graphic() || b == b' ';
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(printable)
        || key.starts_with(' ')
        || key.ends_with(' ')
    {
        return Err(Box::new(problems::bad_idempotency_key()));
    }
    Ok(Some(key.to_owned()))
}

/// The `callback_url` query parameter, checked against the allow-list.
fn callback_url(
    query: Option<&str>,
    config: &crate::queue::webhook::CallbackConfig,
) -> Result<Option<String>, Box<Problem>> {
    let Some(raw) = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(name, _)| name == "callback_url")
        .map(|(_, value)| value.into_owned())
    else {
        return Ok(None);
    };
    config.check(&raw).map(Some).map_err(|message| {
        Box::new(Problem::invalid_job(vec![FieldError::new(
            "/callback_url",
            message,
        )]))
    })
}

/// Submit a job to run in the background.
///
/// The body is the one `POST /v1/render` takes. It is checked at once (400,
/// 413, 415 and 422 as there; a template's data is checked when it runs),
/// stored, and answered with 202 and the job's address in `Location`.
/// With `Idempotency-Key`, submitting again (even at the same time) gives
/// the same job; the same key with another body is 422.
#[utoipa::path(
    post, path = "/v1/jobs", tag = "jobs",
    request_body(content = crate::job::JobRequest, description = "A job (JSON), or multipart/form-data with a `job` part plus file parts", content_type = "application/json"),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Submitting again with the same key gives the same job (1–255 printable ASCII characters, no space at either end)", example = "order-2026-0042", min_length = 1, max_length = 255, pattern = "^[!-~]([ -~]{0,253}[!-~])?$"),
        ("callback_url" = Option<String>, Query, description = "When the job ends, its status is POSTed here, signed (`Docsmith-Signature: t=UNIX_SECONDS,v1=HEX`, HMAC-SHA256 of `UNIX_SECONDS.BODY` under the operator's secret) and retried with backoff until a 2xx; the host must be on the operator's allow-list (`--callback-allow`)", example = "https://hooks.example.com/docsmith"),
    ),
    responses(
        (status = 202, description = "Accepted: the job is queued (or, with a known Idempotency-Key, the job submitted before)", body = JobStatus,
         headers(("Location" = String, description = "`/v1/jobs/{id}`"))),
        super::problem::RenderProblems,
    )
)]
pub async fn submit(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let queue = match queue_of(&state) {
        Ok(queue) => Arc::clone(queue),
        Err(response) => return *response,
    };
    let key = match idempotency_key(request.headers()) {
        Ok(key) => key,
        Err(problem) => return problem.into_response(),
    };
    let callback = match callback_url(request.uri().query(), &queue.config.callbacks) {
        Ok(callback) => callback,
        Err(problem) => return problem.into_response(),
    };
    let owner = owner(request.extensions());
    let (json, uploads) = match super::render::read_parts(&state, request).await {
        Ok(parts) => parts,
        Err(problem) => return problem.into_response(),
    };
    let (mut job, pins) = match super::render::validate_json(&state, &owner, json.clone()).await {
        Ok(validated) => validated,
        Err(problem) => return problem.into_response(),
    };
    // The versions of stored templates this job renders, fixed now: a
    // new version stored meanwhile does not change what it renders.
    let pins = (!pins.is_empty()).then(|| serde_json::to_string(&pins).unwrap_or_default());
    if let Err(errors) = job.attach(uploads.clone()) {
        return Problem::invalid_job(errors).into_response();
    }
    let submitted = queue
        .submit(Submission {
            owner: &owner,
            idempotency_key: key.as_deref(),
            json: &json,
            files: &uploads,
            format: job.format.as_str(),
            filename: &job.filename,
            content_type: job.content_type(),
            callback_url: callback.as_deref(),
            template_pins: pins.as_deref(),
        })
        .await;
    let (row, replayed) = match submitted {
        Ok(Submitted::Created(row)) => (row, false),
        Ok(Submitted::Existing(row)) => (row, true),
        Ok(Submitted::KeyReused(row)) => {
            return problems::key_reused(&row.id).into_response();
        }
        Err(err) => return store_failed(&err),
    };
    let location = format!("/v1/jobs/{}", row.id);
    let mut response = (StatusCode::ACCEPTED, Json(JobStatus::from(row))).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&location) {
        headers.insert(header::LOCATION, value);
    }
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// A job's state and progress.
#[utoipa::path(
    get, path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job's id, from `Location`")),
    responses(
        (status = 200, description = "The job", body = JobStatus),
        (status = 404, description = "No such job (or another API key's)", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "https://docsmith.dev/problems/unknown-job", "title": "Unknown job", "status": 404,
                          "detail": "there is no job \"0b6f9f5e\" (it never existed, was deleted, or expired long ago)"})),
        super::problem::KeyProblems,
    )
)]
pub async fn status(
    State(state): State<Arc<AppState>>,
    id: PathParam,
    request: Request,
) -> Response {
    let id = id.0;
    let queue = match queue_of(&state) {
        Ok(queue) => queue,
        Err(response) => return *response,
    };
    match queue.store.get(&id, &owner(request.extensions())).await {
        Ok(Some(row)) => Json(JobStatus::from(row)).into_response(),
        Ok(None) => no_such_job(&id),
        Err(err) => store_failed(&err),
    }
}

/// The document of a job that succeeded, streamed with its content type.
#[utoipa::path(
    get, path = "/v1/jobs/{id}/result", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The document, as `/v1/render` would have sent it",
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`")),
         content(
            (super::docs::Binary = "application/pdf"),
            (super::docs::Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (super::docs::Binary = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (super::docs::Binary = "image/jpeg"),
            (super::docs::Binary = "image/png"),
            (super::docs::Binary = "image/webp"),
            (super::docs::Binary = "image/avif"),
            (super::docs::Binary = "application/zip"),
         )),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "https://docsmith.dev/problems/unknown-job", "title": "Unknown job", "status": 404,
                          "detail": "there is no job \"0b6f9f5e\" (it never existed, was deleted, or expired long ago)"})),
        (status = 409, description = "No document: the job has not finished (`Retry-After`), failed or was cancelled", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "https://docsmith.dev/problems/job-not-ready", "title": "The job has not finished", "status": 409,
                          "detail": "the job is running; GET /v1/jobs/0b6f9f5e-3a51-4f0e-9a3c-6f1f2d8f4a10 shows its progress"})),
        (status = 410, description = "The document has expired and was deleted", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "https://docsmith.dev/problems/result-expired", "title": "The result has expired", "status": 410,
                          "detail": "the document expired at 2026-11-28T09:00:01.000Z and was deleted; submit the job again"})),
        super::problem::KeyProblems,
    )
)]
pub async fn result(
    State(state): State<Arc<AppState>>,
    id: PathParam,
    request: Request,
) -> Response {
    let id = id.0;
    let queue = match queue_of(&state) {
        Ok(queue) => queue,
        Err(response) => return *response,
    };
    let row = match queue.store.get(&id, &owner(request.extensions())).await {
        Ok(Some(row)) => row,
        Ok(None) => return no_such_job(&id),
        Err(err) => return store_failed(&err),
    };
    match row.state.as_str() {
        "succeeded" if row.result_purged == 0 => {}
        "succeeded" => {
            let at = row.expires_at.map(time::rfc3339).unwrap_or_default();
            return problems::expired(&at).into_response();
        }
        "queued" | "running" => return problems::not_ready(&row.state, &id).into_response(),
        other => return problems::no_result(other, &id).into_response(),
    }
    let (size, stream) = match queue.results.get(&id).await {
        Ok(found) => found,
        Err(crate::queue::ResultsError::Missing) => {
            tracing::error!(job_id = %id, "a succeeded job's result is missing from the store");
            return problems::gone().into_response();
        }
        Err(err) => return store_failed(&err),
    };
    let format = crate::format::Format::parse(&row.format).map_or("other", |f| f.as_str());
    let body = Body::from_stream(stream.map(move |chunk| {
        if let Ok(bytes) = &chunk {
            metrics::counter!("docsmith_bytes_out_total", "format" => format)
                .increment(bytes.len() as u64);
        }
        chunk
    }));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&row.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&super::disposition::attachment(&row.filename)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    response
}

/// Cancel a queued or running job, or delete one that has ended (with its
/// document).
#[utoipa::path(
    delete, path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job was queued or running and is now cancelled", body = JobStatus),
        (status = 204, description = "The job had ended; it and its document are deleted"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json",
         example = json!({"type": "https://docsmith.dev/problems/unknown-job", "title": "Unknown job", "status": 404,
                          "detail": "there is no job \"0b6f9f5e\" (it never existed, was deleted, or expired long ago)"})),
        super::problem::KeyProblems,
    )
)]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    id: PathParam,
    request: Request,
) -> Response {
    let id = id.0;
    let queue = match queue_of(&state) {
        Ok(queue) => queue,
        Err(response) => return *response,
    };
    match queue.remove(&id, &owner(request.extensions())).await {
        Ok(Some(Removed::Cancelled(row))) => Json(JobStatus::from(row)).into_response(),
        Ok(Some(Removed::Deleted(_))) => StatusCode::NO_CONTENT.into_response(),
        Ok(None) => no_such_job(&id),
        Err(err) => store_failed(&err),
    }
}
