//! The HTTP contract: every status code the service promises, produced by a
//! real request, through the router (`oneshot`) and over a real socket.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, DataType};
use docsmith::http::{ServiceConfig, app};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn renders_xlsx_with_headers_and_readable_cells() {
    let state = state_with(test_config());
    let job = sales_job(20);
    let request = Request::post("/v1/render")
        .header("content-type", "application/json")
        .header("x-request-id", "req-abc-123")
        .body(Body::from(job.to_string()))
        .expect("request");
    let reply = send(&state, request).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.header("content-type"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(
        reply.header("content-disposition"),
        "attachment; filename=\"sales.xlsx\""
    );
    assert_eq!(reply.header("x-request-id"), "req-abc-123");
    assert_eq!(reply.header("content-length"), reply.body.len().to_string());
    // Sent whole, with its length: nothing to say to a buffering proxy.
    assert_eq!(reply.header("x-accel-buffering"), "");

    let sheets = read_xlsx(&reply.body);
    assert_eq!(sheets.len(), 1);
    let (name, rows) = &sheets[0];
    assert_eq!(name, "Sales");
    assert_eq!(rows.len(), 21, "header + 20 rows");
    assert_eq!(rows[0][0], Data::String("Date".into()));
    assert_eq!(rows[1][1], Data::String("North".into()));
    assert_eq!(rows[1][2].as_f64(), Some(1.0));
    assert_eq!(rows[2][3].as_f64(), Some(20.5));
    assert!(
        matches!(rows[1][0], Data::DateTime(_)),
        "date cell is a real date: {:?}",
        rows[1][0]
    );
}

#[tokio::test]
async fn request_id_is_generated_when_absent() {
    let state = state_with(test_config());
    let reply = send(&state, get("/healthz")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-request-id").len(), 36, "a UUID");
    assert_eq!(reply.json()["status"], "ok");
}

#[tokio::test]
async fn unicode_filename_gets_rfc6266_filename_star() {
    let state = state_with(test_config());
    let mut job = sales_job(2);
    job["filename"] = json!("Überblick März.xlsx");
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("content-disposition"),
        "attachment; filename=\"_berblick M_rz.xlsx\"; filename*=UTF-8''%C3%9Cberblick%20M%C3%A4rz.xlsx"
    );
}

#[tokio::test]
async fn malformed_json_is_400_with_line_and_column() {
    let state = state_with(test_config());
    let reply = send(
        &state,
        post_json(
            "/v1/render",
            "{\n  \"format\": \"xlsx\",\n  \"workbook\": }\n",
        ),
    )
    .await;
    assert_problem(&reply, 400);
    let body = reply.json();
    assert_eq!(body["line"], 3);
    assert_eq!(body["column"], 15);
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("line 3, column 15"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_or_missing_content_type_is_415() {
    let state = state_with(test_config());
    let request = Request::post("/v1/render")
        .header("content-type", "text/plain")
        .body(Body::from(sales_job(1).to_string()))
        .expect("request");
    assert_problem(&send(&state, request).await, 415);
    let request = Request::post("/v1/render")
        .body(Body::from("{}"))
        .expect("request");
    assert_problem(&send(&state, request).await, 415);
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let state = state_with(ServiceConfig {
        max_body: 1024,
        ..test_config()
    });
    let reply = send(&state, post_json("/v1/render", sales_job(200).to_string())).await;
    assert_problem(&reply, 413);
}

#[tokio::test]
async fn body_over_the_limit_without_a_length_is_413() {
    // A streamed body declares no length: the limit is found while reading.
    let state = state_with(ServiceConfig {
        max_body: 1024,
        ..test_config()
    });
    let chunks: Vec<Result<String, std::io::Error>> = (0..8).map(|_| Ok(" ".repeat(200))).collect();
    let request = Request::post("/v1/render")
        .header("content-type", "application/json")
        .body(Body::from_stream(futures_util::stream::iter(chunks)))
        .expect("request");
    assert!(request.headers().get("content-length").is_none());
    assert_problem(&send(&state, request).await, 413);
}

#[tokio::test]
async fn large_bodies_are_read_and_checked_like_small_ones() {
    // Over 256 KiB a job is parsed and validated on a blocking thread.
    let state = state_with(test_config());
    let job = sales_job(8000).to_string();
    assert!(job.len() > 256 * 1024, "{} bytes", job.len());
    let reply = send(&state, post_json("/v1/render", job.clone())).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(read_xlsx(&reply.body)[0].1.len(), 8001, "header and rows");

    let broken = format!("{}\n,}}", &job[..job.len() - 1]);
    let reply = send(&state, post_json("/v1/render", broken)).await;
    assert_problem(&reply, 400);
    assert_eq!(reply.json()["line"], 2);

    let mut wrong: serde_json::Value = serde_json::from_str(&job).expect("job");
    wrong["workbook"]["sheets"][0]["rows"][7000][2] = json!("lots");
    let reply = send(&state, post_json("/v1/render", wrong.to_string())).await;
    assert_problem(&reply, 422);
    assert_eq!(reply.pointers(), ["/workbook/sheets/0/rows/7000/2"]);
}

#[tokio::test]
async fn unknown_template_is_404() {
    let state = state_with(test_config());
    let job = json!({"format": "xlsx", "template": "no-such-template", "data": {}});
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_problem(&reply, 404);
    assert_eq!(reply.pointers(), ["/template"]);
}

#[tokio::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let state = state_with(test_config());
    assert_problem(&send(&state, get("/v2/nothing")).await, 404);
    assert_problem(&send(&state, get("/v1/render")).await, 405);
}

#[tokio::test]
async fn invalid_job_lists_every_problem_with_pointers() {
    let state = state_with(test_config());
    let job = json!({
        "format": "xlsx",
        "filename": "../escape.xlsx",
        "workbook": {"sheets": [{
            "name": "Bad",
            "columns": [
                {"header": "Amount", "type": "number"},
                {"header": "When", "type": "date"},
                {"header": "Odd", "type": "nmber"}
            ],
            "rows": [[1, "2026-01-01", 1], ["ten", "2026-02-30", 2]]
        }]}
    });
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_problem(&reply, 422);
    let pointers = reply.pointers();
    for expected in [
        "/filename",
        "/workbook/sheets/0/columns/2/type",
        "/workbook/sheets/0/rows/1/0",
        "/workbook/sheets/0/rows/1/1",
    ] {
        assert!(
            pointers.iter().any(|p| p == expected),
            "missing {expected} in {pointers:?}"
        );
    }
}

#[tokio::test]
async fn missing_and_unknown_format_are_422() {
    let state = state_with(test_config());
    let reply = send(&state, post_json("/v1/render", "{}")).await;
    assert_problem(&reply, 422);
    assert_eq!(reply.pointers(), ["/format"]);
    let reply = send(&state, post_json("/v1/render", r#"{"format": "odt"}"#)).await;
    assert_problem(&reply, 422);
    assert_eq!(reply.pointers(), ["/format"]);
}

#[tokio::test]
async fn an_empty_zip_job_is_422() {
    let state = state_with(test_config());
    let job = json!({"format": "zip", "entries": []});
    let reply = send(&state, post_json("/v1/render", job.to_string())).await;
    assert_problem(&reply, 422);
    assert_eq!(reply.pointers(), [""]);
}

#[tokio::test]
async fn full_queue_is_503_with_retry_after() {
    let state = state_with(ServiceConfig {
        workers: 1,
        queue_depth: 0,
        ..test_config()
    });
    let busy = block_worker(&state);
    let reply = send(&state, post_json("/v1/render", sales_job(2).to_string())).await;
    assert_problem(&reply, 503);
    assert_eq!(reply.header("retry-after"), "1");
    drop(busy);
    wait_idle(&state).await;
    let reply = send(&state, post_json("/v1/render", sales_job(2).to_string())).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn queue_wait_past_the_job_timeout_is_503() {
    let config = ServiceConfig {
        workers: 1,
        queue_depth: 4,
        job_timeout: Duration::from_millis(100),
        ..test_config()
    };
    let state = state_with(config);
    let busy = block_worker(&state);
    let started = Instant::now();
    let reply = send(&state, post_json("/v1/render", sales_job(2).to_string())).await;
    assert_problem(&reply, 503);
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(busy);
    wait_idle(&state).await;
    assert_eq!(
        state.pool.queued(),
        0,
        "the abandoned job left the queue without rendering"
    );
}

#[tokio::test]
async fn job_past_its_deadline_is_504() {
    // The deadline runs from arrival; parsing 20,000 rows takes longer than 1 ms.
    let config = ServiceConfig {
        job_timeout: Duration::from_millis(1),
        ..test_config()
    };
    let state = state_with(config);
    let reply = send(
        &state,
        post_json("/v1/render", sales_job(20_000).to_string()),
    )
    .await;
    assert_problem(&reply, 504);
    // The worker is released.
    let deadline = Instant::now() + Duration::from_secs(10);
    while state.pool.in_flight() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(state.pool.in_flight(), 0);
}

#[tokio::test]
async fn validate_answers_without_rendering() {
    let state = state_with(test_config());
    let reply = send(&state, post_json("/v1/validate", sales_job(3).to_string())).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"valid": true, "format": "xlsx", "filename": "sales.xlsx"})
    );
    let reply = send(&state, post_json("/v1/validate", r#"{"format": "xlsx"}"#)).await;
    assert_problem(&reply, 422);
    assert_eq!(reply.pointers(), ["/workbook"]);
}

#[tokio::test]
async fn multipart_job_part_is_accepted() {
    let state = state_with(test_config());
    let boundary = "XdocsmithBoundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"job\"\r\nContent-Type: application/json\r\n\r\n{}\r\n\
--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\nPNGDATA\r\n\
--{boundary}--\r\n",
        sales_job(3)
    );
    let request = Request::post("/v1/render")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    let reply = send(&state, request).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(read_xlsx(&reply.body)[0].1.len(), 4);

    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{boundary}--\r\n"
    );
    let request = Request::post("/v1/render")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    assert_problem(&send(&state, request).await, 422);
}

#[tokio::test]
async fn readiness_health_and_metrics() {
    let state = state_with(test_config());
    let reply = send(&state, get("/readyz")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ready");

    send(&state, post_json("/v1/render", sales_job(5).to_string())).await;
    send(&state, post_json("/v1/render", "{oops")).await;
    let reply = send(&state, get("/metrics")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("content-type").starts_with("text/plain"));
    let text = String::from_utf8(reply.body).expect("utf-8");
    for needle in [
        "docsmith_http_requests_total{route=\"/v1/render\",method=\"POST\",status=\"200\",format=\"xlsx\"}",
        "docsmith_http_requests_total{route=\"/v1/render\",method=\"POST\",status=\"400\",format=\"none\"}",
        "docsmith_http_request_duration_seconds_bucket{route=\"/v1/render\"",
        "docsmith_job_duration_seconds_bucket{format=\"xlsx\",outcome=\"ok\"",
        "docsmith_bytes_out_total{format=\"xlsx\"}",
        "docsmith_jobs_in_flight",
        "docsmith_queue_depth",
    ] {
        assert!(text.contains(needle), "metrics lack {needle}:\n{text}");
    }

    state.set_draining();
    let reply = send(&state, get("/readyz")).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn openapi_document_covers_the_routes() {
    let state = state_with(test_config());
    let reply = send(&state, get("/openapi.json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let spec = reply.json();
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        spec["openapi"]
    );
    for path in [
        "/v1/render",
        "/v1/validate",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(spec["paths"][path].is_object(), "spec lacks {path}");
    }
    let render = &spec["paths"]["/v1/render"]["post"]["responses"];
    for status in ["200", "400", "404", "413", "415", "422", "503", "504"] {
        assert!(
            render[status].is_object(),
            "/v1/render lacks response {status}"
        );
    }
    assert_eq!(
        render["422"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    // Validation renders templates on the worker pool: it can be turned
    // away (503) or run out of time (504) like a render.
    for status in ["503", "504"] {
        assert!(
            spec["paths"]["/v1/validate"]["post"]["responses"][status].is_object(),
            "/v1/validate lacks response {status}"
        );
    }
    for schema in ["JobRequest", "Problem", "FieldError", "WorkbookSpec"] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "spec lacks schema {schema}"
        );
    }
    let page = send(&state, get("/docs")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = String::from_utf8(page.body).expect("utf-8");
    assert!(html.contains("/openapi.json"));
    assert!(
        !html.contains("https://"),
        "the docs page loads nothing from other hosts"
    );
}

/// Starts the service on a loopback port; returns its base URL.
pub(crate) async fn serve_on_socket(
    config: ServiceConfig,
) -> (String, std::sync::Arc<docsmith::http::AppState>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    let state = state_with(config);
    let router = app(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), state)
}

#[tokio::test]
async fn real_socket_statuses() {
    let (base, state) = serve_on_socket(ServiceConfig {
        max_body: 64 * 1024,
        workers: 1,
        queue_depth: 0,
        ..test_config()
    })
    .await;
    let client = reqwest::Client::new();
    let post = |body: String, content_type: &'static str| {
        client
            .post(format!("{base}/v1/render"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let ok = post(sales_job(10).to_string(), "application/json")
        .await
        .expect("request");
    assert_eq!(ok.status(), 200);
    let bytes = ok.bytes().await.expect("body");
    assert_eq!(read_xlsx(&bytes)[0].1.len(), 11);

    let cases: Vec<(String, &'static str, u16)> = vec![
        ("{ nope".into(), "application/json", 400),
        (sales_job(10).to_string(), "text/csv", 415),
        (sales_job(2000).to_string(), "application/json", 413),
        (
            json!({"format": "xlsx", "template": "missing"}).to_string(),
            "application/json",
            404,
        ),
        (
            json!({"format": "xlsx", "workbook": {"sheets": []}}).to_string(),
            "application/json",
            422,
        ),
        (
            json!({"format": "zip", "document": {}}).to_string(),
            "application/json",
            422,
        ),
        (
            json!({"format": "pdf", "template_source": "<document><p>x</document>"}).to_string(),
            "application/json",
            422,
        ),
    ];
    for (body, content_type, status) in cases {
        let reply = post(body, content_type).await.expect("request");
        assert_eq!(reply.status().as_u16(), status);
        assert_eq!(reply.headers()["content-type"], "application/problem+json");
    }

    // The last job above answered before its worker was back in the pool.
    wait_idle(&state).await;
    let busy = block_worker(&state);
    let reply = post(sales_job(2).to_string(), "application/json")
        .await
        .expect("request");
    assert_eq!(reply.status(), 503);
    assert_eq!(reply.headers()["retry-after"], "1");
    drop(busy);

    let reply = client
        .get(format!("{base}/nope"))
        .send()
        .await
        .expect("request");
    assert_eq!(reply.status(), 404);
    let reply = client
        .delete(format!("{base}/v1/render"))
        .send()
        .await
        .expect("request");
    assert_eq!(reply.status(), 405);
}

#[tokio::test]
async fn client_disconnect_cancels_its_job() {
    let (base, state) = serve_on_socket(ServiceConfig {
        workers: 1,
        ..test_config()
    })
    .await;
    // Large enough to take a while to render in a test build.
    let job = sales_job(300_000).to_string();

    // How long the whole render takes when nobody cancels it.
    let full = {
        let job = job.clone();
        tokio::task::spawn_blocking(move || {
            let parsed = docsmith::job::parse(job.as_bytes()).expect("parses");
            let valid = docsmith::job::validate(parsed, &Default::default()).expect("valid");
            let started = Instant::now();
            let mut out = Vec::new();
            docsmith::render::render(&valid, &Default::default(), &mut out).expect("renders");
            started.elapsed()
        })
        .await
        .expect("join")
    };

    let client = reqwest::Client::new();
    let request = client
        .post(format!("{base}/v1/render"))
        .header("content-type", "application/json")
        .body(job)
        .send();
    // Give up on the request once the job is rendering.
    let watcher = async {
        let deadline = Instant::now() + Duration::from_secs(60);
        while state.pool.in_flight() == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::select! {
        reply = request => panic!("the job finished before the client left: {:?}", reply.map(|r| r.status())),
        _ = watcher => {}
    }
    // The request future is dropped here: the connection closes.
    let left = Instant::now();
    while state.pool.in_flight() > 0 {
        assert!(
            left.elapsed() < Duration::from_secs(60),
            "the worker was not freed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let freed = left.elapsed();
    assert!(
        freed < full / 2,
        "the worker was freed after {freed:?}; an uncancelled render takes {full:?}"
    );
}

#[tokio::test]
async fn every_sample_job_renders_over_http() {
    let state = state_with(test_config());
    for name in ["xlsx-sales-report.json", "xlsx-all-types.json"] {
        let job = sample(name);
        let reply = send(&state, post_json("/v1/render", job.to_string())).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{name}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let filename = job["filename"].as_str().expect("samples name their file");
        assert_eq!(
            reply.header("content-disposition"),
            format!("attachment; filename=\"{filename}\"")
        );
        let sheets = read_xlsx(&reply.body);
        let expected: Vec<&str> = job["workbook"]["sheets"]
            .as_array()
            .expect("sheets")
            .iter()
            .map(|s| s["name"].as_str().expect("named"))
            .collect();
        let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, expected, "{name}");
    }
}
