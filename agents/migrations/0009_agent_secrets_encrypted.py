import letta_project.encryption
from django.db import migrations


def encrypt_existing(apps, schema_editor):
    # Values written before this migration read back as plain JSON; saving them again stores them encrypted.
    Agent = apps.get_model("agents", "Agent")
    for agent in Agent.objects.only("id", "secrets").iterator():
        if agent.secrets:
            Agent.objects.filter(pk=agent.pk).update(secrets=agent.secrets)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0008_step_timings_and_provider_traces"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agent",
            name="secrets",
            field=letta_project.encryption.EncryptedJSONField(blank=True, default=dict),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
