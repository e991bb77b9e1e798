"""Two writers editing one shared block at once: both edits land, each as its own revision."""

import threading

import pytest
from django.db import connection

from accounts.models import Organization
from memory import services
from memory.models import Block, BlockRevision
from memory.services import EditActor

EDITS_PER_WRITER = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_edits_to_a_shared_block_all_land():
    org = Organization.default()
    block = services.create_block(organization_id=org.id, label="team", value="Team notes:", actor=EditActor.api())
    start = threading.Barrier(2)
    errors = []

    def writer(name, edit):
        try:
            start.wait()
            for i in range(EDITS_PER_WRITER):
                edit(block.id, f"{name} fact {i}", actor=EditActor.agent(f"agent-{name}"))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [
        threading.Thread(target=writer, args=("a", services.memory_insert)),
        threading.Thread(target=writer, args=("b", services.core_memory_append)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    value = Block.objects.get(pk=block.pk).value
    for name in "ab":
        for i in range(EDITS_PER_WRITER):
            assert f"{name} fact {i}" in value
    versions = list(BlockRevision.objects.filter(block=block).values_list("version", flat=True))
    assert versions == list(range(1, 2 * EDITS_PER_WRITER + 2))
