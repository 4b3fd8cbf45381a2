-- Fleet operations (issue 14, docs/fleet.md): SLA terms beyond target/credit/cap, nodes and their lifecycle, the
-- transitions and swaps with their evidence, outages (GPU-time lost by a line), maintenance windows, burn-in gate
-- results and the SLA months whose credits were written. Additive: an older server still reads its tables.

-- SLA terms beyond target, credit and cap, for the contracts that have them (the defaults need no row).
CREATE TABLE contract_sla_terms (
    contract_id text PRIMARY KEY REFERENCES contracts (id),
    tiers text,
    degraded text NOT NULL,
    maintenance_notice_days integer NOT NULL
);

-- One row per node; state, high-water sequence and readings count move with every applied batch (one transaction).
CREATE TABLE fleet_nodes (
    serial text PRIMARY KEY,
    fabric_id text NOT NULL,
    unit integer NOT NULL,
    tray integer NOT NULL,
    gpus integer NOT NULL CHECK (gpus > 0),
    rack_scale integer NOT NULL,
    delivery_id text NOT NULL,
    state text NOT NULL,
    since timestamptz NOT NULL,
    last_seq bigint NOT NULL,
    applied bigint NOT NULL,
    role text NOT NULL,
    contract_id text,
    line_id text,
    UNIQUE (fabric_id, unit, tray),
    CHECK ((role = 'Serving') = (contract_id IS NOT NULL))
);
CREATE INDEX fleet_nodes_state ON fleet_nodes (state);

-- Every change of a node's state, with its instant and cause (the rule that fired, or the operator's action).
CREATE TABLE fleet_transitions (
    id bigint PRIMARY KEY,
    serial text NOT NULL REFERENCES fleet_nodes (serial),
    from_state text NOT NULL,
    to_state text NOT NULL,
    at timestamptz NOT NULL,
    cause text NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX fleet_transitions_serial ON fleet_transitions (serial, id);

-- Swap decisions: a spare took a failed node's place on a line, or none was left (spare NULL: the line is short).
CREATE TABLE fleet_swaps (
    id bigint PRIMARY KEY,
    contract_id text NOT NULL,
    line_id text NOT NULL,
    failed text NOT NULL REFERENCES fleet_nodes (serial),
    spare text REFERENCES fleet_nodes (serial),
    at timestamptz NOT NULL,
    cause text NOT NULL,
    decided_at timestamptz NOT NULL
);

-- GPU-time a line lost to one node (down, or degraded); ended_at NULL while it lasts. The SLA's evidence.
CREATE TABLE fleet_outages (
    id bigint PRIMARY KEY,
    contract_id text NOT NULL,
    line_id text NOT NULL,
    serial text NOT NULL REFERENCES fleet_nodes (serial),
    gpus integer NOT NULL,
    degraded integer NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz,
    cause text NOT NULL
);
CREATE INDEX fleet_outages_contract ON fleet_outages (contract_id, started_at);

-- Planned maintenance on a fabric's nodes (nodes: serials separated by commas; NULL: the whole fabric).
CREATE TABLE fleet_maintenance (
    id text PRIMARY KEY,
    fabric_id text NOT NULL,
    nodes text,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    announced_at timestamptz NOT NULL,
    reason text NOT NULL
);

-- The burn-in gate's result per delivery: a delivery counts as accepted supply only once it passed.
CREATE TABLE fleet_burn_in (
    delivery_id text PRIMARY KEY,
    passed integer NOT NULL,
    at timestamptz NOT NULL,
    evidence text NOT NULL
);

-- One row per (contract, month) whose SLA credit run happened: written once, so a rerun writes nothing twice.
CREATE TABLE sla_months (
    contract_id text NOT NULL,
    month text NOT NULL,
    availability numeric NOT NULL,
    committed_gpu_minutes numeric NOT NULL,
    down_gpu_minutes numeric NOT NULL,
    credit_id text REFERENCES credits (id),
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (contract_id, month)
);

-- The evidence behind each SLA month: which nodes, which minutes, what caused them.
CREATE TABLE sla_evidence (
    contract_id text NOT NULL,
    month text NOT NULL,
    ordinal integer NOT NULL,
    serial text NOT NULL,
    line_id text,
    gpus integer NOT NULL,
    minutes numeric NOT NULL,
    degraded integer NOT NULL,
    counted_down integer NOT NULL,
    cause text NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    PRIMARY KEY (contract_id, month, ordinal)
);
