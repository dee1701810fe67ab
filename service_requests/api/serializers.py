"""Serializers of the request, task and catalog API: they validate and shape; services write."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.core.api.serializers import StrictFieldsMixin, WholeItemMixin
from servicedesk.core.api.tickets import (
    AGENT_TICKET_FIELDS,
    PUBLIC_TICKET_FIELDS,
    READ_ONLY_TICKET_FIELDS,
    TicketSerializer,
    TransitionSerializer,
)
from servicedesk.core.models import Service, Team

from ..choices import ApproverKind
from ..forms import check_choices, check_regex
from ..models import (
    Approval,
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    FormField,
    FulfilmentTask,
    ServiceRequest,
    TaskTemplate,
)

# --- requests ----------------------------------------------------------------------------


class ApprovalSerializer(serializers.ModelSerializer):
    """One step of a request's approval route and its decision."""

    approver_name = serializers.CharField(read_only=True)

    class Meta:
        model = Approval
        fields = [
            "step",
            "kind",
            "approver",
            "team",
            "approver_name",
            "status",
            "decided_by",
            "decided_at",
            "comment",
        ]
        read_only_fields = fields


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {},
        "description": "Answers keyed by the form's field names.",
    }
)
class AnswersField(serializers.DictField):
    """The answers to the item's form: an object keyed by field name (validated by the form)."""


REQUEST_FIELDS = [
    "catalog_item",
    "catalog_item_name",
    "answers",
    "approval_step",
    "approvals",
]
READ_ONLY_REQUEST_FIELDS = ["catalog_item_name", "approval_step", "approvals"]


class ServiceRequestSerializer(TicketSerializer):
    """A request as agents see it; created with ``catalog_item`` and ``answers``."""

    create_only_fields = ("requester", "catalog_item", "answers")

    title = serializers.CharField(
        max_length=200,
        required=False,
        help_text=_("Defaults to the catalog item's name."),
    )
    catalog_item = serializers.PrimaryKeyRelatedField(queryset=CatalogItem.objects.all())
    catalog_item_name = serializers.SerializerMethodField()
    answers = AnswersField(
        required=False,
        help_text=_("Answers keyed by the item's form field names; each is checked by the form."),
    )
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        model = ServiceRequest
        fields = [*AGENT_TICKET_FIELDS, *REQUEST_FIELDS]
        read_only_fields = [*READ_ONLY_TICKET_FIELDS, *READ_ONLY_REQUEST_FIELDS]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None and "catalog_item" in fields:
            # Set once by the order; a PATCH that names it is refused as create-only.
            fields["catalog_item"].required = False
        return fields

    def get_catalog_item_name(self, service_request: ServiceRequest) -> str | None:
        item = service_request.catalog_item
        return item.name if item is not None else None


class PublicServiceRequestSerializer(ServiceRequestSerializer):
    """A request as its requester or an approver sees it: no internal fields."""

    requester = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(ServiceRequestSerializer.Meta):
        fields = [*PUBLIC_TICKET_FIELDS, *REQUEST_FIELDS]
        read_only_fields = [
            *READ_ONLY_TICKET_FIELDS,
            *READ_ONLY_REQUEST_FIELDS,
            "requester",
            "impact",
            "urgency",
            "service",
        ]


class RequestApproveSerializer(TransitionSerializer):
    """An approval, with an optional comment."""

    comment = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


class RequestRejectSerializer(TransitionSerializer):
    """A rejection says why."""

    comment = serializers.CharField(max_length=2000)


class RequestCancelSerializer(TransitionSerializer):
    """Why the request is withdrawn."""

    reason = serializers.CharField(max_length=2000)


# --- fulfilment tasks ----------------------------------------------------------------------


class FulfilmentTaskSerializer(serializers.ModelSerializer):
    """A fulfilment task of a request, for one team."""

    request_number = serializers.CharField(source="request.number", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = FulfilmentTask
        fields = [
            "id",
            "number",
            "request",
            "request_number",
            "title",
            "description",
            "assignment_group",
            "assignee",
            "status",
            "status_label",
            "notes",
            "started_at",
            "completed_at",
            "completed_by",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class TaskCompleteSerializer(TransitionSerializer):
    """Optional notes on the work done."""

    notes = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)


class TaskCancelSerializer(TransitionSerializer):
    """Why the task is not needed."""

    reason = serializers.CharField(max_length=2000)


# --- the catalog ---------------------------------------------------------------------------


class FormFieldSerializer(WholeItemMixin, StrictFieldsMixin, serializers.ModelSerializer):
    """One question of an item's order form; its position in the list is its order."""

    choices = serializers.JSONField(
        required=False,
        help_text=_("For choice questions: a list of {value, label} (or of plain values)."),
    )
    min_value = serializers.DecimalField(
        max_digits=18, decimal_places=6, required=False, allow_null=True, coerce_to_string=False
    )
    max_value = serializers.DecimalField(
        max_digits=18, decimal_places=6, required=False, allow_null=True, coerce_to_string=False
    )
    max_length = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=100_000
    )

    class Meta:
        model = FormField
        fields = [
            "name",
            "label",
            "field_type",
            "help_text",
            "required",
            "choices",
            "min_value",
            "max_value",
            "max_length",
            "regex",
            "regex_message",
        ]

    def validate_choices(self, value: Any) -> list[dict[str, str]]:
        from django.core.exceptions import ValidationError

        try:
            return check_choices(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def validate_regex(self, value: str) -> str:
        from django.core.exceptions import ValidationError

        try:
            check_regex(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class ApprovalStepSerializer(WholeItemMixin, StrictFieldsMixin, serializers.ModelSerializer):
    """One step of the approval route: the requester's manager, or a team."""

    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = ApprovalStep
        fields = ["approver", "team"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["approver"] == ApproverKind.TEAM and not attrs.get("team"):
            raise serializers.ValidationError({"team": [_("Choose the team that approves.")]})
        if attrs["approver"] == ApproverKind.MANAGER and attrs.get("team"):
            raise serializers.ValidationError({"team": [_("A manager step has no team.")]})
        return attrs


class TaskTemplateSerializer(WholeItemMixin, StrictFieldsMixin, serializers.ModelSerializer):
    """A fulfilment task every order of the item gets."""

    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())

    class Meta:
        model = TaskTemplate
        fields = ["title", "description", "team"]


class CatalogItemSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A catalog item with its order form, approval route and fulfilment tasks.

    On a change, ``form``, ``approval_steps`` and ``task_templates`` each replace
    the whole list when given.
    """

    category = serializers.PrimaryKeyRelatedField(queryset=CatalogCategory.objects.all())
    category_name = serializers.CharField(source="category.name", read_only=True)
    owner_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    service = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.all(), required=False, allow_null=True
    )
    requires_approval = serializers.BooleanField(read_only=True)
    form = FormFieldSerializer(many=True, required=False, source="fields")
    approval_steps = ApprovalStepSerializer(many=True, required=False)
    task_templates = TaskTemplateSerializer(many=True, required=False)

    class Meta:
        model = CatalogItem
        fields = [
            "id",
            "name",
            "category",
            "category_name",
            "description",
            "owner_team",
            "service",
            "delivery_days",
            "order",
            "is_active",
            "requires_approval",
            "form",
            "approval_steps",
            "task_templates",
        ]

    def validate_form(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = [row["name"] for row in rows]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise serializers.ValidationError(
                _("Each field name may appear only once: %(names)s.")
                % {"names": ", ".join(duplicates)}
            )
        return rows
