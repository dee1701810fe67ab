"""One FilterSet per core model, for the agent UI and the API alike.

Every parameter is validated by a form field: a value of the wrong type, an
unknown choice or an unknown ordering is a 400 with field errors, never a 500.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES

from .choices import (
    CIStatus,
    CIType,
    Criticality,
    Impact,
    Practice,
    Priority,
    SLAState,
    TeamKind,
    Urgency,
)
from .models import ConfigurationItem, Service, Team, Ticket, User
from .roles import ROLE_GROUP_NAMES, Role
from .search import search_tickets
from .selectors import STATUS_CHOICES


class OrderingFilter(filters.OrderingFilter):
    """``?ordering=`` on the listed fields, ties broken by primary key so pages never overlap."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        fields = [self.get_ordering_value(p) for p in value or [] if p not in EMPTY_VALUES]
        return qs.order_by(*fields, "pk") if fields else qs


class UserFilter(filters.FilterSet):
    """People by role, team, active flag and a search on username, name and email."""

    role = filters.ChoiceFilter(choices=Role.choices, method="filter_role")
    team = filters.ModelChoiceFilter(queryset=Team.objects.all(), field_name="memberships__team")
    is_active = filters.BooleanFilter()
    search = filters.CharFilter(method="filter_search", max_length=100)
    ordering = OrderingFilter(
        fields=("id", "username", "email", "first_name", "last_name", "date_joined")
    )

    class Meta:
        model = User
        fields: list[str] = []

    def filter_role(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(groups__name=ROLE_GROUP_NAMES[value])

    def filter_search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(
            Q(username__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(email__icontains=value)
        )


class TeamFilter(filters.FilterSet):
    """Teams by kind, active flag and name."""

    kind = filters.ChoiceFilter(choices=TeamKind.choices)
    is_active = filters.BooleanFilter()
    name = filters.CharFilter(lookup_expr="icontains", max_length=100)
    ordering = OrderingFilter(fields=("id", "name", "kind"))

    class Meta:
        model = Team
        fields: list[str] = []


def _search_name(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(name__icontains=value)


class ServiceFilter(filters.FilterSet):
    """Services by owner team, criticality, active flag and a search on the name."""

    owner_team = filters.ModelChoiceFilter(queryset=Team.objects.all())
    criticality = filters.TypedChoiceFilter(choices=Criticality.choices, coerce=int)
    is_active = filters.BooleanFilter()
    search = filters.CharFilter(method="filter_search", max_length=100)
    ordering = OrderingFilter(fields=("id", "name", "criticality"))

    class Meta:
        model = Service
        fields: list[str] = []

    def filter_search(
        self, queryset: QuerySet[Service], name: str, value: str
    ) -> QuerySet[Service]:
        return _search_name(queryset, name, value)


class ConfigurationItemFilter(filters.FilterSet):
    """CIs by owner team, criticality, type, status, service and a search on the name."""

    owner_team = filters.ModelChoiceFilter(queryset=Team.objects.all())
    criticality = filters.TypedChoiceFilter(choices=Criticality.choices, coerce=int)
    ci_type = filters.ChoiceFilter(choices=CIType.choices)
    status = filters.ChoiceFilter(choices=CIStatus.choices)
    service = filters.ModelChoiceFilter(queryset=Service.objects.all(), field_name="services")
    search = filters.CharFilter(method="filter_search", max_length=100)
    ordering = OrderingFilter(fields=("id", "name", "ci_type", "status", "criticality"))

    class Meta:
        model = ConfigurationItem
        fields: list[str] = []

    def filter_search(
        self, queryset: QuerySet[ConfigurationItem], name: str, value: str
    ) -> QuerySet[ConfigurationItem]:
        return _search_name(queryset, name, value)


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 instant, compared in UTC.

    Python accepts offsets up to ±23:59 but PostgreSQL only up to ±15:59, so the value is
    converted before it reaches the database.
    """

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value is not None:
            value = value.astimezone(UTC)
        return super().filter(qs, value)


class TicketFilter(filters.FilterSet):
    """Tickets of any practice: the filters of every ticket list, UI and API alike.

    ``status`` and ``priority`` take several values (``?status=new&status=in_progress``);
    ranges are ``created_after``/``created_before`` and ``updated_after``/``updated_before``.
    """

    priority = filters.MultipleChoiceFilter(choices=Priority.choices)
    impact = filters.ChoiceFilter(choices=Impact.choices)
    urgency = filters.ChoiceFilter(choices=Urgency.choices)
    sla_state = filters.MultipleChoiceFilter(choices=SLAState.choices)
    assignment_group = filters.ModelChoiceFilter(queryset=Team.objects.all())
    assignee = filters.ModelChoiceFilter(queryset=User.objects.all())
    unassigned = filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    requester = filters.ModelChoiceFilter(queryset=User.objects.all())
    service = filters.ModelChoiceFilter(queryset=Service.objects.all())
    configuration_item = filters.ModelChoiceFilter(
        queryset=ConfigurationItem.objects.all(),
        field_name="configuration_items",
        distinct=False,
        method="filter_configuration_item",
    )
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = UtcDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    search = filters.CharFilter(method="filter_search", max_length=200)
    ordering = OrderingFilter(
        fields=(
            "number",
            "created_at",
            "updated_at",
            "priority",
            "status",
            "title",
            "response_due_at",
            "resolution_due_at",
        )
    )

    # Each practice's filter names its statuses.
    status_choices: list[tuple[str, str]] = []

    class Meta:
        model = Ticket
        fields: list[str] = []

    @classmethod
    def get_filters(cls) -> dict[str, filters.Filter]:
        # Each subclass gets a status filter of its own, built with its choices when the
        # class is made: never a shared filter changed in place (filters cache their field).
        built = super().get_filters()
        built["status"] = filters.MultipleChoiceFilter(
            field_name="status", choices=cls.status_choices
        )
        return built

    def filter_configuration_item(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        through = Ticket.configuration_items.through.objects.filter(
            ticket_id=OuterRef("pk"), configurationitem_id=value.pk
        )
        return queryset.filter(Exists(through))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The one ticket search (full text on PostgreSQL); the list keeps its own ordering.
        # Without a request the caller's queryset is already scoped and only public
        # comments are searched.
        if not value.strip():
            return queryset
        user = getattr(self.request, "user", None)
        return search_tickets(user, value, queryset=queryset, ranked=False)


class AnyTicketFilter(TicketFilter):
    """The ticket filter across every practice, with the practice itself."""

    practice = filters.ChoiceFilter(choices=Practice.choices)
    status_choices = sorted(
        {(value, label) for choices in STATUS_CHOICES.values() for value, label in choices.choices}
    )
