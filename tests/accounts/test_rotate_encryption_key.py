"""`manage.py rotate_encryption_key`: every encrypted column of every model moves to the first key, or, if any
value cannot be read, nothing changes and the message names the row."""

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from agents.models import Agent, Run, ScheduledMessage
from agents.provider_services import create_provider
from letta_project import encryption
from tools.models import MCPServer

pytestmark = pytest.mark.django_db


def new_key() -> str:
    return Fernet.generate_key().decode()


def raw(table: str, column: str, pk: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def readable_with_only(key: str, stored: str) -> str:
    """The plain text of a stored value, read with `key` alone (not the configured ones)."""
    return Fernet(key.encode()).decrypt(stored.removeprefix("enc1:").encode()).decode()


def rotate(**options) -> str:
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def stored_secrets(org, make_agent):
    """One secret in each model that keeps some: an agent's secrets, an MCP server's token and URL, a provider's key
    and base URL, a run's callback URL, a scheduled message's request (with its callback URL)."""
    agent = make_agent(secrets={"GITHUB_TOKEN": "ghp-agent-secret"})
    server = MCPServer.objects.create(
        organization=org,
        server_name="docs",
        mcp_server_type="sse",
        server_url="https://mcp.example.com/zap-secret/sse",
        auth_token="mcp-token-secret",
    )
    provider = create_provider(
        organization_id=org.id,
        name="mine",
        provider_type="openai",
        api_key="sk-provider",
        base_url="https://api.openai.com/v1",
    )
    hook = "https://hooks.example.com/done?token=hook-secret"
    run = Run.objects.create(organization=org, agent=agent, status=Run.Status.COMPLETED, callback_url=hook)
    request = {"messages": [{"role": "user", "content": "Standup"}], "callback_url": hook}
    schedule = ScheduledMessage.objects.create(
        organization=org, agent=agent, kind="recurring", cron_expression="0 9 * * *", request=request
    )
    return {
        ("agents_agent", "secrets", agent.id): '{"GITHUB_TOKEN": "ghp-agent-secret"}',
        ("tools_mcpserver", "auth_token", server.id): "mcp-token-secret",
        ("tools_mcpserver", "server_url", server.id): "https://mcp.example.com/zap-secret/sse",
        ("accounts_provider", "api_key", provider.id): "sk-provider",
        ("accounts_provider", "base_url", provider.id): "https://api.openai.com/v1",
        ("agents_run", "callback_url", run.id): hook,
        ("agents_scheduledmessage", "request", schedule.id): json.dumps(request),
    }


def test_every_encrypted_value_moves_to_the_new_key(settings, stored_secrets):
    old, new = new_key(), new_key()
    settings.ENCRYPTION_KEYS = [old]
    rotate()  # everything under `old`
    updated_before = Agent.objects.values_list("updated_at", flat=True).get()
    settings.ENCRYPTION_KEYS = [new, old]

    output = rotate()

    for (table, column, pk), plain in stored_secrets.items():
        assert readable_with_only(new, raw(table, column, pk)) == plain
    assert "agents.Agent: 1 row re-encrypted" in output
    assert "tools.MCPServer: 1 row re-encrypted" in output
    assert "accounts.Provider: 1 row re-encrypted" in output
    assert "agents.Run: 1 row re-encrypted" in output
    assert "agents.ScheduledMessage: 1 row re-encrypted" in output
    settings.ENCRYPTION_KEYS = [new]
    assert Agent.objects.get().secrets == {"GITHUB_TOKEN": "ghp-agent-secret"}
    assert Agent.objects.values_list("updated_at", flat=True).get() == updated_before


def test_moving_from_the_key_derived_from_secret_key_to_an_explicit_one(settings, stored_secrets):
    settings.ENCRYPTION_KEYS = []
    rotate()  # everything under the derived key
    explicit = new_key()
    settings.ENCRYPTION_KEYS = [explicit]  # the derived key is not listed: it still decrypts

    rotate()

    for (table, column, pk), plain in stored_secrets.items():
        assert readable_with_only(explicit, raw(table, column, pk)) == plain


def test_secrets_stored_under_the_old_fixed_secret_key_move_to_the_current_one(settings, org):
    provider = create_provider(organization_id=org.id, name="mine", provider_type="openai")
    legacy = encryption.derived_key(encryption.LEGACY_SECRET_KEY)
    token = "enc1:" + Fernet(legacy.encode()).encrypt(b"sk-from-before").decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_provider SET api_key = %s WHERE id = %s", [token, provider.id])
    current = new_key()
    settings.ENCRYPTION_KEYS = [current]

    rotate()

    assert readable_with_only(current, raw("accounts_provider", "api_key", provider.id)) == "sk-from-before"


def test_a_value_no_key_reads_stops_it_naming_the_row_and_nothing_changes(settings, stored_secrets, org):
    settings.ENCRYPTION_KEYS = [new_key()]
    rotate()
    lost = create_provider(organization_id=org.id, name="zz-lost", provider_type="openai", api_key="sk-lost")
    with connection.cursor() as cursor:
        token = "enc1:" + Fernet(new_key().encode()).encrypt(b"sk-lost").decode()
        cursor.execute("UPDATE accounts_provider SET api_key = %s WHERE id = %s", [token, lost.id])
    before = {place: raw(*place) for place in stored_secrets}
    settings.ENCRYPTION_KEYS = [new_key(), *settings.ENCRYPTION_KEYS]

    with pytest.raises(CommandError) as stopped:
        rotate()

    assert f"accounts.Provider {lost.id}" in str(stopped.value) and "api_key" in str(stopped.value)
    assert "Nothing was changed" in str(stopped.value)
    assert {place: raw(*place) for place in stored_secrets} == before


def test_rows_are_rewritten_in_batches(settings, org):
    settings.ENCRYPTION_KEYS = [new_key()]
    ids = [
        create_provider(organization_id=org.id, name=f"p{n}", provider_type="openai", api_key=f"sk-{n}").id
        for n in range(5)
    ]
    new = new_key()
    settings.ENCRYPTION_KEYS = [new, *settings.ENCRYPTION_KEYS]

    output = rotate(batch_size=2)

    assert "accounts.Provider: 5 rows re-encrypted" in output
    assert [readable_with_only(new, raw("accounts_provider", "api_key", pk)) for pk in ids] == [
        f"sk-{n}" for n in range(5)
    ]


def test_generate_prints_a_new_key():
    key = rotate(generate=True).strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
