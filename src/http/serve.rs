//! Running the service on a socket, with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{AppState, ServiceConfig, app};
use crate::queue::{Queue, worker};
use crate::templates::Catalog;

/// Serves until SIGTERM or Ctrl-C, then stops accepting connections and lets
/// in-flight jobs finish for up to `grace`. With a queue, this node also
/// runs async jobs (as many at once as its queue settings say).
pub async fn run(
    addr: SocketAddr,
    config: ServiceConfig,
    templates: Catalog,
    keys: super::auth::ApiKeys,
    queue: Option<Arc<Queue>>,
    grace: Duration,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tracing::info!(
        addr = %local,
        workers = config.workers,
        queue_depth = config.queue_depth,
        max_body = config.max_body,
        job_timeout_ms = config.job_timeout.as_millis() as u64,
        templates = templates.len(),
        api_keys = keys.len(),
        "docsmith listening on http://{local}"
    );
    let header_timeout = config.body_timeout;
    let state = AppState::with_queue(config, templates, keys, queue.clone());
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let workers = queue.map(|queue| {
        let engine = worker::Engine {
            pool: Arc::clone(&state.pool),
            templates: state.templates.clone(),
            retry_after_secs: state.config.retry_after_secs,
        };
        tokio::spawn(worker::run(queue, engine, stop_rx.clone()))
    });
    {
        let state = state.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            tracing::info!(
                grace_s = grace.as_secs(),
                "shutting down: finishing in-flight jobs"
            );
            state.set_draining();
            let _ = stop_tx.send(true);
        });
    }
    let router = app(state);
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(err) => {
                        // Out of file descriptors and the like: pause
                        // rather than spin, and keep serving.
                        tracing::warn!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                // A client gets `--body-timeout` to send its request head
                // too: slow headers cannot hold a connection open for ever.
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(error = %err, "connection ended with an error");
                    }
                });
            }
            _ = stop_rx.wait_for(|stop| *stop) => break,
        }
    }
    // No new connections; those open finish their requests, and the async
    // jobs under way theirs, for up to `grace`.
    drop(listener);
    let drained = async {
        graceful.shutdown().await;
        if let Some(workers) = workers {
            let _ = workers.await;
        }
    };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!(
            "in-flight jobs did not finish within the shutdown timeout; exiting \
             (async jobs under way run again on another worker once their leases run out)"
        );
    }
    tracing::info!("docsmith stopped");
    Ok(())
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
