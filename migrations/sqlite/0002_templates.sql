-- Stored templates: every version ever uploaded, per API key.
CREATE TABLE docsmith_templates (
    -- The API key that stored it ('' without keys): only it sees it.
    owner       TEXT NOT NULL,
    name        TEXT NOT NULL,
    -- 1, 2, … per (owner, name); never reused, even after a delete.
    version     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    description TEXT NOT NULL,
    -- JSON data it renders with as is, if given.
    sample_data TEXT,
    -- Milliseconds since the Unix epoch.
    created_at  INTEGER NOT NULL,
    -- Set on every version by DELETE: the template is gone for jobs and
    -- lists, its numbers stay taken.
    deleted_at  INTEGER,
    PRIMARY KEY (owner, name, version)
);
-- The versions of stored templates an async job renders with (JSON object
-- name → version), fixed when it is submitted so that a run, or a re-run
-- after a worker died, renders what was asked for then.
ALTER TABLE docsmith_jobs ADD COLUMN template_pins TEXT;
