-- Encrypted secrets: XChaCha20-Poly1305 per value, bound to (tenant, name) as additional data.
-- vault_check holds a known value sealed with the master key, so a wrong key is caught at start
-- rather than at the first use of a secret.
CREATE TABLE secrets (
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
);
CREATE TABLE vault_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    nonce BLOB NOT NULL,
    ciphertext BLOB NOT NULL
);
