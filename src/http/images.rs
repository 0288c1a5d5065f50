//! `POST /v1/images`: multipart with image files and form fields. One file
//! comes back converted; several come back as a ZIP, streamed entry by
//! entry, with `manifest.json`.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::render::{Delivery, answer, report_failure};
use super::stream::{self, CancelOnDrop, ChannelSink};
use super::{AppState, FormatLabel};
use crate::image::batch::{self, Batch, Input};
use crate::image::{self, Spec};
use crate::problem::{Diagnostics, FieldError, Problem};
use crate::render::Sink;
use crate::render_ctx::{CancelToken, RenderCtx};

/// Form fields and where they go in an image job.
const RESIZE_FIELDS: &[&str] = &[
    "width",
    "height",
    "fit",
    "gravity",
    "background",
    "upscale",
    "filter",
];
const OUTPUT_FIELDS: &[&str] = &[
    "format",
    "quality",
    "progressive",
    "lossless",
    "optimize",
    "effort",
    "icc",
];
const FLAGS: &[&str] = &["strip_metadata", "auto_orient", "all_or_nothing"];
const NUMBERS: &[&str] = &["width", "height", "quality", "optimize", "effort"];

/// What the form asked for.
struct Upload {
    files: Vec<Input>,
    spec: Spec,
    all_or_nothing: bool,
}

/// Convert uploaded images.
#[utoipa::path(
    post, path = "/v1/images", tag = "images",
    request_body(content = String, description = "multipart/form-data: image files (any part name, conventionally `files`) plus form fields `width`, `height`, `fit` (inside|cover|fill|exact), `gravity`, `background` (#rrggbb[aa]), `upscale`, `filter`, `format` (jpeg|png|webp|avif), `quality`, `progressive`, `lossless`, `optimize` (PNG 0–6), `effort`, `icc` (keep|srgb), `strip_metadata`, `auto_orient`, `all_or_nothing`", content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "One file: the converted image. Several: a ZIP with one entry per input plus manifest.json (per-file sizes, formats and errors)",
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"…\"`: the upload's name with the new extension, or `images.zip`")),
         content(
            (super::docs::Binary = "image/jpeg"),
            (super::docs::Binary = "image/png"),
            (super::docs::Binary = "image/webp"),
            (super::docs::Binary = "image/avif"),
            (super::docs::Binary = "application/zip"),
         )),
        super::problem::ImageProblems,
    )
)]
pub async fn convert(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let deadline = Instant::now() + state.config.job_timeout;
    // Uploads are large: a full pool turns them away before they are read.
    if !state.pool.has_room() {
        discard_upload(request).await;
        return super::render::overloaded(
            &state,
            "queue_full",
            "all workers are busy and the queue is full",
        );
    }
    let upload = match read_upload(&state, request).await {
        Ok(upload) => upload,
        Err(problem) => return problem.into_response(),
    };
    let mut response = run(&state, upload, deadline).await;
    response.extensions_mut().insert(FormatLabel("image"));
    response
}

async fn run(state: &Arc<AppState>, upload: Upload, deadline: Instant) -> Response {
    let Upload {
        files,
        spec,
        all_or_nothing,
    } = upload;
    let single = files.len() == 1;
    let delivery = if single {
        let Some(input) = image::sniff(&files[0].bytes) else {
            return Problem::invalid_job(vec![FieldError::new(
                "/files/0",
                format!("{}: {}", files[0].name, image::ImageError::Unsupported),
            )])
            .into_response();
        };
        let output = spec.output_for(input);
        let name = &batch::entry_names(&files, &spec)[0];
        Delivery {
            content_type: output.media_type(),
            disposition: super::disposition::attachment(name),
            format: "image",
        }
    } else {
        Delivery {
            content_type: "application/zip",
            disposition: super::disposition::attachment("images.zip"),
            format: "image",
        }
    };
    let settings = Batch {
        spec: Arc::new(spec),
        limits: image::Limits {
            max_pixels: state.templates.doc_limits.max_image_pixels,
            max_bytes: state.templates.doc_limits.max_image_bytes,
        },
        all_or_nothing,
        retry_after_secs: state.config.retry_after_secs,
    };
    let cancel = CancelToken::new();
    let guard = CancelOnDrop(cancel.clone());
    let ctx = RenderCtx::new(cancel, Some(deadline));
    let (tx, rx) = mpsc::channel(stream::CHANNEL_CAPACITY);
    let started = Arc::new(AtomicBool::new(true));
    let span = tracing::Span::current();
    let worker_state = Arc::clone(state);
    // The batch waits on the pool's workers; it runs on a blocking thread
    // of its own so it never holds a worker while waiting.
    tokio::task::spawn_blocking(move || {
        let _span = span.enter();
        let began = Instant::now();
        let mut sink = ChannelSink::new(tx);
        let mut files = files;
        let result = if single {
            let input = files.remove(0);
            batch::run_one(&settings, input, &worker_state.pool, &ctx)
                .and_then(|converted| Ok(sink.whole(converted.bytes)?))
        } else {
            batch::run(&settings, files, &worker_state.pool, &ctx, &mut sink)
                .and_then(|()| Ok(std::io::Write::flush(&mut sink)?))
        };
        let outcome = match &result {
            Ok(()) => "ok",
            Err(err) => {
                report_failure(err);
                sink.fail(err.to_problem());
                err.outcome()
            }
        };
        metrics::histogram!("docsmith_job_duration_seconds", "format" => "image", "outcome" => outcome)
            .record(began.elapsed().as_secs_f64());
    });
    answer(state, rx, guard, &started, deadline, &delivery).await
}

/// Reads the form: file parts (any part with a file name) and the known
/// fields, checked like the fields of an image job.
async fn read_upload(state: &AppState, request: Request) -> Result<Upload, Problem> {
    let is_multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(Problem::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "send multipart/form-data with image files and form fields (see /docs)",
        ));
    }
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|r| super::render::body_problem(r.status().as_u16(), &r.body_text()))?;
    let mut files = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut diags = Diagnostics::new();
    let max_files = state.config.max_image_files;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(err) => return Err(super::render::multipart_problem(&err)),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        if let Some(file_name) = file_name {
            if files.len() == max_files {
                return Err(Problem::invalid_job(vec![FieldError::new(
                    "/files",
                    format!("more than {max_files} files in one request"),
                )]));
            }
            let bytes = field
                .bytes()
                .await
                .map_err(|e| super::render::multipart_problem(&e))?;
            files.push(Input {
                name: file_name,
                bytes,
            });
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| super::render::multipart_problem(&e))?;
            if RESIZE_FIELDS.contains(&name.as_str())
                || OUTPUT_FIELDS.contains(&name.as_str())
                || FLAGS.contains(&name.as_str())
            {
                fields.push((name, text));
            } else {
                diags.error(
                    format!("/{}", crate::problem::escape_token(&name)),
                    "unknown form field (files need a file name in their part)",
                );
            }
        }
    }
    if files.is_empty() {
        diags.error(
            "/files",
            "no image files: send each as a part with a file name",
        );
    }
    let (spec, all_or_nothing) = form_spec(&fields, &mut diags);
    if !diags.is_empty() {
        return Err(Problem::invalid_job(diags.into_errors()));
    }
    Ok(Upload {
        files,
        spec,
        all_or_nothing,
    })
}

/// Builds the spec from form fields with the image job's own checks, so
/// the rules and messages are the same; pointers name the form field.
fn form_spec(fields: &[(String, String)], diags: &mut Diagnostics) -> (Spec, bool) {
    let mut resize = Map::new();
    let mut output = Map::new();
    let mut spec = Spec::new();
    let mut all_or_nothing = false;
    let mut field_diags = Diagnostics::new();
    for (name, text) in fields {
        let text = text.trim();
        let value = if NUMBERS.contains(&name.as_str()) {
            text.parse::<u64>()
                .map_or_else(|_| Value::String(text.to_owned()), Value::from)
        } else if matches!(name.as_str(), "upscale" | "progressive" | "lossless") {
            flag(text).map_or_else(|| Value::String(text.to_owned()), Value::Bool)
        } else {
            Value::String(text.to_owned())
        };
        if RESIZE_FIELDS.contains(&name.as_str()) {
            resize.insert(name.clone(), value);
        } else if OUTPUT_FIELDS.contains(&name.as_str()) {
            output.insert(name.clone(), value);
        } else {
            match flag(text) {
                Some(on) if name == "strip_metadata" => spec.strip_metadata = on,
                Some(on) if name == "auto_orient" => spec.auto_orient = on,
                Some(on) => all_or_nothing = on,
                None => diags.error(format!("/{name}"), "expected true or false"),
            }
        }
    }
    spec.resize = image::validate_resize(Some(&Value::Object(resize)), "", &mut field_diags);
    spec.output = image::validate_output(Some(&Value::Object(output)), "", &mut field_diags);
    for error in field_diags.into_errors() {
        diags.error(error.pointer, error.message);
    }
    (spec, all_or_nothing)
}

/// A form's boolean: `true`/`false`, `1`/`0`, `on`/`off`, `yes`/`no`.
fn flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "on" | "yes" => Some(true),
        "false" | "0" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// Upload bytes read and dropped before a 503, and for how long at most.
const DISCARD_BYTES: usize = 1024 * 1024;
const DISCARD_TIME: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads and drops the start of an upload that is turned away. Closing a
/// connection with request bytes still unread makes the kernel reset it,
/// and a client still sending may then lose the 503 before it reads it; a
/// small upload read to its end keeps the answer (and the connection).
async fn discard_upload(request: Request) {
    use http_body_util::BodyExt;
    let mut body = request.into_body();
    let mut read = 0;
    let drain = async {
        while read < DISCARD_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                Some(Err(_)) | None => break,
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIME, drain).await;
}
