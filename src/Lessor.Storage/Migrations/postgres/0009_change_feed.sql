-- The change feed (issue 15, docs/change-feed.md): one row per store revision, written in the same transaction as
-- the write that moved store_state.revision, naming what changed so that another server applies just that instead of
-- rebuilding its book. kind: contracts | delivery | invoices | import. contract_ids / delivery_ids: the ids written,
-- one per line ('' when none). Old rows are deleted as writes go on (the last LessorStore.ChangeFeedKeep are kept);
-- a server older than the oldest row rebuilds. Additive: a server one release older never reads it.
CREATE TABLE store_changes (
    revision BIGINT PRIMARY KEY,
    kind TEXT NOT NULL,
    contract_ids TEXT NOT NULL,
    delivery_ids TEXT NOT NULL
);
