-- +goose Up
ALTER TABLE orders DROP COLUMN legacy_ref;
CREATE INDEX orders_customer_idx ON orders (customer_id);

-- +goose Down
ALTER TABLE orders ADD COLUMN legacy_ref text;
