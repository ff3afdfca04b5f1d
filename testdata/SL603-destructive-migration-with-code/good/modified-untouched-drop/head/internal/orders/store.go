package orders

const q = "SELECT id FROM orders WHERE customer_id = $1"
