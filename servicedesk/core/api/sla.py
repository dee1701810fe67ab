"""SLA data in the API: ``/api/v1/business-calendars/`` and ``/api/v1/sla-policies/``."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import sla
from ..choices import EscalationAction, Practice, Priority, SLATarget, Weekday
from ..filters import OrderingFilter
from ..models import (
    BusinessCalendar,
    EscalationRule,
    Service,
    SLAPolicy,
    Team,
    WorkingPeriod,
)
from ..models.calendars import END_OF_DAY
from ..validators import validate_time_zone
from .permissions import AgentsReadAdminsWrite
from .serializers import StrictFieldsMixin, WholeItemMixin
from .views import ReadCreateUpdateViewSet

HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "09:00"}
)
class ClockTimeField(serializers.Field):
    """A time of day as ``HH:MM``."""

    default_error_messages = {"invalid": _("Give a time as HH:MM.")}
    end = False

    def to_internal_value(self, data: Any) -> time:
        if self.end and data == "24:00":
            return END_OF_DAY
        match = HH_MM.match(data) if isinstance(data, str) else None
        if match is None:
            self.fail("invalid")
        return time(int(match[1]), int(match[2]))

    def to_representation(self, value: time) -> str:
        if self.end and value == END_OF_DAY:
            return "24:00"
        return f"{value:%H:%M}"


@extend_schema_field(
    {"type": "string", "pattern": r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", "example": "17:30"}
)
class EndTimeField(ClockTimeField):
    """The end of a span: ``HH:MM``, or ``24:00`` (also ``00:00``) for midnight at day's end."""

    default_error_messages = {"invalid": _("Give a time as HH:MM (24:00 for midnight).")}
    end = True


class WorkingHoursSerializer(WholeItemMixin, StrictFieldsMixin, serializers.Serializer):
    """One span of working time on a weekday (0 = Monday)."""

    weekday = serializers.ChoiceField(choices=Weekday.choices)
    start = ClockTimeField()
    end = EndTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs["start"] < attrs["end"] or attrs["end"] == END_OF_DAY):
            raise serializers.ValidationError({"end": _("The end must come after the start.")})
        return attrs


class HolidayDatesField(serializers.ListField):
    """The calendar's days off, as dates."""

    child = serializers.DateField()

    def get_attribute(self, instance: BusinessCalendar) -> list:
        return [holiday.date for holiday in instance.holidays.all()]


class BusinessCalendarSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Working hours per weekday in a time zone, and holidays."""

    timezone = serializers.CharField(
        max_length=64, validators=[validate_time_zone], help_text=_("An IANA name.")
    )
    working_hours = WorkingHoursSerializer(
        many=True,
        required=False,
        source="working_periods",
        help_text=_("Exactly the calendar's spans; several per day allowed, never overlapping."),
    )
    holidays = HolidayDatesField(
        required=False,
        max_length=5000,
        help_text=_("Exactly the calendar's days off (its public holidays among them)."),
    )

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "timezone",
            "description",
            "holiday_country",
            "holiday_subdivision",
            "working_hours",
            "holidays",
        ]


class LoadHolidaysSerializer(StrictFieldsMixin, serializers.Serializer):
    """Which years of the country's public holidays to add."""

    years = serializers.ListField(
        child=serializers.IntegerField(min_value=1900, max_value=2200),
        min_length=1,
        max_length=50,
    )


class EscalationRuleSerializer(WholeItemMixin, StrictFieldsMixin, serializers.ModelSerializer):
    """At a threshold of a target (100: its breach), do one thing."""

    target = serializers.ChoiceField(choices=SLATarget.choices, default=SLATarget.RESOLUTION)
    action = serializers.ChoiceField(choices=EscalationAction.choices)
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False, default=None
    )

    class Meta:
        model = EscalationRule
        fields = ["target", "threshold", "action", "team"]


class SLAPolicySerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Targets for a practice and priority (and optionally a service) in a calendar."""

    practice = serializers.ChoiceField(choices=Practice.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), allow_null=True, required=False
    )
    warning_thresholds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=99),
        required=False,
        max_length=20,
        help_text=_("Percentages of a target at which a ticket is at risk, e.g. [75, 90]."),
    )
    escalation_rules = EscalationRuleSerializer(
        many=True, required=False, help_text=_("Exactly the policy's rules.")
    )

    class Meta:
        model = SLAPolicy
        fields = [
            "id",
            "name",
            "practice",
            "priority",
            "service",
            "calendar",
            "response_minutes",
            "resolution_minutes",
            "warning_thresholds",
            "is_active",
            "escalation_rules",
        ]
        extra_kwargs = {
            "response_minutes": {"min_value": 1, "max_value": 10**6},
            "resolution_minutes": {"min_value": 1, "max_value": 10**6},
        }
        # The one-active-policy constraints are checked by the service, which knows that a
        # missing service means "any"; DRF's own check would make the service required.
        validators: list = []


class BusinessCalendarFilter(filters.FilterSet):
    """Calendars by name."""

    name = filters.CharFilter(lookup_expr="icontains", max_length=100)
    ordering = OrderingFilter(fields=("id", "name"))

    class Meta:
        model = BusinessCalendar
        fields: list[str] = []


class SLAPolicyFilter(filters.FilterSet):
    """Policies by practice, priority, service, calendar and active flag."""

    practice = filters.ChoiceFilter(choices=Practice.choices)
    priority = filters.TypedChoiceFilter(choices=Priority.choices, coerce=int)
    service = filters.ModelChoiceFilter(queryset=Service.objects.all())
    calendar = filters.ModelChoiceFilter(queryset=BusinessCalendar.objects.all())
    is_active = filters.BooleanFilter()
    ordering = OrderingFilter(fields=("id", "name", "practice", "priority"))

    class Meta:
        model = SLAPolicy
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="List business calendars"),
    create=extend_schema(summary="Create a business calendar"),
    retrieve=extend_schema(summary="Show a business calendar"),
    partial_update=extend_schema(summary="Change a business calendar, its hours or holidays"),
)
class BusinessCalendarViewSet(ReadCreateUpdateViewSet):
    """The hours in which SLA targets count; agents read them, admins write them."""

    permission_classes = [AgentsReadAdminsWrite]
    serializer_class = BusinessCalendarSerializer
    filterset_class = BusinessCalendarFilter

    def get_queryset(self) -> QuerySet[BusinessCalendar]:
        return BusinessCalendar.objects.prefetch_related(
            Prefetch("working_periods", WorkingPeriod.objects.order_by("weekday", "start")),
            "holidays",
        ).order_by("name", "pk")

    @staticmethod
    def _hours(data: dict[str, Any]) -> list[tuple[int, time, time]] | None:
        spans = data.pop("working_periods", None)
        if spans is None:
            return None
        return [(int(s["weekday"]), s["start"], s["end"]) for s in spans]

    def create_object(self, data: dict[str, Any]) -> BusinessCalendar:
        hours, holidays = self._hours(data), data.pop("holidays", None)
        return sla.business_calendar_save(
            calendar=BusinessCalendar(), data=data, working_hours=hours, holidays=holidays
        )

    def update_object(self, instance: BusinessCalendar, data: dict[str, Any]) -> BusinessCalendar:
        hours, holidays = self._hours(data), data.pop("holidays", None)
        return sla.business_calendar_save(
            calendar=instance, data=data, working_hours=hours, holidays=holidays
        )

    @extend_schema(
        summary="Add the public holidays of the calendar's country for some years",
        request=LoadHolidaysSerializer,
        responses={200: BusinessCalendarSerializer},
    )
    @action(detail=True, methods=["post"], url_path="load-holidays")
    def load_holidays(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        body = LoadHolidaysSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sla.business_calendar_load_holidays(calendar=calendar, years=body.validated_data["years"])
        return Response(self._shown(calendar))


@extend_schema_view(
    list=extend_schema(summary="List SLA policies"),
    create=extend_schema(summary="Create an SLA policy with its escalation rules"),
    retrieve=extend_schema(summary="Show an SLA policy"),
    partial_update=extend_schema(summary="Change an SLA policy or its escalation rules"),
)
class SLAPolicyViewSet(ReadCreateUpdateViewSet):
    """Response and resolution targets and what happens as they near; admins write them."""

    permission_classes = [AgentsReadAdminsWrite]
    serializer_class = SLAPolicySerializer
    filterset_class = SLAPolicyFilter

    def get_queryset(self) -> QuerySet[SLAPolicy]:
        return SLAPolicy.objects.prefetch_related("escalation_rules").order_by(
            "practice", "priority", "name", "pk"
        )

    def create_object(self, data: dict[str, Any]) -> SLAPolicy:
        rules = data.pop("escalation_rules", None)
        return sla.sla_policy_save(policy=SLAPolicy(), data=data, escalation_rules=rules)

    def update_object(self, instance: SLAPolicy, data: dict[str, Any]) -> SLAPolicy:
        rules = data.pop("escalation_rules", None)
        return sla.sla_policy_save(policy=instance, data=data, escalation_rules=rules)
