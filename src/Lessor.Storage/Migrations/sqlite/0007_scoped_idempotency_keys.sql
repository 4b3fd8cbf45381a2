-- Idempotency keys answer only to the caller that sent them (issue 11): a key is unique per scope (the API key that
-- sent it, and a tenant's customer; `cli` for the command line), not store-wide, and keeps a SHA-256 of the request
-- it first came with, so a reuse with another request is refused instead of replayed. Keys stored before this version
-- get scope '' and digest '', which no caller has: they answer to nobody. A client retrying across the upgrade makes
-- a new request (a contract id it chose still refuses a second sign).

-- SQLite cannot change a primary key in place: the signs' key table is rebuilt (nothing references it).
CREATE TABLE idempotency_keys_scoped (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    contract_id TEXT NOT NULL,
    created_revision INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
INSERT INTO idempotency_keys_scoped (scope, key, request_sha256, contract_id, created_revision)
    SELECT '', key, '', contract_id, created_revision FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_scoped RENAME TO idempotency_keys;

-- Claims' keys get a table of their own: node_claims' store-wide UNIQUE on idempotency_key cannot be dropped without
-- rebuilding the table claimed_nodes references. That column is no longer written (new claims leave it null).
CREATE TABLE claim_idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    claim_id TEXT NOT NULL REFERENCES node_claims (id),
    PRIMARY KEY (scope, key)
);
CREATE INDEX claim_idempotency_keys_claim ON claim_idempotency_keys (claim_id);
INSERT INTO claim_idempotency_keys (scope, key, request_sha256, claim_id)
    SELECT '', idempotency_key, '', id FROM node_claims WHERE idempotency_key IS NOT NULL;
