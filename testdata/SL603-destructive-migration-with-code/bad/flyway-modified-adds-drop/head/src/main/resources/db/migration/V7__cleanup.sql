-- Cleanup of unused objects.
DROP INDEX IF EXISTS orders_legacy_idx;
ALTER TABLE orders
    DROP COLUMN legacy_ref;
