-- The audit log: append-only (triggers refuse changes) and hash-chained (each hash covers the
-- previous one and the entry's canonical content), so `baton audit verify` finds any edit made
-- around the triggers.
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    tenant TEXT,
    actor TEXT NOT NULL,
    actor_name TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    request_id TEXT,
    source TEXT,
    status INTEGER,
    diff TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_tenant_id ON audit(tenant, id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
