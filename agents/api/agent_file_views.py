"""Agent files over HTTP: `GET /v1/agents/{id}/export` and `POST /v1/agents/import` (multipart `file`)."""

from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import organization_of
from agents.agent_file import AgentFileError, export_agent, import_agent
from agents.agent_file.errors import check_size
from agents.api.views import get_agent
from letta_project.limits import parse_json, uploaded_files


def _flag(data, name: str, default: bool | None) -> bool | None:
    value = data.get(name)
    if value is None or value == "":
        return default
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _first(data, *names: str) -> str | None:
    return next((data[n] for n in names if data.get(n)), None)


class AgentExportView(APIView):
    def get(self, request, agent_id: str):
        agent = get_agent(request, agent_id)
        exported = export_agent(agent)
        if _flag(request.query_params, "scrub_messages", False):
            for entry in exported["agents"]:
                entry["messages"], entry["in_context_message_ids"] = [], []
        return Response(exported)


class AgentImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def post(self, request):
        upload = uploaded_files(request).get("file")
        if upload is None:
            raise AgentFileError("Send the agent file as multipart form field 'file'.")
        check_size(upload.size)  # before reading it into memory
        data = request.data
        raw_secrets = _first(data, "secrets", "env_vars_json") or "{}"
        try:
            secrets = parse_json(raw_secrets, subject="'secrets'")
        except ValueError as exc:
            raise AgentFileError(f"'secrets' must be a JSON object of names to values ({exc}).") from exc
        result = import_agent(
            upload.read(),
            organization_id=organization_of(request),
            name=_first(data, "name", "override_name"),
            model=_first(data, "model", "override_model_handle"),
            embedding=_first(data, "embedding", "override_embedding_handle"),
            strip_messages=_flag(data, "strip_messages", False),
            # Unsaid: a tool whose code differs from the organization's is refused, never silently replaced.
            override_existing_tools=_flag(data, "override_existing_tools", None),
            append_copy_suffix=_flag(data, "append_copy_suffix", True),
            secrets=secrets,
        )
        return Response(result.as_dict())
