"""Incidents in the back office: the shared ticket admin, categories and routing rules."""

from django.contrib import admin

from servicedesk.core.admin import PracticeTicketAdmin

from .choices import IncidentStatus
from .models import Category, Incident, RoutingRule


@admin.register(Incident)
class IncidentAdmin(PracticeTicketAdmin):
    """Incidents: created and changed through the core ticket services."""

    status_choices = IncidentStatus.choices


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """What incidents are about; routing rules match on them."""

    list_display = ("__str__", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("parent",)
    search_fields = ("name", "parent__name")
    autocomplete_fields = ("parent",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Which team (and how inside it) gets a new incident; the most specific rule wins."""

    list_display = (
        "name",
        "order",
        "category",
        "service",
        "configuration_item",
        "team",
        "assignment",
        "is_active",
    )
    list_editable = ("order", "is_active")
    list_filter = ("is_active", "assignment", "team")
    list_select_related = ("category__parent", "service", "configuration_item", "team")
    search_fields = ("name",)
    autocomplete_fields = ("category", "service", "configuration_item", "team")
