-- What each worker says of its workspaces beyond their names: path, bytes on disk and when each
-- was last used, as a JSON object by name.
ALTER TABLE workers ADD COLUMN workspace_usage TEXT NOT NULL DEFAULT '{}';
