//! The service in-process, for what only a test build can provoke: a panic
//! inside a generator (see [`crate::render::PANICKING_JOB`]).

use super::*;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use tower::ServiceExt;

/// Log lines of every test in this binary; installed once as the global
/// subscriber, since a job logs on a worker thread, not the test's.
fn captured_log() -> &'static Mutex<Vec<u8>> {
    static LOG: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || LogWriter(log))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        log
    })
}

struct LogWriter(&'static Mutex<Vec<u8>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Waits (bounded) until the one worker is free: it counts itself free
/// just after it has sent its answer.
async fn worker_freed(state: &AppState) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while state.pool.in_flight() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert_eq!(state.pool.in_flight(), 0, "the worker came back");
}

fn workbook_job(filename: &str) -> Request<Body> {
    let job = serde_json::json!({
        "format": "xlsx",
        "filename": filename,
        "workbook": {"sheets": [{"name": "S", "columns": [{"header": "n"}], "rows": [[1]]}]},
    });
    Request::post("/v1/render")
        .header("content-type", "application/json")
        .header("x-request-id", format!("req-{filename}"))
        .body(Body::from(job.to_string()))
        .expect("request")
}

#[tokio::test]
async fn a_generator_panic_is_a_logged_500_and_the_worker_carries_on() {
    let log = captured_log();
    let config = ServiceConfig {
        workers: 1,
        queue_depth: 0,
        ..ServiceConfig::default()
    };
    let state = AppState::new(config, Catalog::default());
    let app = app(Arc::clone(&state));

    // The panic happens twice over, so the one worker survives more than once.
    for _ in 0..2 {
        let response = app
            .clone()
            .oneshot(workbook_job(crate::render::PANICKING_JOB))
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers();
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(
            headers["x-request-id"],
            format!("req-{}", crate::render::PANICKING_JOB).as_str()
        );
        let body = to_bytes(response.into_body(), 1 << 20).await.expect("body");
        let problem: serde_json::Value = serde_json::from_slice(&body).expect("problem JSON");
        assert_eq!(problem["status"], 500);
        assert_eq!(problem["type"], "https://docsmith.dev/problems/internal");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("injected") && !text.contains("panicked"),
            "the body names no internals: {text}"
        );
        worker_freed(&state).await;
    }

    // The only worker is free again: a sound job renders.
    let response = app
        .oneshot(workbook_job("fine.xlsx"))
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    let body = to_bytes(response.into_body(), 1 << 24).await.expect("body");
    assert!(body.starts_with(b"PK\x03\x04"), "an XLSX package");
    worker_freed(&state).await;

    // The log names the request and the panic.
    let log = String::from_utf8_lossy(&log.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    let line = log
        .lines()
        .find(|l| l.contains("job failed") && l.contains(crate::render::PANICKING_JOB))
        .unwrap_or_else(|| panic!("no log line for the panic in:\n{log}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(
        line.contains("injected by a test"),
        "the panic message: {line}"
    );
}
