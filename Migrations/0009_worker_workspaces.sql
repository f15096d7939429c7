-- The workspaces each worker reports keeping (their directory names), as a JSON array.
ALTER TABLE workers ADD COLUMN workspaces TEXT NOT NULL DEFAULT '[]';
