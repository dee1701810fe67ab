"""Forms of the change pages: they validate and shape data; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Impact, Urgency
from servicedesk.core.models import ConfigurationItem, Service, Team

from .choices import ChangeOutcome, ChangeType, RiskLevel, VoteDecision
from .models import Change
from .risk import QUESTIONS

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VersionForm(forms.Form):
    """Every form on a change carries the version its page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ChangeForm(forms.Form):
    """Raise or edit a change; the fields offered are those the change's state allows."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    change_type = forms.ChoiceField(
        label=_("Type"),
        choices=[c for c in ChangeType.choices if c[0] != ChangeType.STANDARD],
        initial=ChangeType.NORMAL,
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.MEDIUM
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    assess_risk = forms.BooleanField(
        label=_("Assess the risk with the questionnaire"), required=False
    )
    risk = forms.ChoiceField(
        label=_("Risk"), choices=[("", "—"), *RiskLevel.choices], required=False
    )
    risk_reason = forms.CharField(
        label=_("Why this risk"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    implementation_plan = forms.CharField(
        label=_("Implementation plan"), widget=forms.Textarea, required=False
    )
    backout_plan = forms.CharField(label=_("Backout plan"), widget=forms.Textarea, required=False)
    test_plan = forms.CharField(label=_("Test plan"), widget=forms.Textarea, required=False)
    planned_start = forms.DateTimeField(
        label=_("Planned start"), widget=DATETIME_INPUT, required=False
    )
    planned_end = forms.DateTimeField(label=_("Planned end"), widget=DATETIME_INPUT, required=False)
    services = forms.ModelMultipleChoiceField(
        label=_("Affected services"),
        queryset=Service.objects.filter(is_active=True),
        required=False,
    )
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Configuration items"), queryset=ConfigurationItem.objects.all(), required=False
    )
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"), queryset=Team.objects.filter(is_active=True), required=False
    )

    def __init__(
        self,
        *args: Any,
        change: Change | None = None,
        editable: frozenset[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if change is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(change)
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            self.fields[f"q_{question.name}"] = forms.BooleanField(
                label=question.text, required=False
            )
        if change is not None:
            self.fields.pop("assignment_group")
            allowed = set(editable or ())
            if "risk" not in allowed:
                allowed -= {"risk_reason"}
            for name in list(self.fields):
                if name == "version":
                    continue
                base = "risk" if name.startswith("q_") or name == "assess_risk" else name
                if base not in allowed:
                    self.fields.pop(name)

    @staticmethod
    def initial_from(change: Change) -> dict[str, Any]:
        initial = {
            name: getattr(change, name)
            for name in (
                "title",
                "description",
                "change_type",
                "impact",
                "urgency",
                "risk",
                "risk_reason",
                "implementation_plan",
                "backout_plan",
                "test_plan",
                "planned_start",
                "planned_end",
            )
        }
        initial["assess_risk"] = bool(change.risk_assessment)
        for question in QUESTIONS:
            initial[f"q_{question.name}"] = bool(change.risk_assessment.get(question.name))
        if change.pk:
            initial["services"] = list(change.services.all())
            initial["configuration_items"] = list(change.configuration_items.all())
        return initial

    def service_data(self) -> dict[str, Any]:
        """The cleaned data as the change services take it."""
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not name.startswith("q_") and name != "assess_risk"
        }
        if "risk" in self.fields:
            if self.cleaned_data.get("assess_risk"):
                data["risk_assessment"] = {
                    q.name: bool(self.cleaned_data.get(f"q_{q.name}")) for q in QUESTIONS
                }
                data["risk"] = ""
                data.pop("risk_reason", None)
            else:
                data["risk_assessment"] = None
        return data


class ChangeEditForm(VersionForm, ChangeForm):
    """Edit a change at the version its page showed."""

    field_order = ["version"]


class StandardChangeForm(forms.Form):
    """Instantiate a standard change from its template."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    planned_start = forms.DateTimeField(label=_("Planned start"), widget=DATETIME_INPUT)
    planned_end = forms.DateTimeField(
        label=_("Planned end"),
        widget=DATETIME_INPUT,
        required=False,
        help_text=_("Default: the start plus the template's usual duration."),
    )


class OverrideForm(VersionForm):
    override_reason = forms.CharField(
        label=_("Override overlaps (change managers only)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
    )


class CompleteForm(VersionForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ChangeOutcome.choices)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )


class CloseForm(VersionForm):
    review_notes = forms.CharField(
        label=_("Post-implementation review"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ReasonForm(VersionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


# transition → the form of its fields and the label of its button
TRANSITION_FORMS: dict[str, tuple[type[VersionForm], Any]] = {
    "submit": (OverrideForm, _("Submit")),
    "request_authorization": (VersionForm, _("Ask the CAB for authorization")),
    "schedule": (OverrideForm, _("Schedule")),
    "start": (VersionForm, _("Start implementation")),
    "complete": (CompleteForm, _("Complete")),
    "close": (CloseForm, _("Close")),
    "cancel": (ReasonForm, _("Cancel change")),
}


class VoteForm(VersionForm):
    decision = forms.ChoiceField(
        label=_("Your decision"), choices=VoteDecision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class FeedForm(forms.Form):
    action = forms.ChoiceField(choices=[("issue", "issue"), ("revoke", "revoke")])
