-- Browser sessions of the dashboard (SPEC §2.12): an API key pasted once is exchanged for a
-- session cookie. Only the SHA-256 of the cookie's token is kept; the CSRF token is not a
-- credential on its own (a change needs it and the cookie). A session lasts no longer than its
-- expiry and no longer than its key: every request checks the key is still active.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX sessions_by_key ON sessions (key_id);
