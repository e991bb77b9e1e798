"""The ADE's pages of agents, one module per screen: the list (and agent files), providers, and the panels of an
agent's page (context window, settings, memory blocks, memory timeline, archival memory, tools).

Each module has its own `urlpatterns` (mounted under /ade/ by agents/page_urls.py) and calls the same services as
the API, so no rule is written twice: a page turns a form into service arguments and a DomainError into a message
beside the control it is about.
"""
