import letta_project.encryption
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('agents', '0018_run_one_per_scheduled_occurrence'),
    ]

    operations = [
        migrations.AlterField(
            model_name='run',
            name='callback_url',
            field=letta_project.encryption.EncryptedTextField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='scheduledmessage',
            name='request',
            field=letta_project.encryption.EncryptedJSONField(default=dict),
        ),
        letta_project.encryption.encrypting("agents", "Run", "callback_url"),
        letta_project.encryption.encrypting("agents", "ScheduledMessage", "request"),
    ]
