from django.db import models

from accounts.ids import id_factory
from accounts.models import OwnedModel
from letta_project.encryption import EncryptedJSONField, EncryptedTextField

DEFAULT_RETURN_CHAR_LIMIT = 50_000


class Tool(OwnedModel):
    """A function an agent can call: a built-in, custom Python source, or (later) an MCP tool."""

    class Type(models.TextChoices):
        CUSTOM = "custom"
        LETTA_CORE = "letta_core"
        LETTA_MEMORY_CORE = "letta_memory_core"
        LETTA_SLEEPTIME_CORE = "letta_sleeptime_core"
        LETTA_MULTI_AGENT_CORE = "letta_multi_agent_core"
        LETTA_BUILTIN = "letta_builtin"
        LETTA_FILES_CORE = "letta_files_core"
        EXTERNAL_MCP = "external_mcp"

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("tool"), editable=False)
    name = models.CharField(max_length=48)
    tool_type = models.CharField(max_length=32, choices=Type.choices, default=Type.CUSTOM)
    description = models.TextField(blank=True, null=True)
    source_type = models.CharField(max_length=32, default="python")
    source_code = models.TextField(blank=True, null=True)
    json_schema = models.JSONField(default=dict, blank=True)
    args_json_schema = models.JSONField(null=True, blank=True)
    tags = models.JSONField(default=list, blank=True)
    return_char_limit = models.PositiveIntegerField(default=DEFAULT_RETURN_CHAR_LIMIT)
    pip_requirements = models.JSONField(null=True, blank=True)
    npm_requirements = models.JSONField(null=True, blank=True)
    default_requires_approval = models.BooleanField(default=False)
    enable_parallel_execution = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_tool_name_per_org")]

    def __str__(self):
        return self.name


class MCPServer(OwnedModel):
    """A Model Context Protocol server an organization added: its tools become `Tool` rows (external_mcp).

    What lets the server in (a token, custom headers, a stdio server's environment) is stored encrypted and never
    rendered back in plain text. Its URL is stored encrypted too (hosted servers put a secret in its path or query)
    but shown to its owner as given."""

    class Type(models.TextChoices):
        STDIO = "stdio"
        SSE = "sse"
        STREAMABLE_HTTP = "streamable_http"

    id = models.CharField(primary_key=True, max_length=64, default=id_factory("mcp_server"), editable=False)
    server_name = models.CharField(max_length=100)
    mcp_server_type = models.CharField(max_length=20, choices=Type.choices)
    server_url = EncryptedTextField(blank=True, default="")
    command = models.TextField(blank=True, default="")
    args = models.JSONField(default=list, blank=True)
    env = EncryptedJSONField(null=True, blank=True)
    auth_header = models.CharField(max_length=200, blank=True, null=True)
    auth_token = EncryptedTextField(null=True, blank=True)
    custom_headers = EncryptedJSONField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "server_name"], name="unique_mcp_server_name_per_org")
        ]

    def __str__(self):
        return self.server_name

    @property
    def is_stdio(self) -> bool:
        return self.mcp_server_type == self.Type.STDIO

    def headers(self) -> dict[str, str]:
        """The HTTP headers every request to the server carries (custom headers, then the auth header)."""
        headers = dict(self.custom_headers or {})
        if self.auth_token:
            headers[self.auth_header or "Authorization"] = self.auth_token
        return headers
