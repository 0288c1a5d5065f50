//! The OpenAPI document against the router: every route is in it, every
//! operation and schema has examples, and the examples are true: the
//! request examples are accepted, and the answers they show are the ones
//! the server gives.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bytes::Bytes;
use docsmith::http::auth::ApiKeys;
use docsmith::http::{AppState, ServiceConfig};
use docsmith::queue::time;
use docsmith::queue::worker;
use docsmith::templates::Catalog;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::jobs::Service;
use crate::support::*;

/// The routes of `docsmith::http::app`, as the document spells them.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/render"),
    ("post", "/v1/validate"),
    ("post", "/v1/images"),
    ("post", "/v1/jobs"),
    ("get", "/v1/jobs/{id}"),
    ("delete", "/v1/jobs/{id}"),
    ("get", "/v1/jobs/{id}/result"),
    ("get", "/v1/templates"),
    ("get", "/v1/templates/{name}"),
    ("put", "/v1/templates/{name}"),
    ("delete", "/v1/templates/{name}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/docs"),
    ("get", "/"),
];

const PROBLEM: &str = "application/problem+json";
const JSON: &str = "application/json";
const FORM: &str = "multipart/form-data";

async fn document() -> Value {
    let state = state_with(test_config());
    let reply = send(&state, get("/openapi.json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.json()
}

/// The operation of `path`: its POST, else its GET.
fn operation<'a>(spec: &'a Value, path: &str) -> &'a Value {
    let item = &spec["paths"][path];
    if item["post"].is_object() {
        &item["post"]
    } else {
        &item["get"]
    }
}

/// The media type object of a request body (`status` None) or a response
/// of `path`'s POST, else its GET.
fn media<'a>(spec: &'a Value, path: &str, status: Option<&str>, media_type: &str) -> &'a Value {
    media_in(operation(spec, path), status, media_type)
}

/// [`media`] of the operation `method` (`"get"`, `"post"`, `"delete"`) `path`.
fn method_media<'a>(
    spec: &'a Value,
    method: &str,
    path: &str,
    status: Option<&str>,
    media_type: &str,
) -> &'a Value {
    media_in(&spec["paths"][path][method], status, media_type)
}

fn media_in<'a>(op: &'a Value, status: Option<&str>, media_type: &str) -> &'a Value {
    match status {
        None => &op["requestBody"]["content"][media_type],
        Some(status) => &op["responses"][status]["content"][media_type],
    }
}

/// The examples of a media type or schema, by name.
fn examples_of(holder: &Value) -> Vec<(String, Value)> {
    if let Some(map) = holder["examples"].as_object() {
        return map
            .iter()
            .map(|(name, example)| (name.clone(), example["value"].clone()))
            .collect();
    }
    if let Some(list) = holder["examples"].as_array() {
        return list
            .iter()
            .enumerate()
            .map(|(i, value)| (i.to_string(), value.clone()))
            .collect();
    }
    match holder.get("example") {
        Some(value) => vec![("example".to_owned(), value.clone())],
        None => Vec::new(),
    }
}

fn example(spec: &Value, path: &str, status: Option<&str>, media_type: &str, name: &str) -> Value {
    examples_of(media(spec, path, status, media_type))
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{path} {status:?} {media_type} has no example {name:?}"))
        .1
}

/// [`example`] of the operation `method` `path`.
fn method_example(
    spec: &Value,
    method: &str,
    path: &str,
    status: Option<&str>,
    media_type: &str,
    name: &str,
) -> Value {
    examples_of(method_media(spec, method, path, status, media_type))
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| {
            panic!("{method} {path} {status:?} {media_type} has no example {name:?}")
        })
        .1
}

/// The id the examples give a job that does not exist.
const NO_JOB: &str = "0b6f9f5e";

/// A request to a route of [`ROUTES`]: `{name}` is a template, `{id}` a
/// job that does not exist, a POST carries `{}`.
fn route_request(method: &str, path: &str) -> Request<Body> {
    let uri = path.replace("{name}", "invoice").replace("{id}", NO_JOB);
    match method {
        "post" => post_json(&uri, "{}"),
        "get" => get(&uri),
        other => Request::builder()
            .method(other.to_uppercase().as_str())
            .uri(&uri)
            .body(Body::empty())
            .expect("request"),
    }
}

fn schema_example(spec: &Value, name: &str) -> Value {
    examples_of(&spec["components"]["schemas"][name])
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("schema {name} has no example"))
        .1
}

/// Binary bodies need no example, nor do the HTML pages.
fn needs_example(media_type: &str, content: &Value) -> bool {
    let binary = content["schema"]["$ref"] == "#/components/schemas/Binary"
        || content["schema"]["format"] == "binary";
    !binary && media_type != "text/html"
}

fn documented_operations(spec: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item[method].is_object() {
                found.insert((method.to_owned(), path.clone()));
            }
        }
    }
    found
}

#[tokio::test]
async fn every_route_is_in_the_document() {
    let spec = document().await;
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(documented_operations(&spec), routes);

    // And every listed route is one the router has.
    // (Without a job database, the job routes answer 503.)
    let state = state_with(test_config());
    for (method, path) in ROUTES {
        let reply = send(&state, route_request(method, path)).await;
        assert!(
            reply.status != StatusCode::NOT_FOUND && reply.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            reply.status
        );
    }
    let reply = send(&state, get("/v1/nothing-here")).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_operation_and_schema_has_examples() {
    let spec = document().await;
    let mut missing = Vec::new();
    for (method, path) in documented_operations(&spec) {
        let op = &spec["paths"][&path][&method];
        // An operation's examples are named (`examples`, not `example`).
        let named = |content: &Value| {
            content["examples"]
                .as_object()
                .is_some_and(|m| !m.is_empty())
        };
        if let Some(content) = op["requestBody"]["content"].as_object() {
            for (media_type, body) in content {
                if !named(body) {
                    missing.push(format!("{method} {path}: request body {media_type}"));
                }
            }
        }
        for (status, response) in op["responses"].as_object().expect("responses") {
            for (media_type, content) in response["content"].as_object().into_iter().flatten() {
                if needs_example(media_type, content) && !named(content) {
                    missing.push(format!("{method} {path}: response {status} {media_type}"));
                }
                // A problem example is a problem of its response's status.
                if media_type == PROBLEM {
                    for (name, value) in examples_of(content) {
                        assert_eq!(
                            value["status"].to_string(),
                            status.as_str(),
                            "{path} {status} example {name}"
                        );
                        // An invalid job or template lists its problems;
                        // a reused Idempotency-Key and a template name
                        // are about no part of the body.
                        let about_body = ![
                            "https://docsmith.dev/problems/idempotency-key-reused",
                            "https://docsmith.dev/problems/invalid-template-name",
                        ]
                        .contains(&value["type"].as_str().unwrap_or(""));
                        if status == "422" && about_body {
                            assert!(
                                value["errors"].as_array().is_some_and(|e| !e.is_empty()),
                                "{path} 422 example {name} lists no errors"
                            );
                        }
                    }
                }
            }
        }
        if path.starts_with("/v1/") || path == "/" || path == "/docs" {
            assert!(
                op["description"].as_str().is_some() || op["summary"].as_str().is_some(),
                "{method} {path} is not described"
            );
        }
    }
    for (name, schema) in spec["components"]["schemas"].as_object().expect("schemas") {
        if examples_of(schema).is_empty() {
            missing.push(format!("schema {name}"));
        }
    }
    assert!(
        missing.is_empty(),
        "no example for:\n{}",
        missing.join("\n")
    );

    // The job routes show a job of every format.
    for path in ["/v1/render", "/v1/validate", "/v1/jobs"] {
        let formats: BTreeSet<String> = examples_of(media(&spec, path, None, JSON))
            .iter()
            .map(|(_, job)| job["format"].as_str().unwrap_or("").to_owned())
            .collect();
        for format in ["pdf", "docx", "xlsx", "image", "zip"] {
            assert!(formats.contains(format), "{path} has no {format} example");
        }
        let invoice = example(&spec, path, None, JSON, "pdf-invoice");
        assert_eq!(invoice["template"], "invoice");
    }
}

/// One multipart body made from a form example: objects are JSON parts,
/// arrays are file parts (with a file name), other values text fields.
fn form_request(path: &str, value: &Value) -> Request<Body> {
    let boundary = "docsmith-example-boundary";
    let mut body = Vec::new();
    let mut part = |name: &str, file: Option<&str>, content_type: Option<&str>, bytes: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{name}\"");
        if let Some(file) = file {
            disposition.push_str(&format!("; filename=\"{file}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    };
    for (name, value) in value.as_object().expect("a form example is an object") {
        match value {
            Value::Object(_) => part(name, None, Some(JSON), value.to_string().as_bytes()),
            Value::Array(items) => {
                for item in items {
                    let bytes = item.as_str().expect("a file is a string");
                    part(name, Some(name), None, bytes.as_bytes());
                }
            }
            Value::String(text) => part(name, None, None, text.as_bytes()),
            other => part(name, None, None, other.to_string().as_bytes()),
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post(path)
        .header("content-type", format!("{FORM}; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request")
}

#[tokio::test]
async fn request_examples_are_accepted() {
    let spec = document().await;
    let state = state_with(test_config());
    for path in ["/v1/validate", "/v1/render"] {
        for (name, job) in examples_of(media(&spec, path, None, JSON)) {
            let reply = send(&state, post_json(path, job.to_string())).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{path} example {name}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            if path == "/v1/validate" {
                assert_eq!(reply.json()["format"], job["format"], "{name}");
            } else {
                assert!(!reply.body.is_empty(), "{name}");
            }
        }
    }
    for path in ["/v1/validate", "/v1/render", "/v1/images"] {
        let forms = examples_of(media(&spec, path, None, FORM));
        assert!(!forms.is_empty(), "{path} has no form example");
        for (name, form) in forms {
            let reply = send(&state, form_request(path, &form)).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{path} form example {name}: {}",
                String::from_utf8_lossy(&reply.body)
            );
        }
    }
    // The form schemas show the same forms.
    assert_eq!(
        schema_example(&spec, "JobForm"),
        example(&spec, "/v1/render", None, FORM, "zip-with-file")
    );
    assert_eq!(
        schema_example(&spec, "ImageForm"),
        example(&spec, "/v1/images", None, FORM, "bmp-to-png")
    );
    let reply = send(
        &state,
        form_request("/v1/images", &schema_example(&spec, "ImageForm")),
    )
    .await;
    assert_eq!(reply.header("content-type"), "image/png");
}

/// The examples of the job's parts, put together, make valid jobs.
#[tokio::test]
async fn schema_examples_make_valid_jobs() {
    let spec = document().await;
    let state = state_with(test_config());
    let ex = |name: &str| schema_example(&spec, name);

    let sheet = ex("SheetSpec");
    assert!(
        sheet["columns"]
            .as_array()
            .expect("columns")
            .contains(&ex("ColumnSpec"))
    );
    assert!(
        sheet["charts"]
            .as_array()
            .expect("charts")
            .contains(&ex("ChartSpec"))
    );
    assert_eq!(sheet["header_style"], ex("HeaderStyleSpec"));
    let png = ex("ImageJob")["source"].clone();
    let jobs = [
        json!({"format": "xlsx", "workbook": {"properties": ex("PropertiesSpec"), "sheets": [sheet]}}),
        json!({"format": "xlsx", "workbook": ex("WorkbookSpec")}),
        json!({"format": "image", "source": png, "resize": ex("ImageResize"), "output": ex("ImageOutput")}),
        json!({"format": "zip", "entries": [ex("ZipEntry")], "batch": ex("BatchRequest")}),
        ex("JobRequest"),
    ];
    for job in jobs {
        let reply = send(&state, post_json("/v1/render", job.to_string())).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{job}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let format = ex("Format");
    assert!(
        spec["components"]["schemas"]["Format"]["enum"]
            .as_array()
            .expect("enum")
            .contains(&format)
    );
}

/// A request whose body never ends while `tx` lives: it holds its key's
/// slot.
fn held(path: &str, content_type: &str, key: &str) -> (Request<Body>, mpsc::Sender<Bytes>) {
    let (tx, rx) = mpsc::channel::<Bytes>(1);
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    }));
    let request = Request::post(path)
        .header("content-type", content_type)
        .header("x-api-key", key)
        .body(body)
        .expect("request");
    (request, tx)
}

fn with_key(request: Request<Body>, key: &str) -> Request<Body> {
    let (mut parts, body) = request.into_parts();
    parts
        .headers
        .insert("x-api-key", key.parse().expect("header value"));
    Request::from_parts(parts, body)
}

#[tokio::test]
async fn response_examples_are_what_the_server_answers() {
    let spec = document().await;
    let state = state_with(test_config());
    let reply = send(&state, get("/healthz")).await;
    assert_eq!(
        answered(&reply, 200),
        example(&spec, "/healthz", Some("200"), JSON, "ok")
    );
    assert_eq!(answered(&reply, 200), schema_example(&spec, "Health"));
    let reply = send(&state, get("/readyz")).await;
    assert_eq!(
        answered(&reply, 200),
        example(&spec, "/readyz", Some("200"), JSON, "ready")
    );
    assert_eq!(answered(&reply, 200), schema_example(&spec, "Readiness"));
    let reply = send(&state, get("/v1/templates")).await;
    assert_eq!(
        answered(&reply, 200),
        example(&spec, "/v1/templates", Some("200"), JSON, "builtin")
    );
    assert_eq!(answered(&reply, 200), schema_example(&spec, "TemplateList"));
    let reply = send(&state, get("/v1/templates/invoice")).await;
    let path = "/v1/templates/{name}";
    assert_eq!(
        answered(&reply, 200),
        example(&spec, path, Some("200"), JSON, "invoice")
    );
    assert_eq!(answered(&reply, 200), schema_example(&spec, "TemplateInfo"));
    let reply = send(&state, get("/v1/templates/invoce")).await;
    assert_eq!(
        answered(&reply, 404),
        example(&spec, path, Some("404"), PROBLEM, "unknown-template")
    );
    let invoice = example(&spec, "/v1/validate", None, JSON, "pdf-invoice");
    let reply = send(&state, post_json("/v1/validate", invoice.to_string())).await;
    let validation = answered(&reply, 200);
    assert_eq!(
        validation,
        example(&spec, "/v1/validate", Some("200"), JSON, "pdf-invoice")
    );
    assert_eq!(validation, schema_example(&spec, "Validation"));
    let metrics = example(
        &spec,
        "/metrics",
        Some("200"),
        "text/plain; version=0.0.4",
        "excerpt",
    );
    let reply = send(&state, get("/metrics")).await;
    let text = String::from_utf8(reply.body).expect("utf-8");
    for line in metrics.as_str().expect("text").lines() {
        if line.starts_with('#') {
            assert!(text.contains(line), "/metrics has no line {line:?}");
        }
    }

    // The problems of the job routes: each example that quotes its
    // request is the answer to it.
    for path in ["/v1/render", "/v1/validate"] {
        replay_quoted_problems(&state, &spec, path).await;
        let plain = Request::post(path)
            .header("content-type", "text/plain")
            .body(Body::from("hello"))
            .expect("request");
        let reply = send(&state, plain).await;
        assert_eq!(
            answered(&reply, 415),
            example(&spec, path, Some("415"), PROBLEM, "text-plain")
        );
        let huge = Request::post(path)
            .header("content-type", JSON)
            .header("content-length", (32 * 1024 * 1024 + 1).to_string())
            .body(Body::empty())
            .expect("request");
        let reply = send(&state, huge).await;
        assert_eq!(
            answered(&reply, 413),
            example(&spec, path, Some("413"), PROBLEM, "json")
        );
    }
    // The examples of the schemas are among them.
    let invalid = example(&spec, "/v1/validate", Some("422"), PROBLEM, "invalid-cells");
    assert_eq!(invalid, schema_example(&spec, "Problem"));
    let template = example(
        &spec,
        "/v1/validate",
        Some("422"),
        PROBLEM,
        "template-error",
    );
    assert_eq!(template["errors"][0], schema_example(&spec, "FieldError"));

    for path in ["/v1/render", "/v1/validate", "/v1/images"] {
        let broken = Request::post(path)
            .header("content-type", "multipart/form-data; boundary=xx")
            .body(Body::from("--xx\r\nbroken"))
            .expect("request");
        let reply = send(&state, broken).await;
        assert_eq!(
            answered(&reply, 400),
            example(&spec, path, Some("400"), PROBLEM, "broken-multipart"),
            "{path}"
        );
    }

    let path = "/v1/images";
    let reply = send(&state, post_json(path, "{}")).await;
    assert_eq!(
        answered(&reply, 415),
        example(&spec, path, Some("415"), PROBLEM, "not-a-form")
    );
    let mut form = example(&spec, path, None, FORM, "bmp-to-png");
    form["width"] = json!(0);
    form["fit"] = json!("squash");
    let reply = send(&state, form_request(path, &form)).await;
    assert_eq!(
        answered(&reply, 422),
        example(&spec, path, Some("422"), PROBLEM, "invalid-fields")
    );
    let reply = send(&state, form_request(path, &json!({"width": 40}))).await;
    assert_eq!(
        answered(&reply, 422),
        example(&spec, path, Some("422"), PROBLEM, "no-files")
    );

    // Forms over the size limit.
    let small = state_with(ServiceConfig {
        max_body: 1024,
        max_upload: 1024,
        ..test_config()
    });
    let padding = "x".repeat(4096);
    for (path, form) in [
        (
            "/v1/render",
            json!({"job": {"format": "zip"}, "notes": padding}),
        ),
        ("/v1/images", json!({"files": [padding]})),
    ] {
        let reply = send(&small, form_request(path, &form)).await;
        assert_eq!(
            answered(&reply, 413),
            example(&spec, path, Some("413"), PROBLEM, "multipart"),
            "{path}"
        );
    }

    // A full queue, and a job past its time limit.
    let busy_state = state_with(ServiceConfig {
        workers: 1,
        queue_depth: 0,
        ..test_config()
    });
    let busy = block_worker(&busy_state);
    let job = example(&spec, "/v1/render", None, JSON, "pdf-markup");
    let reply = send(&busy_state, post_json("/v1/render", job.to_string())).await;
    assert_eq!(
        answered(&reply, 503),
        example(&spec, "/v1/render", Some("503"), PROBLEM, "queue-full")
    );
    assert_eq!(reply.header("retry-after"), "1");
    drop(busy);
    let slow_state = state_with(ServiceConfig {
        job_timeout: Duration::from_millis(1),
        ..test_config()
    });
    let reply = send(
        &slow_state,
        post_json("/v1/render", sales_job(20_000).to_string()),
    )
    .await;
    assert_eq!(
        answered(&reply, 504),
        example(&spec, "/v1/render", Some("504"), PROBLEM, "job-timeout")
    );
}

const BILLING_KEY: &str = "billing-key-0123456789";
const PHOTOS_KEY: &str = "photos-key-0123456789";

/// The keys the examples name: `billing` (render, validate, templates,
/// storing templates) and `photos` (images), 4 requests at once each.
fn keyed_state() -> std::sync::Arc<AppState> {
    let keys = ApiKeys::parse(
        &format!(
            "billing {BILLING_KEY} render,validate,templates,templates:write 4\n\
             photos {PHOTOS_KEY} images 4"
        ),
        "test",
    )
    .expect("keys");
    let templates = Catalog::load(&repo_path("templates")).expect("templates");
    AppState::with_keys(test_config(), templates, keys)
}

#[tokio::test]
async fn key_problem_examples_are_what_the_server_answers() {
    let spec = document().await;
    let state = keyed_state();
    for (method, path) in ROUTES.iter().filter(|(_, path)| path.starts_with("/v1/")) {
        let request = || route_request(method, path);
        let example = |status: &str, name: &str| {
            method_example(&spec, method, path, Some(status), PROBLEM, name)
        };
        let (own, other) = if *path == "/v1/images" {
            (PHOTOS_KEY, BILLING_KEY)
        } else {
            (BILLING_KEY, PHOTOS_KEY)
        };
        let reply = send(&state, request()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(reply.json(), example("401", "no-key"), "{method} {path}");
        let reply = send(&state, with_key(request(), "not-a-known-key-at-all")).await;
        assert_eq!(
            reply.json(),
            example("401", "unknown-key"),
            "{method} {path}"
        );
        let reply = send(&state, with_key(request(), other)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(reply.json(), example("403", "forbidden"), "{method} {path}");

        // Four requests hold the key's four slots: the fifth gets 429.
        let mut holders = Vec::new();
        for _ in 0..4 {
            // The images route reads a form; the others, JSON.
            let (request, tx) = if *path == "/v1/images" {
                held(path, "multipart/form-data; boundary=xx", own)
            } else {
                held("/v1/render", JSON, own)
            };
            let state = state.clone();
            holders.push((tx, tokio::spawn(async move { send(&state, request).await })));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let reply = send(&state, with_key(request(), own)).await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{method} {path}"
        );
        assert_eq!(
            reply.json(),
            example("429", "too-many-requests"),
            "{method} {path}"
        );
        assert_eq!(reply.header("retry-after"), "1");
        for (tx, pending) in holders {
            drop(tx);
            let _ = pending.await;
        }
    }
}

/// Sends the request each problem example of `path` quotes in its
/// description ("The answer to `BODY`.") and compares the answer with the
/// example; returns how many it sent.
async fn replay_quoted_problems(state: &Arc<AppState>, spec: &Value, path: &str) -> usize {
    replay_quoted(state, operation(spec, path), path, |body| {
        post_json(path, body)
    })
    .await
}

/// [`replay_quoted_problems`] of the operation `op`, sending each quoted
/// body with `request`.
async fn replay_quoted(
    state: &Arc<AppState>,
    op: &Value,
    what: &str,
    request: impl Fn(String) -> Request<Body>,
) -> usize {
    let mut replayed = 0;
    for (status, response) in op["responses"].as_object().expect("responses") {
        let Some(examples) = response["content"][PROBLEM]["examples"].as_object() else {
            continue;
        };
        for (name, ex) in examples {
            let Some(body) = ex["description"]
                .as_str()
                .and_then(|d| d.strip_prefix("The answer to `"))
                .and_then(|d| d.strip_suffix("`."))
            else {
                continue;
            };
            let reply = send(state, request(body.to_owned())).await;
            let status: u16 = status.parse().expect("status");
            assert_eq!(
                answered(&reply, status),
                ex["value"],
                "{what} {status} {name}"
            );
            replayed += 1;
        }
    }
    replayed
}

/// The JSON body of a reply of `status`.
fn answered(reply: &Reply, status: u16) -> Value {
    assert_eq!(
        reply.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// `2026-11-27T09:00:00.000Z`, as the job routes write times.
fn is_time(value: &Value) -> bool {
    value.as_str().is_some_and(|t| {
        let b = t.as_bytes();
        b.len() == 24
            && b[10] == b'T'
            && b[19] == b'.'
            && b[23] == b'Z'
            && t.bytes()
                .enumerate()
                .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19 | 23) || c.is_ascii_digit())
    })
}

/// A job status (`JobStatus`) is well made: its links are its own, its
/// times are times.
fn check_status(status: &Value, what: &str) {
    let id = status["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no id"));
    assert_eq!(status["links"]["self"], format!("/v1/jobs/{id}"), "{what}");
    assert_eq!(
        status["links"]["result"],
        format!("/v1/jobs/{id}/result"),
        "{what}"
    );
    for (key, value) in status.as_object().expect("an object") {
        if key.ends_with("_at") {
            assert!(is_time(value), "{what}: {key} {value}");
        }
    }
}

/// A real job status and an example of it agree but for the id, times and
/// size: the same fields, and the same values of the others.
fn same_status(real: &Value, example: &Value, what: &str) {
    check_status(real, what);
    check_status(example, what);
    let keys = |v: &Value| {
        v.as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(keys(real), keys(example), "{what}: {real} vs {example}");
    for key in keys(real) {
        if key == "id" || key == "links" || key.ends_with("_at") {
            continue;
        }
        if key == "size" {
            assert!(real[&key].as_u64().is_some_and(|n| n > 0), "{what}: {real}");
            assert!(example[&key].as_u64().is_some_and(|n| n > 0), "{what}");
            continue;
        }
        assert_eq!(real[&key], example[&key], "{what}: {key}");
    }
}

/// `reply`'s problem, with the id of the job it names (`real`) replaced by
/// the example's (`example`).
fn problem_about(reply: &Reply, status: u16, real: &str, example: &Value) -> Value {
    let mut problem = answered(reply, status);
    let example = example.as_str().expect("an id");
    let detail = problem["detail"]
        .as_str()
        .unwrap_or("")
        .replace(real, example);
    problem["detail"] = json!(detail);
    problem
}

/// The examples of the async job routes are what a service with a queue
/// answers: the states of a job (ids and times aside) and its problems.
#[tokio::test]
async fn job_examples_are_what_the_job_routes_answer() {
    let spec = document().await;
    let path = "/v1/jobs";
    let job_path = "/v1/jobs/{id}";
    let result_path = "/v1/jobs/{id}/result";
    let ok = |method: &str, path: &str, status: &str, name: &str| {
        method_example(&spec, method, path, Some(status), JSON, name)
    };
    let problem = |method: &str, path: &str, status: &str, name: &str| {
        method_example(&spec, method, path, Some(status), PROBLEM, name)
    };

    // Every example of a job status is one: only fields of the schema,
    // all it requires, links of its own.
    let schema = &spec["components"]["schemas"]["JobStatus"];
    let properties: BTreeSet<&String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .collect();
    let mut statuses = vec![
        ("schema".to_owned(), schema_example(&spec, "JobStatus")),
        ("202 queued".to_owned(), ok("post", path, "202", "queued")),
        (
            "DELETE 200 cancelled".to_owned(),
            ok("delete", job_path, "200", "cancelled"),
        ),
    ];
    for (name, value) in examples_of(method_media(&spec, "get", job_path, Some("200"), JSON)) {
        statuses.push((format!("GET 200 {name}"), value));
    }
    for (what, status) in &statuses {
        check_status(status, what);
        let object = status.as_object().expect("an object");
        for key in object.keys() {
            assert!(
                properties.contains(key),
                "{what}: {key} is not in JobStatus"
            );
        }
        for key in schema["required"].as_array().expect("required") {
            let key = key.as_str().expect("a name");
            assert!(object.contains_key(key), "{what} lacks {key}");
        }
    }
    assert_eq!(
        schema_example(&spec, "Progress"),
        ok("get", job_path, "200", "running")["progress"]
    );

    // Without a job database.
    let reply = send(&state_with(test_config()), post_json(path, "{}")).await;
    assert_eq!(
        answered(&reply, 503),
        problem("post", path, "503", "async-jobs-off")
    );

    // No workers: jobs stay queued.
    let service = Service::start("openapi-jobs", |c| c.workers = 0).await;
    let state = &service.state;
    let queued = ok("post", path, "202", "queued");
    let invoice = example(&spec, path, None, JSON, "pdf-invoice");
    let reply = service.submit(&invoice).await;
    let accepted = answered(&reply, 202);
    same_status(&accepted, &queued, "202");
    let id = accepted["id"].as_str().expect("id").to_owned();
    assert_eq!(reply.header("location"), format!("/v1/jobs/{id}"));
    let reply = send(state, get(&format!("/v1/jobs/{id}"))).await;
    same_status(&answered(&reply, 200), &queued, "GET a queued job");
    let delete = |id: &str| {
        Request::delete(format!("/v1/jobs/{id}"))
            .body(Body::empty())
            .expect("request")
    };
    let reply = send(state, delete(&id)).await;
    same_status(
        &answered(&reply, 200),
        &ok("delete", job_path, "200", "cancelled"),
        "DELETE",
    );
    let reply = send(state, delete(&id)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    for (method, path) in [
        ("get", job_path),
        ("delete", job_path),
        ("get", result_path),
    ] {
        let reply = send(state, route_request(method, path)).await;
        assert_eq!(
            answered(&reply, 404),
            problem(method, path, "404", "unknown-job"),
            "{method} {path}"
        );
    }

    // Every request example is taken.
    for (name, job) in examples_of(media(&spec, path, None, JSON)) {
        let reply = service.submit(&job).await;
        assert_eq!(
            answered(&reply, 202)["format"],
            job["format"],
            "example {name}"
        );
    }
    let forms = examples_of(media(&spec, path, None, FORM));
    assert!(!forms.is_empty(), "{path} has no form example");
    for (name, form) in forms {
        let reply = send(state, form_request(path, &form)).await;
        answered(&reply, 202);
        assert!(!reply.header("location").is_empty(), "form example {name}");
    }

    // A job a worker has taken has no result yet.
    let now = time::now_ms();
    let running = service
        .queue
        .store
        .claim("openapi-test", now, now + 60_000, 3)
        .await
        .expect("claim")
        .expect("a queued job");
    let reply = send(state, get(&format!("/v1/jobs/{}/result", running.id))).await;
    assert_eq!(
        problem_about(
            &reply,
            409,
            &running.id,
            &ok("get", job_path, "200", "running")["id"]
        ),
        problem("get", result_path, "409", "not-finished")
    );
    assert_eq!(reply.header("retry-after"), "1");

    // Idempotency-Key.
    let keyed = |key: &str, job: &Value| {
        Request::post(path)
            .header("content-type", JSON)
            .header("idempotency-key", key)
            .body(Body::from(job.to_string()))
            .expect("request")
    };
    let reply = send(state, keyed("", &invoice)).await;
    assert_eq!(
        answered(&reply, 400),
        problem("post", path, "400", "bad-idempotency-key")
    );
    let reply = send(state, keyed("order-2026-0042", &invoice)).await;
    let first = answered(&reply, 202)["id"].as_str().expect("id").to_owned();
    let other = example(&spec, path, None, JSON, "pdf-markup");
    let reply = send(state, keyed("order-2026-0042", &other)).await;
    assert_eq!(
        problem_about(&reply, 422, &first, &queued["id"]),
        problem("post", path, "422", "idempotency-key-reused")
    );

    // The problems whose example quotes its request, and those of the body.
    let replayed = replay_quoted_problems(state, &spec, path).await;
    assert!(replayed >= 3, "only {replayed} problems replayed");
    let plain = Request::post(path)
        .header("content-type", "text/plain")
        .body(Body::from("hello"))
        .expect("request");
    let reply = send(state, plain).await;
    assert_eq!(
        answered(&reply, 415),
        example(&spec, path, Some("415"), PROBLEM, "text-plain")
    );
    let huge = Request::post(path)
        .header("content-type", JSON)
        .header("content-length", (32 * 1024 * 1024 + 1).to_string())
        .body(Body::empty())
        .expect("request");
    let reply = send(state, huge).await;
    assert_eq!(
        answered(&reply, 413),
        example(&spec, path, Some("413"), PROBLEM, "json")
    );
    let broken = Request::post(path)
        .header("content-type", "multipart/form-data; boundary=xx")
        .body(Body::from("--xx\r\nbroken"))
        .expect("request");
    let reply = send(state, broken).await;
    assert_eq!(
        answered(&reply, 400),
        example(&spec, path, Some("400"), PROBLEM, "broken-multipart")
    );
    service.stop().await;

    // With workers: a job that succeeds, and one that fails when it runs.
    let service = Service::start("openapi-jobs-run", |_| {}).await;
    let state = &service.state;
    let succeeded = service.submit(&invoice).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let failed_example = ok("get", job_path, "200", "failed");
    let missing_data = json!({"format": "pdf", "template": "invoice", "data": {}});
    let failed = answered(&service.submit(&missing_data).await, 202)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let succeeded_example = ok("get", job_path, "200", "succeeded");
    let status = service.wait(&succeeded).await;
    same_status(&status, &succeeded_example, "succeeded");
    let reply = send(state, get(&format!("/v1/jobs/{succeeded}/result"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "application/pdf");
    assert_eq!(status["size"], reply.body.len());
    let status = service.wait(&failed).await;
    same_status(&status, &failed_example, "failed");
    // What render answers for the same job.
    assert_eq!(
        failed_example["problem"],
        example(&spec, "/v1/render", Some("422"), PROBLEM, "missing-data")
    );
    let reply = send(state, get(&format!("/v1/jobs/{failed}/result"))).await;
    assert_eq!(
        problem_about(&reply, 409, &failed, &failed_example["id"]),
        problem("get", result_path, "409", "failed")
    );
    service.stop().await;

    // Kept for no time: the document expires at the next sweep.
    let service = Service::start("openapi-jobs-expiry", |c| c.ttl = Duration::ZERO).await;
    let id = answered(&service.submit(&invoice).await, 202)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let expires_at = service.wait(&id).await["expires_at"]
        .as_str()
        .expect("expires_at")
        .to_owned();
    tokio::time::sleep(Duration::from_millis(5)).await;
    worker::sweep_once(&service.queue).await.expect("sweep");
    let reply = send(&service.state, get(&format!("/v1/jobs/{id}/result"))).await;
    assert_eq!(
        problem_about(&reply, 410, &expires_at, &succeeded_example["expires_at"]),
        problem("get", result_path, "410", "expired")
    );
    service.stop().await;
}

/// `value` with every time (`created_at`, …) made the same: an example's
/// and a real answer's times differ.
fn timeless(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                *item = if key.ends_with("_at") {
                    assert!(is_time(item), "{key}: {item}");
                    json!("TIME")
                } else {
                    timeless(item.take())
                };
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = timeless(item.take());
            }
        }
        _ => {}
    }
    value
}

/// The examples of the template routes are what a service with a
/// database answers: storing the example upload, listing and showing it,
/// the problem of every upload an example quotes, and deleting it.
#[tokio::test]
async fn template_examples_are_what_the_template_routes_answer() {
    let spec = document().await;
    let service = Service::start("openapi-templates", |c| c.workers = 0).await;
    let state = &service.state;
    let path = "/v1/templates/{name}";
    let stored = "/v1/templates/shipping-notice";
    let ok = |method: &str, path: &str, status: &str, name: &str| {
        timeless(method_example(
            &spec,
            method,
            path,
            Some(status),
            JSON,
            name,
        ))
    };
    let problem = |method: &str, status: &str, name: &str| {
        method_example(&spec, method, path, Some(status), PROBLEM, name)
    };
    let upload = method_example(&spec, "put", path, None, JSON, "shipping-notice");
    assert_eq!(upload, schema_example(&spec, "TemplateUpload"));

    let reply = send(state, put_json(stored, upload.to_string())).await;
    assert_eq!(reply.header("location"), stored);
    assert_eq!(
        timeless(answered(&reply, 201)),
        ok("put", path, "201", "created")
    );
    let reply = send(state, put_json(stored, upload.to_string())).await;
    assert_eq!(
        timeless(answered(&reply, 200)),
        ok("put", path, "200", "unchanged")
    );
    let reply = send(state, get("/v1/templates")).await;
    assert_eq!(
        timeless(answered(&reply, 200)),
        ok("get", "/v1/templates", "200", "with-stored")
    );
    let reply = send(state, get(stored)).await;
    assert_eq!(
        timeless(answered(&reply, 200)),
        ok("get", path, "200", "shipping-notice")
    );
    let reply = send(state, get(&format!("{stored}?version=latest"))).await;
    assert_eq!(answered(&reply, 400), problem("get", "400", "bad-version"));
    let reply = send(state, get(&format!("{stored}?version=7"))).await;
    assert_eq!(
        answered(&reply, 404),
        problem("get", "404", "unknown-version")
    );

    // Every upload problem quoting its body is the answer to that body.
    let replayed = replay_quoted(state, &spec["paths"][path]["put"], "PUT", |body| {
        put_json(stored, body)
    })
    .await;
    assert_eq!(replayed, 5, "the refused uploads and the malformed body");
    let reply = send(state, put_json("/v1/templates/-draft", upload.to_string())).await;
    assert_eq!(answered(&reply, 422), problem("put", "422", "bad-name"));
    let reply = send(state, put_json("/v1/templates/invoice", upload.to_string())).await;
    assert_eq!(answered(&reply, 409), problem("put", "409", "builtin"));
    let text = Request::put(stored)
        .header("content-type", "text/plain")
        .body(Body::from("<document/>"))
        .expect("request");
    assert_eq!(
        answered(&send(state, text).await, 415),
        problem("put", "415", "not-json")
    );
    let huge = Request::put(stored)
        .header("content-type", JSON)
        .header("content-length", (32 * 1024 * 1024 + 1).to_string())
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        answered(&send(state, huge).await, 413),
        problem("put", "413", "json")
    );

    let reply = send(state, delete("/v1/templates/invoice")).await;
    assert_eq!(answered(&reply, 409), problem("delete", "409", "builtin"));
    assert_eq!(
        send(state, delete(stored)).await.status,
        StatusCode::NO_CONTENT
    );
    let reply = send(state, delete(stored)).await;
    assert_eq!(
        answered(&reply, 404),
        problem("delete", "404", "unknown-template")
    );

    // A node without a database.
    let bare = state_with(test_config());
    let reply = send(&bare, put_json(stored, upload.to_string())).await;
    assert_eq!(
        answered(&reply, 503),
        problem("put", "503", "stored-templates-off")
    );
    service.stop().await;
}
