"""The service catalog and service requests in the back office.

Admins edit catalog items with their order form, approval route and task templates
as inlines. Requests use the shared ticket admin; their answers, approvals and
tasks are shown read-only, since only the request services change them.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from servicedesk.core.admin import PracticeTicketAdmin

from .choices import ServiceRequestStatus
from .forms import check_choices
from .models import (
    Approval,
    ApprovalStep,
    CatalogCategory,
    CatalogItem,
    FormField,
    FulfilmentTask,
    ServiceRequest,
    TaskTemplate,
)


class ChoicesField(forms.CharField):
    """A question's choices edited as lines of ``value | Label`` (or just ``Label``)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 30})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return value
        lines = []
        for choice in value or []:
            if isinstance(choice, dict):
                same = choice.get("label") in (None, "", choice.get("value"))
                lines.append(choice["value"] if same else f"{choice['value']} | {choice['label']}")
        return "\n".join(lines)

    def to_python(self, value: Any) -> list[dict[str, str]]:
        text = super().to_python(value)
        entries = []
        for line in text.splitlines():
            if not line.strip():
                continue
            choice_value, _sep, label = line.partition("|")
            entries.append({"value": choice_value.strip(), "label": label.strip()})
        try:
            return check_choices(entries)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class FormFieldAdminForm(forms.ModelForm):
    choices = ChoicesField(
        label=_("choices"),
        required=False,
        help_text=_("One per line: “value | Label”, or just the label."),
    )

    class Meta:
        model = FormField
        fields = (
            "order",
            "name",
            "field_type",
            "required",
            "label",
            "help_text",
            "choices",
            "min_value",
            "max_value",
            "max_length",
            "regex",
            "regex_message",
        )


class FormFieldInline(admin.StackedInline):
    model = FormField
    form = FormFieldAdminForm
    extra = 0
    fieldsets = (
        (None, {"fields": (("order", "name", "field_type", "required"), ("label", "help_text"))}),
        (
            _("Validation"),
            {
                "fields": (
                    "choices",
                    ("min_value", "max_value", "max_length"),
                    ("regex", "regex_message"),
                )
            },
        ),
    )
    verbose_name = _("question of the order form")
    verbose_name_plural = _("order form")


class ApprovalStepInline(admin.TabularInline):
    model = ApprovalStep
    extra = 0
    fields = ("order", "approver", "team")
    autocomplete_fields = ("team",)
    verbose_name_plural = _("approval route (decided in order; none: no approval needed)")


class TaskTemplateInline(admin.TabularInline):
    model = TaskTemplate
    extra = 0
    fields = ("order", "title", "team", "description")
    autocomplete_fields = ("team",)
    verbose_name_plural = _("fulfilment tasks")


@admin.register(CatalogCategory)
class CatalogCategoryAdmin(admin.ModelAdmin):
    """Shelves of the catalog."""

    list_display = ("name", "order", "is_active", "item_count")
    list_filter = ("is_active",)
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CatalogCategory]:
        return super().get_queryset(request).annotate(item_count=Count("items"))

    @admin.display(description=_("items"), ordering="item_count")
    def item_count(self, obj: CatalogCategory) -> int:
        return obj.item_count


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    """Catalog items with their order form, approval route and fulfilment tasks."""

    list_display = (
        "name",
        "category",
        "owner_team",
        "approval_steps_count",
        "delivery_days",
        "is_active",
    )
    list_filter = ("is_active", "category", "owner_team")
    list_select_related = ("category", "owner_team")
    search_fields = ("name", "description")
    autocomplete_fields = ("owner_team", "service")
    fields = (
        "name",
        "category",
        "description",
        "owner_team",
        "service",
        "delivery_days",
        "order",
        "is_active",
    )
    inlines = (FormFieldInline, ApprovalStepInline, TaskTemplateInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CatalogItem]:
        return super().get_queryset(request).annotate(step_count=Count("approval_steps"))

    @admin.display(description=_("approval steps"), ordering="step_count")
    def approval_steps_count(self, obj: CatalogItem) -> int:
        return obj.step_count


class ApprovalInline(admin.TabularInline):
    model = Approval
    extra = 0
    fields = ("step", "kind", "approver", "team", "status", "decided_by", "decided_at", "comment")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Approval]:
        return super().get_queryset(request).select_related("approver", "team", "decided_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FulfilmentTaskInline(admin.TabularInline):
    model = FulfilmentTask
    extra = 0
    fields = ("number", "title", "assignment_group", "assignee", "status", "completed_at")
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[FulfilmentTask]:
        return super().get_queryset(request).select_related("assignment_group", "assignee")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(PracticeTicketAdmin):
    """Service requests: created and changed through the core ticket services."""

    status_choices = ServiceRequestStatus.choices
    list_select_related = (*PracticeTicketAdmin.list_select_related, "catalog_item")

    def get_fieldsets(self, request: HttpRequest, obj: ServiceRequest | None = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.insert(1, (_("Order"), {"fields": ("catalog_item", "answers_display")}))
        return fieldsets

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list:
        if obj is None:
            return []
        inlines = super().get_inline_instances(request, obj)
        return [
            ApprovalInline(self.model, self.admin_site),
            FulfilmentTaskInline(self.model, self.admin_site),
            *inlines,
        ]

    @admin.display(description=_("answers"))
    def answers_display(self, obj: ServiceRequest) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.answers, indent=2, ensure_ascii=False))
