package orders

const q = "SELECT id FROM orders"
