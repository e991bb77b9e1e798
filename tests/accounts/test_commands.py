from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts import services
from accounts.models import APIKey


def run(*args) -> list[str]:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue().splitlines()


def test_prints_the_key_as_its_last_line_and_the_key_works(org):
    lines = run("--name", "laptop")

    raw = lines[-1]
    api_key = services.authenticate_key(raw)
    assert api_key is not None and api_key.name == "laptop" and api_key.organization_id == org.id
    assert api_key.id in "\n".join(lines[:-1])


def test_creates_the_key_in_the_organization_asked_for(other_org):
    raw = run("--name", "ci", "--org", other_org.id)[-1]
    assert services.authenticate_key(raw).organization_id == other_org.id


def test_unknown_organization_is_a_clear_error(org):
    with pytest.raises(CommandError, match=r"Organization 'org-nope' does not exist\. Known organizations: .*default"):
        run("--name", "x", "--org", "org-nope")
    assert not APIKey.objects.exists()


def test_blank_name_is_a_clear_error(org):
    with pytest.raises(CommandError, match="needs a name"):
        run("--name", " ")
