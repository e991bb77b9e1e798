import pytest

from tools.sandbox import run_custom_tool


@pytest.fixture
def run(settings):
    """Run a tool's source as the API does; small caps so the limit tests stay fast."""
    settings.TOOL_TIMEOUT_SECONDS = 20

    async def run(source: str, name: str, args: dict | None = None, **kwargs):
        kwargs.setdefault("return_char_limit", 100_000)
        return await run_custom_tool(source, name, args or {}, schema=None, **kwargs)

    return run
