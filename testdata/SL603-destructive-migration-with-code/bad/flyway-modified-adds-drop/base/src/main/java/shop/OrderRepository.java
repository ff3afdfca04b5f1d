package shop;

class OrderRepository {}
