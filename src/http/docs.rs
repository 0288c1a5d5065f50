//! The OpenAPI 3.1 document, generated from the handlers and wire types, and
//! the interactive page at `/docs` that reads it.
//!
//! `scripts/api_fuzz.sh` runs schemathesis against a live server with this
//! document: every response must match it, and the request schemas must be
//! no stricter than the server.

mod examples;
mod jobs;

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, ToSchema};

use crate::format::Format;
use crate::job::JobRequest;
use crate::problem::{FieldError, Problem};
use examples::Examples;
use jobs::JobSchemas;

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
        super::templates::put,
        super::templates::delete,
        super::healthz,
        super::readyz,
        super::prom::metrics,
        super::jobs::submit,
        super::jobs::status,
        super::jobs::result,
        super::jobs::remove,
        openapi_json,
        docs_page,
        super::playground::page,
    ),
    components(schemas(JobRequest, Problem, FieldError, Format, super::Validation, super::Health, super::Readiness,
        super::templates::TemplateList, crate::templates::TemplateInfo, crate::templates::TemplateVersion,
        super::templates::TemplateUpload,
        super::jobs::JobStatus, super::jobs::Progress, super::jobs::Links, super::jobs::Callback)),
    modifiers(&JobSchemas, &Examples, &RequestIds, &KeySecurity),
    tags(
        (name = "render", description = "Render and validate jobs"),
        (name = "images", description = "Convert, resize and compress uploaded images"),
        (name = "jobs", description = "Async jobs: submit now, fetch the document when it is done"),
        (name = "templates", description = "The templates jobs can name: built in, and stored with PUT"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
        (name = "pages", description = "The HTML pages: the playground and this reference"),
    )
)]
pub struct ApiDoc;

/// The bytes of a document, an image or an archive, for response bodies.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "The bytes of the file, of the type its Content-Type names (a PDF begins `%PDF-`)",
            ))
            .examples(["%PDF-1.3\n"])
            .into()
    }
}

impl ToSchema for Binary {}

/// Every response carries `X-Request-Id` (the `observe` middleware).
struct RequestIds;

impl Modify for RequestIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::HeaderBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        let header = HeaderBuilder::new()
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(128)),
            ))
            .description(Some(
                "The request's id: the client's own `X-Request-Id` (up to 128 printable ASCII characters) echoed, or a new UUID. The log lines of the request carry it.",
            ))
            .build();
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        response
                            .headers
                            .insert("X-Request-Id".to_owned(), header.clone().into());
                    }
                }
            }
        }
    }
}

/// The API keys of `/v1/*`: needed only when the service has keys
/// (`--api-keys`, `--api-keys-file`), so each route also lists the empty
/// requirement (open).
struct KeySecurity;

impl Modify for KeySecurity {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let with_keys = "Needed only when the service is started with API keys (`--api-keys`, `--api-keys-file`); then 401 without a known key, 403 for a key not allowed the route.";
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(format!("`Authorization: Bearer KEY`. {with_keys}")))
            .build();
        let mut header = ApiKeyValue::new("X-API-Key");
        header.description = Some(format!("`X-API-Key: KEY`, the same keys. {with_keys}"));
        if let Some(components) = doc.components.as_mut() {
            components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
            components
                .add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(header)));
        }
        let none: [&str; 0] = [];
        let requirements = vec![
            SecurityRequirement::default(),
            SecurityRequirement::new("bearer", none),
            SecurityRequirement::new("api_key", none),
        ];
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for operation in [&mut item.get, &mut item.post, &mut item.delete]
                .into_iter()
                .flatten()
            {
                operation.security = Some(requirements.clone());
            }
        }
    }
}

/// This OpenAPI document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object, content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    static BODY: OnceLock<String> = OnceLock::new();
    let body = BODY.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|_| "{}".to_owned())
    });
    let mut response = body.clone().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Interactive API reference; everything it needs is in this page.
///
/// Lists every operation of `/openapi.json` with its schemas and examples,
/// and sends requests to this server (try it). A single file: no scripts,
/// styles or fonts from elsewhere.
#[utoipa::path(get, path = "/docs", tag = "pages", operation_id = "docs_page",
    responses((status = 200, description = "The API reference, an HTML page that reads /openapi.json", body = String, content_type = "text/html")))]
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
