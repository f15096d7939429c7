-- Linear agent sessions (SPEC §9.15): a session Linear opened for Baton's app user, linked to
-- the issue it is about, and the activities Baton owes it. Each activity is a row before it is
-- sent, with the id Baton chose (Linear's create input takes it), so a send that is retried,
-- after a 429, a 500 or a restart, can be checked for and never creates it twice.
CREATE TABLE agent_sessions (
    tenant TEXT NOT NULL,
    session_id TEXT NOT NULL,
    issue TEXT,
    issue_tracker_id TEXT,
    status TEXT NOT NULL CHECK (status = 'active' OR status = 'stopped' OR status = 'ended'),
    creator TEXT,
    prompt_context TEXT,
    comment TEXT,
    guidance TEXT NOT NULL DEFAULT '[]',
    previous_comments TEXT NOT NULL DEFAULT '[]',
    last_prompt TEXT,
    external_url_state TEXT NOT NULL DEFAULT 'pending'
        CHECK (external_url_state = 'pending' OR external_url_state = 'set' OR external_url_state = 'none'),
    -- Linear's app user the session belongs to, and whether Baton has moved the issue to its
    -- team's first started state and made itself the delegate (once per session).
    app_user_id TEXT,
    start_state TEXT NOT NULL DEFAULT 'pending'
        CHECK (start_state = 'pending' OR start_state = 'done' OR start_state = 'failed' OR start_state = 'none'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, session_id)
);
CREATE INDEX agent_sessions_by_issue ON agent_sessions (tenant, issue);

CREATE TABLE agent_activities (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL CHECK (type = 'thought' OR type = 'action' OR type = 'elicitation' OR type = 'response'
        OR type = 'error'),
    content TEXT NOT NULL,
    ephemeral INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state = 'pending' OR state = 'delivered' OR state = 'coalesced' OR state = 'failed'),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at_ms INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (tenant, session_id, seq),
    FOREIGN KEY (tenant, session_id) REFERENCES agent_sessions (tenant, session_id)
);
CREATE INDEX agent_activities_pending ON agent_activities (session_id, seq) WHERE state = 'pending';

-- The session an attempt works for, if any.
ALTER TABLE attempts ADD COLUMN agent_session TEXT;
