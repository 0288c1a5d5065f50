//! What the fuzz targets share: the built-in template catalog, the files a
//! job may reference, a worker thread with the service's stack, and the
//! checks every answer to a client must pass.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{OnceLock, mpsc};
use std::task::{Context, Poll, Waker};

use axum::response::IntoResponse;
use docsmith::doc::Files;
use docsmith::job::{self, Job, JobError};
use docsmith::problem::{FieldError, Problem};
use docsmith::templates::Catalog;
use http_body_util::BodyExt;

/// Largest problem document a client may get (as in `tests/it/hostile.rs`):
/// a problem never echoes a big input.
pub const MAX_PROBLEM_BYTES: usize = 64 * 1024;

/// A 2 × 2 RGBA PNG, the file every fuzzed job may reference.
pub const TINY_PNG: &[u8] = include_bytes!("../seeds/image/tiny-2x2-rgba.png");

/// `relative` under the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// The built-in catalog (`templates/`), loaded once.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::load(&repo_path("templates")).expect("templates/ loads"))
}

/// The files sent with every fuzzed job: `logo.png` and `upload` (both the
/// tiny PNG) and `notes.txt` (not an image).
pub fn files() -> Files {
    let png = bytes::Bytes::from_static(TINY_PNG);
    Files::from([
        ("logo.png".to_owned(), png.clone()),
        ("upload".to_owned(), png),
        (
            "notes.txt".to_owned(),
            bytes::Bytes::from_static(b"not an image\n"),
        ),
    ])
}

type Task = (Vec<u8>, fn(&[u8]), mpsc::SyncSender<()>);

/// Runs `run(data)` on a thread with the stack of the service's workers
/// ([`docsmith::pool::WORKER_STACK_BYTES`]), so stack depth is judged as in
/// production rather than against the 8 MiB of libFuzzer's main thread.
/// A panic there aborts the process like one on the main thread (the panic
/// hook of `libfuzzer-sys` aborts before unwinding).
pub fn on_worker_stack(data: &[u8], run: fn(&[u8])) {
    static WORKER: OnceLock<mpsc::Sender<Task>> = OnceLock::new();
    let worker = WORKER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Task>();
        std::thread::Builder::new()
            .name("worker".into())
            .stack_size(docsmith::pool::WORKER_STACK_BYTES)
            .spawn(move || {
                for (data, run, done) in rx {
                    run(&data);
                    let _ = done.send(());
                }
            })
            .expect("worker thread starts");
        tx
    });
    let (done_tx, done_rx) = mpsc::sync_channel(1);
    worker
        .send((data.to_vec(), run, done_tx))
        .expect("worker thread alive");
    done_rx.recv().expect("worker thread finished the input");
}

/// Parses, validates and checks a job as `/v1/validate` does (the
/// template rendered and its markup read; nothing laid out), and checks
/// that whatever is wrong makes a problem document a client may get.
pub fn validate_job(json: &[u8]) {
    let job = job::parse(json).and_then(|request| job::validate(request, catalog()));
    let mut job: Job = match job {
        Ok(job) => job,
        Err(err) => return check_problem(err),
    };
    if let Err(errors) = job.attach(files()) {
        return check_problem(JobError::Invalid(errors));
    }
    if let Err(errors) = job.check_document() {
        check_problem(JobError::Invalid(errors));
    }
}

/// The problem an error becomes must be one of the 4xx the README lists,
/// small, and located.
fn check_problem(err: JobError) {
    if let JobError::Invalid(errors) = &err {
        assert!(!errors.is_empty(), "an invalid job without errors");
        check_errors(errors);
    }
    let problem = Problem::from(err);
    assert!(
        matches!(problem.status, 400 | 404 | 422),
        "status {}: {problem:?}",
        problem.status
    );
    let response = problem.into_response();
    let body = ready(response.into_body().collect())
        .expect("a problem body is in memory")
        .to_bytes();
    assert!(
        body.len() <= MAX_PROBLEM_BYTES,
        "the problem is {} bytes long: {}…",
        body.len(),
        String::from_utf8_lossy(&body[..2000])
    );
}

fn check_errors(errors: &[FieldError]) {
    for e in errors {
        assert!(
            e.pointer.is_empty() || e.pointer.starts_with('/'),
            "not a JSON pointer: {e:?}"
        );
        assert!(!e.message.is_empty(), "an error without a message: {e:?}");
    }
}

/// The value of a future that needs no waiting (an in-memory body).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("an in-memory body was not ready"),
    }
}
