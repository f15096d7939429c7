-- The event log behind GET /api/v1/events: ids only grow, so SSE clients can resume with Last-Event-ID.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    tenant TEXT,
    issue TEXT,
    at TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_type ON events(type);
