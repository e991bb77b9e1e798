"""ADE routes of agents, mounted under /ade/: each screen's module brings its own."""

from agents.pages import (
    agent_list,
    archival,
    chat,
    context,
    conversations,
    mcp,
    memory,
    providers,
    runs,
    schedules,
    settings,
    sleeptime,
    timeline,
    tool_editor,
    tools,
)

urlpatterns = [
    *context.urlpatterns,
    *chat.urlpatterns,
    *conversations.urlpatterns,
    *agent_list.urlpatterns,
    *providers.urlpatterns,
    *settings.urlpatterns,
    *memory.urlpatterns,
    *timeline.urlpatterns,
    *archival.urlpatterns,
    *tools.urlpatterns,
    *tool_editor.urlpatterns,
    *runs.urlpatterns,
    *mcp.urlpatterns,
    *sleeptime.urlpatterns,
    *schedules.urlpatterns,
]
