"""An agent's settings panel: name, description, tags, model, system prompt and the model settings; below them its
secrets (agents/pages/secret_forms.py) and, read-only, the skills its agent file carried.

A save is `agents.services.update_agent`, the service of `PATCH /v1/agents/{id}`, given only the fields that changed;
a value it refuses comes back beside its field with what was typed kept, and nothing is stored. The secrets are a
form of their own, saved the same way as the API's `secrets`; what is typed there is never sent back. The system
prompt shows its token count as it is typed, counted as the context window viewer counts it (`agents.tokens`).
"""

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import organization_required
from agents import selectors, services
from agents.model_choices import model_choices
from agents.pages.agent_forms import TextareaField, plain_newlines
from agents.pages.panel import panel_context
from agents.pages.providers import window_note
from agents.pages.secret_forms import secret_rows
from agents.runtime.loop import DEFAULT_MAX_STEPS
from agents.tokens import count_text, encoding_name

TEMPLATE = "agents/settings.html"
SKILLS_SHOWN = 100  # Letta Code sends about two dozen; a longer list says how many more there are


class SettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    tags = forms.CharField(required=False, help_text="Separated by commas.")
    model = forms.CharField(widget=forms.Select)
    system = TextareaField(label="System prompt", required=False, rows=12)
    temperature = forms.FloatField(widget=forms.NumberInput(attrs={"step": "0.05"}))
    max_tokens = forms.IntegerField(
        label="Max output tokens", required=False, min_value=1, help_text="Empty: the provider's default."
    )
    context_window_limit = forms.IntegerField(label="Context window (tokens)", required=False, min_value=1)
    parallel_tool_calls = forms.BooleanField(label="Parallel tool calls", required=False)
    max_steps = forms.IntegerField(
        label="Max steps per run",
        required=False,
        help_text=f"Empty: {DEFAULT_MAX_STEPS}. A request that names its own max_steps uses that instead.",
    )

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.agent = agent
        # Inside the form, htmx posts the whole form: the prompt and the model picked, to count with its tokenizer.
        recount = {
            "hx-post": reverse("ade-agent-settings-tokens", args=[agent.id]),
            "hx-target": "#system-tokens",
            "hx-swap": "outerHTML",
        }
        self.fields["system"].widget.attrs.update(recount, **{"hx-trigger": "input changed delay:300ms"})
        self.fields["model"].widget.attrs.update(recount, **{"hx-trigger": "change"})
        self.offered = model_choices(agent.organization_id, agent.model)
        self.fields["model"].widget.choices = [(c.handle, c.label) for c in self.offered]
        maximum = services.max_context_window(agent.model, agent.organization_id)
        self.fields[
            "context_window_limit"
        ].help_text = f"Empty: the model's default. The most {agent.model} takes is {maximum:,} tokens."

    def clean_tags(self) -> list[str]:
        return list(dict.fromkeys(t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()))

    def clean_model(self) -> str:
        model = self.cleaned_data["model"].strip()
        if all(choice.handle != model for choice in self.offered):
            # A provider that does not exist says so first (the service's words); else the model is not listed.
            try:
                services.check_model_handle(model, self.agent.organization_id)
            except services.AgentFieldError as exc:
                raise forms.ValidationError(str(exc)) from exc
            raise forms.ValidationError(
                f"Model '{model}' is not offered by this organization's providers: pick one from the list."
            )
        return model


def initial_of(agent) -> dict:
    return {
        "name": agent.name,
        "description": agent.description or "",
        "tags": ", ".join(agent.tags or []),
        "model": agent.model,
        "system": agent.system,
        "temperature": agent.temperature,
        "max_tokens": agent.max_tokens,
        "context_window_limit": agent.context_window_limit,
        "parallel_tool_calls": agent.parallel_tool_calls,
        "max_steps": agent.max_steps,
    }


@require_http_methods(["GET", "POST"])
@organization_required
def agent_settings(request, agent_id: str):
    agent = selectors.agent_of(request.organization_id, agent_id)
    if request.method == "GET":
        return _render(request, agent, SettingsForm(initial=initial_of(agent), agent=agent))
    form = SettingsForm(request.POST, initial=initial_of(agent), agent=agent)
    if not form.is_valid():
        return _render(request, agent, form, status=422)
    changed = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        services.update_agent(agent, **changed)
    except services.AgentFieldError as exc:
        form.add_error(exc.field, str(exc))
        return _render(request, agent, form, status=422)
    agent = selectors.agent_of(request.organization_id, agent_id)
    return _render(request, agent, SettingsForm(initial=initial_of(agent), agent=agent), saved=True)


@require_POST
@organization_required
def agent_secrets(request, agent_id: str):
    """Save the Secrets section: every row at once, as `PATCH /v1/agents/{id}` with `secrets` would."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    rows = secret_rows(agent, request.POST)
    if rows.is_valid():
        try:
            services.update_agent(agent, secrets=rows.secrets())
        except services.SecretNameRefused as exc:
            rows.refuse(exc.name, str(exc))
        else:
            agent = selectors.agent_of(request.organization_id, agent_id)
            return _render(request, agent, part="secrets_form", secrets_saved=True)
    return _render(request, agent, secrets=rows, part="secrets_form", status=422)


@require_POST
@organization_required
def system_tokens(request, agent_id: str):
    """The token count of the system prompt being typed, with the model picked in the form (else the agent's)."""
    agent = selectors.agent_of(request.organization_id, agent_id)
    model = request.POST.get("model") or agent.model
    return render(
        request, f"{TEMPLATE}#tokens", {"tokens": token_count(plain_newlines(request.POST.get("system", "")), model)}
    )


def token_count(text: str, handle: str) -> dict:
    model = handle.split("/", 1)[-1]
    count = count_text(text, model)
    return {"tokens": count.tokens, "estimate": count.estimate, "encoding": encoding_name(model)}


def _render(
    request, agent, form=None, *, secrets=None, part: str = "settings_form", status: int = 200, **flags
) -> HttpResponse:
    """The panel, or with htmx the `part` swapped (a form, with `saved` or `secrets_saved` saying it was saved)."""
    form = SettingsForm(initial=initial_of(agent), agent=agent) if form is None else form
    system = plain_newlines(form["system"].value() or "")
    skills, skill_count = ([], 0) if request.htmx else selectors.agent_skills(agent, limit=SKILLS_SHOWN)
    context = panel_context(
        agent,
        "settings",
        form=form,
        secrets=secret_rows(agent) if secrets is None else secrets,
        tokens=token_count(system, form["model"].value() or agent.model),
        skills=skills,
        skills_hidden=skill_count - len(skills),
        window=window_note(agent),
        **flags,
    )
    template = f"{TEMPLATE}#{part}" if request.htmx else TEMPLATE
    return render(request, template, context, status=status)


urlpatterns = [
    path("agents/<str:agent_id>/settings/", agent_settings, name="ade-agent-settings"),
    path("agents/<str:agent_id>/settings/secrets/", agent_secrets, name="ade-agent-secrets"),
    path("agents/<str:agent_id>/settings/tokens/", system_tokens, name="ade-agent-settings-tokens"),
]
