-- Async jobs: one row per submitted job, from queued to expired.
CREATE TABLE docsmith_jobs (
    id                TEXT PRIMARY KEY,
    -- The API key that submitted it ('' without keys): only it sees the job.
    owner             TEXT NOT NULL,
    idempotency_key   TEXT,
    -- SHA-256 of the stored input, with an idempotency key (else empty):
    -- the key reused for another job is refused.
    input_digest      TEXT NOT NULL,
    state             TEXT NOT NULL,
    format            TEXT NOT NULL,
    filename          TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    -- The job as submitted ('json' or 'bundle', see src/queue/input.rs);
    -- dropped when the job ends.
    input_kind        TEXT NOT NULL,
    input             BYTEA,
    callback_url      TEXT,
    attempts          BIGINT NOT NULL DEFAULT 0,
    worker            TEXT,
    lease_until       BIGINT,
    progress_done     BIGINT,
    progress_total    BIGINT,
    -- The problem document (JSON) of a failed job.
    problem           TEXT,
    result_size       BIGINT,
    result_purged     BIGINT NOT NULL DEFAULT 0,
    -- Milliseconds since the Unix epoch.
    created_at        BIGINT NOT NULL,
    started_at        BIGINT,
    finished_at       BIGINT,
    expires_at        BIGINT,
    callback_state    TEXT,
    callback_attempts BIGINT NOT NULL DEFAULT 0,
    callback_next_at  BIGINT,
    callback_error    TEXT
);
CREATE UNIQUE INDEX docsmith_jobs_idempotency ON docsmith_jobs (owner, idempotency_key);
CREATE INDEX docsmith_jobs_queue ON docsmith_jobs (state, created_at);
CREATE INDEX docsmith_jobs_expiry ON docsmith_jobs (expires_at);
CREATE INDEX docsmith_jobs_callbacks ON docsmith_jobs (callback_state, callback_next_at);
