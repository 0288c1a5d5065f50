//! The OpenAPI 3.1 document, generated from the handlers and wire types, and
//! the interactive page at `/docs` that reads it.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use utoipa::OpenApi;

use crate::format::Format;
use crate::job::JobRequest;
use crate::problem::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "docsmith",
        description = "Document generation: POST a JSON job, get back a PDF, DOCX, XLSX, image or ZIP. \
Errors are RFC 9457 problem documents whose `errors[]` point into the job with JSON pointers.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(
        super::render::render,
        super::render::validate,
        super::images::convert,
        super::templates::list,
        super::templates::get,
        super::healthz,
        super::readyz,
        super::prom::metrics,
        openapi_json,
    ),
    components(schemas(JobRequest, Problem, FieldError, Format, super::Validation, super::Health, super::Readiness,
        super::templates::TemplateList, crate::templates::TemplateInfo)),
    tags(
        (name = "render", description = "Render and validate jobs"),
        (name = "images", description = "Convert, resize and compress uploaded images"),
        (name = "templates", description = "The templates jobs can name"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// This OpenAPI document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    let body = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned());
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Interactive API reference; everything it needs is in this page.
pub async fn docs_page() -> Response {
    let mut response = Html(include_str!("docs.html")).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
