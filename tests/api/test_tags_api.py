"""`GET /v1/tags/`: the distinct tags of the organization's agents and blocks, by name, with name cursors."""

import pytest

from memory.models import Block

pytestmark = pytest.mark.django_db


def test_tags_are_distinct_sorted_filtered_and_paged_by_name(api, make_agent, org):
    make_agent(name="a", tags=["sales", "emea"])
    make_agent(name="b", tags=["sales", "apac"])
    Block.objects.create(organization=org, label="notes", tags=["research"])

    assert api.get("/v1/tags/").json() == ["apac", "emea", "research", "sales"]
    assert api.get("/v1/tags/?order=desc&limit=2").json() == ["sales", "research"]
    assert api.get("/v1/tags/?after=emea").json() == ["research", "sales"]
    assert api.get("/v1/tags/?order=desc&after=emea").json() == ["apac"]
    assert api.get("/v1/tags/?before=research&limit=1").json() == ["emea"]
    assert api.get("/v1/tags/?after=sales").json() == []  # the SDK's auto-pager stops on an empty page
    assert api.get("/v1/tags/?name=EA").json() == ["emea", "research"]  # case-insensitive substring
    assert api.get("/v1/tags/?query_text=ap").json() == ["apac"]


def test_another_organizations_tags_are_not_listed(other_api, make_agent):
    make_agent(tags=["secret-project"])
    assert other_api.get("/v1/tags/").json() == []


def test_a_bad_parameter_is_refused(api):
    response = api.get("/v1/tags/?order=sideways")
    assert response.status_code == 422 and "order" in response.json()["detail"]
