"""The forms of the agents list: create an agent (blank or from a starter), import an agent file, search.

They only type and label input; the rules (model handles, block limits, file shapes) are the services', whose
errors the views put next to the control they concern.
"""

from django import forms
from django.conf import settings
from django.utils.functional import lazy

from agents.model_choices import embedding_choices, model_choices
from agents.starters import STARTER_BLOCK_LIMIT
from letta_project.limits import parse_json, size_text
from memory.models import DEFAULT_DESCRIPTIONS

MAX_NAME = 200
# What a blank agent starts with; the same texts the API's documented example uses for persona, and a human block
# that tells the agent what to learn.
DEFAULT_PERSONA = "I am a helpful assistant."
DEFAULT_HUMAN = "Nothing known yet about the person I talk with."


def plain_newlines(text: str) -> str:
    """A textarea's text as stored: browsers send its lines ended by CRLF, while the agent, the limits and the
    page's live counters all see LF."""
    return text.replace("\r\n", "\n")


class TextareaField(forms.CharField):
    """Multi-line text typed in the ADE, kept as typed (not stripped) with LF line ends."""

    widget = forms.Textarea

    def __init__(self, *, rows: int, **kwargs):
        kwargs.setdefault("strip", False)
        super().__init__(widget=forms.Textarea(attrs={"rows": rows}), **kwargs)

    def to_python(self, value):
        return plain_newlines(super().to_python(value))


class PlainForm(forms.Form):
    """Labels without Django's trailing colon, as every other label of the ADE reads."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def json_object(text: str, *, subject: str, example: str) -> dict | None:
    """The JSON object typed in a field (None when left blank), or a ValidationError naming `subject` and showing
    `example` of what is wanted. Tool arguments are typed this way in the tool editor and the tool-rule editor."""
    text = text.strip()
    if not text:
        return None
    try:
        value = parse_json(text, subject="The JSON")
    except ValueError as exc:
        raise forms.ValidationError(f"{subject} are not valid JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise forms.ValidationError(f"{subject} must be a JSON object{example}.")
    return value


def _model_field(organization_id: str) -> forms.ChoiceField:
    choices = [(c.handle, c.label) for c in model_choices(organization_id)]
    return forms.ChoiceField(
        label="Model",
        choices=choices,
        help_text="The models this organization's providers offer.",
        error_messages={"invalid_choice": "Model '%(value)s' is not offered by any of this organization's providers."},
    )


def _default_model(field: forms.ChoiceField) -> str | None:
    handles = [value for value, _ in field.choices]
    if settings.DEFAULT_MODEL in handles:
        return settings.DEFAULT_MODEL
    return handles[0] if handles else None


class StarterForm(PlainForm):
    """A starter asks only for the agent's name and its model."""

    name = forms.CharField(label="Name", max_length=MAX_NAME, strip=True)

    def __init__(self, *args, organization_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"] = _model_field(organization_id)
        self.fields["model"].initial = _default_model(self.fields["model"])


class CreateAgentForm(StarterForm):
    persona = TextareaField(
        label="Persona block",
        rows=4,
        required=False,
        initial=DEFAULT_PERSONA,
        help_text=DEFAULT_DESCRIPTIONS["persona"],
    )
    human = TextareaField(
        label="Human block",
        rows=3,
        required=False,
        initial=DEFAULT_HUMAN,
        help_text=DEFAULT_DESCRIPTIONS["human"],
    )
    block_limit = STARTER_BLOCK_LIMIT

    def __init__(self, *args, organization_id: str, **kwargs):
        super().__init__(*args, organization_id=organization_id, **kwargs)
        choices = [("", "None (archival search uses full text)")]
        choices += [(c.handle, c.label) for c in embedding_choices(organization_id)]
        self.fields["embedding"] = forms.ChoiceField(
            label="Embedding model",
            choices=choices,
            required=False,
            help_text="Embeds archival passages for similarity search.",
        )
        self.order_fields(["name", "model", "embedding", "persona", "human"])

    def memory_blocks(self) -> list[dict]:
        data = self.cleaned_data
        return [{"label": label, "value": data[label], "limit": self.block_limit} for label in ("persona", "human")]


class ImportForm(PlainForm):
    file = forms.FileField(
        label="Agent file (.af)",
        help_text=lazy(lambda: f"A Letta agent file, up to {size_text(settings.MAX_AGENT_FILE_BYTES)}.", str)(),
        widget=forms.FileInput(attrs={"accept": ".af,.json,application/json"}),
        error_messages={"required": "Choose an agent file (.af) to import.", "empty": "The agent file is empty."},
    )
    # agents/agent_file/tools.py: what to do when the file's tool has other code than ours of the same name.
    existing_tools = forms.TypedChoiceField(
        label="If the organization has a tool of the same name with different code",
        choices=[
            ("", "Refuse the import and name the tools"),
            ("keep", "Keep the organization's code for the imported agents"),
            ("replace", "Replace the organization's code with the file's (its other agents too)"),
        ],
        required=False,
        coerce=lambda choice: {"keep": False, "replace": True}.get(choice),
        empty_value=None,
    )


class SearchForm(PlainForm):
    q = forms.CharField(label="Search by name", required=False, max_length=MAX_NAME)
    # Any text is accepted (a tag may vanish between two pages); the select offers the organization's tags.
    tag = forms.CharField(label="Tag", required=False, widget=forms.Select)

    def __init__(self, *args, tags: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].widget.choices = [("", "All tags"), *((t, t) for t in tags)]
