package users

const selectUser = `SELECT id, email FROM users WHERE id = $1`
