"""`/v1/archives`, their passages, attaching one archive to several agents, and `POST /v1/passages/search`."""

import json

import pytest

from agents import services
from agents.models import Agent
from memory.archival import insert_passage
from memory.models import Archive, Passage

pytestmark = pytest.mark.django_db


def send(api, method, path, body=None):
    return getattr(api, method)(path, json.dumps(body or {}), content_type="application/json")


def create_archive(api, **body):
    response = send(api, "post", "/v1/archives/", {"name": "team notes", **body})
    assert response.status_code == 200, response.json()
    return response.json()


def add_passage(api, archive_id, text, **body):
    response = send(api, "post", f"/v1/archives/{archive_id}/passages", {"text": text, **body})
    assert response.status_code == 200, response.json()
    return response.json()


def test_create_retrieve_update_list_and_delete_an_archive(api):
    archive = create_archive(api, description="What the team decided")
    assert archive["id"].startswith("archive-") and archive["name"] == "team notes"
    assert archive["description"] == "What the team decided" and archive["vector_db_provider"] == "native"
    assert api.get(f"/v1/archives/{archive['id']}").json() == archive

    updated = send(api, "patch", f"/v1/archives/{archive['id']}", {"name": "decisions"}).json()
    assert updated["name"] == "decisions" and updated["description"] == "What the team decided"

    other = create_archive(api, name="scratch")
    assert [a["id"] for a in api.get("/v1/archives/?order=asc").json()] == [archive["id"], other["id"]]
    assert [a["id"] for a in api.get("/v1/archives/?name=scratch").json()] == [other["id"]]
    assert [a["id"] for a in api.get(f"/v1/archives/?order=asc&after={archive['id']}").json()] == [other["id"]]
    assert api.get(f"/v1/archives/?order=asc&after={other['id']}").json() == []

    add_passage(api, archive["id"], "We ship on Monday")
    assert api.delete(f"/v1/archives/{archive['id']}").status_code == 200
    assert api.get(f"/v1/archives/{archive['id']}").status_code == 404
    assert not Passage.objects.filter(archive_id=archive["id"]).exists()


def test_an_archive_needs_a_name_and_a_bad_one_changes_nothing(api):
    response = send(api, "post", "/v1/archives/", {"name": "  "})
    assert response.status_code == 400 and "name" in response.json()["detail"]
    archive = create_archive(api)
    response = send(api, "patch", f"/v1/archives/{archive['id']}", {"name": "x" * 500})
    assert response.status_code == 400 and "at most" in response.json()["detail"]
    assert Archive.objects.get(pk=archive["id"]).name == "team notes"


def test_passages_are_created_in_batches_and_deleted(api):
    archive = create_archive(api)
    passage = add_passage(
        api,
        archive["id"],
        "Budget is 10k",
        tags=["budget"],
        metadata={"source": "call"},
        created_at="2024-01-15T10:00:00Z",
    )
    assert passage["archive_id"] == archive["id"] and passage["tags"] == ["budget"]
    assert passage["metadata"] == {"source": "call"} and passage["created_at"].startswith("2024-01-15T10:00:00")

    batch = send(
        api,
        "post",
        f"/v1/archives/{archive['id']}/passages/batch",
        {"passages": [{"text": "First"}, {"text": "Second", "tags": ["b"]}]},
    )
    assert batch.status_code == 200 and [p["text"] for p in batch.json()] == ["First", "Second"]

    response = send(api, "delete", f"/v1/archives/{archive['id']}/passages/{passage['id']}")
    assert response.status_code == 200
    assert sorted(Passage.objects.values_list("text", flat=True)) == ["First", "Second"]
    response = send(api, "delete", f"/v1/archives/{archive['id']}/passages/{passage['id']}")
    assert response.status_code == 404 and passage["id"] in response.json()["detail"]


def test_an_invalid_passage_in_a_batch_stores_none(api):
    archive = create_archive(api)
    response = send(
        api, "post", f"/v1/archives/{archive['id']}/passages/batch", {"passages": [{"text": "Fine"}, {"text": "   "}]}
    )
    assert response.status_code == 400 and "must not be empty" in response.json()["detail"]
    assert not Passage.objects.exists()


def test_an_archive_attached_to_two_agents_is_one_store_for_both(api, make_agent):
    writer, reader = make_agent(name="writer"), make_agent(name="reader")
    archive = create_archive(api)
    for agent in (writer, reader):
        response = send(api, "patch", f"/v1/agents/{agent.id}/archives/attach/{archive['id']}")
        assert response.status_code == 200 and response.json() is None

    send(api, "post", f"/v1/agents/{writer.id}/archival-memory", {"text": "The launch moved to March 14"})
    found = api.get(f"/v1/agents/{reader.id}/archival-memory/search?query=launch").json()
    assert [r["content"] for r in found["results"]] == ["The launch moved to March 14"]
    assert {a["id"] for a in api.get(f"/v1/archives/?agent_id={reader.id}").json()} == {archive["id"]}

    response = send(api, "patch", f"/v1/agents/{reader.id}/archives/detach/{archive['id']}")
    assert response.status_code == 200
    assert api.get(f"/v1/agents/{reader.id}/archival-memory/search?query=launch").json()["results"] == []
    assert api.get(f"/v1/archives/?agent_id={reader.id}").json() == []
    assert send(api, "post", "/v1/passages/search", {"query": "launch", "agent_id": reader.id}).json() == []
    response = send(api, "patch", f"/v1/agents/{reader.id}/archives/detach/{archive['id']}")
    assert response.status_code == 404 and "not attached" in response.json()["detail"]


def test_an_agent_with_another_archive_must_detach_it_first(api, make_agent):
    agent = make_agent()
    own = services.ensure_archive(agent)
    archive = create_archive(api)
    response = send(api, "patch", f"/v1/agents/{agent.id}/archives/attach/{archive['id']}")
    assert response.status_code == 409 and "Detach it first" in response.json()["detail"]
    assert Agent.objects.get(pk=agent.id).archive_id == own
    # Attaching the archive it already has changes nothing.
    assert send(api, "patch", f"/v1/agents/{agent.id}/archives/attach/{own}").status_code == 200


def test_deleting_an_attached_archive_leaves_the_agent_without_one(api, make_agent):
    agent = make_agent()
    archive = create_archive(api)
    send(api, "patch", f"/v1/agents/{agent.id}/archives/attach/{archive['id']}")
    api.delete(f"/v1/archives/{archive['id']}")
    assert Agent.objects.get(pk=agent.id).archive_id is None
    assert send(api, "post", f"/v1/agents/{agent.id}/archival-memory", {"text": "fresh"}).status_code == 200


def test_passage_search_across_the_organization_an_archive_or_an_agent(api, make_agent, org):
    agent = make_agent()
    mine = services.ensure_archive(agent)
    insert_passage(archive_id=mine, organization_id=org.id, text="The cat sleeps all day", tags=["pets"])
    shared = create_archive(api)
    add_passage(api, shared["id"], "The dog chases the cat", tags=["pets", "dogs"])

    def search(**body):
        response = send(api, "post", "/v1/passages/search", body)
        assert response.status_code == 200, response.json()
        return response.json()

    everywhere = search(query="cat")
    assert {r["passage"]["text"] for r in everywhere} == {"The cat sleeps all day", "The dog chases the cat"}
    assert all(isinstance(r["score"], float) for r in everywhere)
    assert [r["passage"]["text"] for r in search(query="cat", archive_id=shared["id"])] == ["The dog chases the cat"]
    assert [r["passage"]["text"] for r in search(query="cat", agent_id=agent.id)] == ["The cat sleeps all day"]
    # agent_id wins over archive_id, as the reference documents.
    assert [r["passage"]["id"] for r in search(query="cat", agent_id=agent.id, archive_id=shared["id"])] == [
        r["passage"]["id"] for r in search(query="cat", agent_id=agent.id)
    ]
    assert [r["passage"]["text"] for r in search(query="cat", tags=["pets", "dogs"], tag_match_mode="all")] == [
        "The dog chases the cat"
    ]
    assert search(query="cat", end_date="2000-01-01T00:00:00Z") == []
    # No query: the newest passages that pass the filters.
    assert [r["passage"]["text"] for r in search(limit=1)] == ["The dog chases the cat"]


def test_passage_search_refuses_bad_input_clearly(api):
    response = send(api, "post", "/v1/passages/search", {"query": "x", "tag_match_mode": "some"})
    assert response.status_code == 422 and "tag_match_mode" in response.json()["detail"]
    response = send(api, "post", "/v1/passages/search", {"query": "x", "archive_id": "archive-missing"})
    assert response.status_code == 404 and "archive-missing" in response.json()["detail"]
