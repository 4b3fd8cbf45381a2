-- Single-writer leases (docs/deploy.md, "The fleet lease"): one row per lease name ('fleet'). holder: the instance id
-- of the process that holds it (NULL before the first holder); epoch: the fencing token, one higher at every change of
-- holder; expires_at: the holder must renew before then, or anyone may take it; writes: fenced writes committed under
-- the lease (a cheap "the fleet moved" counter for replicas that do not hold it). Every fleet write checks, in its own
-- transaction, that this row still names its holder and epoch and has not expired. Additive: an older server never
-- reads it (but an older server writes the fleet unfenced: upgrade every replica before relying on the lease).
CREATE TABLE store_leases (
    name text PRIMARY KEY,
    holder text,
    holder_url text,
    epoch bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    changed_at timestamptz NOT NULL,
    writes bigint NOT NULL DEFAULT 0
);
