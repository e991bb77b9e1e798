"""Sign-in throttling (django-axes): password guessing on the sign-in page locks that username from that address
for a while, with a page that says until when; nobody else, and no API key, is affected."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Membership

PASSWORD = "correct horse"
GUESSER = "203.0.113.7"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Each test signs in many times; the real hasher's cost is not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(org):
    user = User.objects.create_user(username="ada", password=PASSWORD)
    Membership.objects.create(user=user, organization=org)
    return user


def sign_in(client, password, username="ada", address=GUESSER):
    return client.post(reverse("ade-login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def guess_wrong(client, times, **kwargs):
    for _ in range(times):
        assert sign_in(client, "wrong", **kwargs).status_code == 200  # the form again, with its message


def test_four_failures_still_let_the_right_password_in(client, member, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    guess_wrong(client, 4)
    assert sign_in(client, PASSWORD).status_code == 302 and signed_in(client)
    assert not AccessAttempt.objects.exists()  # a success forgets the failures


def test_the_fifth_failure_locks_with_a_page_that_says_until_when(client, member):
    guess_wrong(client, 4)
    locked = sign_in(client, "wrong")

    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed sign-ins" in text and 'href="/static/ade.css"' in text  # the ADE's styled page
    attempt = AccessAttempt.objects.get(username="ada")
    unlocks_at = attempt.attempt_time + timedelta(minutes=15)
    assert f'<time datetime="{unlocks_at.isoformat()}"><strong>{unlocks_at:%H:%M} UTC</strong></time>' in text
    assert re.search(r"in about 1[45]\xa0minutes", text)


def test_the_right_password_is_refused_while_locked(client, member):
    guess_wrong(client, 5 - 1)
    sign_in(client, "wrong")

    response = sign_in(client, PASSWORD)

    assert response.status_code == 429 and not signed_in(client)
    assert client.get(reverse("ade-keys")).status_code == 302  # still signed out


def test_another_person_and_the_same_person_elsewhere_are_unaffected(client, member, org):
    other = User.objects.create_user(username="bo", password="bo's own")
    Membership.objects.create(user=other, organization=org)
    guess_wrong(client, 4)
    sign_in(client, "wrong")

    assert sign_in(client, "bo's own", username="bo").status_code == 302  # same address, another person
    client.logout()
    assert sign_in(client, PASSWORD, address="198.51.100.2").status_code == 302  # same person, another address


def test_the_lock_ends_after_the_cool_off(client, member):
    guess_wrong(client, 4)
    sign_in(client, "wrong")
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))

    assert sign_in(client, PASSWORD).status_code == 302 and signed_in(client)


def test_operators_lift_locks_with_axes_reset(client, member):
    guess_wrong(client, 4)
    sign_in(client, "wrong")

    call_command("axes_reset", stdout=StringIO())

    assert sign_in(client, PASSWORD).status_code == 302 and signed_in(client)


def test_api_keys_are_unaffected_by_a_locked_sign_in(client, member, make_key):
    _, raw = make_key()
    guess_wrong(client, 4)
    sign_in(client, "wrong")

    response = client.get("/v1/agents/", HTTP_AUTHORIZATION=f"Bearer {raw}", REMOTE_ADDR=GUESSER)

    assert response.status_code == 200


def test_the_limits_are_read_from_the_environment():
    env = {**os.environ, "LETTA_LOGIN_FAILURE_LIMIT": "3", "LETTA_LOGIN_COOLOFF_MINUTES": "60"}
    code = "from django.conf import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**env, "DJANGO_SETTINGS_MODULE": "letta_project.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["3", "1:00:00"]
