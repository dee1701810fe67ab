"""Forms of the problem agent UI: they validate and shape input; services do the writing."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from changes.choices import ChangeType
from incidents.forms import (
    AssignmentFieldsMixin,
    CommentForm,
    ConfirmForm,
    ReasonForm,
)
from incidents.models import Incident
from servicedesk.core.choices import Impact, Urgency
from servicedesk.core.models import ConfigurationItem, Service
from servicedesk.core.ticket_forms import VersionedForm

from .choices import Publication

# The most incidents one form may name (a bulk selection is a page of the list at most).
MAX_INCIDENTS = 100


def active_services() -> QuerySet[Service]:
    return Service.objects.filter(is_active=True).order_by("name")


class IncidentNumbersField(forms.CharField):
    """Incident numbers separated by commas, spaces or new lines (INC0000123, …)."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        numbers = [n.upper() for n in re.split(r"[\s,;]+", text) if n]
        if len(numbers) > MAX_INCIDENTS:
            raise ValidationError(
                _("Name at most %(max)s incidents at a time."), params={"max": MAX_INCIDENTS}
            )
        return list(dict.fromkeys(numbers))


class ProblemFieldsMixin(forms.Form):
    """What an agent describes about a problem, on the new and the edit form alike."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Markdown: **bold**, _italic_, `code`, lists and links."),
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.MEDIUM
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False
    )
    affected_services = forms.ModelMultipleChoiceField(
        label=_("Other affected services"),
        queryset=Service.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def setup_services(self) -> None:
        for name in ("service", "affected_services"):
            self.fields[name].queryset = active_services()


class ProblemCreateForm(AssignmentFieldsMixin, ProblemFieldsMixin):
    """Open a problem, from the incidents that suggest it where there are any."""

    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Configuration items"),
        queryset=ConfigurationItem.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    incidents = IncidentNumbersField(
        label=_("Incidents"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "INC0000123, INC0000124"}),
        help_text=_("They are linked to the new problem."),
    )

    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignment_group"].required = False
        self.fields["assignment_group"].empty_label = _("Choose later")
        self.setup_assignment(teams=teams, initial_team_id=self.initial.get("assignment_group"))
        self.setup_services()


class ProblemEditForm(ProblemFieldsMixin, VersionedForm):
    """Edit a problem's description, cause and workaround at the version the page showed."""

    root_cause = forms.CharField(
        label=_("Root cause"),
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    workaround = forms.CharField(
        label=_("Workaround"),
        required=False,
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on every linked incident's page; Markdown."),
    )
    publication = forms.ChoiceField(label=_("Publication"), choices=Publication.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_services()


class KnownErrorForm(VersionedForm):
    root_cause = forms.CharField(
        label=_("Root cause"), max_length=50000, widget=forms.Textarea(attrs={"rows": 3})
    )
    workaround = forms.CharField(
        label=_("Workaround"), max_length=50000, widget=forms.Textarea(attrs={"rows": 3})
    )
    publication = forms.ChoiceField(
        label=_("Publication"),
        choices=Publication.choices,
        initial=Publication.INTERNAL,
        help_text=_("Public known errors are offered to end users in the portal."),
    )

    def service_arguments(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("root_cause", "workaround", "publication")}


class ProblemResolveForm(VersionedForm):
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    resolve_incidents = forms.BooleanField(
        label=_("Also resolve every open linked incident"),
        required=False,
        help_text=_("All or nothing: if one of them cannot be resolved, nothing is."),
    )

    def service_arguments(self) -> dict[str, Any]:
        return {
            "resolution_notes": self.cleaned_data["resolution_notes"],
            "resolve_incidents": self.cleaned_data["resolve_incidents"],
        }


# Each transition's form, in the lifecycle's order; fields are the service's arguments.
TRANSITION_FORMS: dict[str, type[VersionedForm]] = {
    "investigate": ConfirmForm,
    "mark_known_error": KnownErrorForm,
    "resolve": ProblemResolveForm,
    "close": ConfirmForm,
    "cancel": ReasonForm,
}
TRANSITION_LABELS: dict[str, Any] = {
    "investigate": _("Start investigation"),
    "mark_known_error": _("Record known error"),
    "resolve": _("Resolve"),
    "close": _("Close"),
    "cancel": _("Cancel problem"),
}


class NoteForm(CommentForm):
    """A work note on the problem: internal unless the agent chooses otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["visibility"].initial = self.INTERNAL
        self.fields["visibility"].choices = [
            (self.INTERNAL, _("Internal note")),
            (self.PUBLIC, _("Public comment")),
        ]


class LinkIncidentsForm(VersionedForm):
    numbers = IncidentNumbersField(
        label=_("Incident numbers"),
        max_length=3000,
        widget=forms.TextInput(
            attrs={"placeholder": "INC0000123, INC0000124", "autocomplete": "off"}
        ),
    )


class RaiseChangeForm(VersionedForm):
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=200,
        help_text=_("Leave empty for “Fix: ” and the problem's title."),
    )
    change_type = forms.ChoiceField(
        label=_("Type"),
        choices=[
            (ChangeType.NORMAL, ChangeType.NORMAL.label),
            (ChangeType.EMERGENCY, ChangeType.EMERGENCY.label),
        ],
        initial=ChangeType.NORMAL,
    )


class KnownErrorSearchForm(forms.Form):
    """The known-error database's search: words, a service, a CI."""

    search = forms.CharField(label=_("Words"), required=False, max_length=200)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False
    )
    configuration_item = forms.ModelChoiceField(
        label=_("Configuration item"),
        queryset=ConfigurationItem.objects.order_by("name"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = active_services()


def incidents_by_number(
    numbers: list[str], visible: QuerySet[Incident]
) -> tuple[list[Incident], list[str]]:
    """The incidents of ``visible`` with those numbers, and the numbers that are not among them."""
    found = {i.number: i for i in visible.filter(number__in=numbers)}
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]
