"""The models the ADE's pickers offer and a model's known maximum window: what the organization's providers list
(as `GET /v1/models/` does).

Asking every provider for its list on every page would make each page as slow as the slowest provider, so the lists
are kept for a minute per organization. The key names the state of the organization's providers (how many, the
latest change), so adding, changing or removing one through any server process shows at once in every process's
pickers. A model an agent already uses stays offered even when its provider does not list it right now, so a form
never silently switches an agent's model.
"""

from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.core.cache import cache

CACHE_SECONDS = 60


@dataclass(frozen=True)
class ModelChoice:
    handle: str
    label: str
    context_window: int | None = None  # the most an agent may set (`max_context_window`)
    model_id: str | None = None  # the id its server serves it by
    window: int | None = None  # the window it gets when the agent sets none
    window_is_guess: bool = False


def model_choices(organization_id: str, current: str | None = None) -> list[ModelChoice]:
    """Chat models, by handle; `current` first-class even when no provider lists it now."""
    return _with_current(_cached("chat", organization_id, "list_models"), current)


def embedding_choices(organization_id: str, current: str | None = None) -> list[ModelChoice]:
    return _with_current(_cached("embedding", organization_id, "list_embedding_models"), current)


def forget_models(organization_id: str) -> None:
    """Call after a provider of the organization changes, so the pickers show its models at once."""
    cache.delete_many([_key("chat", organization_id), _key("embedding", organization_id)])


def _key(kind: str, organization_id: str) -> str:
    return f"ade-models:{kind}:{organization_id}"


def _providers_state(organization_id: str) -> str:
    from django.db.models import Count, Max

    from accounts.models import Provider

    state = Provider.objects.filter(organization_id=organization_id).aggregate(n=Count("id"), at=Max("updated_at"))
    return f"{state['n']}:{state['at'].timestamp() if state['at'] else 0}"


def _cached(kind: str, organization_id: str, lister: str) -> list[ModelChoice]:
    key, state = _key(kind, organization_id), _providers_state(organization_id)
    kept = cache.get(key)
    if kept is not None and kept[0] == state:
        return kept[1]
    # Imported here: the provider services import this module to forget the lists, and `providers` imports them.
    from agents import providers

    listed = async_to_sync(getattr(providers, lister))(organization_id)
    choices = sorted((_choice(m) for m in listed), key=lambda choice: choice.handle)
    cache.set(key, (state, choices), CACHE_SECONDS)
    return choices


def _choice(model: dict) -> ModelChoice:
    guess = bool(model.get("context_window_is_guess"))
    # A picker's option says when the window is a guess, so it is noticed before the agent overruns it.
    label = f"{model['handle']} (window guessed)" if guess else model["handle"]
    return ModelChoice(
        model["handle"],
        label,
        model.get("max_context_window"),
        model_id=model.get("name"),
        window=model.get("context_window"),
        window_is_guess=guess,
    )


def _with_current(choices: list[ModelChoice], current: str | None) -> list[ModelChoice]:
    if current and all(choice.handle != current for choice in choices):
        return [ModelChoice(current, f"{current} (not listed by its provider now)"), *choices]
    return choices
