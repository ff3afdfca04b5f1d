def test_order_note(order):
    assert order.note == ""
