from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import keys, selectors, services
from accounts.models import APIKey


def test_create_returns_the_key_once_and_stores_only_its_hash_and_prefix(make_key, org):
    api_key, raw = make_key("laptop")

    assert raw.startswith("sk-let-") and len(raw) == len("sk-let-") + 43
    stored = APIKey.objects.get(pk=api_key.pk)
    assert stored.id.startswith("apikey-") and stored.organization_id == org.id and stored.name == "laptop"
    assert stored.key_hash == keys.hash_key(raw) and stored.prefix == raw[:12]
    # The key itself is in no column.
    assert raw not in {str(getattr(stored, field.attname)) for field in APIKey._meta.concrete_fields}
    assert stored.last_used_at is None and stored.revoked_at is None


def test_every_key_is_different(make_key):
    assert make_key()[1] != make_key()[1]


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_create_refuses_a_missing_or_overlong_name(org, name):
    with pytest.raises(services.APIKeyNameError):
        services.create_api_key(organization_id=org.id, name=name)
    assert not APIKey.objects.exists()


def test_create_refuses_an_unknown_organization(db):
    with pytest.raises(services.OrganizationNotFoundError, match="org-nope"):
        services.create_api_key(organization_id="org-nope", name="x")


def test_authenticate_finds_the_key_and_refuses_anything_else(make_key):
    api_key, raw = make_key()

    assert services.authenticate_key(raw) == api_key
    for wrong in ["", raw[:-1], raw + "x", raw.upper(), api_key.key_hash, "sk-let-" + "a" * 10_000]:
        assert services.authenticate_key(wrong) is None


def test_revoked_key_is_refused(make_key, org):
    api_key, raw = make_key()

    revoked = services.revoke_api_key(api_key.id, organization_id=org.id)

    assert revoked.revoked_at is not None
    assert services.authenticate_key(raw) is None


def test_revoking_twice_keeps_the_first_time(make_key, org):
    api_key, _ = make_key()
    first = services.revoke_api_key(api_key.id, organization_id=org.id).revoked_at
    assert services.revoke_api_key(api_key.id, organization_id=org.id).revoked_at == first


def test_another_organization_cannot_revoke_a_key(make_key, other_org):
    api_key, raw = make_key()

    with pytest.raises(services.APIKeyNotFoundError):
        services.revoke_api_key(api_key.id, organization_id=other_org.id)
    assert services.authenticate_key(raw) == api_key


def test_last_used_at_is_set_on_first_use_then_at_most_once_a_minute(make_key, django_assert_num_queries):
    api_key, raw = make_key()

    first = services.authenticate_key(raw).last_used_at
    assert first is not None and APIKey.objects.get(pk=api_key.pk).last_used_at == first

    # Within the minute: one read, no write, time unchanged.
    with django_assert_num_queries(1):
        assert services.authenticate_key(raw).last_used_at == first
    assert APIKey.objects.get(pk=api_key.pk).last_used_at == first

    # Once the stored time is a minute old, the next use refreshes it.
    old = timezone.now() - services.LAST_USED_RESOLUTION - timedelta(seconds=1)
    APIKey.objects.filter(pk=api_key.pk).update(last_used_at=old)
    services.authenticate_key(raw)
    assert APIKey.objects.get(pk=api_key.pk).last_used_at > old + services.LAST_USED_RESOLUTION


def test_list_shows_an_organizations_keys_newest_first_and_hides_revoked(make_key, org, other_org):
    first, _ = make_key("first")
    second, _ = make_key("second")
    revoked, _ = make_key("revoked")
    make_key("theirs", organization=other_org)
    services.revoke_api_key(revoked.id, organization_id=org.id)

    assert list(selectors.list_api_keys(org.id)) == [second, first]
    assert list(selectors.list_api_keys(org.id, include_revoked=True)) == [revoked, second, first]
