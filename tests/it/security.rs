//! Exposing the service: API keys (401, 403, 429), the body deadline
//! against slow uploads (408), CORS, and the refusal to serve open on a
//! public address.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use docsmith::http::auth::ApiKeys;
use docsmith::http::{AppState, ServiceConfig};
use docsmith::templates::Catalog;
use tokio::sync::mpsc;

use crate::support::*;

const RENDER_KEY: &str = "render-key-0123456789";
const IMAGES_KEY: &str = "images-key-0123456789";
const OPS_KEY: &str = "ops-key-0123456789abc";

fn keyed_state(config: ServiceConfig) -> std::sync::Arc<AppState> {
    let keys = ApiKeys::parse(
        &format!(
            "billing {RENDER_KEY} render,validate,templates 1\n\
             photos {IMAGES_KEY} images\n\
             ops {OPS_KEY} *"
        ),
        "test",
    )
    .expect("keys");
    let templates = Catalog::load(&repo_path("templates")).expect("templates");
    AppState::with_keys(config, templates, keys)
}

fn invoice_request(key: Option<(&str, &str)>) -> Request<Body> {
    let mut builder = Request::post("/v1/render").header("content-type", "application/json");
    if let Some((header, value)) = key {
        builder = builder.header(header, value);
    }
    builder
        .body(Body::from(sample("pdf-invoice.json").to_string()))
        .expect("request")
}

#[tokio::test]
async fn keys_guard_the_job_routes_and_nothing_else() {
    let state = keyed_state(test_config());

    let reply = send(&state, invoice_request(None)).await;
    assert_problem(&reply, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        "Bearer realm=\"docsmith\""
    );
    let reply = send(
        &state,
        invoice_request(Some(("authorization", "Bearer not-a-known-key-at-all"))),
    )
    .await;
    assert_problem(&reply, 401);
    // One character off is as unknown as anything else.
    let almost = format!("Bearer {}X", &RENDER_KEY[..RENDER_KEY.len() - 1]);
    assert_problem(
        &send(&state, invoice_request(Some(("authorization", &almost)))).await,
        401,
    );

    let bearer = format!("Bearer {RENDER_KEY}");
    let reply = send(&state, invoice_request(Some(("authorization", &bearer)))).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(reply.body.starts_with(b"%PDF-"));
    let reply = send(&state, invoice_request(Some(("x-api-key", RENDER_KEY)))).await;
    assert_eq!(reply.status, StatusCode::OK);

    // A key for images only may not render.
    let reply = send(&state, invoice_request(Some(("x-api-key", IMAGES_KEY)))).await;
    assert_problem(&reply, 403);
    assert!(
        reply.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("photos"))
    );

    // The rest stays open; unknown /v1 paths answer 404 only to a known key.
    for open in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/",
    ] {
        assert_eq!(
            send(&state, get(open)).await.status,
            StatusCode::OK,
            "{open}"
        );
    }
    assert_problem(&send(&state, get("/v1/nothing-here")).await, 401);
    let request = Request::get("/v1/nothing-here")
        .header("x-api-key", RENDER_KEY)
        .body(Body::empty())
        .expect("request");
    assert_problem(&send(&state, request).await, 404);
    let request = Request::get("/v1/templates")
        .header("x-api-key", RENDER_KEY)
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&state, request).await.status, StatusCode::OK);
}

/// A request whose body is sent by the test, chunk by chunk; it ends when
/// the sender is dropped.
fn trickled(
    path: &str,
    content_type: &str,
    key: Option<&str>,
) -> (Request<Body>, mpsc::Sender<Bytes>) {
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    }));
    let mut builder = Request::post(path).header("content-type", content_type);
    if let Some(key) = key {
        builder = builder.header("x-api-key", key);
    }
    (builder.body(body).expect("request"), tx)
}

#[tokio::test]
async fn a_key_at_its_concurrency_limit_gets_429() {
    let state = keyed_state(test_config());
    // The first request holds the key's only slot while its body trickles in.
    let (first, tx) = trickled("/v1/render", "application/json", Some(RENDER_KEY));
    let job = sample("pdf-invoice.json").to_string();
    let (head, tail) = job.split_at(job.len() / 2);
    tx.send(Bytes::copy_from_slice(head.as_bytes()))
        .await
        .expect("send");
    let pending = tokio::spawn({
        let state = state.clone();
        async move { send(&state, first).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;

    let reply = send(&state, invoice_request(Some(("x-api-key", RENDER_KEY)))).await;
    assert_problem(&reply, 429);
    assert_eq!(reply.header("retry-after"), "1");
    // Another key is not held up.
    let reply = send(&state, invoice_request(Some(("x-api-key", OPS_KEY)))).await;
    assert_eq!(reply.status, StatusCode::OK);

    tx.send(Bytes::copy_from_slice(tail.as_bytes()))
        .await
        .expect("send");
    drop(tx);
    let reply = pending.await.expect("first request");
    assert_eq!(reply.status, StatusCode::OK);
    // The slot is free again once the document has been sent.
    let reply = send(&state, invoice_request(Some(("x-api-key", RENDER_KEY)))).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_trickles_past_the_deadline_is_408() {
    let state = state_with(ServiceConfig {
        body_timeout: Duration::from_millis(300),
        ..test_config()
    });
    for (path, content_type) in [
        ("/v1/render", "application/json"),
        ("/v1/render", "multipart/form-data; boundary=XX"),
        ("/v1/images", "multipart/form-data; boundary=XX"),
    ] {
        let (request, tx) = trickled(path, content_type, None);
        let start = if content_type.starts_with("multipart") {
            "--XX\r\nContent-Disposition: form-data; name=\"job\"\r\n\r\n{"
        } else {
            "{\"format\": "
        };
        tx.send(Bytes::from_static(start.as_bytes()))
            .await
            .expect("send");
        let started = std::time::Instant::now();
        let reply = tokio::time::timeout(Duration::from_secs(10), send(&state, request))
            .await
            .expect("answered, not hung");
        assert_problem(&reply, 408);
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{path}: {:?}",
            started.elapsed()
        );
        drop(tx);
    }
    // A body that arrives in time is fine.
    let reply = send(&state, invoice_request(None)).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn cors_answers_only_configured_origins() {
    let preflight = |origin: &str| {
        Request::options("/v1/render")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,authorization",
            )
            .body(Body::empty())
            .expect("request")
    };
    // Off by default: no CORS headers at all.
    let state = state_with(test_config());
    let reply = send(&state, preflight("https://app.example")).await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());

    let config = ServiceConfig {
        cors_origins: vec!["https://app.example".to_owned()],
        ..test_config()
    };
    let state = keyed_state(config);
    // The preflight carries no key and needs none.
    let reply = send(&state, preflight("https://app.example")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        "https://app.example"
    );
    let allowed = reply
        .header("access-control-allow-headers")
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    let reply = send(&state, preflight("https://evil.example")).await;
    assert!(reply.headers.get("access-control-allow-origin").is_none());

    let mut request = invoice_request(Some(("x-api-key", RENDER_KEY)));
    request
        .headers_mut()
        .insert("origin", "https://app.example".parse().expect("value"));
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        "https://app.example"
    );
    let exposed = reply
        .header("access-control-expose-headers")
        .to_ascii_lowercase();
    assert!(exposed.contains("content-disposition"), "{exposed}");
}

#[test]
fn serving_open_on_a_public_address_is_refused() {
    let run = docsmith(&["serve", "--addr", "0.0.0.0:0"], None);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("--allow-anonymous"), "{stderr}");
    // Bad keys stop the start too, before anything listens.
    let run = docsmith(
        &["serve", "--addr", "127.0.0.1:0", "--api-keys", "ops short"],
        None,
    );
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("shorter than 16"), "{stderr}");
}

#[test]
fn slow_request_heads_are_cut_off() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    let (mut child, base) = start_server(&["--body-timeout", "1s"]);
    let addr = base.trim_start_matches("http://");
    // Half a request head, then nothing.
    let mut slow = TcpStream::connect(addr).expect("connect");
    slow.write_all(b"POST /v1/render HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    // The server closes the connection after the deadline (with or without
    // a 408 before): reading ends rather than waiting out our 10 s.
    let closed = loop {
        match slow.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    let waited = started.elapsed();
    // Meanwhile the service answers others.
    let health = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{base}/healthz"),
        ])
        .output()
        .expect("curl runs");
    let _ = child.kill();
    let _ = child.wait();
    assert!(closed, "the connection stayed open for {waited:?}");
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(9), "{waited:?}");
    assert_eq!(String::from_utf8_lossy(&health.stdout), "200");
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let state = state_with(test_config());
    // The API reference and the playground.
    for page in ["/docs", "/"] {
        let reply = send(&state, get(page)).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        let policy = reply.header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "connect-src 'self'",
        ] {
            assert!(
                policy.contains(directive),
                "{page}: {directive} in {policy}"
            );
        }
        assert_eq!(reply.header("x-frame-options"), "DENY", "{page}");
        assert_eq!(reply.header("referrer-policy"), "no-referrer", "{page}");
        assert_eq!(reply.header("x-content-type-options"), "nosniff", "{page}");
        let html = String::from_utf8(reply.body).expect("utf-8");
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "{page} loads nothing from other hosts"
        );
    }

    // Every answer, documents and problems alike, forbids content sniffing.
    for request in [invoice_request(None), get("/v1/nope"), get("/openapi.json")] {
        let reply = send(&state, request).await;
        assert_eq!(reply.header("x-content-type-options"), "nosniff");
    }
}
