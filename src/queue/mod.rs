//! Async jobs: submitted jobs are kept in a table (SQLite by default,
//! PostgreSQL to share them between nodes), run by workers that claim them
//! under a lease, and their documents kept in a result store (a directory,
//! or an S3-compatible bucket) until they expire.
//!
//! A worker renews its lease while a job runs; a job whose worker died is
//! claimed again once the lease has run out and runs again from the start.
//! Rendering is deterministic, so a second run writes the same document,
//! and only the run holding the lease may record the end, so every job
//! ends once.

pub mod input;
pub mod results;
pub mod status;
#[macro_use]
pub mod store;
pub mod templates;
pub mod time;
pub mod webhook;
pub mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::Notify;

pub use results::{Results, ResultsError};
pub use store::{JobRow, Removed, Store, StoreError, Submitted};

use crate::doc::Files;

/// Settings of the async job queue; `docsmith serve` and `docsmith worker`
/// fill them from flags.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// Where the embedded database, local results and temporary files live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…` [default: SQLite in the data directory].
    pub database: Option<String>,
    /// A directory, `file://DIR` or `s3://BUCKET/PREFIX` [default: the
    /// data directory's `results/`].
    pub storage: Option<String>,
    /// How long a finished job and its document are kept.
    pub ttl: Duration,
    /// How long an expired job still answers 410 before it is forgotten (404).
    pub tombstone: Duration,
    /// How long a worker's claim lasts without a heartbeat.
    pub lease: Duration,
    /// Runs of one job before it is failed (its worker died each time).
    pub max_attempts: u32,
    /// Time limit of one async job's run.
    pub job_timeout: Duration,
    /// Jobs this node runs at once (0: this node runs none, an API node).
    pub workers: usize,
    /// How often an idle worker looks for work submitted on other nodes.
    pub poll: Duration,
    /// How often expired results are deleted and the metrics refreshed.
    pub sweep: Duration,
    /// Database connections of this node.
    pub max_connections: u32,
    /// Webhooks: allowed hosts, signing secret, retries.
    pub callbacks: webhook::CallbackConfig,
}

impl QueueConfig {
    /// The defaults for a data directory.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            database: None,
            storage: None,
            ttl: Duration::from_secs(24 * 3600),
            tombstone: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(30),
            max_attempts: 3,
            job_timeout: Duration::from_secs(15 * 60),
            workers: crate::http::default_workers(),
            poll: Duration::from_millis(500),
            sweep: Duration::from_secs(10),
            max_connections: 8,
            callbacks: webhook::CallbackConfig {
                max_attempts: 10,
                timeout: Duration::from_secs(10),
                ..webhook::CallbackConfig::default()
            },
        }
    }

    fn database_url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("docsmith.db").display()))
    }

    fn storage_url(&self) -> String {
        self.storage
            .clone()
            .unwrap_or_else(|| self.data_dir.join("results").display().to_string())
    }
}

/// Why the queue could not start.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Results(#[from] ResultsError),
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The queue of one node: its database, result store and settings.
#[derive(Debug)]
pub struct Queue {
    pub store: Store,
    pub results: Results,
    pub config: QueueConfig,
    /// Wakes this node's idle workers when a job is submitted here.
    pub submitted: Notify,
    /// This node's name in the `worker` column (host, process, random).
    pub node: String,
}

/// A job to submit, validated by the caller.
#[derive(Debug)]
pub struct Submission<'a> {
    pub owner: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub json: &'a [u8],
    pub files: &'a Files,
    pub format: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub callback_url: Option<&'a str>,
    /// The stored templates' versions it renders with (JSON object).
    pub template_pins: Option<&'a str>,
}

impl Queue {
    /// Opens the database (migrating it) and the result store.
    pub async fn open(config: QueueConfig) -> Result<Arc<Queue>, QueueError> {
        for dir in [config.data_dir.clone(), config.data_dir.join("tmp")] {
            std::fs::create_dir_all(&dir)
                .map_err(|source| QueueError::DataDir { path: dir, source })?;
        }
        let store = Store::connect(&config.database_url(), config.max_connections).await?;
        let results = Results::open(&config.storage_url())?;
        let node = format!(
            "{}-{}-{}",
            hostname(),
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        tracing::info!(
            database = %store::redact(&config.database_url()),
            storage = %results.url,
            node = %node,
            workers = config.workers,
            "async jobs ready"
        );
        Ok(Arc::new(Queue {
            store,
            results,
            config,
            submitted: Notify::new(),
            node,
        }))
    }

    /// Stores a job for the workers.
    pub async fn submit(&self, job: Submission<'_>) -> Result<Submitted, StoreError> {
        let (kind, input) = input::encode(job.json, job.files);
        // Only a retried submit compares digests: without a key, no
        // digest is made (an empty one is stored).
        let digest = match job.idempotency_key {
            Some(_) => hex(&Sha256::digest(&input)),
            None => String::new(),
        };
        let submitted = self
            .store
            .submit(store::NewJob {
                id: uuid::Uuid::new_v4().to_string(),
                owner: job.owner.to_owned(),
                idempotency_key: job.idempotency_key.map(str::to_owned),
                input_digest: digest,
                format: job.format.to_owned(),
                filename: job.filename.to_owned(),
                content_type: job.content_type.to_owned(),
                input_kind: kind.to_owned(),
                input,
                callback_url: job.callback_url.map(str::to_owned),
                template_pins: job.template_pins.map(str::to_owned),
                created_at: time::now_ms(),
            })
            .await?;
        if let Submitted::Created(_) = submitted {
            metrics::counter!("docsmith_async_jobs_submitted_total").increment(1);
            self.submitted.notify_one();
        }
        Ok(submitted)
    }

    /// The moment a job ending now expires.
    pub fn expiry_from(&self, now: i64) -> i64 {
        now.saturating_add(time::ms(self.config.ttl))
    }

    /// DELETE: cancels a queued or running job, or deletes an ended one
    /// with its result.
    pub async fn remove(&self, id: &str, owner: &str) -> Result<Option<Removed>, QueueError> {
        let now = time::now_ms();
        let removed = self
            .store
            .remove(id, owner, now, self.expiry_from(now))
            .await?;
        match &removed {
            Some(Removed::Deleted(row)) if row.result_size.is_some() => {
                self.results.delete(id).await?;
            }
            Some(Removed::Cancelled(_)) => {
                metrics::counter!("docsmith_async_jobs_total", "outcome" => "cancelled")
                    .increment(1);
            }
            Some(Removed::Deleted(_)) | None => {}
        }
        Ok(removed)
    }
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "docsmith".to_owned())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
