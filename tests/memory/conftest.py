import pytest

from memory import services
from memory.models import Archive
from memory.services import EditActor


@pytest.fixture
def archive(org):
    return Archive.objects.create(organization=org, name="notes")


@pytest.fixture
def make_block(org):
    def make(label="human", value="", **fields):
        return services.create_block(organization_id=org.id, label=label, value=value, actor=EditActor.api(), **fields)

    return make


@pytest.fixture
def agent_actor():
    return EditActor.agent("agent-1", step_id="step-1", tool_call_id="call-1", tool_name="memory_replace")
