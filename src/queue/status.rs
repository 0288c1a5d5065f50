//! A job as the API shows it (`GET /v1/jobs/{id}`) and webhooks send it.

use serde::Serialize;
use utoipa::ToSchema;

use super::{JobRow, time};

/// An async job: its state, progress and, once it has ended, where its
/// document is or why there is none.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0b6f9f5e-3a51-4f0e-9a3c-6f1f2d8f4a10",
    "state": "running",
    "format": "zip",
    "filename": "invoices.zip",
    "created_at": "2026-11-27T09:00:00.000Z",
    "started_at": "2026-11-27T09:00:00.120Z",
    "attempts": 1,
    "progress": {"done": 420, "total": 1000},
    "links": {"self": "/v1/jobs/0b6f9f5e-3a51-4f0e-9a3c-6f1f2d8f4a10", "result": "/v1/jobs/0b6f9f5e-3a51-4f0e-9a3c-6f1f2d8f4a10/result"}
}))]
pub struct JobStatus {
    pub id: String,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`.
    #[schema(example = "succeeded")]
    pub state: String,
    #[schema(example = "pdf")]
    pub format: String,
    /// The document's file name (`Content-Disposition` of the result).
    pub filename: String,
    /// When it was submitted (RFC 3339, UTC).
    pub created_at: String,
    /// When a worker first took it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended (succeeded, failed or cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// When the result and this record are deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Runs so far: more than one when a worker stopped mid-run and
    /// another took the job over.
    pub attempts: i64,
    /// Entries of a zip job written so far, of all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    /// Size of the document in bytes, once it has succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Why it failed: the problem `/v1/render` would have answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub problem: Option<serde_json::Value>,
    /// True once the result has expired and been deleted (its download is 410).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
    /// The webhook of a job submitted with `callback_url`: where, and how
    /// its delivery went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
    pub links: Links,
}

/// A job's webhook.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "url": "https://hooks.example.com/docsmith",
    "state": "pending",
    "attempts": 2,
    "error": "the receiver answered 500 Internal Server Error"
}))]
pub struct Callback {
    pub url: String,
    /// `pending` (not yet delivered: the job is running, or a retry is
    /// due), `delivered`, or `failed` (every retry was refused).
    pub state: String,
    /// Deliveries tried so far.
    pub attempts: i64,
    /// Why the last delivery failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Progress of a job with entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
}

/// Where to find the job and its document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Links {
    #[serde(rename = "self")]
    pub this: String,
    pub result: String,
}

impl From<JobRow> for JobStatus {
    fn from(row: JobRow) -> Self {
        let at = |ms: Option<i64>| ms.map(time::rfc3339);
        let this = format!("/v1/jobs/{}", row.id);
        JobStatus {
            state: row.state,
            format: row.format,
            filename: row.filename,
            created_at: time::rfc3339(row.created_at),
            started_at: at(row.started_at),
            finished_at: at(row.finished_at),
            expires_at: at(row.expires_at),
            attempts: row.attempts,
            progress: match (row.progress_done, row.progress_total) {
                (Some(done), Some(total)) => Some(Progress { done, total }),
                _ => None,
            },
            size: row.result_size,
            problem: row
                .problem
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
            expired: row.result_purged != 0,
            callback: row.callback_url.map(|url| Callback {
                url,
                state: row.callback_state.unwrap_or_else(|| "pending".to_owned()),
                attempts: row.callback_attempts,
                error: row.callback_error,
            }),
            links: Links {
                result: format!("{this}/result"),
                this,
            },
            id: row.id,
        }
    }
}
