package selfservice

const insertToken = "INSERT INTO identity_verification_tokens (id, token) VALUES ($1, $2)"
