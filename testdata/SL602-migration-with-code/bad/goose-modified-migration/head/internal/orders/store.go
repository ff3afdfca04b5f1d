package orders

const listQuery = "SELECT id FROM orders WHERE customer_id = $1 ORDER BY created_at"
