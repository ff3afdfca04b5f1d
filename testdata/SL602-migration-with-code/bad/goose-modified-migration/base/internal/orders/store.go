package orders

const listQuery = "SELECT id FROM orders ORDER BY created_at"
