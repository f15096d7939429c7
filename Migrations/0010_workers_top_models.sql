-- The best-fitting models each worker's node reports (JSON array of {name, score, fit}); they
-- score the router's model-fit component and survive a restart with the rest of the report.
ALTER TABLE workers ADD COLUMN top_models TEXT NOT NULL DEFAULT '[]';
