"""Changes in the back office: the shared ticket admin, standard templates and freezes.

Changes are raised and moved on in the agent UI and the API, where their rules live;
here their practice fields are shown, CAB votes are read-only, and freezes and
standard templates are reference data.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from servicedesk.core.admin import PracticeTicketAdmin, ServiceErrorsAsMessagesMixin

from . import services
from .choices import ChangeStatus
from .models import CABVote, Change, FreezePeriod, StandardChangeTemplate


class CABVoteInline(admin.TabularInline):
    model = CABVote
    extra = 0
    fields = ("voter", "decision", "comment", "updated_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Change)
class ChangeAdmin(PracticeTicketAdmin):
    """Changes: created and changed through the core ticket services."""

    status_choices = ChangeStatus.choices
    list_display = (
        "number",
        "title",
        "status_label",
        "change_type",
        "risk",
        "planned_start",
        "assignment_group",
        "assignee",
        "created_at",
    )
    list_filter = (*PracticeTicketAdmin.list_filter, "change_type", "risk")

    def get_fieldsets(self, request: HttpRequest, obj: Change | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # A new change is a plain draft; its plans, risk and window follow their rules
            # in the agent UI and the API.
            practice = set(self.practice_fields())
            fieldsets = [fs for fs in fieldsets if not practice & set(fs[1]["fields"])]
        return fieldsets

    def get_inline_instances(self, request: HttpRequest, obj: Change | None = None) -> list:
        inlines = super().get_inline_instances(request, obj)
        if obj is not None:
            inlines.insert(0, CABVoteInline(self.model, self.admin_site))
        return inlines


@admin.register(StandardChangeTemplate)
class StandardChangeTemplateAdmin(admin.ModelAdmin):
    """Pre-approved changes that agents instantiate."""

    list_display = ("name", "risk", "duration", "assignment_group", "is_active")
    list_filter = ("is_active", "risk")
    search_fields = ("name", "description")
    autocomplete_fields = ("assignment_group", "services", "configuration_items")


class FreezePeriodForm(forms.ModelForm):
    class Meta:
        model = FreezePeriod
        fields = ("name", "reason", "start", "end")


@admin.register(FreezePeriod)
class FreezePeriodAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """Blackout windows in which no change may be scheduled."""

    form = FreezePeriodForm
    list_display = ("name", "start", "end", "created_by")
    search_fields = ("name", "reason")
    date_hierarchy = "start"
    ordering = ("-start",)

    def save_model(
        self, request: HttpRequest, obj: FreezePeriod, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data}
            services.freeze_period_update(freeze=obj, by=request.user, data=data)
        else:
            saved = services.freeze_period_create(
                by=request.user,
                name=obj.name,
                reason=obj.reason,
                start=obj.start,
                end=obj.end,
            )
            obj.__dict__.update(saved.__dict__)
