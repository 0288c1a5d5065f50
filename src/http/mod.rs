//! The HTTP edge. Only this module knows HTTP: handlers extract and validate a
//! job, hand it to the core, and stream back what comes out.

pub mod auth;
mod disposition;
mod docs;
mod images;
mod jobs;
mod playground;
mod problem;
mod prom;
mod render;
pub mod serve;
mod stream;
mod templates;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tracing::Instrument;
use utoipa::ToSchema;

use crate::pool::Pool;
use crate::problem::Problem;
use crate::templates::Catalog;

pub use docs::ApiDoc;
pub use render::Validation;

/// Settings of the HTTP service; `docsmith serve` fills them from flags and
/// environment variables.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Worker threads rendering at once.
    pub workers: usize,
    /// Jobs that may wait for a worker before new ones get 503.
    pub queue_depth: usize,
    /// Largest accepted request body, in bytes.
    pub max_body: usize,
    /// Time limit of one job, from arrival to its last byte rendered.
    pub job_timeout: Duration,
    /// `Retry-After` seconds sent with 503.
    pub retry_after_secs: u64,
    /// Largest request body of `POST /v1/images`, in bytes.
    pub max_upload: usize,
    /// Most files one `POST /v1/images` may carry.
    pub max_image_files: usize,
    /// Time to receive a request's head, and then its whole body (a client
    /// that trickles either is cut off; a slow body gets 408).
    pub body_timeout: Duration,
    /// Origins allowed to call the API from a browser (`*` for any); none
    /// by default, which sends no CORS headers.
    pub cors_origins: Vec<String>,
    /// Largest stored template's markup, in bytes.
    pub max_template_bytes: usize,
    /// Template versions one API key may keep stored.
    pub max_stored_templates: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            workers: default_workers(),
            queue_depth: 64,
            max_body: 32 * 1024 * 1024,
            job_timeout: Duration::from_secs(60),
            retry_after_secs: 1,
            max_upload: 256 * 1024 * 1024,
            max_image_files: 100,
            body_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            max_template_bytes: 1024 * 1024,
            max_stored_templates: 1000,
        }
    }
}

/// One worker per core.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// What every handler shares.
pub struct AppState {
    pub config: ServiceConfig,
    pub pool: Arc<Pool>,
    pub templates: Catalog,
    /// API keys; none means the job routes are open.
    pub keys: auth::ApiKeys,
    /// The async job queue (`/v1/jobs`); none answers 503 there.
    pub queue: Option<Arc<crate::queue::Queue>>,
    ready: AtomicBool,
}

impl AppState {
    pub fn new(config: ServiceConfig, templates: Catalog) -> Arc<Self> {
        Self::with_keys(config, templates, auth::ApiKeys::none())
    }

    pub fn with_keys(config: ServiceConfig, templates: Catalog, keys: auth::ApiKeys) -> Arc<Self> {
        Self::with_queue(config, templates, keys, None)
    }

    /// The whole service: with API keys and the async job queue.
    pub fn with_queue(
        config: ServiceConfig,
        templates: Catalog,
        keys: auth::ApiKeys,
        queue: Option<Arc<crate::queue::Queue>>,
    ) -> Arc<Self> {
        let pool = Arc::new(Pool::new(config.workers, config.queue_depth));
        Arc::new(Self {
            config,
            pool,
            templates,
            keys,
            queue,
            ready: AtomicBool::new(true),
        })
    }

    /// Marks the service as draining: `/readyz` answers 503 from now on so a
    /// load balancer stops sending new work.
    pub fn set_draining(&self) {
        self.ready.store(false, Ordering::Release);
    }
}

/// The one parameter of a route's path (`{id}`, `{name}`); one that is not
/// UTF-8 names nothing, so the route answers 404 as for any unknown one.
pub struct PathParam(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathParam {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(PathParam(
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_or_else(|_| String::from("\u{fffd}"), |axum::extract::Path(p)| p),
        ))
    }
}

/// The format a response was about, for metrics labels (set by handlers).
#[derive(Debug, Clone, Copy)]
pub struct FormatLabel(pub &'static str);

/// The request id of the current request (echoed or generated).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole service as a router, ready for `axum::serve` or `oneshot` in tests.
pub fn app(state: Arc<AppState>) -> Router {
    prom::init();
    let cors = cors_layer(&state.config.cors_origins);
    let router = Router::new()
        .route("/v1/render", post(render::render))
        .route("/v1/validate", post(render::validate))
        .route(
            "/v1/images",
            post(images::convert).layer(DefaultBodyLimit::max(state.config.max_upload)),
        )
        .route("/v1/jobs", post(jobs::submit))
        .route("/v1/jobs/{id}", get(jobs::status).delete(jobs::remove))
        .route("/v1/jobs/{id}/result", get(jobs::result))
        .route("/v1/templates", get(templates::list))
        .route(
            "/v1/templates/{name}",
            get(templates::get)
                .put(templates::put)
                .delete(templates::delete),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(prom::metrics))
        .route("/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::docs_page))
        .route("/", get(playground::page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(middleware::from_fn_with_state(state.clone(), body_deadline))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(observe));
    // Outside the key check: a browser's preflight carries no key.
    match cors {
        Some(cors) => router.layer(cors).with_state(state),
        None => router.with_state(state),
    }
}

/// The operations routes alone, `/healthz` and `/metrics`: what a
/// `docsmith worker` node serves on `--metrics-addr`.
pub fn ops_app() -> Router {
    prom::init();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prom::metrics))
        .fallback(not_found)
}

/// CORS for the configured origins, or none.
fn cors_layer(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-api-key"),
                X_REQUEST_ID.clone(),
            ])
            .expose_headers([
                header::CONTENT_DISPOSITION,
                header::LOCATION,
                header::RETRY_AFTER,
                X_REQUEST_ID.clone(),
            ])
            .max_age(Duration::from_secs(600)),
    )
}

/// The request body did not arrive within `--body-timeout`.
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// Whether `err`, or an error it wraps, is [`BodyTimedOut`].
pub fn is_body_timeout(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Gives the whole request body `--body-timeout` to arrive: a client that
/// sends it a byte at a time cannot hold a connection (and its memory)
/// for ever. Reading past the deadline fails with [`BodyTimedOut`], which
/// the handlers answer with 408.
async fn body_deadline(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + state.config.body_timeout;
    let (parts, body) = request.into_parts();
    let stream =
        futures_util::stream::unfold(Some(body.into_data_stream()), move |state| async move {
            let mut stream = state?;
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(stream))),
                Ok(None) => None,
                Err(_) => Some((Err(axum::Error::new(BodyTimedOut)), None)),
            }
        });
    let request = Request::from_parts(parts, axum::body::Body::from_stream(stream));
    next.run(request).await
}

/// Request id, tracing span, access log and request metrics for every request.
async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    request.extensions_mut().insert(RequestId(id.clone()));

    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
        key = tracing::field::Empty
    );
    let mut response = next.run(request).instrument(span.clone()).await;

    let status = response.status().as_u16();
    let format = response
        .extensions()
        .get::<FormatLabel>()
        .map_or("none", |f| f.0);
    let elapsed = started.elapsed();
    prom::record_request(&route, method.as_str(), status, format, elapsed);
    span.in_scope(|| {
        tracing::info!(
            status,
            format,
            duration_ms = elapsed.as_secs_f64() * 1e3,
            "request done"
        )
    });
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(X_REQUEST_ID.clone(), value);
    }
    // Documents and problems are what their Content-Type says; a browser
    // must not guess otherwise.
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    Problem::internal().into_response()
}

async fn not_found(request: Request) -> Problem {
    Problem::new(
        404,
        "not-found",
        "Not found",
        format!(
            "no route {} {}; GET /docs lists the API",
            request.method(),
            request.uri().path()
        ),
    )
}

async fn method_not_allowed(request: Request) -> Response {
    let problem = Problem::new(
        405,
        "method-not-allowed",
        "Method not allowed",
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    );
    problem.into_response()
}

/// Health status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Readiness: templates loaded, not draining.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "templates": 3, "workers": 2, "in_flight": 0, "queued": 0}))]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Templates in the catalog.
    pub templates: usize,
    /// Worker pool size.
    pub workers: usize,
    /// Jobs rendering now.
    pub in_flight: usize,
    /// Jobs waiting for a worker.
    pub queued: usize,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: 200 when the service takes jobs, 503 while draining.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Readiness),
              (status = 503, description = "Draining (shutting down)", body = Readiness)))]
pub async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let ready = state.ready.load(Ordering::Acquire);
    let body = Readiness {
        status: if ready { "ready" } else { "draining" },
        templates: state.templates.len(),
        workers: state.pool.workers(),
        in_flight: state.pool.in_flight(),
        queued: state.pool.queued(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
