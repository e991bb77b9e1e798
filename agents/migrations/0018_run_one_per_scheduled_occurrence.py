import django.db.models.fields.json
from django.db import migrations, models

OCCURRENCE_KEYS = ("scheduled_message_id", "scheduled_for")


def unmark_second_deliveries(apps, schema_editor):
    """Before the constraint: a run that delivered an occurrence a second time (a worker frozen past its lease)
    keeps its record, but no longer claims the occurrence; the first run does."""
    Run = apps.get_model("agents", "Run")
    seen = set()
    for run in Run.objects.filter(metadata__has_key="scheduled_message_id").order_by("created_at", "id"):
        key = tuple(run.metadata.get(name) for name in OCCURRENCE_KEYS)
        if key not in seen:
            seen.add(key)
            continue
        run.metadata["redelivered_occurrence"] = {name: run.metadata.pop(name, None) for name in OCCURRENCE_KEYS}
        run.save(update_fields=["metadata"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_provider_model_settings"),
        ("agents", "0017_scheduled_message_delivering_due"),
    ]

    operations = [
        migrations.RunPython(unmark_second_deliveries, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="run",
            constraint=models.UniqueConstraint(
                django.db.models.fields.json.KeyTextTransform("scheduled_message_id", "metadata"),
                django.db.models.fields.json.KeyTextTransform("scheduled_for", "metadata"),
                name="one_run_per_scheduled_occurrence",
            ),
        ),
    ]
