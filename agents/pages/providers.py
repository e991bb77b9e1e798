"""Providers and their models: add an OpenAI-compatible or Anthropic provider, check it, list its models."""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import organization_required


@require_GET
@organization_required
def provider_list(request):
    return render(request, "base.html", {"section": "providers"})


urlpatterns = [
    path("providers/", provider_list, name="ade-providers"),
]
