-- API keys: only a keyed BLAKE2b hash of each secret is stored; the id is the public part of
-- `bt_<id>_<secret>`. Keys are revoked, never deleted, so audit entries keep naming them.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'worker')),
    tenant TEXT NOT NULL,
    hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant);
