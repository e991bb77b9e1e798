"""Without bubblewrap custom tools are refused with how to enable it, unless the operator opts out."""

import pytest

pytestmark = pytest.mark.asyncio

ADD = "def add(a: int, b: int) -> int:\n    return a + b\n"


async def test_missing_bwrap_refuses_the_tool_saying_how_to_enable_it(run, settings):
    settings.TOOL_SANDBOX_BWRAP = "/nonexistent/bwrap"
    result = await run(ADD, "add", {"a": 1, "b": 2})
    assert not result.ok
    assert "no bubblewrap (bwrap) sandbox is available" in result.func_return
    assert "make install" in result.func_return and "LETTA_TOOL_SANDBOX=unsafe-none" in result.func_return


async def test_a_bwrap_that_fails_its_self_check_refuses_the_tool(run, settings):
    settings.TOOL_SANDBOX_BWRAP = "/usr/bin/false"
    result = await run(ADD, "add", {"a": 1, "b": 2})
    assert not result.ok and "failed its start-up check" in result.func_return


async def test_the_opt_out_runs_tools_unconfined(run, settings):
    settings.TOOL_SANDBOX_BWRAP = "/nonexistent/bwrap"
    settings.TOOL_SANDBOX = "unsafe-none"
    result = await run(ADD, "add", {"a": 1, "b": 2})
    assert result.ok and result.func_return == "3"
