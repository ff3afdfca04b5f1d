export const listOrders = "SELECT id, note FROM orders";
