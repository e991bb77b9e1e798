import json

import letta_project.encryption
from django.db import migrations


def encrypt_callback_urls(apps, schema_editor):
    """Re-save every run's callback URL and every schedule's request (which holds one): the fields read a plain
    value as it is and write it encrypted. Runs without a callback have nothing to hide."""
    Run = apps.get_model("agents", "Run")
    ScheduledMessage = apps.get_model("agents", "ScheduledMessage")
    runs = Run.objects.using(schema_editor.connection.alias)
    for pk, callback_url in runs.filter(callback_url__isnull=False).values_list("pk", "callback_url"):
        runs.filter(pk=pk).update(callback_url=callback_url)
    schedules = ScheduledMessage.objects.using(schema_editor.connection.alias)
    for pk, request in schedules.values_list("pk", "request"):
        schedules.filter(pk=pk).update(request=request)


def decrypt_callback_urls(apps, schema_editor):
    """Back to plain text (the request as JSON text), written past the fields (which would encrypt them again)."""
    Run = apps.get_model("agents", "Run")
    ScheduledMessage = apps.get_model("agents", "ScheduledMessage")
    run_table = schema_editor.connection.ops.quote_name(Run._meta.db_table)
    schedule_table = schema_editor.connection.ops.quote_name(ScheduledMessage._meta.db_table)
    runs = Run.objects.using(schema_editor.connection.alias).filter(callback_url__isnull=False)
    run_rows = list(runs.values_list("pk", "callback_url"))
    schedule_rows = list(ScheduledMessage.objects.using(schema_editor.connection.alias).values_list("pk", "request"))
    with schema_editor.connection.cursor() as cursor:
        for pk, callback_url in run_rows:
            cursor.execute(f"UPDATE {run_table} SET callback_url = %s WHERE id = %s", [callback_url, pk])
        for pk, request in schedule_rows:
            cursor.execute(f"UPDATE {schedule_table} SET request = %s WHERE id = %s", [json.dumps(request), pk])


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
        migrations.RunPython(encrypt_callback_urls, decrypt_callback_urls),
    ]
