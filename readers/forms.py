"""Public forms: subscribe to alerts, ask for one's manage link, suggest a correction.

Each has a honeypot: a text box hidden from people (off screen, out of the tab order, hidden
from screen readers) that form-filling robots fill in. A filled honeypot is not a form error,
so a robot learns nothing: the view answers as usual and keeps nothing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.http import QueryDict

from readers import filters
from readers.models import Correction, Frequency


class HoneypotForm(forms.Form):
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def visible_fields(self):
        return [field for field in super().visible_fields() if field.name != "website"]


def clean_email(value: str) -> str:
    return value.strip().lower()


class SubscribeForm(HoneypotForm):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We send a link to confirm it. It is never shown or shared.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Frequency.choices,
        initial=Frequency.IMMEDIATE,
        widget=forms.RadioSelect,
    )
    filters = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)

    def clean_email(self) -> str:
        return clean_email(self.cleaned_data["email"])

    def clean_filters(self) -> str:
        try:
            return filters.validated_query(QueryDict(self.cleaned_data["filters"]))
        except filters.InvalidFilters as exc:
            raise forms.ValidationError(f"These filters cannot be followed: {exc}") from None


class ManageRequestForm(HoneypotForm):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return clean_email(self.cleaned_data["email"])


def clean_source(value: str) -> str:
    """A web link must be http(s); anything else is taken as a citation."""
    value = value.strip()
    first = value.split()[0] if value else ""
    if "://" in first:
        parts = urlsplit(first)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise forms.ValidationError("A link must start with http:// or https://.")
    return value


class CorrectionForm(forms.ModelForm, HoneypotForm):
    class Meta:
        model = Correction
        fields = ["what_is_wrong", "source", "email"]
        labels = {
            "what_is_wrong": "What is wrong, and what is right",
            "source": "The source that shows it",
            "email": "Your email address (optional)",
        }
        help_texts = {
            "what_is_wrong": "Say which fact is wrong and what it should be.",
            "source": "A link (https://…) or a citation, e.g. a docket entry or a reporter cite.",
            "email": "Only if you would like a reply. It is never shown or shared.",
        }
        widgets = {
            "what_is_wrong": forms.Textarea(attrs={"rows": 6, "maxlength": 5000}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def clean_what_is_wrong(self) -> str:
        value = self.cleaned_data["what_is_wrong"].strip()
        if len(value) < 10:
            raise forms.ValidationError("Please say in a few words what is wrong.")
        return value

    def clean_source(self) -> str:
        return clean_source(self.cleaned_data["source"])

    def clean_email(self) -> str:
        return clean_email(self.cleaned_data.get("email") or "")
