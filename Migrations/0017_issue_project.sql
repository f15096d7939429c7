-- The Linear project an issue belongs to (its slug), so git routes with `project` can match
-- (SPEC §9.12). NULL when the tracker did not say.
ALTER TABLE issues ADD COLUMN project TEXT;
