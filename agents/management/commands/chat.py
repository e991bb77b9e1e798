"""Talk to an agent from the terminal and watch its steps: reasoning, tool calls, returns, memory edits."""

import asyncio
import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organization
from agents import services
from agents.models import Agent
from agents.runtime.errors import RunRefused
from agents.runtime.loop import run_agent

STYLE = {
    "reasoning_message": ("thinking", "\033[2m"),
    "tool_call_message": ("tool call", "\033[33m"),
    "tool_return_message": ("tool return", "\033[36m"),
    "assistant_message": ("agent", "\033[1m"),
    "approval_request_message": ("needs approval", "\033[35m"),
    "error_message": ("error", "\033[31m"),
}
RESET = "\033[0m"


class Command(BaseCommand):
    help = "Chat with an agent (by name or id). Use --create NAME --model provider/model to make a new one."

    def add_arguments(self, parser):
        parser.add_argument("agent", nargs="?", help="agent name or id")
        parser.add_argument("--create", metavar="NAME", help="create a new agent with this name")
        parser.add_argument("--model", help="model handle for --create, e.g. openai/gpt-4.1-mini")
        parser.add_argument("--message", "-m", action="append", help="send this message and exit (repeatable)")
        parser.add_argument("--stream", action="store_true", help="print tokens as they arrive")
        parser.add_argument("--max-steps", type=int, default=50)

    def handle(self, *args, **options):
        agent = self._agent(options)
        self.stdout.write(
            f"Chatting with {agent.name} ({agent.id}) on {agent.model}. Ctrl-D to leave, "
            "/memory to show memory blocks.\n"
        )
        if options["message"]:
            for text in options["message"]:
                self._send(agent, text, options)
            return
        while True:
            try:
                text = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                self.stdout.write("")
                return
            if text == "/memory":
                for block in agent.blocks.all():
                    self.stdout.write(f"[{block.label}] ({len(block.value)}/{block.limit})\n{block.value}\n")
            elif text:
                self._send(agent, text, options)

    def _agent(self, options) -> Agent:
        if options["create"]:
            try:
                return services.create_agent(
                    organization_id=Organization.default().id,
                    name=options["create"],
                    model=options["model"],
                    memory_blocks=[{"label": "human", "value": ""}, {"label": "persona", "value": ""}],
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if not options["agent"]:
            raise CommandError("Name an agent, or create one with --create NAME --model provider/model.")
        found = (
            Agent.objects.filter(pk=options["agent"]).first()
            or Agent.objects.filter(name=options["agent"]).order_by("-created_at").first()
        )
        if found is None:
            raise CommandError(f"No agent named or with id '{options['agent']}'.")
        return found

    def _send(self, agent: Agent, text: str, options) -> None:
        streamed = {"open": False}

        async def show(event: dict) -> None:
            kind = event.get("message_type")
            if options["stream"] and "otid" not in event and kind in ("assistant_message", "reasoning_message"):
                self.stdout.write(event.get("content") or event.get("reasoning") or "", ending="")
                streamed["open"] = True
                return
            if streamed["open"]:
                self.stdout.write("")
                streamed["open"] = False
            if kind in STYLE:
                label, color = STYLE[kind]
                self.stdout.write(f"{color}{label}:{RESET} {_describe(event)}")
            elif kind == "stop_reason":
                self.stdout.write(f"\033[2m[{event['stop_reason']}]{RESET}")

        try:
            asyncio.run(
                run_agent(
                    agent.id, input=text, max_steps=options["max_steps"], stream_tokens=options["stream"], on_event=show
                )
            )
        except RunRefused as exc:
            self.stderr.write(f"refused: {exc.message}")


def _describe(event: dict) -> str:
    kind = event["message_type"]
    if kind in ("tool_call_message", "approval_request_message"):
        call = event["tool_call"]
        return f"{call['name']}({call['arguments']})"
    if kind == "tool_return_message":
        return f"[{event['status']}] {event['tool_return']}"
    if kind == "reasoning_message":
        return event["reasoning"]
    if kind == "error_message":
        return f"{event.get('error_type')}: {event.get('message')}"
    content = event.get("content")
    return content if isinstance(content, str) else json.dumps(content)
