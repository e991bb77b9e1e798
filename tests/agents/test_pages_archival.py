"""The archival memory panel: a page of passages at a time, the tool's search ranking, add and delete as the API."""

import html as markup
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Organization
from agents import passages, services
from agents.pages.archival import PAGE_SIZE
from memory.models import Passage

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def agent(make_agent):
    return make_agent(name="scout")


def url(agent, tail="") -> str:
    return f"/ade/agents/{agent.id}/archival/{tail}"


def fill(agent, count: int) -> list[Passage]:
    """`count` passages, "note 0" the oldest, one minute apart."""
    archive_id = services.ensure_archive(agent)
    start = timezone.now() - timedelta(days=1)
    Passage.objects.bulk_create(
        Passage(
            archive_id=archive_id,
            organization_id=agent.organization_id,
            text=f"note {i}",
            tags=["even"] if i % 2 == 0 else [],
        )
        for i in range(count)
    )
    # created_at is auto_now_add, so the back-dating is an update.
    for passage in Passage.objects.filter(archive_id=archive_id):
        Passage.objects.filter(pk=passage.pk).update(created_at=start + timedelta(minutes=int(passage.text.split()[1])))
    return list(Passage.objects.filter(archive_id=archive_id).order_by("-created_at"))


def shown(html: str) -> list[str]:
    return re.findall(r'<p class="text">(note \d+)</p>', html)


def error_of(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}_error">(.*?)</p>', html, re.S)
    assert match, f"no error beside {field_id}"
    return markup.unescape(match.group(1))


def test_the_archive_pages_newest_first_without_loading_it_all(signed_in, agent, django_assert_max_num_queries):
    fill(agent, 45)

    with django_assert_max_num_queries(12):
        first = signed_in.get(url(agent)).content.decode()
    assert shown(first) == [f"note {i}" for i in range(44, 44 - PAGE_SIZE, -1)]
    assert "45 in the archive" in first and "Older" in first and "Newer" not in first

    older = re.search(r'href="\?older=([^"]+)"', first).group(1)
    second = signed_in.get(url(agent), {"older": older}, **HTMX).content.decode()
    assert shown(second) == [f"note {i}" for i in range(24, 4, -1)]
    assert "Newer" in second and "Older" in second

    last = signed_in.get(url(agent), {"older": re.search(r'older=([^"&]+)"', second).group(1)}, **HTMX)
    assert shown(last.content.decode()) == [f"note {i}" for i in range(4, -1, -1)]
    assert "Older" not in last.content.decode()

    newer = re.search(r'href="\?newer=([^"]+)"', second).group(1)
    back = signed_in.get(url(agent), {"newer": newer}, **HTMX).content.decode()
    assert shown(back) == shown(first) and "Newer" not in back


def test_an_empty_archive_says_so(signed_in, agent):
    assert "No passages yet" in signed_in.get(url(agent)).content.decode()


def test_adding_a_passage_stores_it_with_its_tags(signed_in, agent):
    response = signed_in.post(url(agent), {"text": "Ada prefers tea.", "tags": "food, ada ,food"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Added to the archive." in html and 'hx-swap-oob="true"' in html and "Ada prefers tea." in html
    agent.refresh_from_db()
    assert list(Passage.objects.filter(archive_id=agent.archive_id).values_list("text", "tags")) == [
        ("Ada prefers tea.", ["food", "ada"])
    ]


def test_an_empty_passage_is_refused_beside_the_textarea(signed_in, agent):
    response = signed_in.post(url(agent), {"text": "   ", "tags": "kept"}, **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert "must not be empty" in error_of(html, "id_text")
    assert 'aria-describedby="id_text_error"' in html
    assert 'value="kept"' in html
    assert Passage.objects.count() == 0


def test_search_ranks_as_the_tool_does_and_filters_by_tag(signed_in, agent):
    passages.insert_passage(agent, text="The deploy runs on Fridays.", tags=["ops"])
    passages.insert_passage(agent, text="Deploy checklist: run the migrations, then deploy.", tags=["ops", "db"])
    passages.insert_passage(agent, text="Lunch is at noon.")

    html = signed_in.get(url(agent, "search/"), {"query": "deploy"}, **HTMX).content.decode()
    expected = passages.search_agent_passages(agent, "deploy", top_k=20)
    found = re.findall(r'<p class="text">(.*?)</p>', html)
    assert found == [hit["content"] for hit in expected] and len(found) == 2
    relevances = [float(r) for r in re.findall(r'class="relevance">relevance ([\d.e+-]+)<', html)]
    assert relevances == [hit["relevance"] for hit in expected]

    only_db = signed_in.get(url(agent, "search/"), {"query": "deploy", "tags": "db"}, **HTMX).content.decode()
    assert re.findall(r'<p class="text">(.*?)</p>', only_db) == ["Deploy checklist: run the migrations, then deploy."]


def test_an_empty_search_is_refused_beside_its_box(signed_in, agent):
    response = signed_in.get(url(agent, "search/"), {"query": ""}, **HTMX)

    assert response.status_code == 422
    assert "Type what to look for." in error_of(response.content.decode(), "search_query")


def test_delete_removes_the_passage_as_the_api_does(signed_in, agent):
    keep, gone = passages.insert_passage(agent, text="keep"), passages.insert_passage(agent, text="gone")

    response = signed_in.post(url(agent, f"{gone.id}/delete/"), **HTMX)

    assert response.status_code == 200 and response.content == b""
    assert list(Passage.objects.values_list("id", flat=True)) == [keep.id]
    assert 'hx-confirm="Delete this passage' in signed_in.get(url(agent)).content.decode()
    assert signed_in.post(url(agent, f"{gone.id}/delete/"), **HTMX).status_code == 404


def test_another_organizations_archive_answers_404(signed_in, agent, providers):
    other = Organization.objects.create(name="other")
    theirs = services.create_agent(organization_id=other.id, name="theirs", model="openai/gpt-4.1-mini")
    their_passage = passages.insert_passage(theirs, text="secret")

    assert signed_in.get(url(theirs)).status_code == 404
    assert signed_in.get(url(theirs, "search/"), {"query": "secret"}).status_code == 404
    assert signed_in.post(url(theirs), {"text": "planted"}).status_code == 404
    assert signed_in.post(url(theirs, f"{their_passage.id}/delete/")).status_code == 404
    # Through our own agent, their passage is not found either.
    assert signed_in.post(url(agent, f"{their_passage.id}/delete/")).status_code == 404
    assert Passage.objects.filter(pk=their_passage.pk).exists()
    assert not Passage.objects.filter(text="planted").exists()
