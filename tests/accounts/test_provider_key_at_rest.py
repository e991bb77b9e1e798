"""A provider's API key is stored encrypted: the column holds a token, the model and the API give the key back."""

import importlib
from functools import partial

import pytest
from django.apps import apps
from django.db import connection

from accounts.models import Provider
from agents.provider_services import create_provider
from tests.at_rest import stored

KEY = "sk-provider-secret-123456"
migration = importlib.import_module("accounts.migrations.0006_provider_api_key_encrypted")


stored_key = partial(stored, Provider, "api_key")


def insert_plain(org, key: str) -> str:
    """A row as the server stored it before keys were encrypted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_provider (id, organization_id, name, provider_type, kind, api_key, base_url, "
            "api_version, region, created_at, updated_at) "
            "VALUES ('provider-old', %s, 'old', 'openai', 'openai', %s, '', '', '', %s, %s)",
            [org.id, key, "2026-01-01 00:00:00", "2026-01-01 00:00:00"],
        )
    return "provider-old"


@pytest.mark.django_db
def test_the_column_holds_no_plain_key(org):
    provider = create_provider(organization_id=org.id, name="mine", provider_type="openai", api_key=KEY)

    assert KEY not in stored_key(provider.id)
    assert stored_key(provider.id).startswith("enc1:")
    assert Provider.objects.get(pk=provider.id).api_key == KEY


def test_the_api_stores_the_key_encrypted_and_never_returns_it(api, fake_openai, settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1"]  # where the fake provider listens
    body = {"name": "mine", "provider_type": "openai_compatible", "api_key": KEY, "base_url": fake_openai.base_url}
    created = api.post("/v1/providers/", body, content_type="application/json")

    assert created.status_code == 200, created.content
    assert KEY not in created.content.decode()
    assert KEY not in stored_key(created.json()["id"])


@pytest.mark.django_db
def test_the_migration_encrypts_keys_stored_in_plain_text_and_its_reverse_restores_them(org):
    provider_id = insert_plain(org, KEY)

    step = migration.Migration.operations[-1]  # the step that encrypts what was stored before
    step.code(apps, connection.schema_editor())

    assert stored_key(provider_id).startswith("enc1:") and KEY not in stored_key(provider_id)
    assert Provider.objects.get(pk=provider_id).api_key == KEY

    step.reverse_code(apps, connection.schema_editor())

    assert stored_key(provider_id) == KEY
