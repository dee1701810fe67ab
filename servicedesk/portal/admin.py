"""Satisfaction ratings for admins: read them, never type them in."""

from django.contrib import admin

from .models import SatisfactionRating


@admin.register(SatisfactionRating)
class SatisfactionRatingAdmin(admin.ModelAdmin):
    list_display = ("ticket", "score", "rated_by", "updated_at")
    list_filter = ("score",)
    search_fields = ("ticket__number", "comment")
    readonly_fields = ("ticket", "rated_by", "score", "comment", "created_at", "updated_at")

    def has_add_permission(self, request):
        return False
