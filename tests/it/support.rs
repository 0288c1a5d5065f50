//! Shared helpers: building the app, sending requests, reading XLSX back.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
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
    let (reply, error) = send_streaming(state, request).await;
    if let Some(error) = error {
        panic!("the body failed after {} bytes: {error}", reply.body.len());
    }
    reply
}

/// Sends through the router and reads the body frame by frame: the reply
/// with what arrived, and the error that cut the body, if one did.
pub async fn send_streaming(
    state: &Arc<AppState>,
    request: Request<Body>,
) -> (Reply, Option<String>) {
    let response = app(state.clone())
        .oneshot(request)
        .await
        .expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    let mut error = None;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    bytes.extend_from_slice(data);
                }
            }
            Err(e) => {
                error = Some(e.to_string());
                break;
            }
        }
    }
    let reply = Reply {
        status,
        headers,
        body: bytes,
    };
    (reply, error)
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

pub fn put_json(path: &str, body: impl Into<Body>) -> Request<Body> {
    Request::put(path)
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request")
}

pub fn delete(path: &str) -> Request<Body> {
    Request::delete(path).body(Body::empty()).expect("request")
}

/// `request` with `Authorization: Bearer KEY`.
pub fn with_key(key: &str, request: Request<Body>) -> Request<Body> {
    let (mut parts, body) = request.into_parts();
    parts.headers.insert(
        "authorization",
        format!("Bearer {key}").parse().expect("header"),
    );
    Request::from_parts(parts, body)
}

/// `pdftotext -layout` of a PDF: its text as a reader copies it.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = temp_dir("pdf-text");
    let path = dir.join("document.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run pdftotext ({e}): install the Debian package poppler-utils")
        });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8(out.stdout).expect("pdftotext prints UTF-8")
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

/// Checks a problem+json answer: status, type URI, title and detail.
pub fn assert_problem(reply: &Reply, status: u16) {
    assert_eq!(
        reply.status.as_u16(),
        status,
        "body: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("content-type"), "application/problem+json");
    let body = reply.json();
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "{body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
}

/// Runs the `docsmith` binary with `args`, feeding it `stdin`.
pub fn docsmith(args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_docsmith"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docsmith runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("docsmith exits")
}

/// A fresh directory, unique within the run (tests run in parallel).
pub fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("docsmith-it-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Starts `docsmith serve` on a free loopback port; returns the child and its URL.
pub fn start_server(extra: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_docsmith"))
        .args(["serve", "--addr", "127.0.0.1:0", "--log-format", "json"])
        .arg("--data-dir")
        .arg(temp_dir("serve-data"))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docsmith serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("serve logs its address")
            .expect("utf-8 log line");
        if let Some(i) = line.find("listening on http://") {
            let rest = &line[i + "listening on ".len()..];
            break rest.split('"').next().expect("url").to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (child, url)
}

/// Standard base64 with padding, for data URLs in jobs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A `data:` URL of `bytes`.
pub fn data_url(media_type: &str, bytes: &[u8]) -> String {
    format!("data:{media_type};base64,{}", base64(bytes))
}

/// A `w` × `h` PNG of a gradient.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode PNG");
    out.into_inner()
}
