-- A job whose agent stopped to ask a person (SPEC §6.10): a completion status of the worker
-- protocol, kept as data beside the job's `failed` status, so the orchestrator blocks the issue
-- on the flag, not on the wording of an error.
ALTER TABLE jobs ADD COLUMN needs_input INTEGER NOT NULL DEFAULT 0;
