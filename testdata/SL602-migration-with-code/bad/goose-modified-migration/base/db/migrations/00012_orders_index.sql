-- +goose Up
CREATE INDEX orders_created_at_idx ON orders (created_at);

-- +goose Down
DROP INDEX orders_created_at_idx;
