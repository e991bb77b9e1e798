"""The Secrets section of an agent's settings: a row per stored secret (its name, an empty box for a new value, a
Remove box) and a row to add one.

No value is ever put in the page, not even one just typed into a refused form: a row's box starts empty, and left
empty it sends the mask, which `agents.secrets.merged` reads as "keep the stored value". What the rows ask for
becomes the `secrets` of one `agents.services.update_agent` call, the API's PATCH, which checks the names.
"""

from django import forms

from agents.secrets import MAX_NAME_CHARS, SECRET_MASK

PREFIX = "secret"


class SecretForm(forms.Form):
    """One row: a stored secret (`stored`: its name is shown, not edited) or the row that adds one."""

    name = forms.CharField(
        label="Secret name",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "maxlength": MAX_NAME_CHARS}),
    )
    value = forms.CharField(
        label="Secret value",
        required=False,
        strip=False,
        # Never render_value; "new-password" keeps a browser from filling in a saved login's password.
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, stored: bool, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.stored = stored
        if stored:
            name = self["name"].value()
            self.fields["name"].widget = forms.HiddenInput()
            self.fields["value"].widget.attrs.update(placeholder=SECRET_MASK, **{"aria-label": f"New value of {name}"})
        else:
            self.fields["name"].help_text = "As the tool reads it: letters, digits and _, e.g. API_TOKEN."

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean(self):
        data = super().clean()
        if not self.stored and data.get("value") and not data.get("name"):
            self.add_error("name", "Give the secret a name, e.g. API_TOKEN.")
        return data


class SecretFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        return {"stored": index is not None and index < self.initial_form_count()}

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove"
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Remove {form['name'].value()}"

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.kept():
            name = form.cleaned_data["name"]
            if name in seen:
                form.add_error("name", f"There is already a secret named {name}: give each secret its own name.")
            seen.add(name)

    def kept(self) -> list[SecretForm]:
        """The rows that name a secret to keep or add (not removed, not the blank row)."""
        return [f for f in self.forms if f.cleaned_data.get("name") and not f.cleaned_data.get("DELETE")]

    def secrets(self) -> dict[str, str]:
        """The secrets these rows give: a stored secret's empty box keeps its value, as the mask does in the API; a
        new secret may have an empty value. A secret removed since the page was shown (another tab, the API) stays
        removed rather than coming back empty: `initial` holds the names stored now."""
        stored_now = {row["name"] for row in self.initial}
        given = {}
        for form in self.kept():
            name, value = form.cleaned_data["name"], form.cleaned_data["value"]
            if form.stored and not value:
                if name in stored_now:
                    given[name] = SECRET_MASK
            else:
                given[name] = value
        return given

    def refuse(self, name: str, message: str) -> None:
        """Show the service's refusal of a name beside the row that gave it (every name given comes from a row)."""
        row = next((f for f in self.kept() if f.cleaned_data["name"] == name), self.forms[-1])
        row.add_error("name", message)


SecretRows = forms.formset_factory(SecretForm, formset=SecretFormSet, extra=1, can_delete=True, can_delete_extra=False)


def secret_rows(agent, data=None) -> SecretFormSet:
    """The rows for `agent`'s stored secrets (names only, sorted) and one blank row; bound to `data` on a save."""
    initial = [{"name": name} for name in sorted(agent.secrets or {})]
    return SecretRows(data, initial=initial, prefix=PREFIX)
