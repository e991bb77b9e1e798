"""An agent's memory blocks: edit a value in place, edit a block's details, add, detach or delete a block, attach
one of the organization's blocks.

Every action is the service the API calls (`agents.services`, which calls `memory.services`); a refusal comes back
as the service's own message next to the control, with what was typed kept (status 422, which htmx swaps in).
Each block's forms carry the version they were loaded at, so a save over someone else's newer edit is refused and
shown side by side with the stored value instead of silently overwriting it.
"""

from django import forms
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from accounts.access import organization_required
from accounts.errors import DomainError
from agents import selectors, services
from agents.models import Agent
from agents.pages.agent_forms import TextareaField
from agents.pages.panel import panel_context
from memory import services as memory_services
from memory.models import Block
from memory.selectors import blocks_matching
from memory.services import EditActor

TEMPLATE = "agents/memory.html"
ATTACHABLE_PAGE = 20
BLOCKS_PAGE = 20


class ValueForm(forms.Form):
    value = TextareaField(required=False, rows=6)
    version = forms.IntegerField(widget=forms.HiddenInput)


class DetailsForm(forms.Form):
    label = forms.CharField(max_length=200)
    description = TextareaField(required=False, strip=True, rows=2)
    limit = forms.IntegerField(min_value=1, label="Limit (characters)")
    read_only = forms.BooleanField(required=False, label="Read-only for the agent")
    version = forms.IntegerField(widget=forms.HiddenInput)


class NewBlockForm(forms.Form):
    label = forms.CharField(max_length=200)
    value = TextareaField(required=False, rows=4)
    limit = forms.IntegerField(min_value=1, initial=5000, label="Limit (characters)")
    description = TextareaField(required=False, strip=True, rows=2)


class AttachForm(forms.Form):
    block = forms.CharField(label="Block")


# ------------------------------------------------------------------------------------------------------ reads


def _agent(request, agent_id: str) -> Agent:
    return selectors.agent_of(request.organization_id, agent_id)


def _blocks(agent: Agent):
    """The agent's blocks with the agents each is shared with, in two queries whatever their number."""
    holders = Prefetch("agents", queryset=Agent.objects.only("id", "name").order_by("name", "id"))
    return agent.blocks.order_by("label", "id").prefetch_related(holders)


def _block_of(agent: Agent, block_id: str) -> Block:
    return get_object_or_404(_blocks(agent), pk=block_id)


def _attachable(agent: Agent, query: str = ""):
    blocks = blocks_matching(agent.organization_id, label_search=query or None).exclude(agents=agent)
    return blocks.order_by("label", "id")[:ATTACHABLE_PAGE]


def _card(agent: Agent, block: Block, *, value_form=None, details_form=None, conflict=None, saved=False) -> dict:
    """What one block's card shows: its two forms (bound, after a refused save) and the agents it is shared with."""
    prefix = block.id
    return {
        "block": block,
        "others": [holder for holder in block.agents.all() if holder.pk != agent.pk],
        "value_form": value_form or ValueForm(prefix=prefix, initial={"value": block.value, "version": block.version}),
        "details_form": details_form
        or DetailsForm(
            prefix=f"{prefix}-details",
            initial={
                "label": block.label,
                "description": block.description or "",
                "limit": block.limit,
                "read_only": block.read_only,
                "version": block.version,
            },
        ),
        "details_open": details_form is not None,
        "conflict": conflict,
        "saved": saved,
    }


def _panel(request, agent: Agent, *, new_form=None, attach_form=None, query: str = "", **extra) -> dict:
    # A page of blocks at a time: each card is two forms, and an agent may hold a hundred blocks. Actions inside the
    # section send the page they were on (hx-vals on the section), so the section comes back on that page.
    page = Paginator(_blocks(agent), BLOCKS_PAGE).get_page(request.POST.get("page") or request.GET.get("page"))
    return panel_context(
        agent,
        "memory",
        page=page,
        cards=[_card(agent, block) for block in page],
        new_form=new_form or NewBlockForm(prefix="new"),
        attach_form=attach_form or AttachForm(prefix="attach"),
        attachable=_attachable(agent, query),
        query=query,
        **extra,
    )


@require_GET
@organization_required
def memory(request, agent_id: str):
    return render(request, TEMPLATE, _panel(request, _agent(request, agent_id)))


@require_GET
@organization_required
def attachable(request, agent_id: str):
    """The organization's blocks this agent does not hold, narrowed by label (the attach search)."""
    agent = _agent(request, agent_id)
    query = request.GET.get("q", "").strip()
    context = {"agent": agent, "attachable": _attachable(agent, query), "query": query}
    return render(request, f"{TEMPLATE}#attachable", context)


@require_GET
@organization_required
def block_card(request, agent_id: str, block_id: str):
    """One block's card as stored now: "keep the stored version" after a conflict, or a cancelled edit."""
    agent = _agent(request, agent_id)
    return _render_card(request, agent, _card(agent, _block_of(agent, block_id)))


# ------------------------------------------------------------------------------------------------------ writes


@require_POST
@organization_required
def save_value(request, agent_id: str, block_id: str):
    agent = _agent(request, agent_id)
    block = _block_of(agent, block_id)
    form = ValueForm(request.POST, prefix=block.id)
    if not form.is_valid():
        return _render_card(request, agent, _card(agent, block, value_form=form), status=422)
    try:
        block = services.update_block(
            block,
            actor=_actor(request),
            expected_version=form.cleaned_data["version"],
            value=form.cleaned_data["value"],
        )
    except memory_services.BlockVersionConflict as conflict:
        return _render_conflict(request, agent, conflict, form.cleaned_data["value"])
    except DomainError as exc:
        form.add_error("value", str(exc))
        return _render_card(request, agent, _card(agent, block, value_form=form), status=422)
    return _after_write(request, agent, _card(agent, _block_of(agent, block.id), saved=True))


@require_POST
@organization_required
def save_details(request, agent_id: str, block_id: str):
    agent = _agent(request, agent_id)
    block = _block_of(agent, block_id)
    form = DetailsForm(request.POST, prefix=f"{block.id}-details")
    if not form.is_valid():
        return _render_card(request, agent, _card(agent, block, details_form=form), status=422)
    fields = {name: form.cleaned_data[name] for name in ("label", "description", "limit", "read_only")}
    fields["description"] = fields["description"] or None
    try:
        version = form.cleaned_data["version"]
        block = services.update_block(block, actor=_actor(request), expected_version=version, **fields)
    except memory_services.BlockVersionConflict as conflict:
        # The typed details stay; the form now carries the stored version, so saving again is a deliberate choice.
        data = request.POST.copy()
        data[f"{block.id}-details-version"] = str(conflict.block.version)
        form = DetailsForm(data, prefix=f"{block.id}-details")
        form.is_valid()
        form.add_error(None, str(conflict))
        return _render_card(request, agent, _card(agent, _block_of(agent, block.id), details_form=form), status=422)
    except services.BlockLabelConflict as exc:
        form.add_error("label", str(exc))
        return _render_card(request, agent, _card(agent, block, details_form=form), status=422)
    except DomainError as exc:
        form.add_error("limit" if isinstance(exc, memory_services.BlockLimitError) else None, str(exc))
        return _render_card(request, agent, _card(agent, block, details_form=form), status=422)
    return _after_write(request, agent, _card(agent, _block_of(agent, block.id), saved=True))


@require_POST
@organization_required
def add_block(request, agent_id: str):
    agent = _agent(request, agent_id)
    form = NewBlockForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.attach_new_block(
                agent,
                data["label"],
                data["value"],
                _actor(request),
                limit=data["limit"],
                description=data["description"] or None,
            )
        except services.BlockLabelConflict as exc:
            form.add_error("label", str(exc))
        except memory_services.BlockLimitError as exc:
            form.add_error("value", str(exc))
        except DomainError as exc:
            form.add_error(None, str(exc))
    if form.errors:
        return _render_section(request, _panel(request, agent, new_form=form, added=None), status=422)
    return _render_section(request, _panel(request, agent, added=form.cleaned_data["label"]))


@require_POST
@organization_required
def attach(request, agent_id: str):
    agent = _agent(request, agent_id)
    form = AttachForm(request.POST, prefix="attach")
    if form.is_valid():
        block = Block.objects.for_organization(agent.organization_id).filter(pk=form.cleaned_data["block"]).first()
        if block is None:
            form.add_error("block", f"Block {form.cleaned_data['block']} is not a block of this organization.")
        else:
            try:
                services.attach_block(agent, block)
            except DomainError as exc:
                form.add_error("block", str(exc))
    if form.errors:
        return _render_section(request, _panel(request, agent, attach_form=form), status=422)
    return _render_section(request, _panel(request, agent))


@require_POST
@organization_required
def detach(request, agent_id: str, block_id: str):
    agent = _agent(request, agent_id)
    services.detach_block(agent, _block_of(agent, block_id))
    return _render_section(request, _panel(request, agent))


@require_POST
@organization_required
def delete(request, agent_id: str, block_id: str):
    agent = _agent(request, agent_id)
    services.delete_block(_block_of(agent, block_id))
    return _render_section(request, _panel(request, agent))


# ------------------------------------------------------------------------------------------------- rendering


def _actor(request) -> EditActor:
    return EditActor.user(str(request.user.pk))


def _render_conflict(request, agent: Agent, conflict: memory_services.BlockVersionConflict, mine: str):
    """Both versions: the stored one (theirs) and the typed one (mine), in a form that saves mine over the stored
    version only when asked to. Nothing was written."""
    stored = _block_of(agent, conflict.block.id)
    form = ValueForm(prefix=stored.id, initial={"value": mine, "version": stored.version})
    card = _card(agent, stored, value_form=form, conflict={"message": str(conflict), "theirs": stored.value})
    return _render_card(request, agent, card, status=422)


def _render_card(request, agent: Agent, card: dict, status: int = 200):
    if request.htmx:
        return render(request, f"{TEMPLATE}#card", {"agent": agent, **card}, status=status)
    # Without htmx the whole page, with this card as the refused form left it.
    context = _panel(request, agent)
    context["cards"] = [card if c["block"].pk == card["block"].pk else c for c in context["cards"]]
    return render(request, TEMPLATE, context, status=status)


def _after_write(request, agent: Agent, card: dict):
    if request.htmx:
        return _render_card(request, agent, card)
    return redirect("ade-agent-memory", agent.id)


def _render_section(request, context: dict, status: int = 200):
    if request.htmx:
        return render(request, f"{TEMPLATE}#blocks", context, status=status)
    if status == 200:
        return redirect("ade-agent-memory", context["agent"].id)
    return render(request, TEMPLATE, context, status=status)


urlpatterns = [
    path("agents/<str:agent_id>/memory/", memory, name="ade-agent-memory"),
    path("agents/<str:agent_id>/memory/new/", add_block, name="ade-memory-add"),
    path("agents/<str:agent_id>/memory/attach/", attach, name="ade-memory-attach"),
    path("agents/<str:agent_id>/memory/attachable/", attachable, name="ade-memory-attachable"),
    path("agents/<str:agent_id>/memory/<str:block_id>/", block_card, name="ade-memory-block"),
    path("agents/<str:agent_id>/memory/<str:block_id>/value/", save_value, name="ade-memory-value"),
    path("agents/<str:agent_id>/memory/<str:block_id>/details/", save_details, name="ade-memory-details"),
    path("agents/<str:agent_id>/memory/<str:block_id>/detach/", detach, name="ade-memory-detach"),
    path("agents/<str:agent_id>/memory/<str:block_id>/delete/", delete, name="ade-memory-delete"),
]
