"""What one send request asks of its run beyond the input, and nothing stored: the client's skills shown in the
system prompt, another model or another system prompt for this request, and whether compaction shows up in the
response.

Letta Code sends its skills (~23, found on the user's machine) with every turn; they describe where the skill files
live on that machine, so they belong to the request, never to the agent's stored system message.
"""

import posixpath
from dataclasses import dataclass, field

SKILLS_OPEN, SKILLS_CLOSE = "<available_skills>", "</available_skills>"


@dataclass(frozen=True, slots=True)
class ClientSkill:
    name: str
    description: str = ""
    location: str = ""  # where the client keeps it, e.g. /home/me/.letta/skills/pdf/SKILL.md


@dataclass(frozen=True, slots=True)
class RequestOptions:
    client_skills: tuple[ClientSkill, ...] = field(default_factory=tuple)
    override_model: str | None = None
    # Sent to the model instead of the agent's compiled system prompt (skills included), for this request only.
    override_system: str | None = None
    # Letta's default: a compaction during the run is not part of the response (the ADE's chat sees it anyway).
    include_compaction_messages: bool = False

    @classmethod
    def from_request(cls, data: dict) -> "RequestOptions":
        """From a validated LettaRequest (agents.api.serializers), or from the options a queued run carries."""
        skills = tuple(
            ClientSkill(s["name"], s.get("description") or "", s.get("location") or "")
            for s in data.get("client_skills") or []
        )
        return cls(
            client_skills=skills,
            override_model=data.get("override_model") or None,
            override_system=data.get("override_system") or None,
            include_compaction_messages=bool(data.get("include_compaction_messages")),
        )


def _first_line(text: str) -> str:
    return (text or "").strip().split("\n")[0].strip()


def _root_and_path(skill: ClientSkill) -> tuple[str, str]:
    """A skill's folder of skills and its file's path inside it: `/x/skills/pdf/SKILL.md` -> (`/x/skills`,
    `pdf/SKILL.md`), so skills that live side by side are listed under one root."""
    location = skill.location.strip() or f"${{MEMORY_DIR}}/skills/{skill.name}/SKILL.md"
    folder = posixpath.dirname(location)
    if location.endswith("/SKILL.md") and posixpath.basename(folder) == skill.name.split("/")[-1]:
        root = posixpath.dirname(folder)
        return root, posixpath.relpath(location, root)
    return folder, posixpath.basename(location)


def _tree_lines(node: dict, prefix: str = "") -> list[str]:
    folders = sorted(k for k, v in node.items() if isinstance(v, dict))
    files = sorted(k for k, v in node.items() if not isinstance(v, dict))
    entries = [(name, True) for name in folders] + [(name, False) for name in files]
    lines = []
    for i, (name, is_folder) in enumerate(entries):
        last = i == len(entries) - 1
        branch = "└── " if last else "├── "
        if is_folder:
            lines.append(f"{prefix}{branch}{name}/")
            lines += _tree_lines(node[name], prefix + ("    " if last else "│   "))
        else:
            lines.append(f"{prefix}{branch}{name}" + (f" ({node[name]})" if node[name] else ""))
    return lines


def render_skills(skills: tuple[ClientSkill, ...]) -> str:
    """Letta's `<available_skills>` section: per root folder, a tree of skill files, each with the first line of
    its description. A name given twice is listed once (the first)."""
    roots: dict[str, dict] = {}
    seen: set[str] = set()
    for skill in skills:
        if skill.name in seen:
            continue
        seen.add(skill.name)
        root, path = _root_and_path(skill)
        node = roots.setdefault(root, {})
        parts = [p for p in path.split("/") if p]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = _first_line(skill.description)
    if not roots:
        return ""
    sections = ["\n".join([root, *_tree_lines(roots[root])]) for root in sorted(roots)]
    return f"{SKILLS_OPEN}\n" + "\n\n".join(sections) + f"\n{SKILLS_CLOSE}"


def with_skills(system_text: str, skills: tuple[ClientSkill, ...]) -> str:
    """The system prompt for one request: the stored one with the client's skills after it."""
    section = render_skills(skills)
    if not section:
        return system_text
    return system_text.rstrip("\n") + "\n\n" + section


def system_for_request(system: str, options: RequestOptions) -> str:
    """The system prompt this request sends: its override, or the agent's with the client's skills listed."""
    return options.override_system or with_skills(system, options.client_skills)
