package shop;

class OrderRepository {
    String q = "SELECT id FROM orders";
}
