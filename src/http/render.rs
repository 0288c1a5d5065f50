//! `POST /v1/render` and `POST /v1/validate`: take a job (JSON, or multipart
//! with a `job` part and file parts), validate it, render it on the pool and
//! stream the result.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use tokio::sync::mpsc;
use utoipa::ToSchema;

use super::stream::{self, CancelOnDrop, ChannelSink, Msg};
use super::{AppState, FormatLabel};
use crate::job::{self, Job};
use crate::pool::Rejected;
use crate::problem::{FieldError, Problem};
use crate::queue::templates::Pins;
pub(super) use crate::render::report_failure;
use crate::render::{self, RenderError};
use crate::render_ctx::{CancelToken, RenderCtx};

/// Files uploaded beside the job, by part name.
pub type Uploads = BTreeMap<String, Bytes>;

/// Bodies up to this size are parsed and validated on the async executor;
/// larger ones (a batch of thousands of items) on a blocking thread, so
/// that health checks and other requests are not held up.
const PARSE_INLINE_BYTES: usize = 256 * 1024;

/// Reads the job (and any uploaded files) from the request body.
async fn read_job(state: &Arc<AppState>, request: Request) -> Result<(Job, Uploads), Problem> {
    let owner = super::auth::owner(request.extensions());
    let (json, uploads) = read_parts(state, request).await?;
    let (job, _) = validate_json(state, &owner, json).await?;
    Ok((job, uploads))
}

/// The job JSON and the uploaded files of a request body: a JSON body, or
/// a form with a `job` part (415 for anything else).
pub(super) async fn read_parts(
    state: &AppState,
    request: Request,
) -> Result<(Bytes, Uploads), Problem> {
    match media_type(request.headers()).as_str() {
        "application/json" => Ok((
            read_body(request, state.config.max_body).await?,
            Uploads::new(),
        )),
        "multipart/form-data" => read_multipart(request).await,
        "" => Err(unsupported_media_type("the request has no Content-Type")),
        other => Err(unsupported_media_type(&format!(
            "Content-Type {other:?} is not accepted"
        ))),
    }
}

/// The media type of a request's body: its `Content-Type` without
/// parameters, in lower case; empty without one.
pub(super) fn media_type(headers: &axum::http::HeaderMap) -> String {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("");
    essence.trim().to_ascii_lowercase()
}

/// Parses and validates the job JSON, with the stored templates of `owner`
/// it names (see [`catalog_for`]). Returns the job and the version each
/// stored template named without one got.
pub(super) async fn validate_json(
    state: &Arc<AppState>,
    owner: &str,
    json: Bytes,
) -> Result<(Job, Pins), Problem> {
    if json.len() <= PARSE_INLINE_BYTES {
        let request = job::parse(&json)?;
        let (templates, pins) = catalog_for(state, owner, &request).await?;
        return Ok((job::validate(request, &templates)?, pins));
    }
    let request = tokio::task::spawn_blocking(move || job::parse(&json))
        .await
        .map_err(|_| Problem::internal())??;
    let (templates, pins) = catalog_for(state, owner, &request).await?;
    let job = tokio::task::spawn_blocking(move || job::validate(request, &templates))
        .await
        .map_err(|_| Problem::internal())??;
    Ok((job, pins))
}

/// The catalog a job of `owner` is validated and rendered with: the
/// node's templates, plus the latest versions of the stored ones it names
/// (see [`crate::queue::Store::resolve`]; no query for built-in names).
async fn catalog_for(
    state: &AppState,
    owner: &str,
    request: &job::JobRequest,
) -> Result<(crate::templates::Catalog, Pins), Problem> {
    let Some(queue) = &state.queue else {
        return Ok((state.templates.clone(), Pins::new()));
    };
    let refs = job::template_refs(request);
    queue
        .store
        .resolve(&state.templates, owner, &refs, &Pins::new())
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "looking up stored templates failed");
            super::jobs::problems::store_unavailable()
        })
}

/// The whole body, up to `limit` bytes (413 beyond), in one buffer sized
/// from `Content-Length` when there is one, so a large body is held once
/// rather than as chunks plus their copy.
pub(super) async fn read_body(request: Request, limit: usize) -> Result<Bytes, Problem> {
    use http_body_util::BodyExt;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        body_problem(
            413,
            &format!("the request body is larger than {limit} bytes (--max-body)"),
        )
    };
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = http_body_util::Limited::new(request.into_body(), limit);
    let mut buf = bytes::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| {
            if err.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else if super::is_body_timeout(&*err) {
                body_timeout_problem()
            } else {
                body_problem(400, &format!("the request body could not be read: {err}"))
            }
        })?;
        if let Ok(data) = frame.into_data() {
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

async fn read_multipart(request: Request) -> Result<(Bytes, Uploads), Problem> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|rejection| body_problem(rejection.status().as_u16(), &rejection.body_text()))?;
    let mut job = None;
    let mut uploads = Uploads::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) => return Err(multipart_problem(&err)),
        };
        let name = field.name().unwrap_or("").to_owned();
        let bytes = field.bytes().await.map_err(|err| multipart_problem(&err))?;
        if name == "job" {
            job = Some(bytes);
        } else if !name.is_empty() {
            uploads.insert(name, bytes);
        }
    }
    match job {
        Some(job) => Ok((job, uploads)),
        None => Err(Problem::invalid_job(vec![FieldError::new(
            "",
            "the multipart body has no `job` part holding the job JSON",
        )])),
    }
}

fn unsupported_media_type(detail: &str) -> Problem {
    Problem::new(
        415,
        "unsupported-media-type",
        "Unsupported media type",
        format!("{detail}; send application/json or multipart/form-data with a `job` part"),
    )
}

/// The problem for a multipart body that could not be read: too slow (408),
/// too large (413) or broken (400).
pub(super) fn multipart_problem(err: &axum::extract::multipart::MultipartError) -> Problem {
    if super::is_body_timeout(err) {
        return body_timeout_problem();
    }
    body_problem(err.status().as_u16(), &err.body_text())
}

pub(super) fn body_timeout_problem() -> Problem {
    Problem::new(
        408,
        "request-timeout",
        "Request timeout",
        "the request body did not arrive within the time allowed (--body-timeout)",
    )
}

/// A problem for a body that could not be read (too large, broken multipart).
pub(super) fn body_problem(status: u16, detail: &str) -> Problem {
    match status {
        413 => Problem::new(413, "body-too-large", "Request body too large", detail),
        400 => Problem::new(400, "malformed-body", "Malformed request body", detail),
        status => Problem::new(status, "bad-body", "Request body rejected", detail),
    }
}

/// Answer of `POST /v1/validate` for a valid job.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"valid": true, "format": "pdf", "filename": "INV-2026-0042.pdf"}))]
pub struct Validation {
    #[schema(example = true)]
    pub valid: bool,
    #[schema(example = "xlsx")]
    pub format: crate::format::Format,
    #[schema(example = "report.xlsx")]
    pub filename: String,
}

/// Validate a job without rendering it.
#[utoipa::path(
    post, path = "/v1/validate", tag = "render",
    request_body(content = crate::job::JobRequest, description = "A job (JSON), or multipart/form-data with a `job` part", content_type = "application/json"),
    responses(
        (status = 200, description = "The job is valid", body = Validation),
        super::problem::RenderProblems,
    )
)]
pub async fn validate(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let deadline = Instant::now() + state.config.job_timeout;
    match read_job(&state, request).await {
        Ok((mut job, uploads)) => {
            if let Err(errors) = job.attach(uploads) {
                return Problem::invalid_job(errors).into_response();
            }
            let label = FormatLabel(job.format.as_str());
            let (job, checked) = match check_on_pool(&state, job, deadline).await {
                Ok(result) => result,
                Err(response) => return *response,
            };
            if let Err(errors) = checked {
                return Problem::invalid_job(errors).into_response();
            }
            let mut response = Json(Validation {
                valid: true,
                format: job.format,
                filename: job.filename,
            })
            .into_response();
            response.extensions_mut().insert(label);
            response
        }
        Err(problem) => problem.into_response(),
    }
}

/// Runs a job's document checks (rendering its templates, reading their
/// markup) on the worker pool, like a render: CPU work counted against the
/// same workers and queue (503 when full) and the job's deadline (504).
pub(super) async fn check_on_pool(
    state: &AppState,
    job: Job,
    deadline: Instant,
) -> Result<(Job, Result<(), Vec<FieldError>>), Box<Response>> {
    if Instant::now() >= deadline {
        // Reading the job used up its time.
        return Err(Box::new(timed_out()));
    }
    let cancel = CancelToken::new();
    let guard = CancelOnDrop(cancel.clone());
    let ctx = RenderCtx::new(cancel, Some(deadline));
    let started = Arc::new(AtomicBool::new(false));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = {
        let started = Arc::clone(&started);
        let span = tracing::Span::current();
        Box::new(move || {
            let _span = span.enter();
            started.store(true, Ordering::SeqCst);
            if ctx.check().is_err() {
                return;
            }
            let checked = job.check_document_in(&ctx);
            let _ = tx.send((job, checked));
        })
    };
    if let Err(Rejected::QueueFull) = state.pool.try_submit(task) {
        return Err(Box::new(overloaded(
            state,
            "queue_full",
            "all workers are busy and the queue is full",
        )));
    }
    match tokio::time::timeout_at(deadline.into(), rx).await {
        // A check stopped at the deadline (between the entries of a zip
        // job) found only part of the problems: finding none proves
        // nothing. The answer can beat the timer by a tick.
        Ok(Ok((_, Ok(())))) if Instant::now() >= deadline => Err(Box::new(timed_out())),
        Ok(Ok(result)) => Ok(result),
        Ok(Err(_)) => {
            tracing::error!("a validation ended without an answer");
            Err(Box::new(Problem::internal().into_response()))
        }
        Err(_elapsed) => {
            guard.0.cancel();
            if started.load(Ordering::SeqCst) {
                Err(Box::new(timed_out()))
            } else {
                Err(Box::new(overloaded(
                    state,
                    "queue_timeout",
                    "the job waited for a worker until its time limit",
                )))
            }
        }
    }
}

/// Render a job and stream the document.
#[utoipa::path(
    post, path = "/v1/render", tag = "render",
    request_body(content = crate::job::JobRequest, description = "A job (JSON), or multipart/form-data with a `job` part plus file parts", content_type = "application/json"),
    responses(
        (status = 200, description = "The document, with Content-Type by format (an image job's by its output format) and Content-Disposition: attachment",
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`, plus `filename*=UTF-8''…` for a non-ASCII name")),
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
        super::problem::RenderProblems,
    )
)]
pub async fn render(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let started = Instant::now();
    let deadline = started + state.config.job_timeout;
    let job = match read_job(&state, request).await {
        Ok((mut job, uploads)) => match job.attach(uploads) {
            Ok(()) => job,
            Err(errors) => return Problem::invalid_job(errors).into_response(),
        },
        Err(problem) => return problem.into_response(),
    };
    let format = job.format.as_str();
    let mut response = run(&state, job, deadline).await;
    response.extensions_mut().insert(FormatLabel(format));
    response
}

async fn run(state: &AppState, job: Job, deadline: Instant) -> Response {
    let format = job.format.as_str();
    if Instant::now() >= deadline {
        // Reading and validating the job used up its time.
        return timed_out();
    }
    let content_type = job.content_type();
    let disposition = super::disposition::attachment(&job.filename);
    let cancel = CancelToken::new();
    let guard = CancelOnDrop(cancel.clone());
    let ctx = RenderCtx::new(cancel, Some(deadline))
        .with_fanout(Arc::clone(&state.pool), state.config.retry_after_secs);
    // A zip job coordinates its entries, which render on the pool: it takes
    // a blocking thread of its own instead of a worker.
    let fans_out = crate::bundle::fans_out(&job);
    let started = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel(stream::CHANNEL_CAPACITY);
    let span = tracing::Span::current();
    let task = {
        let started = Arc::clone(&started);
        Box::new(move || {
            let _span = span.enter();
            // Whoever comes second sees the other's mark: a job the handler
            // gave up on while it was queued never starts.
            started.store(true, Ordering::SeqCst);
            if ctx.cancel.is_cancelled() {
                return;
            }
            let began = Instant::now();
            let mut sink = ChannelSink::new(tx);
            let result = render::render_catching(&job, &ctx, &mut sink);
            let outcome = match &result {
                Ok(()) => {
                    if !sink.sent_any() {
                        // An empty document still needs an answer.
                        let _ = render::Sink::whole(&mut sink, Vec::new());
                    }
                    "ok"
                }
                Err(err) => {
                    report_failure(err);
                    sink.fail(err.to_problem());
                    err.outcome()
                }
            };
            metrics::histogram!("docsmith_job_duration_seconds", "format" => format, "outcome" => outcome)
                .record(began.elapsed().as_secs_f64());
        })
    };
    if fans_out {
        drop(tokio::task::spawn_blocking(task));
    } else if let Err(Rejected::QueueFull) = state.pool.try_submit(task) {
        return overloaded(
            state,
            "queue_full",
            "all workers are busy and the queue is full",
        );
    }

    let delivery = Delivery {
        content_type,
        disposition,
        format,
    };
    answer(state, rx, guard, &started, deadline, &delivery).await
}

/// How a successful result is sent.
pub(super) struct Delivery {
    pub content_type: &'static str,
    pub disposition: String,
    /// The metrics label.
    pub format: &'static str,
}

/// Turns the worker's first message into the response: a problem, a whole
/// document, or a stream of the rest of the channel. `started` says whether
/// the work left the queue (running out of time before is a 503).
pub(super) async fn answer(
    state: &AppState,
    mut rx: mpsc::Receiver<Msg>,
    guard: CancelOnDrop,
    started: &AtomicBool,
    deadline: Instant,
    delivery: &Delivery,
) -> Response {
    let (content_type, format) = (delivery.content_type, delivery.format);
    let disposition = delivery.disposition.as_str();
    let first = match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
        Ok(Some(msg)) => msg,
        Ok(None) => {
            tracing::error!("the worker ended without an answer");
            return Problem::internal().into_response();
        }
        Err(_elapsed) => {
            guard.0.cancel();
            if !started.load(Ordering::SeqCst) {
                return overloaded(
                    state,
                    "queue_timeout",
                    "the job waited for a worker until its time limit",
                );
            }
            return timed_out();
        }
    };
    match first {
        Msg::Failed(problem) => problem.into_response(),
        Msg::Whole(bytes) => {
            metrics::counter!("docsmith_bytes_out_total", "format" => format)
                .increment(bytes.len() as u64);
            drop(guard);
            document_response(Body::from(bytes), content_type, disposition)
        }
        Msg::Chunk(bytes) => {
            let body = Body::from_stream(stream::body_stream(bytes, rx, guard, format));
            let mut response = document_response(body, content_type, disposition);
            // Streamed as it is made: a proxy that buffers (nginx does by
            // default) would hold the first bytes back until the last.
            response.headers_mut().insert(
                HeaderName::from_static("x-accel-buffering"),
                HeaderValue::from_static("no"),
            );
            response
        }
    }
}

/// 504: the job used up its time while being read or rendered (running out
/// of time while waiting for a worker is a 503).
fn timed_out() -> Response {
    RenderError::Interrupted(crate::render_ctx::Interrupted::TimedOut)
        .to_problem()
        .into_response()
}

pub(super) fn overloaded(state: &AppState, reason: &'static str, detail: &str) -> Response {
    metrics::counter!("docsmith_rejections_total", "reason" => reason).increment(1);
    Problem::overloaded(detail, state.config.retry_after_secs).into_response()
}

fn document_response(body: Body, content_type: &'static str, disposition: &str) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The disposition is built from a validated file name and percent-encoded;
    // it is always a valid header value.
    if let Ok(value) = HeaderValue::from_str(disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
