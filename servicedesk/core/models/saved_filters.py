"""Saved filters: a user's named query strings for a ticket list, picked again from a menu."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilterQuerySet(models.QuerySet):
    def for_list(self, user: models.Model, list_name: str) -> SavedFilterQuerySet:
        """The user's own saved filters of one list, by name."""
        return self.filter(user_id=user.pk, list_name=list_name).order_by("name", "pk")


class SavedFilter(models.Model):
    """A named query string of one list (``incidents``, ``changes``…), private to its user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="saved_filters",
    )
    # Which list the query belongs to; every practice's list uses its own name.
    list_name = models.CharField(_("list"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    # The query string without the leading "?" and without the page number.
    query = models.CharField(_("query"), max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedFilterQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "list_name", "name"], name="savedfilter_unique_name"
            )
        ]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")

    def __str__(self) -> str:
        return f"{self.name} ({self.list_name})"
