"""Canned replies: ready-made answers agents insert into a reply and edit before sending."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CannedReplyQuerySet(models.QuerySet):
    def for_agent(self, user: Any) -> CannedReplyQuerySet:
        """Active replies the user may use: global ones and those of their teams (admins: all)."""
        from .. import permissions
        from .people import Membership

        if not permissions.is_agent(user):
            return self.none()
        active = self.filter(is_active=True)
        if permissions.sees_all_tickets(user):
            return active
        my_teams = Membership.objects.filter(user_id=user.pk, team__is_active=True)
        return active.filter(Q(team__isnull=True) | Q(team_id__in=my_teams.values("team_id")))


class CannedReply(models.Model):
    """A reply template with placeholders such as {requester_name}; no team means everyone's."""

    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text=_("Leave empty to offer the reply to every agent."),
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(
        _("body"),
        help_text=_(
            "Markdown. Placeholders: {requester_name}, {ticket_number}, {ticket_title}, "
            "{agent_name}, {workaround}."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CannedReplyQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title
