-- What the orchestrator tells the worker about a job beyond its prompt (the issue's git route):
-- a JSON object of strings, given to the workspace hooks as BATON_* environment variables.
ALTER TABLE jobs ADD COLUMN context TEXT;
