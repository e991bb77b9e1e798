"""The ADE's pages through Django's test client: `signed_in` is that client signed in as `person`, a member of the
default organization, with the providers on the fake servers and the model pickers' cache emptied (it keeps an
organization's model list a minute, which must not carry one test's fake server into the next)."""

import pytest
from django.contrib.auth.models import User

from accounts.models import Membership
from agents.model_choices import forget_models


@pytest.fixture
def person(org):
    # Signed in with force_login: no password, whose hashing (by design slow) cost each page test about a second.
    user = User.objects.create_user(username="ada")
    Membership.objects.create(user=user, organization=org)
    return user


@pytest.fixture
def signed_in(client, person, org, providers):
    forget_models(org.id)
    client.force_login(person)
    return client
