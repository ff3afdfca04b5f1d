-- Cleanup of unused objects.
DROP INDEX IF EXISTS orders_legacy_idx;
