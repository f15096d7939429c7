-- baton: foreign-keys-off
-- Retention (SPEC §9.6): old rows may now be pruned.
--
-- The audit log stays append-only except behind a recorded anchor: `baton audit prune` first
-- records the id and hash of the last entry it removes, and the database refuses to delete any
-- entry after that id. `baton audit verify` starts from the anchor, so a pruned chain still
-- verifies, and the anchor itself only moves forward.
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_id INTEGER NOT NULL CHECK (last_id >= 1),
    last_hash TEXT NOT NULL,
    last_at TEXT NOT NULL,
    pruned_at TEXT NOT NULL,
    pruned_before TEXT NOT NULL
);
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor WHEN NEW.last_id < OLD.last_id
BEGIN SELECT RAISE(ABORT, 'the audit prune anchor only moves forward'); END;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN SELECT RAISE(ABORT, 'the audit prune anchor cannot be removed'); END;
DROP TRIGGER audit_no_delete;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
WHEN OLD.id > coalesce((SELECT last_id FROM audit_anchor WHERE id = 1), 0)
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only; only entries up to the prune anchor may be removed'); END;

-- The cost ledger is the record of spend (budgets, cost reports by day and month) and outlives
-- the job rows it came from, which retention removes after `retention.jobs_s`: the same table
-- without the reference to jobs, pruned on its own schedule (`retention.cost_ledger_s`).
CREATE TABLE cost_ledger_new (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    job_id INTEGER NOT NULL,
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

-- Removing a finished job removes its steering messages: found by job, not by a scan.
CREATE INDEX job_steers_by_job ON job_steers (job_id);
