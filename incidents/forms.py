"""Forms of the incident agent UI: they validate and shape input; services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.core.choices import Impact, LinkKind, TeamKind, Urgency
from servicedesk.core.converters import parse_id
from servicedesk.core.models import ConfigurationItem, Service, Team, User
from servicedesk.core.ticket_forms import VersionedForm

from .choices import OnHoldReason, ResolutionCode
from .models import Category

# The most files one reply may carry.
MAX_FILES_PER_REPLY = 5


# --- choices shared by the forms -----------------------------------------------------------


def support_teams() -> QuerySet[Team]:
    """Teams incidents can be routed to."""
    return Team.objects.filter(is_active=True, kind=TeamKind.SUPPORT).order_by("name")


def team_agents(team_id: Any) -> QuerySet[User]:
    """The active members of a team, who can be assigned its incidents (none without a team).

    ``team_id`` may come unchecked from the request: anything but an id means no team.
    """
    team_pk = parse_id(team_id)
    if team_pk is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, memberships__team_id=team_pk).order_by(
        "first_name", "last_name", "username"
    )


def all_agents() -> QuerySet[User]:
    """Everyone who belongs to a support team: the people incidents can be assigned to."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__team__kind=TeamKind.SUPPORT,
            memberships__team__is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class AgentChoiceField(forms.ModelChoiceField):
    """An agent, labelled by display name."""

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


# --- the ticket's version, carried by every form of the incident page ----------------------


class ConfirmForm(VersionedForm):
    """A transition or action without fields (start, resume, close, remove a link)."""


class HoldForm(VersionedForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=OnHoldReason.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional; the reason is recorded either way."),
    )

    def service_arguments(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"], "note": self.cleaned_data["note"]}


class ResolveForm(VersionedForm):
    resolution_code = forms.ChoiceField(label=_("Resolution code"), choices=ResolutionCode.choices)
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_arguments(self) -> dict[str, Any]:
        return {
            "resolution_code": self.cleaned_data["resolution_code"],
            "resolution_notes": self.cleaned_data["resolution_notes"],
        }


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def service_arguments(self) -> dict[str, Any]:
        return {"reason": self.cleaned_data["reason"]}


# Each transition's form; its fields are the service's arguments besides the version.
TRANSITION_FORMS: dict[str, type[VersionedForm]] = {
    "start": ConfirmForm,
    "hold": HoldForm,
    "resume": ConfirmForm,
    "resolve": ResolveForm,
    "reopen": ReasonForm,
    "close": ConfirmForm,
    "cancel": ReasonForm,
}
TRANSITION_LABELS: dict[str, Any] = {
    "start": _("Start work"),
    "hold": _("Put on hold"),
    "resume": _("Resume"),
    "resolve": _("Resolve"),
    "reopen": _("Reopen"),
    "close": _("Close"),
    "cancel": _("Cancel incident"),
}


# --- assignment -------------------------------------------------------------------------


class AssignmentFieldsMixin(forms.Form):
    """A team and, optionally, an agent of that team (offered once the team is known)."""

    assignment_group = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), empty_label=_("Choose a team")
    )
    assignee = AgentChoiceField(
        label=_("Agent"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Anyone in the team"),
    )

    def setup_assignment(self, *, teams: Any, initial_team_id: Any) -> None:
        self.fields["assignment_group"].queryset = support_teams()
        # A list already read by the view, so the select costs no second query.
        self.fields["assignment_group"].choices = [
            ("", self.fields["assignment_group"].empty_label),
            *[(team.pk, team.name) for team in teams],
        ]
        team_id = self.data.get(self.add_prefix("assignment_group")) if self.is_bound else None
        self.fields["assignee"].queryset = team_agents(team_id or initial_team_id)
        # Choosing a team fetches its agents into the agent select.
        auto_id = self.auto_id if isinstance(self.auto_id, str) else "id_%s"
        self.fields["assignment_group"].widget.attrs.update(
            {
                "hx-get": reverse("incidents:agent_options"),
                "hx-trigger": "change",
                "hx-target": "#" + auto_id % self.add_prefix("assignee"),
                "hx-swap": "innerHTML",
            }
        )


class AssignForm(AssignmentFieldsMixin, VersionedForm):
    """Route or reassign an incident."""

    def __init__(self, *args: Any, teams: Any = (), team_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = teams
        self.setup_assignment(teams=teams, initial_team_id=team_id)

    def rebind_options(self) -> dict[str, Any]:
        return {"teams": self.teams}


# --- replies, links and major incidents ---------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the attachment service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > MAX_FILES_PER_REPLY:
            raise ValidationError(
                _("Attach at most %(max)s files at a time.") % {"max": MAX_FILES_PER_REPLY}
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class CommentForm(VersionedForm):
    """A public reply or an internal note, with files."""

    PUBLIC, INTERNAL = "public", "internal"

    body = forms.CharField(
        label=_("Message"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: **bold**, _italic_, `code`, lists and links."),
    )
    visibility = forms.ChoiceField(
        label=_("Send as"),
        choices=[(PUBLIC, _("Public reply")), (INTERNAL, _("Internal note"))],
        initial=PUBLIC,
        widget=forms.RadioSelect,
    )
    files = MultipleFileField(
        label=_("Attach files"),
        required=False,
        help_text=_("Up to %(count)s files, %(size)s MB each.")
        % {"count": MAX_FILES_PER_REPLY, "size": settings.ATTACHMENT_MAX_BYTES // 2**20},
    )

    @property
    def is_internal(self) -> bool:
        return self.cleaned_data.get("visibility") == self.INTERNAL


class LinkForm(VersionedForm):
    """Link the incident to another ticket, named by its number."""

    kind = forms.ChoiceField(label=_("Link type"), choices=LinkKind.choices)
    number = forms.CharField(
        label=_("Ticket number"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "INC0000123", "autocomplete": "off"}),
    )

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()


class MajorForm(VersionedForm):
    """Declare a major incident (a reason is required) or stand one down."""

    is_major = forms.TypedChoiceField(
        choices=[("1", _("Declare")), ("0", _("Stand down"))],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("is_major") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why this is a major incident."))
        return cleaned


# --- new incident ----------------------------------------------------------------------------


class IncidentCreateForm(AssignmentFieldsMixin, forms.Form):
    """Log an incident as an agent: for yourself or for someone else."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown. What happens, since when, what was tried."),
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"), choices=Impact.choices, coerce=int, initial=Impact.MEDIUM
    )
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        required=False,
        empty_label=_("No category"),
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("No service"),
    )
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Configuration items"),
        queryset=ConfigurationItem.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    requester = AgentChoiceField(
        label=_("Requester"),
        queryset=User.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        ),
        empty_label=None,
    )

    field_order = [
        "title",
        "description",
        "impact",
        "urgency",
        "category",
        "service",
        "configuration_items",
        "requester",
        "assignment_group",
        "assignee",
    ]

    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_assignment(teams=teams, initial_team_id=None)
        # Without a team, routing rules choose one.
        self.fields["assignment_group"].required = False
        self.fields["assignment_group"].choices = [
            ("", _("Route automatically")),
            *list(self.fields["assignment_group"].choices)[1:],
        ]
        self.fields["assignment_group"].help_text = _(
            "Leave it to the routing rules, or choose the team yourself."
        )
        # Impact and urgency show the priority they make as soon as they change.
        for name in ("impact", "urgency"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("incidents:priority_preview"),
                    "hx-trigger": "change",
                    "hx-target": "#priority-preview",
                    "hx-include": "[name=impact], [name=urgency]",
                }
            )


# --- the list: saved filters and bulk actions -----------------------------------------------


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class BulkForm(forms.Form):
    """The selected incidents and what to do with them."""

    ASSIGN, RESOLVE, PROBLEM = "assign", "resolve", "problem"

    action = forms.ChoiceField(
        choices=[(ASSIGN, _("Assign")), (RESOLVE, _("Resolve")), (PROBLEM, _("Open a problem"))]
    )
    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"].error_messages["required"] = _("Select at least one incident first.")
        # Any positive number: which of them the user may touch is the view's question.
        values = self.data.getlist("ids") if self.is_bound else []
        self.fields["ids"].choices = [(v, v) for v in values if str(v).isdigit()]


class BulkAssignForm(AssignmentFieldsMixin, forms.Form):
    def __init__(self, *args: Any, teams: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_assignment(teams=teams, initial_team_id=None)


class BulkResolveForm(forms.Form):
    resolution_code = forms.ChoiceField(label=_("Resolution code"), choices=ResolutionCode.choices)
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), max_length=10000, widget=forms.Textarea(attrs={"rows": 2})
    )
