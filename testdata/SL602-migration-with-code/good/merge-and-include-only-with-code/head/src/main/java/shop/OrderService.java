package shop;

class OrderService {}
