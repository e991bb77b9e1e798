"""Keys a tool call gets to act on its agent: they work during the call, end by themselves, and no list shows them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services, tool_keys
from accounts.models import APIKey
from accounts.selectors import list_api_keys

pytestmark = pytest.mark.django_db


def test_a_tool_key_authenticates_for_its_organization_until_the_call_ends(org):
    key, raw = tool_keys.issue_tool_key(organization_id=org.id, run_id="run-1", tool_name="t", ttl_seconds=60)
    assert services.authenticate_key(raw).organization_id == org.id
    tool_keys.end_tool_key(key)
    assert services.authenticate_key(raw) is None


def test_an_expired_tool_key_no_longer_authenticates_and_is_purged(org):
    key, raw = tool_keys.issue_tool_key(organization_id=org.id, run_id="run-1", tool_name="t", ttl_seconds=60)
    APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.authenticate_key(raw) is None
    assert tool_keys.purge_expired_tool_keys() == 1


def test_people_never_see_tool_keys_in_their_key_lists(org):
    services.create_api_key(organization_id=org.id, name="mine")
    tool_keys.issue_tool_key(organization_id=org.id, run_id=None, tool_name="t", ttl_seconds=60)
    assert [k.name for k in list_api_keys(org.id, include_revoked=True)] == ["mine"]
