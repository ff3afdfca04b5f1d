from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0030_order_note"),
        ("shop", "0030_product_slug"),
    ]

    operations = []
