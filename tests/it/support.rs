//! Shared helpers: building the app, sending requests, reading XLSX back.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use calamine::{Data, Reader, Xlsx};
use docsmith::http::{AppState, ServiceConfig, app};
use docsmith::templates::Catalog;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn sample(name: &str) -> Value {
    let text = std::fs::read_to_string(repo_path(&format!("samples/{name}")))
        .unwrap_or_else(|e| panic!("sample {name}: {e}"));
    serde_json::from_str(&text).expect("sample is JSON")
}

pub fn test_config() -> ServiceConfig {
    ServiceConfig {
        workers: 2,
        queue_depth: 8,
        ..ServiceConfig::default()
    }
}

pub fn state_with(config: ServiceConfig) -> Arc<AppState> {
    let templates = Catalog::load(&repo_path("templates")).expect("templates dir readable");
    AppState::new(config, templates)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Pointers of a problem's `errors[]`.
    pub fn pointers(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["pointer"].as_str().unwrap_or("").to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub async fn send(state: &Arc<AppState>, request: Request<Body>) -> Reply {
    let response = app(state.clone())
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub fn post_json(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request")
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

/// Every sheet of an XLSX file: name and rows of calamine cells.
pub fn read_xlsx(bytes: &[u8]) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes.to_vec())).expect("calamine opens the xlsx");
    let names = book.sheet_names().to_vec();
    names
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("sheet readable");
            let rows = range.rows().map(|r| r.to_vec()).collect();
            (name, rows)
        })
        .collect()
}

/// A simple sales job with `rows` rows, built in code.
pub fn sales_job(rows: usize) -> Value {
    let data: Vec<Value> = (0..rows)
        .map(|i| {
            let region = ["North", "South", "East", "West"][i % 4];
            serde_json::json!([
                format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
                region,
                (i % 50) as i64 + 1,
                19.5 + (i % 7) as f64,
                0.05 * (i % 5) as f64,
            ])
        })
        .collect();
    serde_json::json!({
        "format": "xlsx",
        "filename": "sales.xlsx",
        "workbook": {"sheets": [{
            "name": "Sales",
            "columns": [
                {"header": "Date", "type": "date"},
                {"header": "Region", "type": "string"},
                {"header": "Units", "type": "integer"},
                {"header": "Price", "type": "currency", "currency": "EUR"},
                {"header": "Discount", "type": "percent"}
            ],
            "rows": data
        }]}
    })
}

/// Occupies one worker of the service's pool until the returned sender is
/// dropped.
pub fn block_worker(state: &Arc<AppState>) -> std::sync::mpsc::Sender<()> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let before = state.pool.in_flight();
    state
        .pool
        .try_submit(Box::new(move || while rx.recv().is_ok() {}))
        .expect("a free worker");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while state.pool.in_flight() <= before {
        assert!(
            std::time::Instant::now() < deadline,
            "the blocking task never started"
        );
        std::thread::yield_now();
    }
    tx
}

/// Waits (bounded) until no job renders.
pub async fn wait_idle(state: &Arc<AppState>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while state.pool.in_flight() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the pool never became idle"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}
