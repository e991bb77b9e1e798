"""Messages in an agent file: their shapes across Letta's releases, and an in-context list a provider accepts.

Letta wrote content as a string or as parts, tool results as `tool_returns` or (older) as a tool message whose
content is the packaged JSON `{"status": "OK", "message": ..., "time": ...}` with a `tool_call_id`. We keep the
content parts verbatim and derive our `tool_returns` from whichever shape is there, so no character is lost.

A file can also hold a context a provider would refuse: a tool call whose result never came (exported mid-run,
or after a crash) or a tool result whose call was cut away. `arrange_context` repairs that without dropping
anything: a missing result becomes an error result the model can read, and a result without its call moves out of
the context into recall history.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agents.agent_file.errors import AgentFileError, optional_str
from agents.runtime.transcript import text_of

ROLES = ("system", "user", "assistant", "tool", "approval", "summary")
ROLE_ALIASES = {"function": "tool"}  # MemGPT-era files call tool results "function" messages
# Column bounds of agents.Message; longer strings are refused rather than cut.
MAX_LENGTHS = {"name": 200, "tool_call_id": 128, "otid": 64, "sender_id": 64, "model": 200, "approval_request_id": 64}
NO_RESULT = "Error: this tool call has no recorded result (the agent file was saved before the tool returned)."


@dataclass(slots=True, eq=False)
class FileMessage:
    file_id: str | None  # None for a result we add while repairing the context
    role: str
    content: list[dict] = field(default_factory=list)
    name: str | None = None
    tool_calls: list[dict] | None = None
    tool_call_id: str | None = None
    tool_returns: list[dict] | None = None
    approvals: list | None = None
    approve: bool | None = None
    approval_request_id: str | None = None
    denial_reason: str | None = None
    otid: str | None = None
    sender_id: str | None = None
    model: str | None = None
    is_err: bool = False
    created_at: datetime | None = None

    @property
    def text(self) -> str:
        """The plain text kept for search: a tool message's results, otherwise its text parts."""
        if self.role == "tool":
            return "\n".join(str(r.get("func_response") or "") for r in self.tool_returns or [])
        return text_of(self.content)

    def call_ids(self) -> list[str]:
        return [c["id"] for c in self.tool_calls or []]


# ------------------------------------------------------------------------------------------------- parsing


def parse_message(raw: dict, where: str) -> FileMessage:
    role = ROLE_ALIASES.get(raw.get("role"), raw.get("role"))
    if role not in ROLES:
        raise AgentFileError(f"{where} has unknown role {raw.get('role')!r}; roles are: {', '.join(ROLES)}.")
    strings = {}
    for key, limit in MAX_LENGTHS.items():
        value = optional_str(raw, key, where)
        if value is not None and len(value) > limit:
            raise AgentFileError(f"{where}: '{key}' is longer than {limit} characters.")
        strings[key] = value
    content = _content(raw, where)
    tool_calls = _tool_calls(raw.get("tool_calls"), where)
    approvals = raw.get("approvals") or None
    if approvals is not None and not isinstance(approvals, list):
        raise AgentFileError(f"{where}: 'approvals' must be a list.")
    if raw.get("approve") is not None and not isinstance(raw["approve"], bool):
        raise AgentFileError(f"{where}: 'approve' must be true, false or null.")
    return FileMessage(
        file_id=raw["id"],
        role=role,
        content=content,
        tool_calls=tool_calls,
        tool_returns=_tool_returns(raw, content, where) if role == "tool" else (raw.get("tool_returns") or None),
        approvals=approvals,
        approve=raw.get("approve"),
        denial_reason=optional_str(raw, "denial_reason", where),
        is_err=bool(raw.get("is_err")),
        created_at=parse_time(raw.get("created_at"), where),
        **strings,
    )


def _content(raw: dict, where: str) -> list[dict]:
    content = raw.get("content")
    if content is None and isinstance(raw.get("text"), str):
        content = raw["text"]  # the oldest files kept a message's text in 'text'
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise AgentFileError(f"{where}: 'content' must be a string or a list of content parts.")
    for index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise AgentFileError(
                f"{where}: content[{index}] must be an object with a 'type', like {{'type': 'text', 'text': ...}}."
            )
        if part["type"] == "text" and not isinstance(part.get("text"), str):
            raise AgentFileError(f"{where}: content[{index}] is a text part without a 'text' string.")
    return content


def _tool_calls(calls, where: str) -> list[dict] | None:
    if not calls:
        return None
    if not isinstance(calls, list):
        raise AgentFileError(f"{where}: 'tool_calls' must be a list.")
    out = []
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if (
            not isinstance(function, dict)
            or not isinstance(call.get("id"), str)
            or not call["id"]
            or not isinstance(function.get("name"), str)
        ):
            raise AgentFileError(f"{where}: tool_calls[{index}] needs an 'id' and a 'function' with a 'name'.")
        arguments = function.get("arguments")
        if arguments is None:
            arguments = "{}"
        elif not isinstance(arguments, str):  # some writers stored the parsed object; providers want the text
            arguments = json.dumps(arguments, ensure_ascii=False)
        out.append({**call, "type": call.get("type") or "function", "function": {**function, "arguments": arguments}})
    return out


def _tool_returns(raw: dict, content: list[dict], where: str) -> list[dict]:
    """Our tool_returns for a tool message, from `tool_returns` or from the legacy packaged content."""
    entries = raw.get("tool_returns") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise AgentFileError(f"{where}: 'tool_returns' must be a list of objects.")
    packaged = text_of(content)
    if not entries:
        if not raw.get("tool_call_id"):
            return []  # a result with nothing to answer; arrange_context moves it out of the context
        entries = [{"tool_call_id": raw["tool_call_id"]}]
    out = []
    for index, entry in enumerate(entries):
        call_id = entry.get("tool_call_id") or (raw.get("tool_call_id") if len(entries) == 1 else None)
        status, response, time = _unpack(packaged) if len(entries) == 1 else ("success", "", None)
        if entry.get("status") is not None:
            status = _status(entry["status"], f"{where} tool_returns[{index}]")
        if "func_response" in entry and entry["func_response"] is not None:
            response = entry["func_response"]
        if not isinstance(response, str):
            response = json.dumps(response, ensure_ascii=False)
        out.append(
            {
                **entry,
                "tool_call_id": call_id,
                "tool_name": entry.get("tool_name") or raw.get("name"),
                "status": status,
                "func_response": response,
                "stdout": entry.get("stdout"),
                "stderr": entry.get("stderr"),
                "time": entry.get("time") or time,
            }
        )
    return out


def _unpack(packaged: str) -> tuple[str, str, str | None]:
    """(status, response, time) from Letta's packaged tool result; unknown text is the response as it is."""
    try:
        body = json.loads(packaged)
    except ValueError:
        return "success", packaged, None
    if not isinstance(body, dict) or "message" not in body or "status" not in body:
        return "success", packaged, None
    message = body["message"]
    response = message if isinstance(message, str) else json.dumps(message, ensure_ascii=False)
    status = "error" if str(body["status"]).lower() in ("failed", "error") else "success"
    return status, response, body.get("time")


def _status(value, where: str) -> str:
    normal = {"success": "success", "ok": "success", "error": "error", "failed": "error"}.get(str(value).lower())
    if normal is None:
        raise AgentFileError(f"{where}: status {value!r} is neither 'success' nor 'error'.")
    return normal


def parse_time(value, where: str) -> datetime | None:
    """A timestamp from the file (ISO 8601, 'Z' or an offset); naive times are UTC, as Letta writes them."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise AgentFileError(f"{where}: 'created_at' must be an ISO 8601 timestamp string.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise AgentFileError(f"{where}: 'created_at' {value!r} is not an ISO 8601 timestamp.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------------------ repairing context


def is_summary(text: str) -> bool:
    """Whether a user message is a conversation summary: Letta packages those as a `system_alert`."""
    if not text.startswith("{"):
        return False
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("type") == "system_alert" and isinstance(body.get("message"), str)


@dataclass(slots=True)
class Context:
    messages: list[FileMessage]  # the in-context list to store, repairs included
    out_of_context: list[FileMessage] = field(default_factory=list)
    added_after: dict[int, list[FileMessage]] = field(default_factory=dict)  # id(message) -> results added after it
    warnings: list[str] = field(default_factory=list)


def arrange_context(messages: list[FileMessage], agent_file_id: str) -> Context:
    """The in-context messages as a provider accepts them: every call answered, every result after its call."""
    calls: dict[str, str] = {}  # call id -> tool name, for calls made earlier in the context
    answered: set[str] = set()
    context = Context(messages=[])
    if messages and messages[0].role == "user" and is_summary(messages[0].text):
        messages[0].role = "summary"  # the context's summary, as Letta (and our export) write it
    for message in messages:
        if message.role == "tool":
            ids = [r.get("tool_call_id") for r in message.tool_returns or []]
            if not ids or any(i not in calls or i in answered for i in ids):
                context.out_of_context.append(message)
                context.warnings.append(
                    f"Agent {agent_file_id}: message {message.file_id} is a tool result without its tool call in "
                    "the context; it was kept in the agent's history but moved out of the context window."
                )
                continue
            for ret in message.tool_returns:
                ret["tool_name"] = ret.get("tool_name") or calls[ret["tool_call_id"]]
            answered.update(ids)
        context.messages.append(message)
        for call in message.tool_calls or []:
            calls[call["id"]] = call["function"]["name"]
    _answer_dangling(context, answered, agent_file_id)
    return context


def _answer_dangling(context: Context, answered: set[str], agent_file_id: str) -> None:
    out = context.messages
    for index in range(len(out) - 1, -1, -1):
        message = out[index]
        missing = [c for c in message.tool_calls or [] if c["id"] not in answered]
        if not missing:
            continue
        if index == len(out) - 1 and message.role == "approval" and len(missing) == len(message.tool_calls):
            context.warnings.append(
                f"Agent {agent_file_id} waits for a decision on tool call(s) "
                f"{', '.join(c['id'] for c in missing)}: approve or deny them before sending a new message."
            )
            continue
        at = index + 1  # after the results and approval answers that already follow the call
        while at < len(out) and (out[at].role == "tool" or (out[at].role == "approval" and not out[at].tool_calls)):
            at += 1
        decisions = {
            a.get("tool_call_id"): a for m in out[index + 1 : at] for a in m.approvals or [] if isinstance(a, dict)
        }
        returns = [_result_for(call, decisions.get(call["id"])) for call in missing]
        added = FileMessage(file_id=None, role="tool", tool_returns=returns, created_at=out[at - 1].created_at)
        out.insert(at, added)
        context.added_after.setdefault(id(out[at - 1]), []).append(added)
        context.warnings.append(
            f"Agent {agent_file_id}: message {message.file_id} has tool call(s) without a result "
            f"({', '.join(c['id'] for c in missing)}); an error result was added so the model can go on."
        )


def _result_for(call: dict, decision: dict | None) -> dict:
    """The result of an unanswered call: what the person decided, if the file says, else an error."""
    status, response = "error", NO_RESULT
    if decision and decision.get("type") == "tool":
        value = decision.get("tool_return", decision.get("func_response"))
        status = "error" if decision.get("status") == "error" else "success"
        response = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    elif decision and decision.get("approve") is False:
        response = f"Error: request to call tool denied. User reason: {decision.get('reason') or 'none given'}"
    return {
        "tool_call_id": call["id"],
        "tool_name": call["function"]["name"],
        "status": status,
        "func_response": response,
        "stdout": None,
        "stderr": None,
        "time": None,
    }
