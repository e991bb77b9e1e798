import pytest

from tools.sandbox import SandboxLimits, run_tool_source

pytestmark = pytest.mark.asyncio

SOURCE = '''
def add(a: int, b: int) -> int:
    """Add two numbers."""
    print("adding", a, b)
    return a + b
'''


async def test_runs_the_function_and_captures_its_output():
    result = await run_tool_source(SOURCE, "add", {"a": 2, "b": 3})
    assert result.ok and result.func_return == "5" and result.stdout == ["adding 2 3"]


async def test_an_exception_comes_back_as_an_error_with_its_trace():
    result = await run_tool_source("def boom():\n    return 1 / 0\n", "boom", {})
    assert result.status == "error" and "ZeroDivisionError" in result.func_return
    assert any("1 / 0" in line for line in result.stderr)


async def test_a_tool_that_hangs_is_stopped():
    result = await run_tool_source(
        "def spin():\n    while True: pass\n", "spin", {}, limits=SandboxLimits(timeout_seconds=0.5)
    )
    assert result.status == "error" and "did not finish within 0.5 seconds" in result.func_return


async def test_only_the_given_environment_is_visible():
    source = "import os\ndef env():\n    return sorted(k for k in os.environ if k != 'LC_CTYPE')\n"
    result = await run_tool_source(source, "env", {}, env={"API_TOKEN": "s3cret"})
    assert result.func_return == '["API_TOKEN", "HOME", "LANG", "PATH", "PWD"]'


async def test_a_missing_function_is_named():
    result = await run_tool_source("x = 1\n", "nothing", {})
    assert result.status == "error" and "no function named 'nothing'" in result.func_return


async def test_exiting_the_process_is_reported():
    result = await run_tool_source("import os\ndef leave():\n    os._exit(3)\n", "leave", {})
    assert result.status == "error" and "exited with code 3" in result.func_return
