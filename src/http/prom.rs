//! Prometheus metrics: the recorder, the names we record, and `GET /metrics`.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `docsmith_http_requests_total` | counter | route, method, status, format |
//! | `docsmith_http_request_duration_seconds` | histogram | route, method, status, format |
//! | `docsmith_job_duration_seconds` | histogram | format, outcome |
//! | `docsmith_jobs_in_flight` | gauge | |
//! | `docsmith_queue_depth` | gauge | |
//! | `docsmith_rejections_total` | counter | reason |
//! | `docsmith_bytes_out_total` | counter | format |

use std::sync::OnceLock;
use std::time::Duration;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets, seconds: sub-millisecond jobs up to a minute.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Installs the process-wide recorder once.
pub fn init() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only if another recorder was installed first (an embedding
        // program's); then that one receives our metrics.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!("docsmith_http_requests_total", "HTTP requests answered");
    metrics::describe_histogram!(
        "docsmith_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from request to response headers"
    );
    metrics::describe_histogram!(
        "docsmith_job_duration_seconds",
        metrics::Unit::Seconds,
        "Time a job spent rendering on a worker"
    );
    metrics::describe_gauge!("docsmith_jobs_in_flight", "Jobs rendering now");
    metrics::describe_gauge!("docsmith_queue_depth", "Jobs waiting for a worker");
    metrics::describe_counter!("docsmith_rejections_total", "Jobs turned away with 503");
    metrics::describe_counter!("docsmith_bytes_out_total", "Document bytes sent");
    // Present from the start, so dashboards see zeros rather than gaps.
    metrics::gauge!("docsmith_jobs_in_flight").increment(0.0);
    metrics::gauge!("docsmith_queue_depth").increment(0.0);
}

pub fn record_request(
    route: &str,
    method: &str,
    status: u16,
    format: &'static str,
    elapsed: Duration,
) {
    let labels = [
        ("route", route.to_owned()),
        ("method", method.to_owned()),
        ("status", status.to_string()),
        ("format", format.to_owned()),
    ];
    metrics::counter!("docsmith_http_requests_total", &labels).increment(1);
    metrics::histogram!("docsmith_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
}

/// Prometheus text exposition of every docsmith metric.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics() -> Response {
    let handle = init();
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
