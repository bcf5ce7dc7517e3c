-- The schedule workbook takes the region shown on the week (region_id) and carries each
-- canceled pour's reason: its function gets a region argument and a column, and a function's
-- arguments and columns can only change by dropping it (sql/functions/060_trust.sql makes it again).
DROP FUNCTION IF EXISTS app.export_schedule(date, date);
