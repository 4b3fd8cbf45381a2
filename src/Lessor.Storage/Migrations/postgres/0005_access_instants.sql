-- 0003 created the instants of api_keys and audit_log as text, and the audit status as bigint: the store reads every
-- instant as timestamptz (as in every other table) and the status as an integer, so reading keys or the log failed.
-- Text written by 0003 is PostgreSQL's own rendering of a timestamptz, so it converts back exactly.
ALTER TABLE api_keys ALTER COLUMN created_at TYPE timestamptz USING created_at::timestamptz;
ALTER TABLE api_keys ALTER COLUMN revoked_at TYPE timestamptz USING revoked_at::timestamptz;
ALTER TABLE audit_log ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
ALTER TABLE audit_log ALTER COLUMN status TYPE integer;
