"""run_code as the model calls it: Python in the custom-tool sandbox, answered in Letta's result shape."""

import json
import re

import pytest

from tools.context import ToolContext
from tools.executor import execute_outside

pytestmark = pytest.mark.asyncio


async def run(code: str, language: str = "python", limit: int = 50_000):
    ctx = ToolContext(organization_id="org-test", agent_id="agent-test", tool_name="run_code")
    return await execute_outside("run_code", {"code": code, "language": language}, ctx, return_char_limit=limit)


async def test_printed_output_and_the_last_expression_come_back():
    result = await run("import math\nprint('radius', 2)\nprint('warn', file=__import__('sys').stderr)\nmath.pi * 2**2")
    assert result.ok, result.func_return
    answer = json.loads(result.func_return)
    assert answer == {"results": [repr(3.141592653589793 * 4)], "logs": {"stdout": ["radius 2"], "stderr": ["warn"]}}


async def test_code_without_a_final_expression_has_no_results():
    answer = json.loads((await run("x = 40 + 2\nprint(x)")).func_return)
    assert answer["results"] == [] and answer["logs"]["stdout"] == ["42"] and "error" not in answer


async def test_an_exception_is_an_error_with_its_trace_and_the_output_before_it():
    result = await run("print('before')\ndef f():\n    return 1 / 0\nf()")
    assert result.status == "error"
    answer = json.loads(result.func_return)
    assert answer["logs"]["stdout"] == ["before"]
    error = answer["error"]
    assert error["name"] == "ZeroDivisionError" and error["value"] == "division by zero"
    assert "return 1 / 0" in error["traceback"] and "<tool" not in error["traceback"]


async def test_a_syntax_error_is_reported_as_such():
    answer = json.loads((await run("def broken(:\n    pass")).func_return)
    assert answer["error"]["name"] == "SyntaxError"


async def test_code_that_runs_too_long_is_stopped(settings):
    settings.RUN_CODE_TIMEOUT_SECONDS = 1
    result = await run("print('started')\nwhile True:\n    pass")
    # The sandbox's own words; any of its phrasings of a timeout will do.
    assert result.status == "error" and re.search(r"did not finish|timed out|time limit", result.func_return)


async def test_the_code_runs_in_its_own_process_not_the_servers():
    answer = json.loads((await run("import os\nos.getpid()")).func_return)
    import os

    assert answer["results"] != [repr(os.getpid())]


@pytest.mark.parametrize("language, name", [("js", "JavaScript"), ("ts", "TypeScript"), ("r", "R"), ("java", "Java")])
async def test_other_languages_say_they_are_not_available(language, name):
    result = await run("console.log(1)", language)
    assert result.status == "error"
    assert f"cannot run {name} on this server" in result.func_return and "python" in result.func_return


async def test_an_unknown_language_is_refused_by_the_schema():
    result = await run("x", "cobol")
    assert result.status == "error" and "language" in result.func_return


async def test_a_long_output_is_cut_to_the_tools_limit():
    result = await run("'x' * 10000", limit=500)
    assert "[NOTE: function output was truncated" in result.func_return
