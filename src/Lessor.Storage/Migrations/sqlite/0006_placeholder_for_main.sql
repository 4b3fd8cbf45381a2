-- PLACEHOLDER, branch i11api only: main is adding its own 0006 (another column's ALTER TABLE) at the same time, and
-- versions must run without gaps, so this empty step lets 0007 apply on this branch alone. Delete this file when
-- merging after main's 0006; the migrator refuses two version-6 scripts, so it cannot be forgotten silently.
SELECT 1;
