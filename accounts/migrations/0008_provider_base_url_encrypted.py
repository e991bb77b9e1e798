import letta_project.encryption
from django.db import migrations


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
        letta_project.encryption.encrypting("accounts", "Provider", "base_url"),
    ]
