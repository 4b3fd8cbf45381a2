-- No foreign key to contracts: an amendment rewrites the contract's rows in place.
-- Idempotency keys of signs: a client that retries with the same key gets the contract it signed the first time.
CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    contract_id TEXT NOT NULL,
    created_revision INTEGER NOT NULL
);

-- Issued invoices are immutable documents: re-running a month returns them; corrections are credit notes later.
CREATE TABLE issued_invoices (
    number TEXT PRIMARY KEY,
    month TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    document TEXT NOT NULL
);
CREATE INDEX issued_invoices_month ON issued_invoices (month);

-- Credits owed to customers (SLA, corrections), applied as their own lines on the invoice of their month.
CREATE TABLE credits (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    month TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    contract_id TEXT
);
CREATE INDEX credits_month ON credits (month);
