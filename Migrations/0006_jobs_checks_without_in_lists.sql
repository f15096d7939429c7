-- baton: foreign-keys-off
-- The jobs and cost_ledger tables of 0005 again, with every value check written as an OR chain.
-- SQLite evaluates `x IN ('a', 'b', 'c')` in a CHECK constraint or a partial-index condition by
-- building a temporary b-tree on every INSERT and UPDATE; on the dispatch path that was the
-- largest single cost of a job's writes. Same columns in the same order, same data.
-- (Foreign keys are off while the tables are rebuilt, as SQLite's ALTER TABLE guide says; the
-- migrator runs foreign_key_check before it commits.)
CREATE TABLE jobs_new (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    status TEXT NOT NULL CHECK (
        status = 'pending' OR status = 'assigned' OR status = 'running' OR status = 'completed'
        OR status = 'failed' OR status = 'cancelled'),
    prompt TEXT NOT NULL,
    input TEXT,
    provider TEXT NOT NULL,
    model TEXT,
    priority TEXT NOT NULL CHECK (priority = 'low' OR priority = 'normal' OR priority = 'high'),
    tier TEXT NOT NULL CHECK (tier = 'low' OR tier = 'medium' OR tier = 'high'),
    tags TEXT NOT NULL,            -- JSON array of strings
    worker TEXT,
    attempt INTEGER NOT NULL DEFAULT 1,
    issue TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    assigned_at TEXT,
    started_at TEXT,
    finished_at TEXT,
    result TEXT,
    error TEXT,
    progress TEXT,                 -- JSON of the last progress report
    tokens_input INTEGER NOT NULL DEFAULT 0,
    tokens_output INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL,
    routing TEXT,                  -- JSON explanation of the last routing decision
    lease_token TEXT,
    lease_expires_ms INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
INSERT INTO jobs_new SELECT * FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_by_tenant ON jobs (tenant, id);
CREATE INDEX jobs_by_status ON jobs (tenant, status, id);
CREATE INDEX jobs_by_provider ON jobs (tenant, provider, id);
CREATE INDEX jobs_live ON jobs (status) WHERE status = 'pending' OR status = 'assigned' OR status = 'running';

CREATE TABLE cost_ledger_new (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    attempt INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    tokens_input INTEGER NOT NULL,
    tokens_output INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    source TEXT NOT NULL CHECK (source = 'runner' OR source = 'pricing' OR source = 'unpriced'),
    at TEXT NOT NULL,
    UNIQUE (job_id, attempt)
);
INSERT INTO cost_ledger_new SELECT * FROM cost_ledger;
DROP TABLE cost_ledger;
ALTER TABLE cost_ledger_new RENAME TO cost_ledger;
CREATE INDEX cost_ledger_by_time ON cost_ledger (tenant, at);
