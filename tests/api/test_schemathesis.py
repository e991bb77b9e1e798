"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis) against the live server:
whatever a client sends that the schema allows, the server never answers 5xx, and every answer is one the schema
describes (status, media type, body).

Path ids point at real objects (an agent with memory, a run, a passage, a custom tool), so generated bodies reach
the services and the agent loop (the fake OpenAI provider answers sends) instead of stopping at a 404. Few examples
per operation, derandomized: the same cases on every run, so a failure reproduces.
"""

import re
from datetime import timedelta

import pytest
import requests
import schemathesis
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as accounts
from accounts.models import Organization
from agents import conversations, services
from agents.api.schema_generator import SchemaGenerator
from agents.models import Agent, Run, Step
from agents.provider_services import create_provider
from memory import archival
from memory import services as memory_services
from tests.mcp.servers import TIME
from tools.models import MCPServer
from tools.services import upsert_tool_from_source

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 12
TOOL_SOURCE = '''
def roll_die(sides: int) -> str:
    """Roll a die.

    Args:
        sides: How many sides the die has.
    """
    return "4"
'''


def gone(row) -> bool:
    """Not made yet, or deleted since (by a generated DELETE)."""
    return row is None or not type(row).objects.filter(pk=row.pk).exists()


class World:
    """Real objects for the path parameters, made again when a generated DELETE removed them."""

    def __init__(self, organization_id: str, provider_url: str):
        self.organization_id = organization_id
        self.provider_url = provider_url
        self.agent = self.tool = self.block = self.provider = self.mcp_server = self.conversation = None

    def agent_id(self) -> str:
        if gone(self.agent):
            self.agent = services.create_agent(
                organization_id=self.organization_id,
                name="fuzzed",
                model="openai/gpt-4.1-mini",
                memory_blocks=[
                    {"label": "human", "value": "Name: Ada", "limit": 2000},
                    {"label": "persona", "value": "Helpful.", "limit": 2000},
                ],
            )
            archive_id = services.ensure_archive(self.agent)
            self.passage = archival.insert_passage(
                archive_id=archive_id, organization_id=self.organization_id, text="Ada likes tea.", tags=["food"]
            )
            # A finished background run, so its stream can be resumed (and ends at once).
            self.run = Run.objects.create(
                organization_id=self.organization_id,
                agent=self.agent,
                background=True,
                status="completed",
                stop_reason="end_turn",
                completed_at=timezone.now() - timedelta(hours=1),
            )
            self.step = Step.objects.create(
                organization_id=self.organization_id,
                agent=self.agent,
                run=self.run,
                model="gpt-4.1-mini",
                model_handle="openai/gpt-4.1-mini",
                status="success",
                stop_reason="end_turn",
            )
        return self.agent.id

    def tool_id(self) -> str:
        if gone(self.tool):
            self.tool = upsert_tool_from_source(organization_id=self.organization_id, source_code=TOOL_SOURCE)
        return self.tool.id

    def block_id(self) -> str:
        if gone(self.block):
            self.block = memory_services.create_block(
                organization_id=self.organization_id,
                label="project",
                value="Deadline: Friday.",
                limit=2000,
                actor=memory_services.EditActor.api(),
            )
        return self.block.id

    def provider_id(self) -> str:
        # Pointed at the fake OpenAI server, so checking its credentials answers without leaving the machine. By
        # the name `localhost`, which the live server's outbound policy allows (tests/conftest.py), as here.
        if gone(self.provider):
            with override_settings(OUTBOUND_ALLOW=["localhost"]):
                self.provider = create_provider(
                    organization_id=self.organization_id,
                    name="fuzzed-local",
                    provider_type="openai_compatible",
                    base_url=self.provider_url.replace("127.0.0.1", "localhost"),
                )
        return self.provider.id

    def server_id(self) -> str:
        # Stored as is (not connected to): its routes then talk to a stdio server that is the published time server.
        if gone(self.mcp_server):
            self.mcp_server = MCPServer.objects.create(
                organization_id=self.organization_id, server_name="fuzzed-time", **TIME
            )
        return self.mcp_server.id

    def conversation_id(self) -> str:
        if gone(self.conversation) or self.conversation.agent_id != self.agent_id():
            self.conversation = conversations.create_conversation(self.agent, summary="fuzzed")
        return self.conversation.id

    def path_parameters(self, wanted) -> dict[str, str]:
        agent_id = self.agent_id()
        values = {
            "agent_id": agent_id,
            "label": "human",
            "run_id": self.run.id,
            "passage_id": self.passage.id,
            "tool_id": self.tool_id(),
            "tool_name": "memory_insert",
            "block_id": self.block_id(),
            "step_id": self.step.id,
            "provider_id": self.provider_id(),
            "server_id": self.server_id(),
            "conversation_id": self.conversation_id(),
            "message_id": Agent.objects.get(pk=agent_id).message_ids[0],
            # The agent's own archive, made again if a generated DELETE removed it.
            "archive_id": services.ensure_archive(Agent.objects.get(pk=agent_id)),
        }
        return {name: values[name] for name in wanted if name in values}


def no_undocumented_server_error(ctx, response, case):
    """Any 5xx fails, except one the operation's schema promises (a 501 for a route not implemented, a provider
    check's 502/504 for an unreachable provider); a 500 is never documented."""
    if response.status_code != 500 and str(response.status_code) in case.operation.definition.raw["responses"]:
        return None
    return not_a_server_error(ctx, response, case)


# Besides no 5xx: every answer has a documented status and media type, and its body validates against the
# operation's schema, so a field sent but not described (or described but not sent) fails here.
CHECKS = [no_undocumented_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# Open on purpose: an error may add fields (`run_id` of a 409), and each LettaMessage type adds its own.
OPEN_SHAPES = {"Error", "LettaMessage"}


def strict(schema: dict) -> dict:
    """The schema with every response shape closed (`additionalProperties: false`), so that a key sent but not
    documented fails the response check as surely as a documented key that is missing. Requests stay open: the
    generated bodies keep sending unknown fields, which the server must ignore."""
    for name, shape in schema["components"]["schemas"].items():
        if "properties" in shape and name not in OPEN_SHAPES and not name.endswith("Request"):
            shape.setdefault("additionalProperties", False)
    return schema


def documented_examples(operation) -> list:
    """The request bodies the schema offers as examples (the docs page's), sent before the generated ones."""
    content = (operation.definition.raw.get("requestBody") or {}).get("content", {})
    return [example["value"] for example in content.get("application/json", {}).get("examples", {}).values()]


def test_every_answer_is_documented_and_none_is_a_server_error(letta_server, fake_openai):
    organization = Organization.default()
    _, key = accounts.create_api_key(organization_id=organization.id, name="schemathesis")
    world = World(organization.id, fake_openai.base_url)
    schema = schemathesis.openapi.from_dict(strict(SchemaGenerator().get_schema(request=None, public=True)))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    failures = []

    def call(case):
        case.path_parameters = {**(case.path_parameters or {}), **world.path_parameters(case.path_parameters or {})}
        case.call_and_validate(base_url=letta_server.url, session=session, checks=CHECKS, timeout=30)

    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def generated(case):
            call(case)

        try:
            for body in documented_examples(operation):
                names = re.findall(r"{(\w+)}", operation.path)
                call(
                    operation.Case(
                        body=body, media_type="application/json", path_parameters=world.path_parameters(names)
                    )
                )
            generated()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, not just the first one's
            failures.append(f"{operation.label}: {exc}")

    assert not failures, "\n\n".join(failures) + "\n\nserver log:\n" + letta_server.output()[-4000:]
    assert fake_openai.requests, "no generated or documented send reached the model"
