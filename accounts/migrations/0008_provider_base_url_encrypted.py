import letta_project.encryption
from django.db import migrations


def encrypt_base_urls(apps, schema_editor):
    """Re-save every provider's base URL: the field reads a plain value as it is and writes it encrypted."""
    Provider = apps.get_model("accounts", "Provider")
    for pk, base_url in Provider.objects.using(schema_editor.connection.alias).values_list("pk", "base_url"):
        Provider.objects.using(schema_editor.connection.alias).filter(pk=pk).update(base_url=base_url)


def decrypt_base_urls(apps, schema_editor):
    """Back to plain text, written past the field (which would encrypt it again)."""
    Provider = apps.get_model("accounts", "Provider")
    table = schema_editor.connection.ops.quote_name(Provider._meta.db_table)
    rows = list(Provider.objects.using(schema_editor.connection.alias).values_list("pk", "base_url"))
    with schema_editor.connection.cursor() as cursor:
        for pk, base_url in rows:
            cursor.execute(f"UPDATE {table} SET base_url = %s WHERE id = %s", [base_url, pk])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_provider_model_settings'),
    ]

    operations = [
        migrations.AlterField(
            model_name='provider',
            name='base_url',
            field=letta_project.encryption.EncryptedTextField(blank=True, default=''),
        ),
        migrations.RunPython(encrypt_base_urls, decrypt_base_urls),
    ]
