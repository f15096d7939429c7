-- Issues Baton tracks (from Linear, webhooks or the API), their attempts, every transition, the
-- webhook deliveries (stored before they are answered), and prompt templates.
CREATE TABLE issues (
    tenant TEXT NOT NULL,
    identifier TEXT NOT NULL,          -- Linear's identifier, e.g. ENG-123
    tracker_id TEXT,                   -- Linear's id (a UUID) when known
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    tracker_state TEXT NOT NULL DEFAULT '',  -- the workflow state's name in the tracker
    priority INTEGER NOT NULL DEFAULT 0,     -- Linear: 0 none, 1 urgent … 4 low
    labels TEXT NOT NULL DEFAULT '[]',       -- JSON array of names
    url TEXT,
    tracker_created_at TEXT,
    state TEXT NOT NULL CHECK (state = 'queued' OR state = 'running' OR state = 'completed'
        OR state = 'retrying' OR state = 'failed' OR state = 'blocked' OR state = 'aborted'
        OR state = 'released'),
    attempts INTEGER NOT NULL DEFAULT 0,   -- every attempt so far
    cycle_attempts INTEGER NOT NULL DEFAULT 0,  -- since it was last queued from outside (agent.max_attempts)
    model_override TEXT,
    template_override TEXT,
    retry_at_ms INTEGER,               -- when a retrying issue is queued again
    last_error TEXT,
    workspace_cleanup TEXT,            -- the worker told to remove the workspace once its job has ended
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, identifier)
);
CREATE INDEX issues_by_state ON issues (tenant, state);
CREATE INDEX issues_workspace_cleanup ON issues (tenant) WHERE workspace_cleanup IS NOT NULL;

CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    issue TEXT NOT NULL,
    number INTEGER NOT NULL,
    job_id INTEGER REFERENCES jobs (id),
    status TEXT NOT NULL CHECK (status = 'running' OR status = 'completed' OR status = 'failed'
        OR status = 'blocked' OR status = 'aborted' OR status = 'released' OR status = 'stalled'),
    provider TEXT NOT NULL,
    model TEXT,
    template TEXT NOT NULL,
    prompt TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    error TEXT,
    FOREIGN KEY (tenant, issue) REFERENCES issues (tenant, identifier)
);
CREATE INDEX attempts_by_issue ON attempts (tenant, issue, number);
CREATE INDEX attempts_by_job ON attempts (job_id);
-- What each tick reconciles: only the running attempts.
CREATE INDEX attempts_running ON attempts (tenant, job_id) WHERE status = 'running';

CREATE TABLE issue_transitions (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    issue TEXT NOT NULL,
    from_state TEXT,                   -- NULL when the issue first arrives
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX issue_transitions_by_issue ON issue_transitions (tenant, issue, id);

CREATE TABLE webhook_deliveries (
    delivery_id TEXT PRIMARY KEY,      -- Linear-Delivery
    tenant TEXT NOT NULL,
    received_at TEXT NOT NULL,
    type TEXT NOT NULL,
    action TEXT NOT NULL,
    body TEXT NOT NULL,
    processed_at TEXT,
    outcome TEXT
);
CREATE INDEX webhook_deliveries_unprocessed ON webhook_deliveries (received_at) WHERE processed_at IS NULL;

CREATE TABLE templates (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, id)
);
INSERT INTO templates (tenant, id, body, description, created_at, updated_at) VALUES ('default', 'default',
'You are working on {{ issue.identifier }}: {{ issue.title }}
{%- if issue.url %} ({{ issue.url }}){% endif %}
{% if issue.description != "" %}
{{ issue.description }}
{% endif %}
{%- if issue.labels.size > 0 %}
Labels: {{ issue.labels | join: ", " }}
{%- endif %}
{%- if attempt.number > 1 %}

This is attempt {{ attempt.number }}. The previous attempt ended with: {{ attempt.previous_error | default: "no error recorded" }}
{%- endif %}
{%- for message in steer %}
Operator guidance: {{ message }}
{%- endfor %}

Work in the current directory. When you are done, summarise what you changed.',
'The template Baton uses unless an issue or agent.template names another.',
strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
