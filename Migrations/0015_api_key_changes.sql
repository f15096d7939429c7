-- A counter that every change to the key set bumps, whoever makes it (the server, `baton keys`
-- in another process, or a hand edit), so a running server notices a key made or revoked
-- elsewhere by reading one row at most once a second, and re-reads the keys only when it moved.
-- `last_used_at` is not a change of the key set: the triggers name the columns that are.
CREATE TABLE api_key_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
);
INSERT INTO api_key_changes (id, counter) VALUES (1, 0);

CREATE TRIGGER api_keys_changed_on_insert AFTER INSERT ON api_keys
BEGIN
    UPDATE api_key_changes SET counter = counter + 1 WHERE id = 1;
END;

CREATE TRIGGER api_keys_changed_on_update AFTER UPDATE OF id, name, role, tenant, hash, revoked_at ON api_keys
BEGIN
    UPDATE api_key_changes SET counter = counter + 1 WHERE id = 1;
END;

CREATE TRIGGER api_keys_changed_on_delete AFTER DELETE ON api_keys
BEGIN
    UPDATE api_key_changes SET counter = counter + 1 WHERE id = 1;
END;
