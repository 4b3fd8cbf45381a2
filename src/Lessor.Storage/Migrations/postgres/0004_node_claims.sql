-- On-demand node claims: a claim holds whole nodes from created_at until released_at (null while held).
-- The idempotency key makes a retried claim return the claim it made the first time.
CREATE TABLE node_claims (
    id text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    platform_id text NOT NULL,
    scope text NOT NULL,
    node_count integer NOT NULL CHECK (node_count > 0),
    idempotency_key text UNIQUE,
    created_at timestamptz NOT NULL,
    released_at timestamptz
);
CREATE INDEX node_claims_customer ON node_claims (customer_id);

-- One row per node held now (a release deletes them). The primary key is what makes a node impossible to hold
-- twice, whichever process or desk writes: a second insert of the same node fails the whole transaction.
CREATE TABLE claimed_nodes (
    fabric_id text NOT NULL,
    unit integer NOT NULL,
    tray integer NOT NULL,
    claim_id text NOT NULL REFERENCES node_claims (id),
    PRIMARY KEY (fabric_id, unit, tray)
);
CREATE INDEX claimed_nodes_claim ON claimed_nodes (claim_id);

-- Bumped by every claim write, apart from store_state.revision: claims are frequent, and the deal desk
-- should not rebuild its ledger because a node was claimed.
CREATE TABLE claim_state (
    id integer PRIMARY KEY CHECK (id = 1),
    revision bigint NOT NULL
);
INSERT INTO claim_state (id, revision) VALUES (1, 0);
