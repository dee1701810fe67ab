"""The service catalog, the service request on the ticket core, its approvals and its tasks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from servicedesk.core.choices import Practice
from servicedesk.core.models import Ticket

from . import permissions
from .choices import (
    CHOICE_FIELD_TYPES,
    OPEN_TASK_STATUSES,
    PORTAL_STATUS_TEXT,
    TEXT_FIELD_TYPES,
    ApprovalStatus,
    ApproverKind,
    FieldType,
    ServiceRequestStatus,
    TaskStatus,
)

S = ServiceRequestStatus
T = TaskStatus

# A form field's name is the key of its answer: ``answers.laptop_model``.
field_name_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,49}\Z",
    _("Lower-case letters, digits and underscores, starting with a letter."),
)


# --- the catalog ---------------------------------------------------------------------------


class CatalogCategory(models.Model):
    """A shelf of the service catalog (Hardware, Software, Access…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("catalog category")
        verbose_name_plural = _("catalog categories")

    def __str__(self) -> str:
        return self.name


class CatalogItem(models.Model):
    """Something people can order, with its order form, its approvals and its fulfilment tasks."""

    category = models.ForeignKey(
        CatalogCategory,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(
        _("description"), blank=True, help_text=_("What the item is, shown in the catalog.")
    )
    owner_team = models.ForeignKey(
        "core.Team",
        verbose_name=_("owner team"),
        on_delete=models.PROTECT,
        related_name="owned_catalog_items",
        help_text=_("The team the requests for this item are assigned to."),
    )
    service = models.ForeignKey(
        "core.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="catalog_items",
    )
    delivery_days = models.PositiveSmallIntegerField(
        _("expected delivery (days)"),
        null=True,
        blank=True,
        help_text=_("How many working days delivery usually takes once approved."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active items can be ordered.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__order", "category__name", "order", "name"]
        verbose_name = _("catalog item")
        verbose_name_plural = _("catalog items")

    def __str__(self) -> str:
        return self.name

    @property
    def requires_approval(self) -> bool:
        """Whether ordering it needs approval: it has approval steps (prefetch them for lists)."""
        return bool(self.approval_steps.all())


class FormField(models.Model):
    """One question of a catalog item's order form, with its type and its validation."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="fields")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    name = models.CharField(
        _("name"),
        max_length=50,
        validators=[field_name_validator],
        help_text=_("The key of the answer in the API, e.g. laptop_model."),
    )
    label = models.CharField(_("label"), max_length=200)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    help_text = models.CharField(_("help"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=True)
    # [{"value": "14", "label": "14 inch"}, …] for choice and multi-choice questions.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=18, decimal_places=6, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(
        _("maximum length"),
        null=True,
        blank=True,
        help_text=_("For text: the most characters an answer may have."),
    )
    regex = models.CharField(
        _("pattern"),
        max_length=200,
        blank=True,
        help_text=_("For text: a regular expression the whole answer must match."),
    )
    regex_message = models.CharField(
        _("pattern message"),
        max_length=200,
        blank=True,
        help_text=_("Shown when an answer does not match the pattern."),
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="formfield_unique_name"),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="formfield_min_not_above_max",
            ),
        ]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")

    def __str__(self) -> str:
        return f"{self.label} ({self.name})"

    @property
    def choice_pairs(self) -> list[tuple[str, str]]:
        return [(c["value"], c.get("label") or c["value"]) for c in self.choices or []]

    def clean(self) -> None:
        from .forms import check_choices, check_regex

        errors: dict[str, list[str]] = {}
        if self.field_type in CHOICE_FIELD_TYPES:
            try:
                self.choices = check_choices(self.choices)
            except ValidationError as exc:
                errors["choices"] = exc.messages
            if not errors.get("choices") and not self.choices:
                errors["choices"] = [_("A choice question needs at least one choice.")]
        elif self.choices:
            errors["choices"] = [_("Only choice questions have choices.")]
        if self.field_type != FieldType.NUMBER and (
            self.min_value is not None or self.max_value is not None
        ):
            errors["min_value"] = [_("Only number questions have a minimum and maximum.")]
        if (
            self.min_value is not None
            and self.max_value is not None
            and Decimal(self.min_value) > Decimal(self.max_value)
        ):
            errors["max_value"] = [_("The maximum is below the minimum.")]
        if self.field_type not in TEXT_FIELD_TYPES:
            if self.max_length is not None:
                errors["max_length"] = [_("Only text questions have a maximum length.")]
            if self.regex:
                errors["regex"] = [_("Only text questions have a pattern.")]
        if self.regex:
            try:
                check_regex(self.regex)
            except ValidationError as exc:
                errors["regex"] = exc.messages
        if errors:
            raise ValidationError(errors)


class ApprovalStep(models.Model):
    """One step of an item's approval route; steps are decided one after the other."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="approval_steps")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    approver = models.CharField(_("approver"), max_length=20, choices=ApproverKind.choices)
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a team step: any one of its members decides."),
    )

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approver=ApproverKind.TEAM, team__isnull=False)
                | Q(approver=ApproverKind.MANAGER, team__isnull=True),
                name="approvalstep_team_iff_team_step",
            )
        ]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")

    def __str__(self) -> str:
        if self.approver == ApproverKind.TEAM:
            return str(_("Team %(team)s") % {"team": self.team})
        return str(ApproverKind(self.approver).label)

    def clean(self) -> None:
        if self.approver == ApproverKind.TEAM and self.team_id is None:
            raise ValidationError({"team": _("Choose the team that approves.")})
        if self.approver == ApproverKind.MANAGER and self.team_id is not None:
            raise ValidationError({"team": _("A manager step has no team.")})


class TaskTemplate(models.Model):
    """A fulfilment task every request for the item gets, for one team."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="task_templates")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("instructions"), blank=True)
    team = models.ForeignKey(
        "core.Team", verbose_name=_("team"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")

    def __str__(self) -> str:
        return self.title


# --- the request --------------------------------------------------------------------------


def has_no_open_tasks(service_request: ServiceRequest) -> bool:
    return not service_request.tasks.filter(status__in=OPEN_TASK_STATUSES).exists()


class ServiceRequest(Ticket):
    """A user's request for something the service catalog offers."""

    PRACTICE = Practice.REQUEST
    INITIAL_STATUS = ServiceRequestStatus.SUBMITTED

    # Empty only for requests logged by hand in the back office, outside the catalog.
    catalog_item = models.ForeignKey(
        CatalogItem,
        verbose_name=_("catalog item"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
        editable=False,
    )
    # The validated answers to the item's form, keyed by the form's field names.
    answers = models.JSONField(_("answers"), default=dict, blank=True, editable=False)
    # The approval step awaiting a decision; empty outside ``awaiting_approval``.
    approval_step = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def get_status_display(self) -> str:
        return ServiceRequestStatus(self.status).label

    @property
    def portal_status(self) -> str:
        return str(PORTAL_STATUS_TEXT.get(self.status, self.status))

    # --- lifecycle: each method changes only this object; services do the rest ----------

    @transition(
        field="status",
        source=S.SUBMITTED,
        target=S.AWAITING_APPROVAL,
        permission=permissions.can_submit_for_approval,
    )
    def submit_for_approval(self, step: int) -> None:
        """The system sends the request to its first approval step."""
        self.approval_step = step

    @transition(
        field="status",
        source=S.AWAITING_APPROVAL,
        target=RETURN_VALUE(S.AWAITING_APPROVAL, S.APPROVED),
        permission=permissions.can_decide,
    )
    def approve(self, next_step: int | None) -> str:
        """The current step approves: on to the next step, or approved after the last one."""
        self.approval_step = next_step
        return S.AWAITING_APPROVAL if next_step is not None else S.APPROVED

    @transition(
        field="status",
        source=S.AWAITING_APPROVAL,
        target=S.REJECTED,
        permission=permissions.can_decide,
    )
    def reject(self) -> None:
        """The current step rejects: the request ends here."""
        self.approval_step = None
        self.closed_at = timezone.now()

    @transition(
        field="status",
        source=[S.SUBMITTED, S.APPROVED],
        target=S.FULFILLING,
        permission=permissions.can_start_fulfilment,
    )
    def start_fulfilment(self) -> None:
        """Approved (or needing no approval): the fulfilment tasks start."""

    @transition(
        field="status",
        source=S.FULFILLING,
        target=S.FULFILLED,
        conditions=[has_no_open_tasks],
        permission=permissions.can_work,
    )
    def fulfil(self) -> None:
        """Everything is delivered: by itself with the last task, or by an agent."""
        self.resolved_at = timezone.now()

    @transition(
        field="status", source=S.FULFILLED, target=S.CLOSED, permission=permissions.can_close
    )
    def close(self) -> None:
        """The requester confirmed the delivery, or an agent closed it."""
        self.closed_at = timezone.now()

    @transition(
        field="status",
        source=[S.SUBMITTED, S.AWAITING_APPROVAL, S.APPROVED],
        target=S.CANCELLED,
        permission=permissions.can_cancel,
    )
    def cancel(self) -> None:
        """Withdrawn before anything was delivered."""
        self.approval_step = None
        self.closed_at = timezone.now()


class Approval(models.Model):
    """One step of a request's approval route, resolved when the request was ordered."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="approvals")
    step = models.PositiveSmallIntegerField(_("step"))
    kind = models.CharField(_("approver"), max_length=20, choices=ApproverKind.choices)
    # The manager who decides a manager step (resolved at order time).
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approvals_to_decide",
    )
    team = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approvals_to_decide",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.WAITING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "step"]
        constraints = [
            models.UniqueConstraint(fields=["request", "step"], name="approval_unique_step"),
            models.CheckConstraint(
                condition=Q(kind=ApproverKind.MANAGER, approver__isnull=False, team__isnull=True)
                | Q(kind=ApproverKind.TEAM, team__isnull=False, approver__isnull=True),
                name="approval_one_approver",
            ),
        ]
        indexes = [
            models.Index(fields=["approver", "status"], name="approval_approver_status"),
            models.Index(fields=["team", "status"], name="approval_team_status"),
        ]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")

    def __str__(self) -> str:
        return f"{self.request_id} step {self.step}: {self.get_status_display()}"

    @property
    def approver_name(self) -> str:
        """Who decides, for people: the manager's name or the team's."""
        if self.kind == ApproverKind.MANAGER:
            return self.approver.display_name if self.approver else ""
        return self.team.name if self.team else ""


# --- fulfilment tasks ---------------------------------------------------------------------


def request_is_fulfilling(task: FulfilmentTask) -> bool:
    return task.request.status == S.FULFILLING


class FulfilmentTask(FSMModelMixin, models.Model):
    """A piece of fulfilment work for one team; the request is fulfilled when all are done."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="tasks")
    template = models.ForeignKey(
        TaskTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("instructions"), blank=True)
    assignment_group = models.ForeignKey(
        "core.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="fulfilment_tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fulfilment_tasks",
    )
    # Only transitions change it; never assigned directly.
    status = FSMField(
        _("status"),
        max_length=20,
        choices=TaskStatus.choices,
        default=TaskStatus.OPEN,
        protected=True,
    )
    notes = models.TextField(_("notes"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["request", "order", "id"]
        indexes = [
            models.Index(fields=["assignment_group", "status"], name="task_group_status"),
            models.Index(fields=["assignee", "status"], name="task_assignee_status"),
        ]
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @transition(
        field="status",
        source=T.OPEN,
        target=T.IN_PROGRESS,
        conditions=[request_is_fulfilling],
        permission=permissions.can_work_task,
    )
    def start(self, by: Any) -> None:
        """Someone of the team takes the task."""
        self.started_at = timezone.now()
        if self.assignee_id is None and by is not None:
            self.assignee = by

    @transition(
        field="status",
        source=[T.OPEN, T.IN_PROGRESS],
        target=T.DONE,
        conditions=[request_is_fulfilling],
        permission=permissions.can_work_task,
    )
    def complete(self, by: Any, notes: str) -> None:
        """The work is done."""
        self.notes = notes
        self.completed_at = timezone.now()
        self.completed_by = by

    @transition(
        field="status",
        source=[T.OPEN, T.IN_PROGRESS],
        target=T.CANCELLED,
        conditions=[request_is_fulfilling],
        permission=permissions.can_work_task,
    )
    def cancel(self, by: Any, notes: str) -> None:
        """The work is not needed after all."""
        self.notes = notes
        self.completed_at = timezone.now()
        self.completed_by = by
