//! The workers of one node: claim a job, render it on the pool into a file
//! under the data directory, store the file as the job's result, record the
//! end. A heartbeat renews the lease meanwhile and stops the render when the
//! job is cancelled or another worker has taken it over. Beside them, a
//! sweeper deletes expired results and keeps the queue metrics current.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use super::store::{Claimed, Outcome};
use super::templates::Pins;
use super::{Queue, time};
use crate::job;
use crate::pool::Pool;
use crate::problem::Problem;
use crate::render::{self, RenderError};
use crate::render_ctx::{CancelToken, RenderCtx};
use crate::templates::Catalog;

/// What a worker renders with: the node's pool and templates.
#[derive(Clone)]
pub struct Engine {
    pub pool: Arc<Pool>,
    pub templates: Catalog,
    pub retry_after_secs: u64,
}

/// Runs this node's workers and sweeper until `stop` turns true; jobs
/// under way then finish (or, past the caller's grace, are left to run
/// again elsewhere once their leases run out).
pub async fn run(queue: Arc<Queue>, engine: Engine, mut stop: watch::Receiver<bool>) {
    let sweeper = tokio::spawn(sweep(Arc::clone(&queue), stop.clone()));
    let deliverer = tokio::spawn(deliver_callbacks(Arc::clone(&queue), stop.clone()));
    let slots = Arc::new(Semaphore::new(queue.config.workers));
    let mut idle = queue.config.poll;
    if queue.config.workers > 0 {
        loop {
            if *stop.borrow() {
                break;
            }
            let permit = tokio::select! {
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                _ = stop.wait_for(|s| *s) => break,
            };
            // Synchronous requests come first: claim only what the pool
            // can start now.
            if !engine.pool.has_room() {
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                continue;
            }
            let now = time::now_ms();
            let lease_until = now + time::ms(queue.config.lease);
            match queue
                .store
                .claim(
                    &queue.node,
                    now,
                    lease_until,
                    i64::from(queue.config.max_attempts),
                )
                .await
            {
                Ok(Some(claimed)) => {
                    idle = queue.config.poll;
                    let queue = Arc::clone(&queue);
                    let engine = engine.clone();
                    tokio::spawn(async move {
                        run_job(&queue, &engine, claimed).await;
                        drop(permit);
                    });
                }
                Ok(None) => {
                    drop(permit);
                    // Nothing to do: wait for a job submitted here, or
                    // look again after the poll interval (jobs submitted
                    // on other nodes).
                    tokio::select! {
                        _ = queue.submitted.notified() => {}
                        _ = tokio::time::sleep(idle) => {}
                        _ = stop.wait_for(|s| *s) => break,
                    }
                }
                Err(err) => {
                    drop(permit);
                    tracing::warn!(error = %err, "claiming a job failed; retrying");
                    idle = (idle * 2).min(Duration::from_secs(5));
                    tokio::select! {
                        _ = tokio::time::sleep(idle) => {}
                        _ = stop.wait_for(|s| *s) => break,
                    }
                }
            }
        }
        // Let the jobs under way finish.
        let _ = slots.acquire_many(queue.config.workers as u32).await;
    } else {
        let _ = stop.wait_for(|s| *s).await;
    }
    sweeper.abort();
    deliverer.abort();
}

/// Delivers the webhooks that are due (from any node's jobs), one at a
/// time, until `stop`.
async fn deliver_callbacks(queue: Arc<Queue>, mut stop: watch::Receiver<bool>) {
    let client = super::webhook::client();
    let config = &queue.config.callbacks;
    // A claim outlives one delivery's time limit with room to record it.
    let claim = config.timeout * 2 + Duration::from_secs(5);
    loop {
        let now = time::now_ms();
        let due = match queue.store.claim_callback(now, now + time::ms(claim)).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(error = %err, "claiming a webhook failed");
                None
            }
        };
        let Some(due) = due else {
            tokio::select! {
                _ = tokio::time::sleep(queue.config.poll) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            continue;
        };
        let body = match queue.store.get_any(&due.id).await {
            Ok(Some(row)) => {
                serde_json::to_vec(&super::status::JobStatus::from(row)).unwrap_or_default()
            }
            Ok(None) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "reading a job for its webhook failed");
                continue;
            }
        };
        let attempt = u32::try_from(due.callback_attempts + 1).unwrap_or(u32::MAX);
        let sent = super::webhook::deliver(&client, config, &due.callback_url, &due.id, body).await;
        let now = time::now_ms();
        let (state, next_at, error) = match &sent {
            Ok(()) => ("delivered", None, None),
            Err(err) if attempt >= config.max_attempts => ("failed", None, Some(err.as_str())),
            Err(err) => (
                "pending",
                Some(now + time::ms(super::webhook::backoff(attempt))),
                Some(err.as_str()),
            ),
        };
        metrics::counter!("docsmith_async_webhooks_total", "outcome" => if sent.is_ok() { "delivered" } else { "error" })
            .increment(1);
        match &sent {
            Ok(()) => tracing::info!(job_id = %due.id, attempt, "webhook delivered"),
            Err(err) => {
                tracing::warn!(job_id = %due.id, attempt, error = %err, state, "webhook not delivered")
            }
        }
        if let Err(err) = queue
            .store
            .callback_attempted(&due.id, state, next_at, error)
            .await
        {
            tracing::warn!(job_id = %due.id, error = %err, "recording a webhook delivery failed");
        }
    }
}

/// One claimed job, start to end.
async fn run_job(queue: &Queue, engine: &Engine, claimed: Claimed) {
    let span = tracing::info_span!("async_job", job_id = %claimed.id, attempt = claimed.attempts);
    let started = Instant::now();
    if claimed.attempts > 1 {
        metrics::counter!("docsmith_async_lease_expiries_total").increment(1);
        tracing::warn!(parent: &span, attempt = claimed.attempts, "running a job again: its last worker's lease ran out");
    } else {
        let waited = (time::now_ms() - claimed.created_at).max(0) as f64 / 1000.0;
        metrics::histogram!("docsmith_async_job_wait_seconds").record(waited);
    }
    let id = claimed.id.clone();
    let outcome = match prepare(queue, engine, claimed).await {
        Ok(Err(problem)) => Some((Err(*problem), None)),
        Ok(Ok(job)) => render_to_result(queue, engine, &id, job, &span).await,
        Err(err) => {
            // Like a failure to record the end: the job runs again once
            // its lease runs out.
            tracing::warn!(parent: &span, error = %err, "looking up the job's stored templates failed");
            return;
        }
    };
    let Some((outcome, progress)) = outcome else {
        // No longer this worker's: cancelled, or taken over.
        tracing::info!(parent: &span, "job given up: cancelled or claimed by another worker");
        return;
    };
    let now = time::now_ms();
    let (record, label) = match outcome {
        Ok(size) => (Outcome::Succeeded { size }, "succeeded"),
        Err(problem) => (
            Outcome::Failed {
                problem: serde_json::to_string(&problem).unwrap_or_default(),
            },
            "failed",
        ),
    };
    match queue
        .store
        .finish(
            &id,
            &queue.node,
            &record,
            progress,
            now,
            queue.expiry_from(now),
        )
        .await
    {
        Ok(true) => {
            metrics::counter!("docsmith_async_jobs_total", "outcome" => label).increment(1);
            metrics::histogram!("docsmith_async_job_run_seconds", "outcome" => label)
                .record(started.elapsed().as_secs_f64());
            tracing::info!(parent: &span, outcome = label, ms = started.elapsed().as_millis() as u64, "async job ended");
        }
        Ok(false) => {
            tracing::info!(parent: &span, "job ended elsewhere meanwhile (cancelled or re-run); not recorded")
        }
        Err(err) => {
            tracing::warn!(parent: &span, error = %err, "recording the end of a job failed; it runs again after its lease")
        }
    }
}

/// The stored job, parsed and validated again (the node's templates may
/// differ from the submitting node's), with the versions of stored
/// templates fixed when it was submitted. Err when the database failed.
async fn prepare(
    queue: &Queue,
    engine: &Engine,
    claimed: Claimed,
) -> Result<Result<job::Job, Box<Problem>>, super::StoreError> {
    let Some(stored) = claimed.input else {
        return Ok(Err(Box::new(Problem::internal())));
    };
    let (json, files) = match super::input::decode(&claimed.input_kind, stored) {
        Ok(decoded) => decoded,
        Err(err) => {
            tracing::error!(error = %err, "a stored job could not be read");
            return Ok(Err(Box::new(Problem::internal())));
        }
    };
    let request = match job::parse(&json) {
        Ok(request) => request,
        Err(err) => return Ok(Err(Box::new(Problem::from(err)))),
    };
    let pins: Pins = claimed
        .template_pins
        .as_deref()
        .and_then(|pins| serde_json::from_str(pins).ok())
        .unwrap_or_default();
    let refs = job::template_refs(&request);
    let (templates, _) = queue
        .store
        .resolve(&engine.templates, &claimed.owner, &refs, &pins)
        .await?;
    Ok(job::validate(request, &templates)
        .map_err(|err| Box::new(Problem::from(err)))
        .and_then(|mut job| {
            job.attach(files)
                .map_err(|errors| Box::new(Problem::invalid_job(errors)))?;
            Ok(job)
        }))
}

/// Renders `job` into a file, stores it as the result and returns its size;
/// None when the job stopped being this worker's while it rendered.
async fn render_to_result(
    queue: &Queue,
    engine: &Engine,
    id: &str,
    job: job::Job,
    span: &tracing::Span,
) -> Option<(Result<i64, Problem>, Option<(i64, i64)>)> {
    let path = queue
        .config
        .data_dir
        .join("tmp")
        .join(format!("{id}.{}.part", queue.node));
    let cancel = CancelToken::new();
    let deadline = Instant::now() + queue.config.job_timeout;
    let progress = Arc::new(AtomicU64::new(u64::MAX));
    let ctx = {
        let progress = Arc::clone(&progress);
        RenderCtx::new(cancel.clone(), Some(deadline))
            .with_fanout(Arc::clone(&engine.pool), engine.retry_after_secs)
            .with_progress(move |done, total| {
                // Both halves in one word: the heartbeat reads them together.
                let packed = ((done.min(u32::MAX as usize) as u64) << 32)
                    | total.min(u32::MAX as usize) as u64;
                progress.store(packed, Ordering::Relaxed);
            })
    };
    let lost = Arc::new(AtomicBool::new(false));
    let (stop_beat, beat_stopped) = watch::channel(false);
    let heartbeat = tokio::spawn(heartbeat(
        HeartbeatJob {
            queue_store: queue.store.clone(),
            node: queue.node.clone(),
            id: id.to_owned(),
            lease: queue.config.lease,
        },
        Arc::clone(&progress),
        cancel.clone(),
        Arc::clone(&lost),
        beat_stopped,
    ));

    let rendered = render_file(engine, job, ctx, path.clone(), span.clone()).await;
    let _ = stop_beat.send(true);
    let _ = heartbeat.await;
    let result = if lost.load(Ordering::SeqCst) {
        None
    } else {
        Some(match rendered {
            Ok(()) => match queue.results.put_file(id, &path).await {
                Ok(size) => Ok(i64::try_from(size).unwrap_or(i64::MAX)),
                Err(err) => {
                    tracing::error!(parent: span, error = %err, "storing a result failed");
                    Err(Problem::new(
                        503,
                        "result-storage",
                        "Result storage failed",
                        "the document was rendered but could not be stored; submit the job again",
                    ))
                }
            },
            Err(err) => {
                render::report_failure(&err);
                Err(err.to_problem())
            }
        })
    };
    let _ = tokio::fs::remove_file(&path).await;
    result.map(|result| (result, unpack(progress.load(Ordering::Relaxed))))
}

/// The progress the render reported last, if it reported any: entries
/// done and in all, packed in one word so that both are read together.
fn unpack(packed: u64) -> Option<(i64, i64)> {
    (packed != u64::MAX).then_some(((packed >> 32) as i64, (packed & 0xffff_ffff) as i64))
}

/// Renders on the pool (a zip job coordinates from a blocking thread of its
/// own, its entries on the pool), waiting for room when the pool is full.
async fn render_file(
    engine: &Engine,
    job: job::Job,
    ctx: RenderCtx,
    path: PathBuf,
    span: tracing::Span,
) -> Result<(), RenderError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let fans_out = crate::bundle::fans_out(&job);
    let format = job.format.as_str();
    let task: crate::pool::Task = Box::new(move || {
        let _span = span.enter();
        let began = Instant::now();
        let result: Result<(), RenderError> = (|| {
            let file = std::fs::File::create(&path)?;
            let mut sink = std::io::BufWriter::with_capacity(256 * 1024, file);
            render::render_catching(&job, &ctx, &mut sink)?;
            sink.flush()?;
            sink.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            Ok(())
        })();
        let outcome = match &result {
            Ok(()) => "ok",
            Err(err) => err.outcome(),
        };
        metrics::histogram!("docsmith_job_duration_seconds", "format" => format, "outcome" => outcome)
            .record(began.elapsed().as_secs_f64());
        let _ = tx.send(result);
    });
    if fans_out {
        drop(tokio::task::spawn_blocking(task));
    } else {
        let mut task = task;
        loop {
            match engine.pool.offer(task) {
                Ok(()) => break,
                Err(back) => {
                    task = back;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }
    match rx.await {
        Ok(result) => result,
        Err(_) => Err(RenderError::Panicked(
            "the render task ended without an answer".to_owned(),
        )),
    }
}

struct HeartbeatJob {
    queue_store: super::Store,
    node: String,
    id: String,
    lease: Duration,
}

/// Renews the lease a few times per lease period with the progress so far;
/// cancels the render when the job is no longer this worker's.
async fn heartbeat(
    job: HeartbeatJob,
    progress: Arc<AtomicU64>,
    cancel: CancelToken,
    lost: Arc<AtomicBool>,
    mut stop: watch::Receiver<bool>,
) {
    // Often enough that progress shows within a second, and the lease is
    // renewed a few times before it runs out.
    let every = (job.lease / 3).clamp(Duration::from_millis(100), Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let shown = unpack(progress.load(Ordering::Relaxed));
        let lease_until = time::now_ms() + time::ms(job.lease);
        match job
            .queue_store
            .heartbeat(&job.id, &job.node, lease_until, shown)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                cancel.cancel();
                return;
            }
            // The database is unreachable: keep rendering; if it stays
            // away past the lease, another worker runs the job and this
            // run's end is not recorded.
            Err(err) => tracing::warn!(job_id = %job.id, error = %err, "renewing a lease failed"),
        }
    }
}

/// Every `sweep`: fail jobs that exhausted their attempts, delete expired
/// results, forget old tombstones, refresh the queue gauges.
async fn sweep(queue: Arc<Queue>, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(err) = sweep_once(&queue).await {
            tracing::warn!(error = %err, "sweeping the job table failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(queue.config.sweep) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// One sweep (see [`sweep`]).
pub async fn sweep_once(queue: &Queue) -> Result<(), super::QueueError> {
    let now = time::now_ms();
    let problem = Problem::new(
        500,
        "worker-lost",
        "The job's workers stopped",
        format!(
            "the job's worker stopped without finishing it {} times; it is not run again",
            queue.config.max_attempts
        ),
    );
    let failed = queue
        .store
        .fail_exhausted(
            now,
            i64::from(queue.config.max_attempts),
            &serde_json::to_string(&problem).unwrap_or_default(),
            queue.expiry_from(now),
        )
        .await?;
    for id in &failed {
        metrics::counter!("docsmith_async_lease_expiries_total").increment(1);
        metrics::counter!("docsmith_async_jobs_total", "outcome" => "failed").increment(1);
        tracing::error!(job_id = %id, "job failed: its workers kept stopping");
    }
    loop {
        let expired = queue.store.expired_results(now, 100).await?;
        for id in &expired {
            queue.results.delete(id).await?;
            queue.store.mark_purged(id).await?;
        }
        metrics::counter!("docsmith_async_results_expired_total").increment(expired.len() as u64);
        if expired.len() < 100 {
            break;
        }
    }
    queue
        .store
        .forget(now - time::ms(queue.config.tombstone))
        .await?;
    let stats = queue.store.stats(now).await?;
    metrics::gauge!("docsmith_async_queue_depth").set(stats.queued as f64);
    metrics::gauge!("docsmith_async_jobs_running").set(stats.running as f64);
    metrics::gauge!("docsmith_async_oldest_queued_seconds")
        .set(stats.oldest_queued_ms as f64 / 1000.0);
    Ok(())
}
