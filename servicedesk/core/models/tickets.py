"""The ticket core: one concrete Ticket that every practice extends, and what hangs off it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from ..choices import (
    NUMBER_PREFIXES,
    Impact,
    LinkKind,
    Practice,
    Priority,
    SLAState,
    Urgency,
)


class NumberSequence(models.Model):
    """The last number handed out for a prefix (INC, PRB, CHG, REQ…)."""

    prefix = models.CharField(max_length=8, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.prefix} {self.last_value}"


class Ticket(FSMModelMixin, models.Model):
    """What every ticket has; each practice extends it (multi-table inheritance)."""

    # Set by each practice's model.
    PRACTICE: ClassVar[str | None] = None
    INITIAL_STATUS: ClassVar[str] = "new"

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    practice = models.CharField(
        _("practice"), max_length=16, choices=Practice.choices, editable=False
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Only transitions change it (see each practice's model); never assigned directly.
    status = FSMField(_("status"), max_length=32, protected=True)

    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=Impact.choices, default=Impact.MEDIUM
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, editable=False
    )
    priority_override_reason = models.TextField(_("priority override reason"), blank=True)
    priority_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    priority_overridden_at = models.DateTimeField(null=True, blank=True, editable=False)

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    assignment_group = models.ForeignKey(
        "core.Team",
        verbose_name=_("assignment group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    service = models.ForeignKey(
        "core.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    configuration_items = models.ManyToManyField(
        "core.ConfigurationItem",
        verbose_name=_("configuration items"),
        related_name="tickets",
        blank=True,
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Watcher",
        through_fields=("ticket", "user"),
        related_name="watched_tickets",
        blank=True,
    )

    # SLA: due times are stored on the ticket, kept current by the SLA services.
    response_due_at = models.DateTimeField(_("response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    sla_state = models.CharField(
        _("SLA state"), max_length=16, choices=SLAState.choices, default=SLAState.IN_PROGRESS
    )
    sla_paused_since = models.DateTimeField(null=True, blank=True, editable=False)
    # Highest warning threshold already fired; raised only by a conditional update.
    sla_warning_level = models.PositiveSmallIntegerField(default=0, editable=False)
    # The rest of the SLA clock (see servicedesk.core.sla): the policy that set the targets,
    # when the clock started, the business time it stood still, the response target's own
    # level (sla_warning_level is the resolution target's), and the next instant at which
    # a threshold falls due, so that the sweep is a range scan on an index.
    sla_policy = models.ForeignKey(
        "core.SLAPolicy",
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
        editable=False,
    )
    sla_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_paused_total = models.DurationField(default=timedelta(0), editable=False)
    sla_response_warning_level = models.PositiveSmallIntegerField(default=0, editable=False)
    sla_next_check_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Raised by every saved change; clients send it back to prove they saw the latest.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["practice", "status"], name="ticket_practice_status"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["assignment_group", "status"], name="ticket_group_status"),
            models.Index(fields=["requester", "status"], name="ticket_requester_status"),
            models.Index(fields=["-created_at"], name="ticket_created"),
            models.Index(fields=["-updated_at"], name="ticket_updated"),
            models.Index(fields=["sla_state", "resolution_due_at"], name="ticket_sla_due"),
            models.Index(
                fields=["sla_next_check_at", "id"],
                condition=Q(sla_next_check_at__isnull=False),
                name="ticket_sla_next_check",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=3), name="ticket_impact_range"
            ),
            models.CheckConstraint(
                condition=Q(urgency__gte=1, urgency__lte=3), name="ticket_urgency_range"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="ticket_priority_range"
            ),
        ]
        permissions = [
            ("work_ticket", "Can work tickets as an agent"),
            ("view_all_tickets", "Can see every ticket of every team"),
            ("override_priority", "Can override the derived priority of a ticket"),
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds instances loaded from the database with positional values only;
        # a new ticket starts in its practice's initial state.
        if not args:
            kwargs.setdefault("status", self.INITIAL_STATUS)
            if self.PRACTICE:
                kwargs.setdefault("practice", self.PRACTICE)
        super().__init__(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number_prefix(self) -> str:
        return NUMBER_PREFIXES[self.practice]

    @property
    def priority_label(self) -> str:
        return Priority(self.priority).label

    @property
    def is_priority_overridden(self) -> bool:
        return bool(self.priority_overridden_at)

    def as_practice(self) -> Ticket:
        """This ticket as its practice's model (Incident, Problem…), itself if already one."""
        if type(self) is not Ticket:
            return self
        return getattr(self, self.practice_relation_name)

    @property
    def practice_relation_name(self) -> str:
        return {
            Practice.INCIDENT: "incident",
            Practice.PROBLEM: "problem",
            Practice.CHANGE: "change",
            Practice.REQUEST: "servicerequest",
        }[self.practice]


class Watcher(models.Model):
    """Someone who follows a ticket and hears of its public updates."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watcher_entries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watcher_entries"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="watcher_unique_ticket_user")
        ]
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")

    def __str__(self) -> str:
        return f"{self.user} watches {self.ticket_id}"


class Comment(models.Model):
    """A public reply or an internal note (never shown to end users) on a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(_("body"), help_text=_("Markdown."))
    internal = models.BooleanField(_("internal note"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        kind = _("Internal note") if self.internal else _("Reply")
        return f"{kind} by {self.author} on {self.ticket_id}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # A random name: the original one is kept in the row, never trusted on disk.
    return f"attachments/{instance.created_at_path()}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket, optionally on one of its comments; internal ones follow the note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    internal = models.BooleanField(_("internal"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attachments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename

    def created_at_path(self) -> str:
        from django.utils import timezone

        return (self.created_at or timezone.now()).strftime("%Y/%m")


class TicketLink(models.Model):
    """A typed link from one ticket to another (of any practice)."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "target"], name="ticketlink_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="ticketlink_not_self"),
        ]
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")

    def __str__(self) -> str:
        return f"{self.source_id} {self.get_kind_display()} {self.target_id}"
