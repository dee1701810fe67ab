"""The filters of request, task and catalog lists, for the agent UI and the API alike."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters

from servicedesk.core.filters import OrderingFilter, TicketFilter
from servicedesk.core.models import Team, User

from .choices import ServiceRequestStatus, TaskStatus
from .models import CatalogCategory, CatalogItem, FulfilmentTask, ServiceRequest


class ServiceRequestFilter(TicketFilter):
    """Every ticket filter plus the catalog item ordered."""

    status_choices = ServiceRequestStatus.choices
    catalog_item = filters.ModelChoiceFilter(queryset=CatalogItem.objects.all())

    class Meta(TicketFilter.Meta):
        model = ServiceRequest


class FulfilmentTaskFilter(filters.FilterSet):
    """Tasks by status, team, assignee, request and a search on number and title."""

    status = filters.MultipleChoiceFilter(choices=TaskStatus.choices, distinct=False)
    assignment_group = filters.ModelChoiceFilter(queryset=Team.objects.all())
    assignee = filters.ModelChoiceFilter(queryset=User.objects.all())
    unassigned = filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    request = filters.NumberFilter(field_name="request_id", min_value=1, max_value=2**63 - 1)
    search = filters.CharFilter(method="filter_search", max_length=200)
    ordering = OrderingFilter(fields=("number", "created_at", "updated_at", "status", "title"))

    class Meta:
        model = FulfilmentTask
        fields: list[str] = []

    def filter_search(
        self, queryset: QuerySet[FulfilmentTask], name: str, value: str
    ) -> QuerySet[FulfilmentTask]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__iexact=value) | Q(title__icontains=value) | Q(request__number__iexact=value)
        )


class CatalogItemFilter(filters.FilterSet):
    """Catalog items by category and a search on name and description."""

    category = filters.ModelChoiceFilter(queryset=CatalogCategory.objects.all())
    is_active = filters.BooleanFilter()
    search = filters.CharFilter(method="filter_search", max_length=200)
    ordering = OrderingFilter(fields=("name", "order", "created_at"))

    class Meta:
        model = CatalogItem
        fields: list[str] = []

    def filter_search(
        self, queryset: QuerySet[CatalogItem], name: str, value: str
    ) -> QuerySet[CatalogItem]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(description__icontains=value)
            | Q(category__name__icontains=value)
        )
