"""Providers and their models: add an OpenAI-compatible or Anthropic provider, check it, list its models.

Each action is the service `/v1/providers` calls (`create_provider`, `check_provider`, `delete_provider`). After a
change those services forget the organization's model lists, so every picker offers the new models at once.
"""

from asgiref.sync import async_to_sync
from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import NotFound

from accounts.access import organization_required
from accounts.errors import DomainError
from accounts.models import Provider
from accounts.selectors import get_owned
from agents.api.pagination import cursor_values, keyset_page
from agents.model_choices import embedding_choices, model_choices
from agents.pages.agent_forms import PlainForm
from agents.provider_services import (
    ProviderNameError,
    ProviderURLError,
    check_provider,
    create_provider,
    delete_provider,
    new_provider_config,
)
from agents.providers import from_record

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
    """The models a provider lists, as the pickers offer them (`name/model` handles)."""
    org = request.organization_id
    record = Provider.objects.for_organization(org).filter(name=name).first()
    if record is None and name not in settings.LLM_PROVIDERS:
        raise Http404(f"Provider {name} not found.")
    prefix = f"{name}/"
    context = {
        "name": name,
        "provider": record,
        "chat": [c for c in model_choices(org) if c.handle.startswith(prefix)],
        "embedding": [c for c in embedding_choices(org) if c.handle.startswith(prefix)],
        "section": "providers",
    }
    return render(request, "providers/models.html", context)


def _field_of(exc: DomainError) -> str:
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
]
