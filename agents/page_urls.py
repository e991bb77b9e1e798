"""ADE routes of agents, mounted under /ade/: each screen's module brings its own."""

from agents.pages import agent_list, archival, context, memory, providers, settings, timeline, tools

urlpatterns = [
    *context.urlpatterns,
    *agent_list.urlpatterns,
    *providers.urlpatterns,
    *settings.urlpatterns,
    *memory.urlpatterns,
    *timeline.urlpatterns,
    *archival.urlpatterns,
    *tools.urlpatterns,
]

# Appended by the tools screen (issue 13): the custom tool editor lives at /ade/tools/, outside an agent's page.
from agents.pages import tool_editor  # noqa: E402

urlpatterns += tool_editor.urlpatterns
