-- Fleet operations (issue 14, docs/fleet.md): SLA terms beyond target/credit/cap, nodes and their lifecycle, the
-- transitions and swaps with their evidence, outages (GPU-time lost by a line), maintenance windows, burn-in gate
-- results and the SLA months whose credits were written. Additive: an older server still reads its tables.

-- SLA terms beyond target, credit and cap, for the contracts that have them (the defaults need no row).
CREATE TABLE contract_sla_terms (
    contract_id TEXT PRIMARY KEY REFERENCES contracts (id),
    tiers TEXT,
    degraded TEXT NOT NULL,
    maintenance_notice_days INTEGER NOT NULL
);

-- One row per node; state, high-water sequence and readings count move with every applied batch (one transaction).
CREATE TABLE fleet_nodes (
    serial TEXT PRIMARY KEY,
    fabric_id TEXT NOT NULL,
    unit INTEGER NOT NULL,
    tray INTEGER NOT NULL,
    gpus INTEGER NOT NULL CHECK (gpus > 0),
    rack_scale INTEGER NOT NULL,
    delivery_id TEXT NOT NULL,
    state TEXT NOT NULL,
    since TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    applied INTEGER NOT NULL,
    role TEXT NOT NULL,
    contract_id TEXT,
    line_id TEXT,
    UNIQUE (fabric_id, unit, tray),
    CHECK ((role = 'Serving') = (contract_id IS NOT NULL))
);
CREATE INDEX fleet_nodes_state ON fleet_nodes (state);

-- Every change of a node's state, with its instant and cause (the rule that fired, or the operator's action).
CREATE TABLE fleet_transitions (
    id INTEGER PRIMARY KEY,
    serial TEXT NOT NULL REFERENCES fleet_nodes (serial),
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at TEXT NOT NULL,
    cause TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX fleet_transitions_serial ON fleet_transitions (serial, id);

-- Swap decisions: a spare took a failed node's place on a line, or none was left (spare NULL: the line is short).
CREATE TABLE fleet_swaps (
    id INTEGER PRIMARY KEY,
    contract_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    failed TEXT NOT NULL REFERENCES fleet_nodes (serial),
    spare TEXT REFERENCES fleet_nodes (serial),
    at TEXT NOT NULL,
    cause TEXT NOT NULL,
    decided_at TEXT NOT NULL
);

-- GPU-time a line lost to one node (down, or degraded); ended_at NULL while it lasts. The SLA's evidence.
CREATE TABLE fleet_outages (
    id INTEGER PRIMARY KEY,
    contract_id TEXT NOT NULL,
    line_id TEXT NOT NULL,
    serial TEXT NOT NULL REFERENCES fleet_nodes (serial),
    gpus INTEGER NOT NULL,
    degraded INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    cause TEXT NOT NULL
);
CREATE INDEX fleet_outages_contract ON fleet_outages (contract_id, started_at);

-- Planned maintenance on a fabric's nodes (nodes: serials separated by commas; NULL: the whole fabric).
CREATE TABLE fleet_maintenance (
    id TEXT PRIMARY KEY,
    fabric_id TEXT NOT NULL,
    nodes TEXT,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    announced_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

-- The burn-in gate's result per delivery: a delivery counts as accepted supply only once it passed.
CREATE TABLE fleet_burn_in (
    delivery_id TEXT PRIMARY KEY,
    passed INTEGER NOT NULL,
    at TEXT NOT NULL,
    evidence TEXT NOT NULL
);

-- One row per (contract, month) whose SLA credit run happened: written once, so a rerun writes nothing twice.
CREATE TABLE sla_months (
    contract_id TEXT NOT NULL,
    month TEXT NOT NULL,
    availability TEXT NOT NULL,
    committed_gpu_minutes TEXT NOT NULL,
    down_gpu_minutes TEXT NOT NULL,
    credit_id TEXT REFERENCES credits (id),
    computed_at TEXT NOT NULL,
    PRIMARY KEY (contract_id, month)
);

-- The evidence behind each SLA month: which nodes, which minutes, what caused them.
CREATE TABLE sla_evidence (
    contract_id TEXT NOT NULL,
    month TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    serial TEXT NOT NULL,
    line_id TEXT,
    gpus INTEGER NOT NULL,
    minutes TEXT NOT NULL,
    degraded INTEGER NOT NULL,
    counted_down INTEGER NOT NULL,
    cause TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    PRIMARY KEY (contract_id, month, ordinal)
);
