"""Portal forms: plain words for end users, mapped onto the ITIL fields by the views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import Service

# How it affects me, in plain words -> (impact, urgency).
EFFECTS = {
    "blocked": (2, 1),
    "hindered": (3, 2),
    "minor": (3, 3),
    "many": (1, 1),
}
EFFECT_CHOICES = [
    ("minor", _("It is a nuisance; I can work normally")),
    ("hindered", _("It slows me down, but I can still work")),
    ("blocked", _("I cannot work")),
    ("many", _("Many people cannot work")),
]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several optional files in one input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ReportForm(forms.Form):
    """Report a problem: what is wrong, how it affects me, optionally which service."""

    title = forms.CharField(label=_("What is wrong?"), max_length=200)
    description = forms.CharField(
        label=_("Tell us more"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=20000,
        help_text=_("What you were doing, what you expected, any error message."),
    )
    effect = forms.ChoiceField(
        label=_("How does it affect you?"),
        choices=EFFECT_CHOICES,
        initial="hindered",
        widget=forms.RadioSelect,
    )
    service = forms.ModelChoiceField(
        label=_("Which service? (optional)"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("I don't know"),
    )
    files = MultipleFileField(label=_("Screenshots or files (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(is_active=True).order_by("name")

    def impact_urgency(self) -> tuple[int, int]:
        return EFFECTS[self.cleaned_data["effect"]]


class VersionForm(forms.Form):
    """Every portal action carries the version of the ticket the user saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReplyForm(VersionForm):
    body = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000
    )
    files = MultipleFileField(label=_("Attach files (optional)"))


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label=_("Tell us why"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class RatingForm(forms.Form):
    """How satisfied the requester is, 1 (not at all) to 5 (very)."""

    score = forms.TypedChoiceField(
        label=_("How happy are you with how we handled this?"),
        choices=[
            (5, _("5 – Very happy")),
            (4, _("4 – Happy")),
            (3, _("3 – OK")),
            (2, _("2 – Unhappy")),
            (1, _("1 – Very unhappy")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
