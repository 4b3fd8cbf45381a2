-- Estate and contract book. Conventions (PostgreSQL):
--   decimals (money, MW, kW, fractions) are numeric, exact at any scale;
--   money is an amount column plus a currency column;
--   instants are timestamptz (UTC, microseconds);
--   enums are their C# names; every top-level table keeps the scenario order in `ordinal`.

-- One row. Every write bumps `revision` first: that serializes writers and lets a reader
-- (the deal desk's in-memory ledger) tell whether the book moved since it last looked.
CREATE TABLE store_state (
    id integer PRIMARY KEY CHECK (id = 1),
    revision bigint NOT NULL
);
INSERT INTO store_state (id, revision) VALUES (1, 0);

-- Name and defaults of the scenario first imported; later imports add to the same book.
CREATE TABLE scenario_info (
    id integer PRIMARY KEY CHECK (id = 1),
    name text NOT NULL,
    description text,
    currency text NOT NULL
);

CREATE TABLE platforms (
    id text PRIMARY KEY,
    ordinal integer NOT NULL UNIQUE,
    name text NOT NULL,
    vendor text NOT NULL,
    gpus_per_unit integer NOT NULL,
    dies_per_gpu integer NOT NULL,
    scale_up_domain_gpus integer NOT NULL,
    unit_kw numeric NOT NULL,
    cooling text NOT NULL,
    capex_amount numeric NOT NULL, capex_currency text NOT NULL,
    on_demand_amount numeric NOT NULL, on_demand_currency text NOT NULL,
    reserved_amount numeric NOT NULL, reserved_currency text NOT NULL,
    spot_amount numeric NOT NULL, spot_currency text NOT NULL,
    lead_time_days integer NOT NULL,
    available_from timestamptz NOT NULL
);

CREATE TABLE platform_aliases (
    platform_id text NOT NULL REFERENCES platforms (id),
    ordinal integer NOT NULL,
    alias text NOT NULL,
    PRIMARY KEY (platform_id, ordinal)
);

CREATE TABLE regions (
    id text PRIMARY KEY,
    ordinal integer NOT NULL UNIQUE,
    name text NOT NULL
);

CREATE TABLE sites (
    id text PRIMARY KEY,
    ordinal integer NOT NULL UNIQUE,
    name text NOT NULL,
    region_id text NOT NULL REFERENCES regions (id)
);

CREATE TABLE site_cooling (
    site_id text NOT NULL REFERENCES sites (id),
    ordinal integer NOT NULL,
    cooling text NOT NULL,
    PRIMARY KEY (site_id, ordinal)
);

CREATE TABLE site_power_steps (
    site_id text NOT NULL REFERENCES sites (id),
    ordinal integer NOT NULL,
    from_at timestamptz NOT NULL,
    mw numeric NOT NULL,
    PRIMARY KEY (site_id, ordinal)
);

CREATE TABLE fabrics (
    id text PRIMARY KEY,
    ordinal integer NOT NULL UNIQUE,
    site_id text NOT NULL REFERENCES sites (id),
    platform_id text NOT NULL REFERENCES platforms (id),
    max_units integer NOT NULL
);
CREATE INDEX fabrics_site ON fabrics (site_id);

CREATE TABLE deliveries (
    id text PRIMARY KEY,
    ordinal integer NOT NULL UNIQUE,
    fabric_id text NOT NULL REFERENCES fabrics (id),
    units integer NOT NULL,
    status text NOT NULL,
    ordered_on timestamptz,
    acceptance_date timestamptz NOT NULL,
    original_acceptance_date timestamptz
);
CREATE INDEX deliveries_fabric ON deliveries (fabric_id);

CREATE TABLE customers (
    id text PRIMARY KEY,
    ordinal integer NOT NULL UNIQUE,
    name text NOT NULL
);

CREATE TABLE contracts (
    id text PRIMARY KEY,
    ordinal integer NOT NULL UNIQUE,
    customer_id text NOT NULL REFERENCES customers (id),
    signed_on timestamptz NOT NULL,
    currency text NOT NULL,
    kind text NOT NULL,
    title text,
    headline_amount numeric, headline_currency text,
    prepayment_amount numeric, prepayment_currency text,
    backstop_cap_amount numeric, backstop_cap_currency text,
    backstop_start timestamptz, backstop_end timestamptz,
    sla_availability_target numeric, sla_credit_fraction numeric, sla_credit_cap_fraction numeric,
    cancellation_fee_fraction numeric, cancellation_notice_days integer,
    cancelled_on timestamptz, cancellation_fee_amount numeric, cancellation_fee_currency text, cancellation_reason text
);
CREATE INDEX contracts_customer ON contracts (customer_id);

-- The current lines of a contract. Amendment snapshots keep the same columns in amendment_lines.
CREATE TABLE contract_lines (
    contract_id text NOT NULL REFERENCES contracts (id),
    line_id text NOT NULL,
    ordinal integer NOT NULL,
    platform_id text NOT NULL REFERENCES platforms (id),
    gpus integer NOT NULL,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    price_amount numeric NOT NULL, price_currency text NOT NULL,
    locality text NOT NULL,
    block_size integer,
    min_sites integer NOT NULL,
    option_exercise_by timestamptz,
    option_exercised_on timestamptz,
    option_exercised_under text,
    PRIMARY KEY (contract_id, line_id),
    UNIQUE (contract_id, ordinal)
);

CREATE TABLE line_blocks (
    contract_id text NOT NULL,
    line_id text NOT NULL,
    ordinal integer NOT NULL,
    fabric_id text NOT NULL REFERENCES fabrics (id),
    units integer NOT NULL,
    PRIMARY KEY (contract_id, line_id, ordinal),
    FOREIGN KEY (contract_id, line_id) REFERENCES contract_lines (contract_id, line_id)
);
CREATE INDEX line_blocks_fabric ON line_blocks (fabric_id);

CREATE TABLE amendments (
    contract_id text NOT NULL REFERENCES contracts (id),
    ordinal integer NOT NULL,
    sequence integer NOT NULL,
    effective_on timestamptz NOT NULL,
    kind text NOT NULL,
    line_id text,
    note text,
    PRIMARY KEY (contract_id, ordinal)
);

-- side: 'before' or 'after' the amendment.
CREATE TABLE amendment_lines (
    contract_id text NOT NULL,
    amendment_ordinal integer NOT NULL,
    side text NOT NULL CHECK (side IN ('before', 'after')),
    line_id text NOT NULL,
    platform_id text NOT NULL REFERENCES platforms (id),
    gpus integer NOT NULL,
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    price_amount numeric NOT NULL, price_currency text NOT NULL,
    locality text NOT NULL,
    block_size integer,
    min_sites integer NOT NULL,
    option_exercise_by timestamptz,
    option_exercised_on timestamptz,
    option_exercised_under text,
    PRIMARY KEY (contract_id, amendment_ordinal, side),
    FOREIGN KEY (contract_id, amendment_ordinal) REFERENCES amendments (contract_id, ordinal)
);

CREATE TABLE amendment_line_blocks (
    contract_id text NOT NULL,
    amendment_ordinal integer NOT NULL,
    side text NOT NULL,
    ordinal integer NOT NULL,
    fabric_id text NOT NULL REFERENCES fabrics (id),
    units integer NOT NULL,
    PRIMARY KEY (contract_id, amendment_ordinal, side, ordinal),
    FOREIGN KEY (contract_id, amendment_ordinal, side) REFERENCES amendment_lines (contract_id, amendment_ordinal, side)
);
