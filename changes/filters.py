"""The change list's filters, for the agent UI and the API alike."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django_filters import rest_framework as filters

from servicedesk.core.filters import OrderingFilter, TicketFilter, UtcDateTimeFilter
from servicedesk.core.models import Service

from .choices import CABDecision, ChangeStatus, ChangeType, RiskLevel
from .models import Change, FreezePeriod


class ChangeFilter(TicketFilter):
    """Every ticket filter plus type, risk, CAB decision, affected service and the window.

    ``window_after``/``window_before`` keep the changes whose planned window overlaps
    that range (a calendar's month, say).
    """

    status_choices = ChangeStatus.choices
    change_type = filters.MultipleChoiceFilter(choices=ChangeType.choices)
    risk = filters.MultipleChoiceFilter(choices=RiskLevel.choices)
    cab_decision = filters.ChoiceFilter(choices=CABDecision.choices)
    affected_service = filters.ModelChoiceFilter(
        queryset=Service.objects.all(), method="filter_affected_service"
    )
    window_after = UtcDateTimeFilter(field_name="planned_end", lookup_expr="gt")
    window_before = UtcDateTimeFilter(field_name="planned_start", lookup_expr="lt")
    ordering = OrderingFilter(
        fields=(
            "number",
            "created_at",
            "updated_at",
            "priority",
            "status",
            "title",
            "planned_start",
            "risk",
            "change_type",
        )
    )

    class Meta(TicketFilter.Meta):
        model = Change

    def filter_affected_service(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        through = Change.services.through.objects.filter(
            change_id=OuterRef("pk"), service_id=value.pk
        )
        return queryset.filter(Exists(through))


class FreezePeriodFilter(filters.FilterSet):
    """Freezes that overlap a range: ``ends_after`` and ``starts_before``."""

    ends_after = UtcDateTimeFilter(field_name="end", lookup_expr="gt")
    starts_before = UtcDateTimeFilter(field_name="start", lookup_expr="lt")
    ordering = OrderingFilter(fields=("start", "end", "name"))

    class Meta:
        model = FreezePeriod
        fields: list[str] = []
