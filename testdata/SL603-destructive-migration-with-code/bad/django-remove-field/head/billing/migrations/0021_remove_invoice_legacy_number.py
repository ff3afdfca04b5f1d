from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("billing", "0020_invoice_number_index")]

    operations = [
        migrations.RemoveField(
            model_name="invoice",
            name="legacy_number",
        ),
    ]
