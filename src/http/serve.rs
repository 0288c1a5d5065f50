//! Running the service on a socket, with graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{AppState, ServiceConfig, app};
use crate::templates::Catalog;

/// Serves until SIGTERM or Ctrl-C, then stops accepting connections and lets
/// in-flight jobs finish for up to `grace`.
pub async fn run(
    addr: SocketAddr,
    config: ServiceConfig,
    templates: Catalog,
    keys: super::auth::ApiKeys,
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
    let state = AppState::with_keys(config, templates, keys);
    let (stop_tx, stop_rx) = watch::channel(false);
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
    let mut graceful = stop_rx.clone();
    let server = axum::serve(listener, app(state)).with_graceful_shutdown(async move {
        let _ = graceful.wait_for(|stop| *stop).await;
    });
    let mut deadline = stop_rx;
    tokio::select! {
        result = server => result?,
        _ = async move {
            let _ = deadline.wait_for(|stop| *stop).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("in-flight jobs did not finish within the shutdown timeout; exiting");
        }
    }
    tracing::info!("docsmith stopped");
    Ok(())
}

async fn shutdown_signal() {
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
