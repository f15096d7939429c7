-- The live jobs (pending, assigned, running) are found at start through an index of unfinished
-- jobs instead of one on status: a job's status changes three or four times while it is live,
-- and each change rewrote its entry in the old partial index, but finished_at is set once, when
-- it ends (and cleared only by a requeue).
DROP INDEX IF EXISTS jobs_live;
CREATE INDEX jobs_unfinished ON jobs (id) WHERE finished_at IS NULL;
