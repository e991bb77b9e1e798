from django.db import migrations

DEFAULT_ORG_ID = "org-00000000-0000-4000-8000-000000000000"


def create_default_org(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    Organization.objects.get_or_create(id=DEFAULT_ORG_ID, defaults={"name": "default"})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_default_org, migrations.RunPython.noop)]
