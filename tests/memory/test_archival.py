from datetime import timedelta

import pytest
from django.utils import timezone

from memory import archival
from memory.archival import PassageNotFoundError
from memory.models import Archive, Passage
from memory.services import InvalidEditError


@pytest.fixture
def add(archive, org):
    def add(text, tags=None, days_ago=0):
        passage = archival.insert_passage(archive_id=archive.id, organization_id=org.id, text=text, tags=tags)
        if days_ago:
            Passage.objects.filter(pk=passage.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
        return passage

    return add


def search(archive, query, **kwargs):
    return archival.search_passages(archive_ids=[archive.id], query=query, **kwargs)


def test_insert_cleans_text_and_tags(add):
    passage = add("Ada\x00 likes tea", tags=[" drinks ", "drinks", "people"])
    assert passage.text == "Ada likes tea" and passage.tags == ["drinks", "people"]


def test_insert_refuses_empty_text_and_bad_tags(add):
    with pytest.raises(InvalidEditError, match="must not be empty"):
        add("   ")
    with pytest.raises(InvalidEditError, match="list of strings"):
        add("text", tags="drinks")
    assert Passage.objects.count() == 0


def test_search_ranks_by_term_frequency_then_newest(archive, add):
    add("Tea is grown in Assam. Tea, tea, tea.", days_ago=3)
    older = add("Ada drinks tea", days_ago=2)
    newer = add("Bob drinks tea", days_ago=1)
    add("Coffee only")

    results = search(archive, "tea")
    assert [r["content"] for r in results][0].startswith("Tea is grown")
    assert [r["id"] for r in results[1:]] == [newer.id, older.id]
    assert set(results[0]) == {"id", "timestamp", "content", "tags", "relevance"}
    assert results[0]["relevance"] > results[1]["relevance"]


def test_search_blank_query_and_top_k(archive, add):
    for i in range(7):
        add(f"fact {i} about tea")
    assert search(archive, "  ") == [] and search(archive, "") == []
    assert len(search(archive, "tea")) == 5
    assert len(search(archive, "tea", top_k=2)) == 2


def test_search_filters_by_tags(archive, add):
    add("tea in the morning", tags=["drinks", "habits"])
    add("tea with Ada", tags=["drinks", "people"])
    add("tea facts")

    assert len(search(archive, "tea", tags=["people", "habits"])) == 2
    assert [r["content"] for r in search(archive, "tea", tags=["drinks", "people"], tag_match_mode="all")] == [
        "tea with Ada"
    ]
    with pytest.raises(ValueError, match="'any' or 'all'"):
        search(archive, "tea", tag_match_mode="some")


def test_search_filters_by_dates(archive, add):
    add("tea last month", days_ago=30)
    add("tea last week", days_ago=7)
    add("tea today")
    now = timezone.now()

    recent = search(archive, "tea", start_datetime=now - timedelta(days=10))
    assert {r["content"] for r in recent} == {"tea last week", "tea today"}
    window = search(archive, "tea", start_datetime=now - timedelta(days=10), end_datetime=now - timedelta(days=1))
    assert [r["content"] for r in window] == ["tea last week"]


def test_search_only_looks_in_the_given_archives(org, archive, add):
    add("tea here")
    other = Archive.objects.create(organization=org, name="other")
    archival.insert_passage(archive_id=other.id, organization_id=org.id, text="tea elsewhere")
    assert [r["content"] for r in search(archive, "tea")] == ["tea here"]
    assert archival.count_passages([archive.id, other.id]) == 2


def test_list_and_delete(archive, add):
    first, second, third = add("one", days_ago=3), add("two", days_ago=2), add("three", days_ago=1)

    assert archival.list_passages(archive.id) == [first, second, third]
    assert archival.list_passages(archive.id, ascending=False, limit=2) == [third, second]
    assert archival.list_passages(archive.id, after=first.id) == [second, third]
    assert archival.list_passages(archive.id, before=third.id) == [first, second]
    assert archival.list_passages(archive.id, search="TW") == [second]

    archival.delete_passage(second.id, archive_id=archive.id)
    assert archival.count_passages([archive.id]) == 2
    with pytest.raises(PassageNotFoundError, match=second.id):
        archival.delete_passage(second.id)
