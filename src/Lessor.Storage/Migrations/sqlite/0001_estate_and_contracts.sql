-- Estate and contract book. Conventions (SQLite):
--   decimals (money, MW, kW, fractions) are TEXT in invariant culture, so no digit is lost to REAL;
--   money is an amount column plus a currency column;
--   instants are TEXT 'yyyy-MM-ddTHH:mm:ss.ffffffZ' (UTC, fixed width, so text order is time order);
--   enums are their C# names; every top-level table keeps the scenario order in `ordinal`.

-- One row. Every write bumps `revision` first: that serializes writers and lets a reader
-- (the deal desk's in-memory ledger) tell whether the book moved since it last looked.
CREATE TABLE store_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO store_state (id, revision) VALUES (1, 0);

-- Name and defaults of the scenario first imported; later imports add to the same book.
CREATE TABLE scenario_info (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    description TEXT,
    currency TEXT NOT NULL
);

CREATE TABLE platforms (
    id TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    vendor TEXT NOT NULL,
    gpus_per_unit INTEGER NOT NULL,
    dies_per_gpu INTEGER NOT NULL,
    scale_up_domain_gpus INTEGER NOT NULL,
    unit_kw TEXT NOT NULL,
    cooling TEXT NOT NULL,
    capex_amount TEXT NOT NULL, capex_currency TEXT NOT NULL,
    on_demand_amount TEXT NOT NULL, on_demand_currency TEXT NOT NULL,
    reserved_amount TEXT NOT NULL, reserved_currency TEXT NOT NULL,
    spot_amount TEXT NOT NULL, spot_currency TEXT NOT NULL,
    lead_time_days INTEGER NOT NULL,
    available_from TEXT NOT NULL
);

CREATE TABLE platform_aliases (
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    ordinal INTEGER NOT NULL,
    alias TEXT NOT NULL,
    PRIMARY KEY (platform_id, ordinal)
);

CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region_id TEXT NOT NULL REFERENCES regions (id)
);

CREATE TABLE site_cooling (
    site_id TEXT NOT NULL REFERENCES sites (id),
    ordinal INTEGER NOT NULL,
    cooling TEXT NOT NULL,
    PRIMARY KEY (site_id, ordinal)
);

CREATE TABLE site_power_steps (
    site_id TEXT NOT NULL REFERENCES sites (id),
    ordinal INTEGER NOT NULL,
    from_at TEXT NOT NULL,
    mw TEXT NOT NULL,
    PRIMARY KEY (site_id, ordinal)
);

CREATE TABLE fabrics (
    id TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    site_id TEXT NOT NULL REFERENCES sites (id),
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    max_units INTEGER NOT NULL
);
CREATE INDEX fabrics_site ON fabrics (site_id);

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    fabric_id TEXT NOT NULL REFERENCES fabrics (id),
    units INTEGER NOT NULL,
    status TEXT NOT NULL,
    ordered_on TEXT,
    acceptance_date TEXT NOT NULL,
    original_acceptance_date TEXT
);
CREATE INDEX deliveries_fabric ON deliveries (fabric_id);

CREATE TABLE customers (
    id TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE contracts (
    id TEXT PRIMARY KEY,
    ordinal INTEGER NOT NULL UNIQUE,
    customer_id TEXT NOT NULL REFERENCES customers (id),
    signed_on TEXT NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT,
    headline_amount TEXT, headline_currency TEXT,
    prepayment_amount TEXT, prepayment_currency TEXT,
    backstop_cap_amount TEXT, backstop_cap_currency TEXT,
    backstop_start TEXT, backstop_end TEXT,
    sla_availability_target TEXT, sla_credit_fraction TEXT, sla_credit_cap_fraction TEXT,
    cancellation_fee_fraction TEXT, cancellation_notice_days INTEGER,
    cancelled_on TEXT, cancellation_fee_amount TEXT, cancellation_fee_currency TEXT, cancellation_reason TEXT
);
CREATE INDEX contracts_customer ON contracts (customer_id);

-- The current lines of a contract. Amendment snapshots keep the same columns in amendment_lines.
CREATE TABLE contract_lines (
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    line_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    gpus INTEGER NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    price_amount TEXT NOT NULL, price_currency TEXT NOT NULL,
    locality TEXT NOT NULL,
    block_size INTEGER,
    min_sites INTEGER NOT NULL,
    option_exercise_by TEXT,
    option_exercised_on TEXT,
    option_exercised_under TEXT,
    PRIMARY KEY (contract_id, line_id),
    UNIQUE (contract_id, ordinal)
);

CREATE TABLE line_blocks (
    contract_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    fabric_id TEXT NOT NULL REFERENCES fabrics (id),
    units INTEGER NOT NULL,
    PRIMARY KEY (contract_id, line_id, ordinal),
    FOREIGN KEY (contract_id, line_id) REFERENCES contract_lines (contract_id, line_id)
);
CREATE INDEX line_blocks_fabric ON line_blocks (fabric_id);

CREATE TABLE amendments (
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    ordinal INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    effective_on TEXT NOT NULL,
    kind TEXT NOT NULL,
    line_id TEXT,
    note TEXT,
    PRIMARY KEY (contract_id, ordinal)
);

-- side: 'before' or 'after' the amendment.
CREATE TABLE amendment_lines (
    contract_id TEXT NOT NULL,
    amendment_ordinal INTEGER NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('before', 'after')),
    line_id TEXT NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    gpus INTEGER NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    price_amount TEXT NOT NULL, price_currency TEXT NOT NULL,
    locality TEXT NOT NULL,
    block_size INTEGER,
    min_sites INTEGER NOT NULL,
    option_exercise_by TEXT,
    option_exercised_on TEXT,
    option_exercised_under TEXT,
    PRIMARY KEY (contract_id, amendment_ordinal, side),
    FOREIGN KEY (contract_id, amendment_ordinal) REFERENCES amendments (contract_id, ordinal)
);

CREATE TABLE amendment_line_blocks (
    contract_id TEXT NOT NULL,
    amendment_ordinal INTEGER NOT NULL,
    side TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    fabric_id TEXT NOT NULL REFERENCES fabrics (id),
    units INTEGER NOT NULL,
    PRIMARY KEY (contract_id, amendment_ordinal, side, ordinal),
    FOREIGN KEY (contract_id, amendment_ordinal, side) REFERENCES amendment_lines (contract_id, amendment_ordinal, side)
);
