"""`run_code`, Letta's code-interpreter tool. Python runs in the same sandbox as custom tools
(`tools.sandbox.run_custom_tool`), never in the server's process; the other languages Letta lists have no runtime
here and say so.

The answer has the shape of Letta's (an E2B execution made model-friendly): {"results": [the value of the last
expression, as a notebook shows it], "logs": {"stdout": [...], "stderr": [...]}, "error": {"name", "value",
"traceback"}}, with "error" only when the code raised.
"""

import json
from typing import Literal

from django.conf import settings

from tools.builtin.core_tools import ToolInputError
from tools.context import ToolContext, ToolResult
from tools.sandbox import run_custom_tool

# Runs inside the sandbox as a tool named run_code: the code executes as a module of its own, and a trailing
# expression is evaluated and kept, as a notebook cell does. Only frames of the code itself are shown in a trace.
WRAPPER = r"""
def run_code(code):
    import ast, linecache, sys, traceback
    filename = "<code>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    results, error = [], None
    try:
        tree = ast.parse(code, filename, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, filename, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, filename, "eval"), namespace)
            if value is not None:
                results.append(repr(value))
    except BaseException as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        trace = "".join(traceback.format_list(frames)) if frames else ""
        error = {
            "name": type(exc).__name__,
            "value": str(exc),
            "traceback": "Traceback (most recent call last):\n" + trace + "".join(traceback.format_exception_only(exc)),
        }
    sys.stdout.flush()
    sys.stderr.flush()
    return {"results": results, "error": error}
"""

MAX_RETURN_CHARS = 10_000_000
OTHER_LANGUAGES = {"js": "JavaScript", "ts": "TypeScript", "r": "R", "java": "Java"}


async def run_code(ctx: ToolContext, code: str, language: Literal["python", "js", "ts", "r", "java"]) -> ToolResult:
    """Run code in a sandbox. On this server only Python runs; the value of a last expression is returned too.

    Args:
        code: The code to run.
        language: The language of the code (only "python" is available on this server).
    """
    if language != "python":
        raise ToolInputError(
            f"run_code cannot run {OTHER_LANGUAGES.get(language, language)} on this server: only python is "
            "available here. Write the code in Python instead."
        )
    # As a custom tool runs: the operator's sandbox limits, with run_code's own timeout. No secrets: the model's
    # code is not the agent owner's code. The whole answer is cut to the tool's limit afterwards, not here.
    ran = await run_custom_tool(
        WRAPPER,
        "run_code",
        {"code": code},
        schema=None,
        return_char_limit=MAX_RETURN_CHARS,
        timeout_seconds=settings.RUN_CODE_TIMEOUT_SECONDS,
        organization_id=ctx.organization_id,  # its concurrency slot counts against the organization's share
    )
    if not ran.ok:
        # The sandbox stopped it (timeout, memory, no sandbox on this host): its message says which.
        return ran
    try:
        outcome = json.loads(ran.func_return)
    except ValueError:
        outcome = {"results": [ran.func_return], "error": None}
    answer = {"results": outcome.get("results") or [], "logs": {"stdout": ran.stdout, "stderr": ran.stderr}}
    if outcome.get("error"):
        answer["error"] = outcome["error"]
    text = json.dumps(answer, ensure_ascii=False)
    return ToolResult(
        status="error" if "error" in answer else "success", func_return=text, stdout=ran.stdout, stderr=ran.stderr
    )
