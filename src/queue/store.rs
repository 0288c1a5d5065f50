//! The job table, in SQLite (one machine, the default) or PostgreSQL
//! (several nodes sharing the work), through one set of queries.
//!
//! Both databases run the same SQL with `$N` parameters. They differ in
//! the claims (of a job, of a webhook), where PostgreSQL skips rows another
//! node has locked (`FOR UPDATE SKIP LOCKED`) and SQLite, with one writer
//! at a time, needs no lock; in the schema's column types; and in how
//! migrations are serialised. Times are milliseconds since the Unix epoch
//! (`BIGINT`).

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Config(String),
    #[error("migration {version} ({name}): {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
}

/// The job database.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the pool of either database: the
/// queries are the same text, the types differ.
///
/// With `$sql = lock_sql!(…)`, `$sql` is the query of that database: the
/// text with no lock for SQLite, with `FOR UPDATE SKIP LOCKED` after its
/// one `LIMIT 1` for PostgreSQL.
macro_rules! each {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
    ($store:expr, $pool:ident, $sql:ident = lock_sql!($($text:tt)*) => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => {
                let $sql = lock_sql!(""; $($text)*);
                $body
            }
            Store::Postgres($pool) => {
                let $sql = lock_sql!(" FOR UPDATE SKIP LOCKED"; $($text)*);
                $body
            }
        }
    };
}

/// A claim query with `$lock` after its subquery's `LIMIT 1`.
macro_rules! lock_sql {
    ($lock:literal; $before:literal, $after:literal) => {
        concat!($before, " LIMIT 1", $lock, $after)
    };
}

/// The columns of [`JobRow`], in one place for every query that reads them.
macro_rules! job_columns {
    () => {
        "id, owner, state, format, filename, content_type, attempts, progress_done, progress_total, \
         problem, result_size, result_purged, created_at, started_at, finished_at, expires_at, \
         callback_url, callback_state, callback_attempts, callback_error"
    };
}

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    pub owner: String,
    pub state: String,
    pub format: String,
    pub filename: String,
    pub content_type: String,
    pub attempts: i64,
    pub progress_done: Option<i64>,
    pub progress_total: Option<i64>,
    pub problem: Option<String>,
    pub result_size: Option<i64>,
    pub result_purged: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub callback_url: Option<String>,
    pub callback_state: Option<String>,
    pub callback_attempts: i64,
    pub callback_error: Option<String>,
}

/// A job to insert.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: String,
    pub owner: String,
    pub idempotency_key: Option<String>,
    pub input_digest: String,
    pub format: String,
    pub filename: String,
    pub content_type: String,
    pub input_kind: String,
    pub input: Vec<u8>,
    pub callback_url: Option<String>,
    /// The stored templates' versions it renders with (JSON object).
    pub template_pins: Option<String>,
    pub created_at: i64,
}

/// What [`Store::submit`] did.
#[derive(Debug)]
pub enum Submitted {
    /// A new job.
    Created(JobRow),
    /// The job submitted before under the same idempotency key, with the
    /// same input.
    Existing(JobRow),
    /// The idempotency key names a job with other input.
    KeyReused(JobRow),
}

/// A job a worker has claimed: its lease runs until `lease_until`.
#[derive(Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub owner: String,
    pub input_kind: String,
    pub input: Option<Vec<u8>>,
    /// The stored templates' versions fixed at submission (JSON object).
    pub template_pins: Option<String>,
    pub attempts: i64,
    pub created_at: i64,
}

/// How a job ended, for [`Store::finish`].
#[derive(Debug, Clone)]
pub enum Outcome {
    Succeeded { size: i64 },
    Failed { problem: String },
}

/// What DELETE did.
#[derive(Debug)]
pub enum Removed {
    /// It was queued or running: now cancelled.
    Cancelled(JobRow),
    /// It had ended: the row is gone (its result is the caller's to delete).
    Deleted(JobRow),
}

/// Counts for metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct QueueStats {
    pub queued: i64,
    pub running: i64,
    /// Age of the oldest queued job, in milliseconds (0 when none).
    pub oldest_queued_ms: i64,
}

/// A webhook due for delivery.
#[derive(Debug, sqlx::FromRow)]
pub struct DueCallback {
    pub id: String,
    pub callback_url: String,
    pub callback_attempts: i64,
}

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// The schema, in order. A migration is never edited once released: a
/// change is a new one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "jobs",
        sqlite: include_str!("../../migrations/sqlite/0001_jobs.sql"),
        postgres: include_str!("../../migrations/postgres/0001_jobs.sql"),
    },
    Migration {
        version: 2,
        name: "templates",
        sqlite: include_str!("../../migrations/sqlite/0002_templates.sql"),
        postgres: include_str!("../../migrations/postgres/0002_templates.sql"),
    },
];

/// Serialises the migrations of nodes starting at once (PostgreSQL).
const MIGRATION_LOCK: i64 = 0x646f_6373_6d69_7468; // "docsmith"

impl Store {
    /// Opens the database `url` (`sqlite://PATH`, `sqlite::memory:`,
    /// `postgres://…`) and brings its schema up to date.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StoreError> {
        let store = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            // An in-memory database lives as long as its one connection.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool = SqlitePoolOptions::new()
                .max_connections(if in_memory { 1 } else { max_connections.max(1) })
                .min_connections(if in_memory { 1 } else { 0 })
                .idle_timeout(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(600))
                })
                .max_lifetime(if in_memory {
                    None
                } else {
                    Some(Duration::from_secs(3600))
                })
                .connect_with(options)
                .await?;
            Store::Sqlite(pool)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Store::Postgres(pool)
        } else {
            return Err(StoreError::Config(format!(
                "--database {:?} is neither sqlite://PATH nor postgres://…",
                redact(url)
            )));
        };
        store.migrate().await?;
        Ok(store)
    }

    /// `sqlite` or `postgres`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Applies the migrations this database has not seen, each in its own
    /// transaction; on PostgreSQL under an advisory lock, so that nodes
    /// starting together apply each once.
    async fn migrate(&self) -> Result<(), StoreError> {
        const CREATE: &str = "CREATE TABLE IF NOT EXISTS docsmith_migrations \
             (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
        for migration in MIGRATIONS {
            let failed = |source| StoreError::Migration {
                version: migration.version,
                name: migration.name,
                source,
            };
            // In the open transaction: the bookkeeping table, then the
            // migration unless it is recorded there.
            macro_rules! apply {
                ($tx:ident, $sql:expr) => {{
                    sqlx::raw_sql(CREATE).execute(&mut *$tx).await?;
                    let seen: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM docsmith_migrations WHERE version = $1",
                    )
                    .bind(migration.version)
                    .fetch_optional(&mut *$tx)
                    .await?;
                    if seen.is_none() {
                        sqlx::raw_sql($sql)
                            .execute(&mut *$tx)
                            .await
                            .map_err(failed)?;
                        record_migration(&mut *$tx, migration).await?;
                        $tx.commit().await?;
                        tracing::info!(
                            version = migration.version,
                            name = migration.name,
                            "database migrated"
                        );
                    }
                }};
            }
            match self {
                Store::Sqlite(pool) => {
                    // IMMEDIATE: the write lock first, so two processes on
                    // one file cannot both find the migration missing.
                    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    apply!(tx, migration.sqlite);
                }
                Store::Postgres(pool) => {
                    let mut tx = pool.begin().await?;
                    sqlx::query("SELECT pg_advisory_xact_lock($1)")
                        .bind(MIGRATION_LOCK)
                        .execute(&mut *tx)
                        .await?;
                    apply!(tx, migration.postgres);
                }
            }
        }
        Ok(())
    }

    /// Inserts a job, or finds the one submitted before under the same
    /// idempotency key. Concurrent submits with one key make one job: the
    /// unique index lets one insert through and the others read it.
    pub async fn submit(&self, job: NewJob) -> Result<Submitted, StoreError> {
        const INSERT: &str = concat!(
            "INSERT INTO docsmith_jobs (id, owner, idempotency_key, input_digest, state, format, filename, \
             content_type, input_kind, input, callback_url, created_at, template_pins) \
             VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (owner, idempotency_key) DO NOTHING RETURNING ",
            job_columns!()
        );
        const BY_KEY: &str = concat!(
            "SELECT ",
            job_columns!(),
            ", input_digest FROM docsmith_jobs WHERE owner = $1 AND idempotency_key = $2"
        );
        let inserted: Option<JobRow> = each!(self, pool => sqlx::query_as(INSERT)
            .bind(&job.id)
            .bind(&job.owner)
            .bind(&job.idempotency_key)
            .bind(&job.input_digest)
            .bind(&job.format)
            .bind(&job.filename)
            .bind(&job.content_type)
            .bind(&job.input_kind)
            .bind(&job.input)
            .bind(&job.callback_url)
            .bind(job.created_at)
            .bind(&job.template_pins)
            .fetch_optional(pool)
            .await?);
        if let Some(row) = inserted {
            return Ok(Submitted::Created(row));
        }
        let Some(key) = &job.idempotency_key else {
            return Err(StoreError::Config(
                "a job without an idempotency key conflicted".into(),
            ));
        };
        let found: Option<KeyedRow> = each!(self, pool => sqlx::query_as(BY_KEY)
            .bind(&job.owner)
            .bind(key)
            .fetch_optional(pool)
            .await?);
        match found {
            Some(found) if found.input_digest == job.input_digest => {
                Ok(Submitted::Existing(found.row))
            }
            Some(found) => Ok(Submitted::KeyReused(found.row)),
            // The job under the key was deleted between the two statements.
            None => Box::pin(self.submit(job)).await,
        }
    }

    /// The job `id` of `owner`.
    pub async fn get(&self, id: &str, owner: &str) -> Result<Option<JobRow>, StoreError> {
        const GET: &str = concat!(
            "SELECT ",
            job_columns!(),
            " FROM docsmith_jobs WHERE id = $1 AND owner = $2"
        );
        Ok(
            each!(self, pool => sqlx::query_as(GET).bind(id).bind(owner).fetch_optional(pool).await?),
        )
    }

    /// The job `id`, whoever owns it (for workers and webhooks).
    pub async fn get_any(&self, id: &str) -> Result<Option<JobRow>, StoreError> {
        const GET: &str = concat!(
            "SELECT ",
            job_columns!(),
            " FROM docsmith_jobs WHERE id = $1"
        );
        Ok(each!(self, pool => sqlx::query_as(GET).bind(id).fetch_optional(pool).await?))
    }

    /// Claims the oldest queued job, or a running one whose worker stopped
    /// renewing its lease (at most `max_attempts` runs in all), for
    /// `worker` until `lease_until`.
    pub async fn claim(
        &self,
        worker: &str,
        now: i64,
        lease_until: i64,
        max_attempts: i64,
    ) -> Result<Option<Claimed>, StoreError> {
        Ok(each!(self, pool, sql = lock_sql!(
            "UPDATE docsmith_jobs SET state = 'running', worker = $1, lease_until = $2, \
             attempts = attempts + 1, started_at = COALESCE(started_at, $3) \
             WHERE id = (SELECT id FROM docsmith_jobs \
                 WHERE state = 'queued' OR (state = 'running' AND lease_until < $3 AND attempts < $4) \
                 ORDER BY created_at, id",
            ") RETURNING id, owner, input_kind, input, template_pins, attempts, created_at"
        ) => sqlx::query_as(sql)
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(max_attempts)
            .fetch_optional(pool)
            .await?))
    }

    /// Renews `worker`'s lease on job `id` and records its progress. False
    /// when the job is no longer this worker's to run: cancelled, deleted,
    /// or claimed by another worker after the lease ran out.
    pub async fn heartbeat(
        &self,
        id: &str,
        worker: &str,
        lease_until: i64,
        progress: Option<(i64, i64)>,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE docsmith_jobs SET lease_until = $1, \
             progress_done = COALESCE($2, progress_done), progress_total = COALESCE($3, progress_total) \
             WHERE id = $4 AND worker = $5 AND state = 'running'";
        let (done, total) = progress.unzip();
        let result = each!(self, pool => sqlx::query(SQL)
            .bind(lease_until)
            .bind(done)
            .bind(total)
            .bind(id)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(result == 1)
    }

    /// Records how `worker`'s run of job `id` ended. False (and nothing
    /// changed) when the job is no longer this worker's: another run owns
    /// it, or it was cancelled, so each job ends once.
    pub async fn finish(
        &self,
        id: &str,
        worker: &str,
        outcome: &Outcome,
        progress: Option<(i64, i64)>,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE docsmith_jobs SET state = $1, result_size = $2, problem = $3, \
             finished_at = $4, expires_at = $5, input = NULL, lease_until = NULL, \
             progress_done = COALESCE($8, progress_done), progress_total = COALESCE($9, progress_total), \
             callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, \
             callback_next_at = $4 \
             WHERE id = $6 AND worker = $7 AND state = 'running'";
        let (state, size, problem) = match outcome {
            Outcome::Succeeded { size } => ("succeeded", Some(*size), None),
            Outcome::Failed { problem } => ("failed", None, Some(problem.as_str())),
        };
        let changed = each!(self, pool => sqlx::query(SQL)
            .bind(state)
            .bind(size)
            .bind(problem)
            .bind(now)
            .bind(expires_at)
            .bind(id)
            .bind(worker)
            .bind(progress.map(|p| p.0))
            .bind(progress.map(|p| p.1))
            .execute(pool)
            .await?
            .rows_affected());
        Ok(changed == 1)
    }

    /// Fails the running jobs whose lease ran out after their last allowed
    /// attempt (a job that keeps killing its worker), and returns them.
    pub async fn fail_exhausted(
        &self,
        now: i64,
        max_attempts: i64,
        problem: &str,
        expires_at: i64,
    ) -> Result<Vec<String>, StoreError> {
        const SQL: &str = "UPDATE docsmith_jobs SET state = 'failed', problem = $1, finished_at = $2, \
             expires_at = $3, input = NULL, lease_until = NULL, \
             callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, \
             callback_next_at = $2 \
             WHERE state = 'running' AND lease_until < $2 AND attempts >= $4 RETURNING id";
        Ok(each!(self, pool => sqlx::query_scalar(SQL)
            .bind(problem)
            .bind(now)
            .bind(expires_at)
            .bind(max_attempts)
            .fetch_all(pool)
            .await?))
    }

    /// DELETE: cancels a queued or running job of `owner`, or deletes one
    /// that has ended. None when there is no such job.
    pub async fn remove(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<Option<Removed>, StoreError> {
        const CANCEL: &str = concat!(
            "UPDATE docsmith_jobs SET state = 'cancelled', finished_at = $1, expires_at = $2, input = NULL, \
             lease_until = NULL, \
             callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END, \
             callback_next_at = $1 \
             WHERE id = $3 AND owner = $4 AND state IN ('queued', 'running') RETURNING ",
            job_columns!()
        );
        const DELETE: &str = concat!(
            "DELETE FROM docsmith_jobs WHERE id = $1 AND owner = $2 AND state NOT IN ('queued', 'running') RETURNING ",
            job_columns!()
        );
        let cancelled: Option<JobRow> = each!(self, pool => sqlx::query_as(CANCEL)
            .bind(now)
            .bind(expires_at)
            .bind(id)
            .bind(owner)
            .fetch_optional(pool)
            .await?);
        if let Some(row) = cancelled {
            return Ok(Some(Removed::Cancelled(row)));
        }
        let deleted: Option<JobRow> = each!(self, pool => sqlx::query_as(DELETE).bind(id).bind(owner).fetch_optional(pool).await?);
        Ok(deleted.map(Removed::Deleted))
    }

    /// Up to `limit` ended jobs whose results are past their expiry and not
    /// yet deleted.
    pub async fn expired_results(&self, now: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        const SQL: &str = "SELECT id FROM docsmith_jobs WHERE expires_at < $1 AND result_purged = 0 \
             ORDER BY expires_at LIMIT $2";
        Ok(
            each!(self, pool => sqlx::query_scalar(SQL).bind(now).bind(limit).fetch_all(pool).await?),
        )
    }

    /// Marks the result of `id` deleted: its job answers 410 from now on.
    pub async fn mark_purged(&self, id: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE docsmith_jobs SET result_purged = 1, input = NULL WHERE id = $1";
        each!(self, pool => sqlx::query(SQL).bind(id).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Forgets the jobs that expired before `before` (their results are
    /// gone already): they answer 404 from now on.
    pub async fn forget(&self, before: i64) -> Result<u64, StoreError> {
        const SQL: &str = "DELETE FROM docsmith_jobs WHERE expires_at < $1 AND result_purged = 1";
        Ok(each!(self, pool => sqlx::query(SQL).bind(before).execute(pool).await?.rows_affected()))
    }

    /// Queue depth and age, for metrics.
    pub async fn stats(&self, now: i64) -> Result<QueueStats, StoreError> {
        const SQL: &str = "SELECT \
             COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0), \
             COALESCE(MIN(CASE WHEN state = 'queued' THEN created_at END), $1) \
             FROM docsmith_jobs WHERE state IN ('queued', 'running')";
        let (queued, running, oldest): (i64, i64, i64) =
            each!(self, pool => sqlx::query_as(SQL).bind(now).fetch_one(pool).await?);
        Ok(QueueStats {
            queued,
            running,
            oldest_queued_ms: (now - oldest).max(0),
        })
    }

    /// Claims a webhook due for delivery until `lease_until` (another node
    /// takes it over if this one dies meanwhile).
    pub async fn claim_callback(
        &self,
        now: i64,
        lease_until: i64,
    ) -> Result<Option<DueCallback>, StoreError> {
        Ok(each!(self, pool, sql = lock_sql!(
            "UPDATE docsmith_jobs SET callback_next_at = $2 \
             WHERE id = (SELECT id FROM docsmith_jobs WHERE callback_state = 'pending' AND callback_next_at <= $1 \
                 ORDER BY callback_next_at",
            ") RETURNING id, callback_url, callback_attempts"
        ) => sqlx::query_as(sql)
            .bind(now)
            .bind(lease_until)
            .fetch_optional(pool)
            .await?))
    }

    /// Records a delivery attempt: `next_at` None ends the deliveries
    /// (`delivered` or, after the last retry, `failed`).
    pub async fn callback_attempted(
        &self,
        id: &str,
        state: &str,
        next_at: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE docsmith_jobs SET callback_state = $1, callback_next_at = $2, \
             callback_attempts = callback_attempts + 1, callback_error = $3 WHERE id = $4";
        each!(self, pool => sqlx::query(SQL).bind(state).bind(next_at).bind(error).bind(id).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Closes the connections.
    pub async fn close(&self) {
        each!(self, pool => pool.close().await);
    }
}

#[derive(sqlx::FromRow)]
struct KeyedRow {
    #[sqlx(flatten)]
    row: JobRow,
    input_digest: String,
}

async fn record_migration<'c, E>(executor: E, migration: &Migration) -> Result<(), sqlx::Error>
where
    E: sqlx::Executor<'c>,
    for<'q> i64: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
    for<'q> &'q str: sqlx::Encode<'q, E::Database> + sqlx::Type<E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments: sqlx::IntoArguments<E::Database>,
{
    sqlx::query("INSERT INTO docsmith_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(migration.version)
        .bind(migration.name)
        .bind(super::time::now_ms())
        .execute(executor)
        .await?;
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
