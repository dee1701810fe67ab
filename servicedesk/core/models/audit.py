"""The append-only audit history of every ticket."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import AuditAction


class AuditHistoryIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit record."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditHistoryIsAppendOnly("Audit events cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditHistoryIsAppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One thing that happened to a ticket: who, when, what changed from what to what."""

    ticket = models.ForeignKey("core.Ticket", on_delete=models.PROTECT, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system did it by itself."),
    )
    action = models.CharField(_("action"), max_length=24, choices=AuditAction.choices)
    transition = models.CharField(_("transition"), max_length=40, blank=True)
    from_status = models.CharField(_("from status"), max_length=32, blank=True)
    to_status = models.CharField(_("to status"), max_length=32, blank=True)
    # {"field": {"from": old, "to": new}, …} in JSON-safe values (ids, ISO dates).
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    # Internal events (internal notes, internal attachments) are never shown to end users.
    internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="audit_ticket_created")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()} on {self.ticket_id} at {self.created_at:%Y-%m-%d %H:%M}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditHistoryIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditHistoryIsAppendOnly("Audit events cannot be deleted.")
