/* Replaces the plan to DROP TABLE legacy_audit; see the RFC.
   ALTER TABLE users DROP COLUMN email would break v1 clients. */
-- ALTER TABLE users RENAME COLUMN name TO full_name;
INSERT INTO audit_log (note) VALUES ('DROP TABLE users; -- not really');
CREATE OR REPLACE FUNCTION audit_note() RETURNS text AS $$
BEGIN
  RETURN 'ALTER TABLE orders DROP COLUMN total';
END;
$$ LANGUAGE plpgsql;
ALTER TABLE orders DROP CONSTRAINT orders_total_check;
ALTER TABLE orders ALTER COLUMN note DROP NOT NULL;
ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;
DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;
