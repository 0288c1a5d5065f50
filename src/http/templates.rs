//! The template routes: `GET /v1/templates` lists the built-in (or
//! configured) templates and the stored ones of the caller's API key;
//! `GET /v1/templates/{name}` shows one; `PUT` stores a new version of a
//! template after checking it; `DELETE` removes a stored template.
//!
//! Stored templates live in the job database (see `crate::queue::templates`),
//! so every node of a deployment sees them; like async jobs, they belong to
//! the API key that stored them.

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::owner;
use super::jobs::store_failed;
use super::{AppState, PathParam};
use crate::job::{self, Job, JobError, JobRequest};
use crate::problem::{FieldError, Problem};
use crate::queue::templates::{self as stored, NewTemplate, Put, TemplateRow, VersionRow};
use crate::queue::{Queue, time};
use crate::templates::{Catalog, TemplateInfo, TemplateVersion};

/// The template list.
#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    pub templates: Vec<TemplateInfo>,
}

/// A template to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateUpload {
    /// The template: minijinja over docsmith markup (see templates/README.md).
    pub source: String,
    /// What it is for, shown in the template list.
    #[serde(default)]
    pub description: String,
    /// Data it renders with as is. With it, the upload is checked as
    /// `/v1/validate` checks a job (the template rendered with it, the
    /// markup read); without it, only the template's syntax is checked.
    #[schema(value_type = Option<Object>)]
    pub sample_data: Option<Value>,
}

/// The problems only the template routes answer; the OpenAPI examples are
/// made with these too.
pub(super) mod problems {
    use crate::problem::{FieldError, Problem};
    use crate::templates::Missing;

    pub fn store_off() -> Problem {
        Problem::new(
            503,
            "stored-templates-off",
            "Stored templates are not available",
            "this node runs without a database; stored templates need one (docsmith serve opens it)",
        )
    }

    pub fn unknown(name: &str) -> Problem {
        let (_, detail) = Missing::Template.describe(name);
        Problem::new(404, "unknown-template", "Unknown template", detail)
    }

    pub fn unknown_version(name: &str, version: i64) -> Problem {
        let (_, detail) = Missing::Version(version).describe(name);
        Problem::new(404, "unknown-template", "Unknown template version", detail)
    }

    pub fn builtin(name: &str, method: &str) -> Problem {
        let what = match method {
            "DELETE" => "cannot be deleted",
            _ => "cannot be replaced; store yours under another name",
        };
        Problem::new(
            409,
            "builtin-template",
            "Built-in template",
            format!("{name:?} is a built-in template: it {what}"),
        )
    }

    pub fn not_json() -> Problem {
        Problem::new(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            "a template is uploaded as JSON: Content-Type: application/json",
        )
    }

    pub fn bad_name(message: &str) -> Problem {
        Problem::new(
            422,
            "invalid-template-name",
            "Invalid template name",
            message,
        )
    }

    pub fn bad_version() -> Problem {
        Problem::new(
            400,
            "bad-query",
            "Bad query",
            "the query takes `version`, a version number (1, 2, …)",
        )
    }

    /// What is wrong with an upload, each problem pointing into its body
    /// (`/source` with a line and column, `/sample_data/...`).
    pub fn invalid(errors: Vec<FieldError>) -> Problem {
        let detail = match errors.len() {
            1 => format!("1 problem found in the template: {}", errors[0].message),
            n => format!("{n} problems found in the template"),
        };
        Problem::new(422, "invalid-template", "The template is invalid", detail).with_errors(errors)
    }

    pub fn too_many(limit: u64) -> Problem {
        Problem::new(
            409,
            "too-many-templates",
            "Too many stored templates",
            format!(
                "this API key keeps {limit} template versions, the most it may (--max-stored-templates); \
                 DELETE the templates it no longer needs"
            ),
        )
    }
}

/// `?version=N`, if given.
fn version_of(query: Option<&str>) -> Result<Option<i64>, Box<Problem>> {
    let mut version = None;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        match (key.as_ref(), value.parse::<i64>()) {
            ("version", Ok(n)) if n >= 1 && version.is_none() => version = Some(n),
            _ => return Err(Box::new(problems::bad_version())),
        }
    }
    Ok(version)
}

/// A stored version as the API shows it.
fn info_of(row: TemplateRow) -> TemplateInfo {
    TemplateInfo {
        name: row.name,
        description: row.description,
        formats: vec!["pdf".into(), "docx".into()],
        sample_data: row
            .sample_data
            .as_deref()
            .and_then(|data| serde_json::from_str(data).ok()),
        version: Some(row.version),
        created_at: Some(time::rfc3339(row.created_at)),
        source: None,
        versions: None,
    }
}

/// List the templates a job may name: the built-in ones, then those stored
/// with this API key (their latest versions), with sample data that
/// renders as is.
#[utoipa::path(get, path = "/v1/templates", tag = "templates",
    responses(
        (status = 200, description = "Every template", body = TemplateList),
        (status = 503, description = "The template database did not answer", body = Problem, content_type = "application/problem+json"),
        super::problem::KeyProblems,
    ))]
pub async fn list(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let mut templates: Vec<TemplateInfo> = state.templates.infos().cloned().collect();
    if let Some(queue) = &state.queue {
        match queue
            .store
            .latest_templates(&owner(request.extensions()))
            .await
        {
            Ok(rows) => templates.extend(rows.into_iter().map(info_of)),
            Err(err) => return store_failed(&err),
        }
    }
    Json(TemplateList { templates }).into_response()
}

/// One template: description, formats and sample data; for a stored one
/// also its markup and versions (`?version=N` shows that version).
#[utoipa::path(get, path = "/v1/templates/{name}", tag = "templates",
    params(
        ("name" = String, Path, description = "Template name", example = "invoice"),
        ("version" = Option<i64>, Query, description = "A stored template's version (default: the latest)", minimum = 1),
    ),
    responses(
        (status = 200, description = "The template", body = TemplateInfo),
        (status = 400, description = "`version` is not a version number", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such template, or no such version", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The template database did not answer", body = Problem, content_type = "application/problem+json"),
        super::problem::KeyProblems,
    ))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    PathParam(name): PathParam,
    request: Request,
) -> Response {
    let version = match version_of(request.uri().query()) {
        Ok(version) => version,
        Err(problem) => return problem.into_response(),
    };
    if let Some(info) = state.templates.get(&name) {
        return match version {
            None => Json(info.clone()).into_response(),
            Some(version) => problems::unknown_version(&name, version).into_response(),
        };
    }
    let Some(queue) = &state.queue else {
        return problems::unknown(&name).into_response();
    };
    let owner = owner(request.extensions());
    let (row, versions) = match tokio::try_join!(
        queue.store.template(&owner, &name, version),
        queue.store.template_versions(&owner, &name)
    ) {
        Ok(found) => found,
        Err(err) => return store_failed(&err),
    };
    match (row, version) {
        (Some(mut row), _) => {
            let source = std::mem::take(&mut row.source);
            let mut info = info_of(row);
            info.source = Some(source);
            info.versions = Some(versions.into_iter().map(version_info).collect());
            Json(info).into_response()
        }
        (None, Some(version)) if !versions.is_empty() => {
            problems::unknown_version(&name, version).into_response()
        }
        (None, _) => problems::unknown(&name).into_response(),
    }
}

fn version_info(row: VersionRow) -> TemplateVersion {
    TemplateVersion {
        version: row.version,
        created_at: time::rfc3339(row.created_at),
    }
}

/// Store a template, as a new version of its name.
///
/// The template is checked first: its syntax, and with `sample_data` the
/// document it renders, as `/v1/validate` checks a job; every problem is
/// reported with a pointer into the body (`/source` with a line and
/// column). Versions count 1, 2, … per name and are kept: jobs name the
/// template with `template` (the latest version) and may pin one with
/// `template_version`. Storing what the latest version holds already
/// changes nothing (200). Built-in names cannot be taken.
#[utoipa::path(put, path = "/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path, description = "Template name: 1 to 64 ASCII letters, digits, `-`, `_`, `.`, starting with a letter or digit", example = "shipping-notice")),
    request_body(content = TemplateUpload, content_type = "application/json"),
    responses(
        (status = 201, description = "Stored as a new version", body = TemplateInfo,
         headers(("Location" = String, description = "`/v1/templates/{name}`"))),
        (status = 200, description = "The latest version holds this template already", body = TemplateInfo),
        (status = 400, description = "Malformed JSON (with line and column)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A built-in template's name, or the API key keeps as many versions as it may", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than --max-body", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The name, or the template (with a pointer, line and column for each problem), is invalid", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The template database did not answer, or the workers are busy checking other work", body = Problem, content_type = "application/problem+json"),
        super::problem::KeyProblems,
    ))]
pub async fn put(
    State(state): State<Arc<AppState>>,
    PathParam(name): PathParam,
    request: Request,
) -> Response {
    let deadline = Instant::now() + state.config.job_timeout;
    if state.templates.is_builtin(&name) {
        return problems::builtin(&name, "PUT").into_response();
    }
    if let Err(message) = stored::check_name(&name) {
        return problems::bad_name(&message).into_response();
    }
    let Some(queue) = state.queue.clone() else {
        return problems::store_off().into_response();
    };
    let owner = owner(request.extensions());
    let upload = match read_upload(&state, request).await {
        Ok(upload) => upload,
        Err(problem) => return problem.into_response(),
    };
    if let Err(refused) = check_upload(&state, &upload, deadline).await {
        return *refused;
    }
    store_upload(
        &queue,
        state.config.max_stored_templates,
        &owner,
        &name,
        upload,
    )
    .await
}

/// The upload of a PUT: a JSON body (415 otherwise, 413 past --max-body).
async fn read_upload(state: &AppState, request: Request) -> Result<TemplateUpload, Problem> {
    if super::render::media_type(request.headers()) != "application/json" {
        return Err(problems::not_json());
    }
    let body = super::render::read_body(request, state.config.max_body).await?;
    match job::parse_json::<TemplateUpload>(&body) {
        Ok(upload) => Ok(upload),
        Err(JobError::Invalid(errors)) => Err(problems::invalid(errors)),
        Err(err) => Err(Problem::from(err)),
    }
}

/// Checks an upload: size, syntax, and with sample data what `/v1/validate`
/// checks of a job rendering it (that part on the worker pool). Err: the
/// answer (422 with every problem; 503 or 504 when the check could not run).
async fn check_upload(
    state: &Arc<AppState>,
    upload: &TemplateUpload,
    deadline: Instant,
) -> Result<(), Box<Response>> {
    let invalid = |errors: Vec<FieldError>| Box::new(problems::invalid(errors).into_response());
    let job =
        check_fields(&state.templates, upload, state.config.max_template_bytes).map_err(invalid)?;
    let Some(job) = job else {
        return Ok(());
    };
    match super::render::check_on_pool(state, job, deadline).await? {
        (_, Ok(())) => Ok(()),
        (_, Err(errors)) => Err(invalid(errors.into_iter().map(upload_error).collect())),
    }
}

/// The checks of an upload that render nothing: its size and syntax, and
/// the job that renders its sample data, if it has any, for the caller to
/// check ([`Job::check_document`]).
fn check_fields(
    catalog: &Catalog,
    upload: &TemplateUpload,
    limit: usize,
) -> Result<Option<Job>, Vec<FieldError>> {
    if upload.source.trim().is_empty() {
        return Err(vec![FieldError::new("/source", "must not be empty")]);
    }
    if upload.source.len() > limit {
        return Err(vec![FieldError::new(
            "/source",
            format!(
                "the template is {} bytes; at most {limit} may be stored (--max-template-bytes)",
                upload.source.len()
            ),
        )]);
    }
    if let Err(error) = catalog.check_source(&upload.source) {
        return Err(vec![crate::job::document::template_error(error, "/source")]);
    }
    let Some(data) = upload.sample_data.clone() else {
        return Ok(None);
    };
    let request = JobRequest {
        format: Some("pdf".into()),
        template_source: Some(upload.source.clone()),
        data: Some(data),
        ..JobRequest::default()
    };
    match job::validate(request, catalog) {
        Ok(job) => Ok(Some(job)),
        Err(JobError::Invalid(errors)) => Err(errors.into_iter().map(upload_error).collect()),
        Err(other) => Err(vec![FieldError::new("", other.to_string())]),
    }
}

/// What PUT answers for `upload` (every check, on this thread), for the
/// OpenAPI examples: the problem, or `None` when it would be stored.
pub(super) fn upload_problem(catalog: &Catalog, upload: &TemplateUpload) -> Option<Problem> {
    let limit = super::ServiceConfig::default().max_template_bytes;
    let checked = check_fields(catalog, upload, limit).and_then(|job| match job {
        Some(job) => job
            .check_document()
            .map_err(|errors| errors.into_iter().map(upload_error).collect()),
        None => Ok(()),
    });
    checked.err().map(problems::invalid)
}

/// A problem of the job checking an upload, pointing into the upload:
/// `/template_source` is its `/source`, `/data` its `/sample_data`.
fn upload_error(mut error: FieldError) -> FieldError {
    for (from, to) in [("/template_source", "/source"), ("/data", "/sample_data")] {
        if let Some(rest) = error.pointer.strip_prefix(from)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            error.pointer = format!("{to}{rest}");
            break;
        }
    }
    error
}

async fn store_upload(
    queue: &Queue,
    limit: u64,
    owner: &str,
    name: &str,
    upload: TemplateUpload,
) -> Response {
    let sample_data = upload.sample_data.as_ref().map(Value::to_string);
    let new = NewTemplate {
        owner,
        name,
        source: &upload.source,
        description: &upload.description,
        sample_data: sample_data.as_deref(),
        created_at: time::now_ms(),
    };
    let (status, row) = match queue.store.put_template(&new, limit).await {
        Ok(Put::Created(row)) => {
            tracing::info!(template = %name, version = row.version, "template stored");
            (StatusCode::CREATED, row)
        }
        Ok(Put::Unchanged(row)) => (StatusCode::OK, row),
        Ok(Put::Full) => return problems::too_many(limit).into_response(),
        Err(err) => return store_failed(&err),
    };
    let mut response = (status, Json(info_of(row))).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/templates/{name}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// Delete a stored template: every version. Its version numbers are not
/// reused, and jobs that name it (async jobs still queued included) get
/// 404 from now on.
#[utoipa::path(delete, path = "/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path, description = "Template name", example = "shipping-notice")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such stored template", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A built-in template", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The template database did not answer", body = Problem, content_type = "application/problem+json"),
        super::problem::KeyProblems,
    ))]
pub async fn delete(
    State(state): State<Arc<AppState>>,
    PathParam(name): PathParam,
    request: Request,
) -> Response {
    if state.templates.is_builtin(&name) {
        return problems::builtin(&name, "DELETE").into_response();
    }
    let Some(queue) = &state.queue else {
        return problems::unknown(&name).into_response();
    };
    match queue
        .store
        .delete_template(&owner(request.extensions()), &name, time::now_ms())
        .await
    {
        Ok(true) => {
            tracing::info!(template = %name, "template deleted");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => problems::unknown(&name).into_response(),
        Err(err) => store_failed(&err),
    }
}
