-- Jobs, workers, the per-tenant killswitch and the cost ledger. The dispatcher keeps a cache of
-- the live part (pending queue, leases, online workers) in memory and rebuilds it from here.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'assigned', 'running', 'completed', 'failed', 'cancelled')),
    prompt TEXT NOT NULL,
    input TEXT,
    provider TEXT NOT NULL,
    model TEXT,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high')),
    tier TEXT NOT NULL CHECK (tier IN ('low', 'medium', 'high')),
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
CREATE INDEX jobs_by_tenant ON jobs (tenant, id);
CREATE INDEX jobs_by_status ON jobs (tenant, status, id);
CREATE INDEX jobs_by_provider ON jobs (tenant, provider, id);
CREATE INDEX jobs_live ON jobs (status) WHERE status IN ('pending', 'assigned', 'running');

-- Steering messages for a running job, handed to its worker once in an events answer.
CREATE TABLE job_steers (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    message TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX job_steers_pending ON job_steers (job_id) WHERE delivered_at IS NULL;

CREATE TABLE workers (
    tenant TEXT NOT NULL,
    instance TEXT NOT NULL,
    status TEXT NOT NULL,
    tags TEXT NOT NULL,            -- JSON array
    provider TEXT NOT NULL,
    providers TEXT NOT NULL,       -- JSON array
    capacity INTEGER NOT NULL,
    load INTEGER NOT NULL,
    models TEXT NOT NULL,          -- JSON array of {name, score, fit}
    node_url TEXT,
    version TEXT,
    paused INTEGER NOT NULL DEFAULT 0,
    first_seen_at TEXT NOT NULL,
    last_heartbeat_ms INTEGER NOT NULL,
    jobs_completed INTEGER NOT NULL DEFAULT 0,
    jobs_failed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, instance)
);

-- Commands for a worker (cancel a job, remove a workspace), handed out once in a presence answer.
CREATE TABLE worker_commands (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    instance TEXT NOT NULL,
    command TEXT NOT NULL,         -- JSON object
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX worker_commands_pending ON worker_commands (tenant, instance) WHERE delivered_at IS NULL;

CREATE TABLE killswitch (
    tenant TEXT PRIMARY KEY,
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 4),
    reason TEXT NOT NULL,
    set_at TEXT NOT NULL,
    set_by TEXT NOT NULL
);

CREATE TABLE cost_ledger (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    attempt INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    tokens_input INTEGER NOT NULL,
    tokens_output INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('runner', 'pricing', 'unpriced')),
    at TEXT NOT NULL,
    UNIQUE (job_id, attempt)
);
CREATE INDEX cost_ledger_by_time ON cost_ledger (tenant, at);
