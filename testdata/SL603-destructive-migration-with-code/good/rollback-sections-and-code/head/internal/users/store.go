package users

const selectUser = `SELECT id, nickname FROM users WHERE id = $1`
