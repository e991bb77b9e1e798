"""Providers and their models: add an OpenAI-compatible or Anthropic provider, check it, list its models, and set
the context window and alias of each model (or the provider's default window).

Each action is the service `/v1/providers` calls (`create_provider`, `check_provider`, `delete_provider`,
`update_provider`, `set_model_setting`). After a change those services forget the organization's model lists, so
every picker offers the new models (and windows) at once.
"""

from asgiref.sync import async_to_sync
from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import NotFound

from accounts.access import organization_required
from accounts.errors import DomainError
from accounts.models import Provider
from accounts.selectors import get_owned
from agents.api.pagination import cursor_values, keyset_page
from agents.model_choices import embedding_choices, model_choices
from agents.model_names import readable_names
from agents.pages.agent_forms import PlainForm
from agents.provider_services import (
    ModelSettingError,
    ProviderNameError,
    ProviderURLError,
    check_provider,
    create_provider,
    delete_provider,
    new_provider_config,
    set_model_setting,
    update_provider,
)
from agents.providers import context_window_of, find_provider, from_record

TEMPLATE = "providers/list.html"
PAGE_SIZE = 50


class ProviderForm(PlainForm):
    provider_type = forms.ChoiceField(
        label="Kind", choices=[("openai_compatible", "OpenAI-compatible"), ("anthropic", "Anthropic")]
    )
    name = forms.CharField(
        label="Name", max_length=100, help_text="Its models are offered as name/model, e.g. local/qwen2.5."
    )
    base_url = forms.CharField(
        label="Base URL",
        max_length=500,
        required=False,
        help_text="The address serving /v1/models, e.g. http://127.0.0.1:11434/v1. Optional for Anthropic.",
    )
    # Shown back (masked) only while the form is not saved, so "Check" then "Add" need not retype it; once stored,
    # a key is never sent to the browser again.
    api_key = forms.CharField(
        label="API key", required=False, strip=False, widget=forms.PasswordInput(render_value=True)
    )
    context_window = forms.IntegerField(
        label="Default context window (tokens)",
        required=False,
        help_text="Optional: the window of its models when neither a model's own setting, its name nor the server "
        "tells. Each model's window and alias are set on its models page.",
    )


class WindowForm(PlainForm):
    """A window typed as tokens; empty clears it. Its range is the service's rule (`check_window`)."""

    context_window = forms.IntegerField(label="Default context window (tokens)", required=False)


class ModelSettingForm(WindowForm):
    model_id = forms.CharField(max_length=500, widget=forms.HiddenInput)
    alias = forms.CharField(label="Alias", required=False, max_length=200)


@require_GET
@organization_required
def provider_list(request):
    return render(request, TEMPLATE, _context(request, ProviderForm()))


@require_POST
@organization_required
def provider_create(request):
    form = ProviderForm(request.POST)
    if form.is_valid():
        try:
            provider = create_provider(organization_id=request.organization_id, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(_field_of(exc), str(exc))
        else:
            if not request.htmx:
                return redirect("ade-providers")
            return render(request, f"{TEMPLATE}#providers", _context(request, ProviderForm(), added=provider))
    return _render(request, _context(request, form), status=422)


@require_POST
@organization_required
def provider_check_new(request):
    """Check the typed settings before saving them; the form comes back as typed, with the answer."""
    form = ProviderForm(request.POST)
    check = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            config = new_provider_config(data["provider_type"], api_key=data["api_key"], base_url=data["base_url"])
            check = {"ok": True, "message": async_to_sync(check_provider)(config, data["provider_type"])}
        except (ProviderNameError, ProviderURLError) as exc:
            form.add_error(_field_of(exc), str(exc))
        except DomainError as exc:
            check = {"ok": False, "message": str(exc)}
    return _render(request, _context(request, form, check=check), status=422 if form.errors else 200)


@require_POST
@organization_required
def provider_check(request, provider_id: str):
    provider = get_owned(Provider, request.organization_id, provider_id, "Provider")
    try:
        check = {"ok": True, "message": async_to_sync(check_provider)(from_record(provider), provider.provider_type)}
    except DomainError as exc:
        check = {"ok": False, "message": str(exc)}
    if request.htmx:
        return render(request, f"{TEMPLATE}#check", {"check": check, "provider": provider, "checked": provider})
    return _render(request, _context(request, ProviderForm(), checked=provider, check=check))


@require_GET
@organization_required
def provider_confirm_delete(request, provider_id: str):
    provider = get_owned(Provider, request.organization_id, provider_id, "Provider")
    return render(request, "providers/confirm_delete.html", {"provider": provider, "section": "providers"})


@require_POST
@organization_required
def provider_delete(request, provider_id: str):
    delete_provider(get_owned(Provider, request.organization_id, provider_id, "Provider"))
    if request.htmx:
        return render(request, f"{TEMPLATE}#providers", _context(request, ProviderForm()))
    return redirect("ade-providers")


@require_GET
@organization_required
def provider_models(request, name: str):
    """The models a provider lists, as the pickers offer them (`name/model` handles), each with its window (marked
    when guessed) and, for the organization's own provider, a form for its window and alias."""
    org = request.organization_id
    record = Provider.objects.for_organization(org).filter(name=name).first()
    if record is None and name not in settings.LLM_PROVIDERS:
        raise Http404(f"Provider {name} not found.")
    return render(request, MODELS_TEMPLATE, _models_context(request, name, record))


@require_POST
@organization_required
def provider_model_setting(request, provider_id: str):
    """Set one model's window and alias (`set_model_setting`, what PATCH /v1/providers/{id} model_settings sets)."""
    provider = get_owned(Provider, request.organization_id, provider_id, "Provider")
    form = ModelSettingForm(request.POST)
    model_id = request.POST.get("model_id", "")
    if form.is_valid():
        data = form.cleaned_data
        try:
            set_model_setting(
                provider, data["model_id"], context_window=data["context_window"], alias=data["alias"] or None
            )
        except ModelSettingError as exc:
            form.add_error(exc.field, str(exc))
        else:
            return _models(request, provider, saved=data["model_id"])
    return _models(request, provider, status=422, edited=(model_id, form))


@require_POST
@organization_required
def provider_window(request, provider_id: str):
    """Set or clear the provider's default window (`update_provider`, as PATCH /v1/providers/{id})."""
    provider = get_owned(Provider, request.organization_id, provider_id, "Provider")
    form = WindowForm(request.POST)
    if form.is_valid():
        try:
            update_provider(provider, {"context_window": form.cleaned_data["context_window"]})
        except ModelSettingError as exc:
            form.add_error("context_window", str(exc))
        else:
            return _models(request, provider, saved="provider")
    provider.refresh_from_db()  # the refused value was not stored
    return _models(request, provider, status=422, window_form=form)


MODELS_TEMPLATE = "providers/models.html"


def _models(request, provider: Provider, *, status: int = 200, **extra):
    template = f"{MODELS_TEMPLATE}#models" if request.htmx else MODELS_TEMPLATE
    return render(request, template, _models_context(request, provider.name, provider, **extra), status=status)


def _models_context(request, name: str, record: Provider | None, *, edited=None, window_form=None, saved=None):
    org = request.organization_id
    prefix = f"{name}/"
    chat = [c for c in model_choices(org) if c.handle.startswith(prefix)]
    return {
        "name": name,
        "provider": record,
        "rows": _model_rows(name, record, chat, edited),
        "embedding": [c for c in embedding_choices(org) if c.handle.startswith(prefix)],
        "window_form": window_form or WindowForm(initial={"context_window": record.context_window if record else None}),
        "saved": saved,
        "environment_windows": [(h, t) for h, t in settings.MODEL_CONTEXT_WINDOWS.items() if h.startswith(prefix)],
        "section": "providers",
    }


def _model_rows(name: str, record: Provider | None, chat: list, edited) -> list[dict]:
    """One row per chat model the provider lists, then per model it has settings for but does not list now (so
    they can be cleared). A row refused by the service shows what was typed and the error beside its control."""
    stored = (record.model_settings if record else None) or {}
    rows = []
    for choice in chat:
        model_id = choice.model_id or choice.handle.removeprefix(f"{name}/")
        row = {"choice": choice, "handle": choice.handle, "model_id": model_id, "listed": True}
        rows.append({**row, **_values(stored, model_id, edited)})
    listed = {row["model_id"] for row in rows}
    aliases = {m: e["alias"] for m, e in stored.items() if e.get("alias")}
    names = readable_names(stored, aliases)
    for model_id in stored:
        if model_id not in listed:
            row = {"handle": f"{name}/{names[model_id]}", "model_id": model_id, "listed": False}
            rows.append({**row, **_values(stored, model_id, edited)})
    return rows


def _values(stored: dict, model_id: str, edited) -> dict:
    if edited and edited[0] == model_id:
        form = edited[1]
        return {
            "window_value": form.data.get("context_window", ""),
            "alias_value": form.data.get("alias", ""),
            "errors": {field: " ".join(errors) for field, errors in form.errors.items()},
        }
    entry = stored.get(model_id) or {}
    return {"window_value": entry.get("context_window") or "", "alias_value": entry.get("alias") or "", "errors": {}}


def window_note(agent) -> dict:
    """The agent's context window for the panels that show it, with where to set it when it is a guess: its
    provider's models page (or the providers page, for a handle no provider serves)."""
    window = context_window_of(agent.model, agent.context_window_limit, agent.organization_id)
    name = agent.model.partition("/")[0]
    served = window.is_guess and find_provider(name, agent.organization_id) is not None
    link = reverse("ade-provider-models", args=[name]) if served else reverse("ade-providers")
    return {"tokens": window.tokens, "is_guess": window.is_guess, "source": window.source, "link": link}


def _field_of(exc: DomainError) -> str:
    if isinstance(exc, ModelSettingError):
        return "context_window"
    if isinstance(exc, ProviderNameError):
        return "name"
    return "base_url" if isinstance(exc, ProviderURLError) else "provider_type"


def _render(request, context: dict, status: int = 200):
    template = f"{TEMPLATE}#providers" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


def _context(request, form: ProviderForm, **extra) -> dict:
    records = Provider.objects.for_organization(request.organization_id)
    fields = ("created_at", "id")
    try:
        after = cursor_values(records, request.GET.get("after"), fields, "Provider")
    except NotFound as exc:
        raise Http404(str(exc.detail)) from exc
    page = keyset_page(records, fields=fields, after=after, before=None, order="asc", limit=PAGE_SIZE + 1)
    return {
        "form": form,
        "providers": page[:PAGE_SIZE],
        "more": page[PAGE_SIZE - 1].id if len(page) > PAGE_SIZE else None,
        "environment": _environment_providers(),
        "section": "providers",
        **extra,
    }


def _environment_providers() -> list[dict]:
    """The operator's providers (settings.LLM_PROVIDERS), shown read-only: never their keys."""
    return [
        {
            "name": name,
            "kind": entry.get("kind", ""),
            "base_url": entry.get("base_url") or "",
            "has_key": bool(entry.get("api_key")),
        }
        for name, entry in sorted(settings.LLM_PROVIDERS.items())
    ]


urlpatterns = [
    path("providers/", provider_list, name="ade-providers"),
    path("providers/add/", provider_create, name="ade-provider-create"),
    path("providers/check/", provider_check_new, name="ade-provider-check-new"),
    path("providers/<str:provider_id>/check/", provider_check, name="ade-provider-check"),
    path("providers/<str:provider_id>/delete/", provider_delete, name="ade-provider-delete"),
    path("providers/<str:provider_id>/delete/confirm/", provider_confirm_delete, name="ade-provider-delete-confirm"),
    path("providers/<str:name>/models/", provider_models, name="ade-provider-models"),
    path("providers/<str:provider_id>/models/settings/", provider_model_setting, name="ade-provider-model-setting"),
    path("providers/<str:provider_id>/window/", provider_window, name="ade-provider-window"),
]
