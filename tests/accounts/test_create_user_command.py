"""`manage.py create_user`: a teammate who signs in to the ADE, in the organization asked for."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts.access import organization_id_for


@pytest.fixture
def password(monkeypatch):
    monkeypatch.setenv("LETTA_USER_PASSWORD", "s3cret pass")


def authenticate(**credentials):
    # As the sign-in page does: the throttling backend (django-axes) counts failures per request's address.
    return django_authenticate(RequestFactory().post("/ade/login/"), **credentials)


def run(*args) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def test_creates_a_member_of_the_default_organization_who_can_sign_in(org, password):
    output = run("ada")

    assert f"Created user 'ada' in organization 'default' ({org.id})" in output and "/ade/login/" in output
    user = authenticate(username="ada", password="s3cret pass")
    assert user is not None and not user.is_superuser
    assert organization_id_for(user) == org.id


def test_creates_the_member_in_the_organization_asked_for(other_org, password):
    run("bob", "--org", other_org.id, "--superuser")
    user = User.objects.get(username="bob")
    assert user.is_superuser and organization_id_for(user) == other_org.id


def test_asks_for_the_password_twice_when_none_is_given(org, monkeypatch):
    monkeypatch.delenv("LETTA_USER_PASSWORD", raising=False)
    answers = iter(["typed pass", "typed pass"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    run("cy")
    assert authenticate(username="cy", password="typed pass") is not None


def test_different_passwords_create_nothing(org, monkeypatch):
    monkeypatch.delenv("LETTA_USER_PASSWORD", raising=False)
    answers = iter(["one", "two"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="passwords differ"):
        run("cy")
    assert not User.objects.filter(username="cy").exists()


def test_an_existing_username_is_refused_and_kept(org, password):
    User.objects.create_user(username="ada", password="original")
    with pytest.raises(CommandError, match="'ada' already exists"):
        run("ada")
    assert authenticate(username="ada", password="original") is not None


def test_an_unknown_organization_names_the_known_ones(org, password):
    with pytest.raises(CommandError, match=rf"Known organizations: {org.id} \(default\)"):
        run("ada", "--org", "org-nope")
    assert not User.objects.filter(username="ada").exists()
