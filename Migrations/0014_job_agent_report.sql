-- What the agent itself said when its job ended: the model it actually used (which the cost
-- ledger and the price table key on when the job named none, or an alias), and a JSON object of
-- what it did (commands run, files changed, its final message, every kind of token, permission
-- denials, API retries). Both are written once, by the completion that ends the job.
ALTER TABLE jobs ADD COLUMN model_used TEXT;
ALTER TABLE jobs ADD COLUMN report TEXT;
