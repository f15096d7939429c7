-- A worker's workspace inventory (the names it keeps, and each one's path, size and last use) in
-- a row of its own. At 1,500 workspaces it is about 100 KB, and kept in `workers` it was copied
-- and compared page by page by every change to the worker's row: each finished job's counter and
-- each heartbeat. Written only when the inventory changes (SPEC §6.7).
CREATE TABLE worker_inventories (
    tenant TEXT NOT NULL,
    instance TEXT NOT NULL,
    workspaces TEXT NOT NULL DEFAULT '[]',       -- JSON array of names
    workspace_usage TEXT NOT NULL DEFAULT '{}',  -- JSON object: name -> {path, bytes, last_used}
    PRIMARY KEY (tenant, instance),
    FOREIGN KEY (tenant, instance) REFERENCES workers (tenant, instance)
);
INSERT INTO worker_inventories (tenant, instance, workspaces, workspace_usage)
    SELECT tenant, instance, workspaces, workspace_usage FROM workers;
ALTER TABLE workers DROP COLUMN workspaces;
ALTER TABLE workers DROP COLUMN workspace_usage;
