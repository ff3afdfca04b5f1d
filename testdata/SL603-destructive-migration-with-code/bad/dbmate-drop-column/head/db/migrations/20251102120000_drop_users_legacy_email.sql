-- migrate:up
ALTER TABLE users DROP COLUMN legacy_email;

-- migrate:down
ALTER TABLE users ADD COLUMN legacy_email text;
