-- How many requests an audit entry stands for: 1 for an entry of its own, more when anonymous
-- or refused requests from one source were coalesced into one entry per interval (SPEC §2.9).
-- The entry's hash covers the count whenever it is not 1, so every entry written before this
-- column existed still hashes (and verifies) exactly as it did.
ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
