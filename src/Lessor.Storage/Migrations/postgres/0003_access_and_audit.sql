-- API keys: only a SHA-256 of the secret is kept; the key itself is shown once, when created.
CREATE TABLE api_keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    customer_id text REFERENCES customers (id),
    secret_sha256 text NOT NULL,
    created_at text NOT NULL,
    revoked_at text
);

-- Every write and every admin action: who (key and role), what (method, path, outcome), when, request id.
CREATE TABLE audit_log (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at text NOT NULL,
    key_id text,
    role text,
    method text NOT NULL,
    path text NOT NULL,
    status bigint NOT NULL,
    request_id text NOT NULL,
    detail text
);
