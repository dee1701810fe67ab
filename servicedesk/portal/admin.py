"""Satisfaction ratings in the back office, read-only: requesters rate in the portal."""

from django.contrib import admin

from .models import SatisfactionRating


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(admin.ModelAdmin):
    """How satisfied requesters were with their resolved tickets."""

    list_display = ("ticket", "score", "rated_by", "updated_at")
    list_filter = ("score",)
    list_select_related = ("ticket", "rated_by")
    search_fields = ("ticket__number", "comment")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
