package users

const selectUser = `SELECT id, email, legacy_email FROM users WHERE id = $1`
