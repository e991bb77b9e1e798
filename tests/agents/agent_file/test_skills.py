"""Skills in Letta's newer agent files (top-level `skills`, entries without ids): kept on import, listed in the
ADE, exported back unchanged."""

import pytest

from agents.agent_file import export_agent, import_agent
from agents.agent_file.errors import AgentFileError
from agents.models import Agent
from tests.agents.agent_file.conftest import agent_file, counts

pytestmark = pytest.mark.django_db

SKILLS = [
    {
        "name": "pdf",
        "files": {
            "SKILL.md": "---\nname: pdf\ndescription: Read & fill PDF forms\n---\n# PDF\n<script>alert(1)</script>",
            "scripts/fill.py": "print('fill')\n",
        },
        "source_url": "anthropic:pdf",
    },
    {"name": "slack", "source_url": "letta:slack"},
]


def with_skills(skills=SKILLS, **fields) -> dict:
    return {**agent_file(**fields), "skills": skills}


def test_skills_are_kept_and_exported_back_unchanged(org):
    result = import_agent(with_skills(), organization_id=org.id)
    agent = Agent.objects.get(pk=result.agent_ids[0])
    assert [s.name for s in agent.skills.all()] == ["pdf", "slack"]
    assert not any("skill" in w for w in result.warnings)
    assert export_agent(agent)["skills"] == SKILLS

    again = import_agent(export_agent(agent), organization_id=org.id)
    assert export_agent(Agent.objects.get(pk=again.agent_ids[0]))["skills"] == SKILLS


@pytest.mark.parametrize(
    ("skill", "says"),
    [
        ({"files": {"SKILL.md": "x"}}, "needs a non-empty 'name'"),
        ({"name": "pdf", "files": {"README.md": "x"}}, "needs 'files' holding 'SKILL.md', or a 'source_url'"),
        ({"name": "pdf", "files": {"SKILL.md": 3}}, "'files' must map each path to its text"),
        ({"name": "pdf", "source_url": 7}, "'source_url' must be a string"),
    ],
)
def test_a_malformed_skill_is_refused_by_name_and_nothing_is_stored(org, skill, says):
    before = counts()
    with pytest.raises(AgentFileError, match=says):
        import_agent(with_skills([skill]), organization_id=org.id)
    assert counts() == before


def test_two_skills_of_one_name_are_refused(org):
    with pytest.raises(AgentFileError, match="Skill 'slack'.*same name"):
        import_agent(with_skills([SKILLS[1], SKILLS[1]]), organization_id=org.id)


def test_the_settings_panel_lists_the_skills_escaped(signed_in, org):
    result = import_agent(with_skills(), organization_id=org.id)
    html = signed_in.get(f"/ade/agents/{result.agent_ids[0]}/settings/").content.decode()
    assert "<strong>pdf</strong>" in html and "<code>letta:slack</code>" in html
    assert "<code>scripts/fill.py</code>" in html and "Read &amp; fill PDF forms" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    plain = import_agent(agent_file(), organization_id=org.id)
    assert "No skills." in signed_in.get(f"/ade/agents/{plain.agent_ids[0]}/settings/").content.decode()
