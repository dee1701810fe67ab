"""One FilterSet per core model, for the agent UI and the API alike.

Every parameter is validated by a form field: a value of the wrong type, an
unknown choice or an unknown ordering is a 400 with field errors, never a 500.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from django_filters.constants import EMPTY_VALUES

from .choices import CIStatus, CIType, Criticality, TeamKind
from .models import ConfigurationItem, Service, Team, User
from .roles import ROLE_GROUP_NAMES, Role


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
