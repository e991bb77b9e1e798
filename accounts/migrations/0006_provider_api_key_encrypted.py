import letta_project.encryption
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_api_key_tool_scope'),
    ]

    operations = [
        migrations.AlterField(
            model_name='provider',
            name='api_key',
            field=letta_project.encryption.EncryptedTextField(blank=True, default=''),
        ),
        letta_project.encryption.encrypting("accounts", "Provider", "api_key"),
    ]
