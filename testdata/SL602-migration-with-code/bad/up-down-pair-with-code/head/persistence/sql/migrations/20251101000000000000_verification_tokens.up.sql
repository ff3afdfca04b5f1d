CREATE TABLE identity_verification_tokens (id UUID PRIMARY KEY, token TEXT NOT NULL);
