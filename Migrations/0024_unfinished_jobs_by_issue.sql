-- An issue's unfinished jobs by (tenant, issue): the orchestrator's tick asks whether an issue
-- still has one before sending its workspace removal, and retention before forgetting a released
-- issue; without this index both walked every job of the tenant (jobs_by_provider's tenant
-- prefix), a few milliseconds a question at 10,000 jobs and a second per retention batch, all on
-- the writer. Only issues' jobs that are not finished are in it, so an ad-hoc job never touches
-- it and an issue's job enters once and leaves when it finishes.
CREATE INDEX jobs_unfinished_by_issue ON jobs (tenant, issue) WHERE finished_at IS NULL AND issue IS NOT NULL;
