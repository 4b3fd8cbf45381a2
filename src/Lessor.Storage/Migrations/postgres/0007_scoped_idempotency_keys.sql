-- Idempotency keys answer only to the caller that sent them (issue 11): a key is unique per scope (the API key that
-- sent it, and a tenant's customer; `cli` for the command line), not store-wide, and keeps a SHA-256 of the request
-- it first came with, so a reuse with another request is refused instead of replayed. Keys stored before this version
-- get scope '' and digest '', which no caller has: they answer to nobody. A client retrying across the upgrade makes
-- a new request (a contract id it chose still refuses a second sign).
ALTER TABLE idempotency_keys ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD COLUMN request_sha256 text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ALTER COLUMN scope DROP DEFAULT;
ALTER TABLE idempotency_keys ALTER COLUMN request_sha256 DROP DEFAULT;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (scope, key);

-- Claims' keys get a table of their own, as on SQLite (which cannot drop node_claims' store-wide UNIQUE without
-- rebuilding the table): the same schema on both stores. node_claims.idempotency_key is no longer written.
CREATE TABLE claim_idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL,
    request_sha256 text NOT NULL,
    claim_id text NOT NULL REFERENCES node_claims (id),
    PRIMARY KEY (scope, key)
);
CREATE INDEX claim_idempotency_keys_claim ON claim_idempotency_keys (claim_id);
INSERT INTO claim_idempotency_keys (scope, key, request_sha256, claim_id)
    SELECT '', idempotency_key, '', id FROM node_claims WHERE idempotency_key IS NOT NULL;
