-- SHA-256 of each Linear delivery's signed body (hex). A replayed body under a new
-- `Linear-Delivery` id (a retrying proxy, or an attacker who captured one) is a duplicate and is
-- applied once (SPEC §10). NULL for deliveries stored before this column existed: they are older
-- than any replay window.
ALTER TABLE webhook_deliveries ADD COLUMN body_hash TEXT;
CREATE UNIQUE INDEX webhook_deliveries_body_hash ON webhook_deliveries (body_hash);
