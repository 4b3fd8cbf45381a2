-- No foreign key to contracts: an amendment rewrites the contract's rows in place.
-- Idempotency keys of signs: a client that retries with the same key gets the contract it signed the first time.
CREATE TABLE idempotency_keys (
    key text PRIMARY KEY,
    contract_id text NOT NULL,
    created_revision bigint NOT NULL
);

-- Issued invoices are immutable documents: re-running a month returns them; corrections are credit notes later.
CREATE TABLE issued_invoices (
    number text PRIMARY KEY,
    month text NOT NULL,
    customer_id text NOT NULL REFERENCES customers (id),
    document text NOT NULL
);
CREATE INDEX issued_invoices_month ON issued_invoices (month);

-- Credits owed to customers (SLA, corrections), applied as their own lines on the invoice of their month.
CREATE TABLE credits (
    id text PRIMARY KEY,
    customer_id text NOT NULL REFERENCES customers (id),
    month text NOT NULL,
    amount numeric NOT NULL,
    currency text NOT NULL,
    reason text NOT NULL,
    contract_id text
);
CREATE INDEX credits_month ON credits (month);
