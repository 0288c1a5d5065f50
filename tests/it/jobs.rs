//! Async jobs through the router, in embedded mode (SQLite and results in a
//! temporary data directory): submit, poll, download, cancel, delete,
//! idempotency, expiry, owners, and a worker that dies mid-run.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use docsmith::http::AppState;
use docsmith::http::auth::ApiKeys;
use docsmith::queue::worker::{self, Engine};
use docsmith::queue::{Queue, QueueConfig, time};
use docsmith::templates::Catalog;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::support::*;

/// A service with async jobs, its workers running until it is dropped.
pub(crate) struct Service {
    pub(crate) state: Arc<AppState>,
    pub(crate) queue: Arc<Queue>,
    stop: watch::Sender<bool>,
    workers: Option<tokio::task::JoinHandle<()>>,
}

impl Service {
    pub(crate) async fn start(name: &str, tune: impl FnOnce(&mut QueueConfig)) -> Service {
        Self::start_keyed(name, ApiKeys::none(), tune).await
    }

    pub(crate) async fn start_keyed(
        name: &str,
        keys: ApiKeys,
        tune: impl FnOnce(&mut QueueConfig),
    ) -> Service {
        Self::start_in(temp_dir(name), keys, tune).await
    }

    /// A service on the data directory `dir` (another service's, to share
    /// its jobs).
    pub(crate) async fn start_in(
        dir: std::path::PathBuf,
        keys: ApiKeys,
        tune: impl FnOnce(&mut QueueConfig),
    ) -> Service {
        Self::start_with(dir, keys, test_config(), tune).await
    }

    /// [`Service::start_in`] with the HTTP settings `service`.
    pub(crate) async fn start_with(
        dir: std::path::PathBuf,
        keys: ApiKeys,
        service: docsmith::http::ServiceConfig,
        tune: impl FnOnce(&mut QueueConfig),
    ) -> Service {
        let mut config = QueueConfig::new(dir);
        config.workers = 2;
        config.poll = Duration::from_millis(20);
        config.sweep = Duration::from_secs(3600);
        config.lease = Duration::from_secs(5);
        tune(&mut config);
        // With the scale-out servers (scripts/backends.sh), the same tests
        // run on PostgreSQL and S3: a database and a prefix per data
        // directory, so services sharing one share them too.
        let name = config
            .data_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Ok(admin) = std::env::var("DOCSMITH_TEST_POSTGRES") {
            config.database = Some(test_database(&admin, &name).await);
        }
        if let Ok(bucket) = std::env::var("DOCSMITH_TEST_S3") {
            config.storage = Some(format!("{}/{name}", bucket.trim_end_matches('/')));
        }
        let queue = Queue::open(config).await.expect("queue opens");
        let templates = Catalog::load(&repo_path("templates")).expect("templates");
        let state = AppState::with_queue(service, templates, keys, Some(Arc::clone(&queue)));
        let (stop, stopped) = watch::channel(false);
        let engine = Engine {
            pool: Arc::clone(&state.pool),
            templates: state.templates.clone(),
            retry_after_secs: 1,
        };
        let workers = Some(tokio::spawn(worker::run(
            Arc::clone(&queue),
            engine,
            stopped,
        )));
        Service {
            state,
            queue,
            stop,
            workers,
        }
    }

    pub(crate) async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(workers) = self.workers.take() {
            let _ = tokio::time::timeout(Duration::from_secs(30), workers).await;
        }
    }

    pub(crate) async fn submit(&self, job: &Value) -> Reply {
        send(&self.state, post_json("/v1/jobs", job.to_string())).await
    }

    /// Polls the job until it has ended; panics after 60 s.
    pub(crate) async fn wait(&self, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let reply = send(&self.state, get(&format!("/v1/jobs/{id}"))).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{}",
                String::from_utf8_lossy(&reply.body)
            );
            let status = reply.json();
            if !matches!(status["state"].as_str(), Some("queued" | "running")) {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "job {id} did not end: {status}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A database of its own on the PostgreSQL server of `admin` (an URL to
/// its `postgres` database), made on first use: its URL.
async fn test_database(admin: &str, name: &str) -> String {
    let db: String = format!("dsit_{name}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    let pool = sqlx::PgPool::connect(admin)
        .await
        .expect("the PostgreSQL server answers");
    // `CREATE DATABASE` takes no parameters; the name is [a-z0-9_] only.
    let create = format!("CREATE DATABASE {db}");
    if let Err(err) = sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&pool)
        .await
    {
        // 42P04: it exists (a second service on the same data directory).
        let exists = err
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|c| c == "42P04");
        assert!(exists, "creating database {db}: {err}");
    }
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
    format!("{base}/{db}")
}

fn invoice() -> Value {
    sample("pdf-invoice.json")
}

#[tokio::test]
async fn a_job_runs_in_the_background_and_its_result_is_the_rendered_document() {
    let service = Service::start("jobs-basic", |_| {}).await;
    let reply = service.submit(&invoice()).await;
    assert_eq!(
        reply.status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let accepted = reply.json();
    let id = accepted["id"].as_str().expect("id").to_owned();
    assert_eq!(reply.header("location"), format!("/v1/jobs/{id}"));
    assert_eq!(accepted["links"]["result"], format!("/v1/jobs/{id}/result"));
    assert_eq!(accepted["format"], "pdf");

    let status = service.wait(&id).await;
    assert_eq!(status["state"], "succeeded", "{status}");
    assert_eq!(status["attempts"], 1);
    for field in ["created_at", "started_at", "finished_at", "expires_at"] {
        assert!(
            status[field].as_str().is_some_and(|t| t.ends_with('Z')),
            "{field}: {status}"
        );
    }

    let result = send(&service.state, get(&format!("/v1/jobs/{id}/result"))).await;
    assert_eq!(result.status, StatusCode::OK);
    assert_eq!(result.header("content-type"), "application/pdf");
    assert!(
        result
            .header("content-disposition")
            .contains("INV-2026-0042.pdf")
    );
    assert_eq!(
        result.header("content-length"),
        result.body.len().to_string()
    );
    assert_eq!(status["size"], result.body.len());
    // The same document /v1/render makes: rendering is deterministic.
    let direct = send(
        &service.state,
        post_json("/v1/render", invoice().to_string()),
    )
    .await;
    assert_eq!(direct.status, StatusCode::OK);
    assert!(
        result.body == direct.body,
        "the async result differs from /v1/render's"
    );
    service.stop().await;
}

#[tokio::test]
async fn every_format_and_a_form_with_files_run_as_jobs() {
    let service = Service::start("jobs-formats", |_| {}).await;
    let mut docx = invoice();
    docx["format"] = json!("docx");
    docx["filename"] = json!("invoice.docx");
    let letters: Vec<Value> = (0..12)
        .map(|i| json!({"name": format!("Customer {i}")}))
        .collect();
    let batch = json!({
        "format": "zip",
        "filename": "letters.zip",
        "batch": {
            "path": "letters/{{ name }}.pdf",
            "job": {"format": "pdf", "template_source": "<document><p>Dear {{ name }},</p></document>"},
            "items": letters,
        },
    });
    let mut ids = Vec::new();
    for (name, job) in [
        ("docx", docx),
        ("xlsx", sample("xlsx-sales-report.json")),
        ("zip", batch),
    ] {
        let reply = service.submit(&job).await;
        assert_eq!(
            reply.status,
            StatusCode::ACCEPTED,
            "{name}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        ids.push((
            name,
            job,
            reply.json()["id"].as_str().expect("id").to_owned(),
        ));
    }
    // A form: the job names an uploaded file.
    let boundary = "jobs-boundary";
    let png = png(40, 20);
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"job\"\r\nContent-Type: application/json\r\n\r\n\
             {{\"format\":\"image\",\"source\":\"file:logo\",\"output\":{{\"format\":\"webp\"}}}}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.png\"\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&png);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let form = Request::post("/v1/jobs")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    let reply = send(&service.state, form).await;
    assert_eq!(
        reply.status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let form_id = reply.json()["id"].as_str().expect("id").to_owned();

    for (name, job, id) in &ids {
        let status = service.wait(id).await;
        assert_eq!(status["state"], "succeeded", "{name}: {status}");
        let result = send(&service.state, get(&format!("/v1/jobs/{id}/result"))).await;
        let direct = send(&service.state, post_json("/v1/render", job.to_string())).await;
        assert_eq!(
            result.header("content-type"),
            direct.header("content-type"),
            "{name}"
        );
        assert!(
            result.body == direct.body,
            "{name}: the async result differs from /v1/render's"
        );
        if *name == "zip" {
            let progress = &status["progress"];
            assert!(
                progress["total"].as_i64().is_some_and(|t| t > 0),
                "{status}"
            );
            assert_eq!(progress["done"], progress["total"], "{status}");
        }
    }
    let status = service.wait(&form_id).await;
    assert_eq!(status["state"], "succeeded", "{status}");
    let result = send(&service.state, get(&format!("/v1/jobs/{form_id}/result"))).await;
    assert_eq!(result.header("content-type"), "image/webp");
    assert_eq!(&result.body[8..12], b"WEBP");
    service.stop().await;
}

#[tokio::test]
async fn bad_jobs_are_refused_at_submit_and_failing_ones_end_failed() {
    let service = Service::start("jobs-bad", |_| {}).await;
    let reply = service
        .submit(&json!({"format": "pdf", "template": "invoice", "data": 3}))
        .await;
    assert_problem(&reply, 422);
    let reply = send(&service.state, post_json("/v1/jobs", "{")).await;
    assert_problem(&reply, 400);
    let reply = send(
        &service.state,
        post_json(
            "/v1/jobs?callback_url=http://127.0.0.1:9/",
            invoice().to_string(),
        ),
    )
    .await;
    assert_problem(&reply, 422);
    assert_eq!(reply.pointers(), ["/callback_url"]);

    // Valid as a job, but the template's data lacks a value: found when it runs.
    let reply = service
        .submit(&json!({"format": "pdf", "template": "invoice", "data": {}}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let id = reply.json()["id"].as_str().expect("id").to_owned();
    let status = service.wait(&id).await;
    assert_eq!(status["state"], "failed", "{status}");
    assert_eq!(status["problem"]["status"], 422, "{status}");
    assert!(
        status["problem"]["errors"][0]["pointer"]
            .as_str()
            .is_some_and(|p| p.starts_with("/data")),
        "{status}"
    );
    let result = send(&service.state, get(&format!("/v1/jobs/{id}/result"))).await;
    assert_problem(&result, 409);

    let reply = send(&service.state, get("/v1/jobs/not-a-job")).await;
    assert_problem(&reply, 404);
    let reply = send(&service.state, get("/v1/jobs/not-a-job/result")).await;
    assert_problem(&reply, 404);
    service.stop().await;
}

#[tokio::test]
async fn an_idempotency_key_makes_one_job_even_when_sent_at_once() {
    let service = Service::start("jobs-idempotency", |c| c.workers = 0).await;
    let submit = |key: &'static str, job: Value| {
        let state = Arc::clone(&service.state);
        tokio::spawn(async move {
            let request = Request::post("/v1/jobs")
                .header("content-type", "application/json")
                .header("idempotency-key", key)
                .body(Body::from(job.to_string()))
                .expect("request");
            send(&state, request).await
        })
    };
    let replies: Vec<Reply> =
        futures_util::future::join_all((0..16).map(|_| submit("order-42", invoice())))
            .await
            .into_iter()
            .map(|r| r.expect("task"))
            .collect();
    let ids: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(
                r.status,
                StatusCode::ACCEPTED,
                "{}",
                String::from_utf8_lossy(&r.body)
            );
            r.json()["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let replayed = replies
        .iter()
        .filter(|r| r.header("idempotent-replayed") == "true")
        .count();
    assert_eq!(replayed, 15);
    assert_eq!(
        service
            .queue
            .store
            .stats(time::now_ms())
            .await
            .expect("stats")
            .queued,
        1
    );

    // The same key with another job is refused; another key is another job.
    let mut other = invoice();
    other["data"]["invoice"]["number"] = json!("INV-OTHER");
    let reply = submit("order-42", other.clone()).await.expect("task");
    assert_problem(&reply, 422);
    let reply = submit("order-43", other).await.expect("task");
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    assert!(!ids.contains(reply.json()["id"].as_str().expect("id")));

    for bad in ["", &"x".repeat(256)] {
        let request = Request::post("/v1/jobs")
            .header("content-type", "application/json")
            .header("idempotency-key", bad)
            .body(Body::from(invoice().to_string()))
            .expect("request");
        assert_problem(&send(&service.state, request).await, 400);
    }
    service.stop().await;
}

#[tokio::test]
async fn a_queued_job_is_cancelled_and_an_ended_one_deleted() {
    // No workers: jobs stay queued.
    let service = Service::start("jobs-cancel", |c| c.workers = 0).await;
    let id = service.submit(&invoice()).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let result = send(&service.state, get(&format!("/v1/jobs/{id}/result"))).await;
    assert_problem(&result, 409);
    assert_eq!(result.header("retry-after"), "1");

    let reply = send(&service.state, delete(&format!("/v1/jobs/{id}"))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["state"], "cancelled");
    let reply = send(&service.state, delete(&format!("/v1/jobs/{id}"))).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_problem(
        &send(&service.state, get(&format!("/v1/jobs/{id}"))).await,
        404,
    );
    assert_problem(
        &send(&service.state, delete(&format!("/v1/jobs/{id}"))).await,
        404,
    );
    service.stop().await;
}

#[tokio::test]
async fn results_expire_then_jobs_are_forgotten() {
    let service = Service::start("jobs-expiry", |c| {
        c.ttl = Duration::ZERO;
        c.tombstone = Duration::from_secs(3600);
    })
    .await;
    let id = service.submit(&invoice()).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(service.wait(&id).await["state"], "succeeded");
    tokio::time::sleep(Duration::from_millis(5)).await;
    worker::sweep_once(&service.queue).await.expect("sweep");
    let status = send(&service.state, get(&format!("/v1/jobs/{id}")))
        .await
        .json();
    assert_eq!(status["expired"], true, "{status}");
    assert_problem(
        &send(&service.state, get(&format!("/v1/jobs/{id}/result"))).await,
        410,
    );
    assert!(
        matches!(
            service.queue.results.get(&id).await,
            Err(docsmith::queue::ResultsError::Missing)
        ),
        "the result is still in the store"
    );
    service.stop().await;

    let service = Service::start("jobs-forget", |c| {
        c.ttl = Duration::ZERO;
        c.tombstone = Duration::ZERO;
    })
    .await;
    let id = service.submit(&invoice()).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    service.wait(&id).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    worker::sweep_once(&service.queue).await.expect("sweep");
    worker::sweep_once(&service.queue).await.expect("sweep");
    assert_problem(
        &send(&service.state, get(&format!("/v1/jobs/{id}"))).await,
        404,
    );
    service.stop().await;
}

#[tokio::test]
async fn a_job_is_seen_only_by_the_key_that_submitted_it() {
    let keys = ApiKeys::parse(
        "alice alice-key-0123456789 *\nbob bob-key-0123456789 *",
        "test",
    )
    .expect("keys");
    let service = Service::start_keyed("jobs-owners", keys, |_| {}).await;
    let reply = send(
        &service.state,
        with_key(
            "alice-key-0123456789",
            post_json("/v1/jobs", invoice().to_string()),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let id = reply.json()["id"].as_str().expect("id").to_owned();
    let alice = send(
        &service.state,
        with_key("alice-key-0123456789", get(&format!("/v1/jobs/{id}"))),
    )
    .await;
    assert_eq!(alice.status, StatusCode::OK);
    for path in [format!("/v1/jobs/{id}"), format!("/v1/jobs/{id}/result")] {
        let bob = send(&service.state, with_key("bob-key-0123456789", get(&path))).await;
        assert_problem(&bob, 404);
    }
    assert_problem(
        &send(
            &service.state,
            with_key("bob-key-0123456789", delete(&format!("/v1/jobs/{id}"))),
        )
        .await,
        404,
    );
    assert_problem(
        &send(&service.state, get(&format!("/v1/jobs/{id}"))).await,
        401,
    );
    service.stop().await;
}

#[tokio::test]
async fn a_job_whose_worker_died_runs_again_and_ends_once() {
    // No workers yet: a "worker" claims the job and dies with it.
    let first = Service::start("jobs-lease", |c| c.workers = 0).await;
    let id = first.submit(&invoice()).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let now = time::now_ms();
    let claimed = first
        .queue
        .store
        .claim("dead-worker", now, now + 50, 3)
        .await
        .expect("claim")
        .expect("a job to claim");
    assert_eq!(claimed.id, id);
    let status = send(&first.state, get(&format!("/v1/jobs/{id}")))
        .await
        .json();
    assert_eq!(
        (status["state"].as_str(), status["attempts"].as_i64()),
        (Some("running"), Some(1))
    );
    let data_dir = first.queue.config.data_dir.clone();
    first.stop().await;

    // A node with workers on the same database and results takes it over
    // once the lease has run out.
    tokio::time::sleep(Duration::from_millis(60)).await;
    let second = Service::start_in(data_dir, ApiKeys::none(), |_| {}).await;
    let status = second.wait(&id).await;
    assert_eq!(status["state"], "succeeded", "{status}");
    assert_eq!(status["attempts"], 2, "{status}");
    // The dead worker coming back cannot end it a second time.
    let late = docsmith::queue::store::Outcome::Failed {
        problem: "{}".to_owned(),
    };
    let now = time::now_ms();
    assert!(
        !second
            .queue
            .store
            .finish(&id, "dead-worker", &late, None, now, now)
            .await
            .expect("finish")
    );
    let again = send(&second.state, get(&format!("/v1/jobs/{id}")))
        .await
        .json();
    assert_eq!(again, status);
    let result = send(&second.state, get(&format!("/v1/jobs/{id}/result"))).await;
    assert_eq!(&result.body[..5], b"%PDF-");
    second.stop().await;
}

#[tokio::test]
async fn a_job_that_keeps_killing_its_workers_ends_failed() {
    let service = Service::start("jobs-attempts", |c| {
        c.workers = 0;
        c.max_attempts = 1;
    })
    .await;
    let id = service.submit(&invoice()).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let now = time::now_ms();
    service
        .queue
        .store
        .claim("dead-worker", now, now + 10, 1)
        .await
        .expect("claim")
        .expect("claimed");
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Past its last attempt it is not claimed again, but failed.
    let now = time::now_ms();
    assert!(
        service
            .queue
            .store
            .claim("other", now, now + 1000, 1)
            .await
            .expect("claim")
            .is_none()
    );
    worker::sweep_once(&service.queue).await.expect("sweep");
    let status = send(&service.state, get(&format!("/v1/jobs/{id}")))
        .await
        .json();
    assert_eq!(status["state"], "failed", "{status}");
    assert_eq!(
        status["problem"]["type"], "https://docsmith.dev/problems/worker-lost",
        "{status}"
    );
    service.stop().await;
}

#[tokio::test]
async fn a_large_result_is_stored_in_parts_and_comes_back_whole() {
    let service = Service::start("jobs-large", |_| {}).await;
    // 12 MiB stored as is: more than one part of the result store's uploads.
    let text: String = (0..12 * 1024 * 1024 / 64)
        .map(|i| format!("{i:063}\n"))
        .collect();
    let job = json!({
        "format": "zip",
        "filename": "large.zip",
        "entries": [{"path": "large.txt", "text": text, "compression": "store"}],
    });
    let id = service.submit(&job).await.json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let status = service.wait(&id).await;
    assert_eq!(status["state"], "succeeded", "{status}");
    assert!(
        status["size"].as_i64().is_some_and(|s| s > 12 << 20),
        "{status}"
    );
    let result = send(&service.state, get(&format!("/v1/jobs/{id}/result"))).await;
    let direct = send(&service.state, post_json("/v1/render", job.to_string())).await;
    assert_eq!(result.body.len(), direct.body.len());
    assert!(
        result.body == direct.body,
        "the stored result differs from /v1/render's"
    );
    service.stop().await;
}

/// What a webhook receiver got: the signature header and the body.
type Received = Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// A webhook receiver on loopback that answers 500 to the first `fail`
/// deliveries and 200 after: its port and what it received.
async fn receiver(fail: usize) -> (u16, Received) {
    use axum::routing::post;
    let received: Received = Arc::default();
    let log = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let log = Arc::clone(&log);
                async move {
                    let signature = headers
                        .get("docsmith-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let mut log = log.lock().expect("lock");
                    log.push((signature, body.to_vec()));
                    if log.len() <= fail {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::OK
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, received)
}

/// Checks `t=…,v1=…` the way a receiver would: HMAC-SHA256 of
/// `TIMESTAMP.BODY` under the shared secret, and a timestamp near now.
fn verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    use hmac::{Hmac, KeyInit, Mac};
    let mut timestamp = None;
    let mut given = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => given = Some(v.to_owned()),
            _ => {}
        }
    }
    let (Some(timestamp), Some(given)) = (timestamp, given) else {
        return false;
    };
    let fresh = (time::now_ms() / 1000 - timestamp).abs() < 300;
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret).expect("key");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    fresh && expected == given
}

#[tokio::test]
async fn a_webhook_is_signed_and_retried_until_the_receiver_takes_it() {
    const SECRET: &[u8] = b"webhook-secret-0123456789";
    let (port, received) = receiver(2).await;
    let service = Service::start("jobs-webhook", |c| {
        c.callbacks.allow = vec![format!("127.0.0.1:{port}")];
        c.callbacks.secret = SECRET.to_vec();
    })
    .await;
    // A host off the allow-list is refused at submit.
    for url in [
        "http://127.0.0.1:1/hook".to_owned(),
        "http://169.254.169.254/latest".to_owned(),
        format!("ftp://127.0.0.1:{port}/hook"),
    ] {
        let path = format!(
            "/v1/jobs?callback_url={}",
            utf8_percent_encode(&url, NON_ALPHANUMERIC)
        );
        let reply = send(&service.state, post_json(&path, invoice().to_string())).await;
        assert_problem(&reply, 422);
        assert_eq!(reply.pointers(), ["/callback_url"], "{url}");
    }

    let hook = format!("http://127.0.0.1:{port}/hook");
    let path = format!(
        "/v1/jobs?callback_url={}",
        utf8_percent_encode(&hook, NON_ALPHANUMERIC)
    );
    let reply = send(&service.state, post_json(&path, invoice().to_string())).await;
    assert_eq!(
        reply.status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let id = reply.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(reply.json()["callback"]["url"], hook);
    assert_eq!(service.wait(&id).await["state"], "succeeded");

    // Two 500s, then 200: delivered on the third try (1 s and 2 s later).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        let status = send(&service.state, get(&format!("/v1/jobs/{id}")))
            .await
            .json();
        if status["callback"]["state"] != "pending" {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status["callback"]["state"], "delivered", "{status}");
    assert_eq!(status["callback"]["attempts"], 3, "{status}");
    let received = received.lock().expect("lock").clone();
    assert_eq!(received.len(), 3);
    for (signature, body) in &received {
        assert!(
            verify(SECRET, signature, body),
            "bad signature {signature:?}"
        );
        assert!(!verify(b"another-secret-0123456789", signature, body));
        let sent: Value = serde_json::from_slice(body).expect("JSON body");
        assert_eq!(sent["id"], id);
        assert_eq!(sent["state"], "succeeded");
        assert!(sent["size"].as_i64().is_some_and(|s| s > 0));
    }
    // A tampered body fails the check.
    let (signature, body) = &received[0];
    let mut tampered = body.clone();
    tampered[2] ^= 1;
    assert!(!verify(SECRET, signature, &tampered));
    service.stop().await;
}
