-- The book's uncertainty model (issue 16: risk), as the scenario file's `uncertainty:` section in JSON, so an export
-- gives it back and the server's risk runs read it. NULL = none. The latest import that carries one replaces it.
-- Additive, so a server one release older still reads and writes the table.
ALTER TABLE scenario_info ADD COLUMN uncertainty TEXT;
