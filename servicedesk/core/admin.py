"""The back office for service-desk admins: people, teams, reference data and tickets.

Every write that has a service goes through it, so the admin leaves the same audit
history as the agent UI and the API. Status only moves through transitions, so it
is read-only here, and nothing that forms the record (tickets, comments,
attachments, audit events) can be deleted.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from functools import cache
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from changes.choices import ChangeStatus
from incidents.choices import IncidentStatus
from problems.choices import ProblemStatus
from service_requests.choices import ServiceRequestStatus

from . import services, sla
from .choices import Practice
from .errors import ApplicationError, StaleVersion, ValidationFailed
from .models import (
    Attachment,
    AuditEvent,
    BusinessCalendar,
    CannedReply,
    CIRelationship,
    Comment,
    ConfigurationItem,
    EscalationRule,
    Holiday,
    Membership,
    NumberSequence,
    Service,
    SLAPolicy,
    Team,
    Ticket,
    TicketLink,
    User,
    Watcher,
    WorkingPeriod,
)
from .roles import GROUP_ROLES, ROLE_GROUP_NAMES, Role

admin.site.site_header = _("Service desk administration")
admin.site.site_title = _("Service desk admin")
admin.site.index_title = _("Back office")

# The status labels of every practice, to label a bare Ticket without loading its child row.
STATUS_LABELS: dict[str, dict[str, str]] = {
    Practice.INCIDENT: dict(IncidentStatus.choices),
    Practice.PROBLEM: dict(ProblemStatus.choices),
    Practice.CHANGE: dict(ChangeStatus.choices),
    Practice.REQUEST: dict(ServiceRequestStatus.choices),
}


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone name, sorted, as form choices."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneSelectMixin:
    """Offer time zone fields as a list of IANA names instead of free text."""

    time_zone_fields: Sequence[str] = ("time_zone", "timezone")

    def formfield_for_dbfield(
        self, db_field: models.Field, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name in self.time_zone_fields:
            kwargs["widget"] = forms.Select(choices=time_zone_choices())
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class ServiceErrorsAsMessagesMixin:
    """Show a domain error raised by a service as a message, never as a server error."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(  # type: ignore[misc]
                request, object_id, form_url, extra_context
            )
        except ApplicationError as exc:
            # The admin's transaction has rolled back: nothing was half-saved.
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            self.message_user(  # type: ignore[attr-defined]
                request, f"{exc.message} {detail}".strip(), messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved form instance the row a service saved, for logging and redirect."""
    obj.__dict__.update(saved.__dict__)


def validation_error(exc: ValidationFailed, form: forms.BaseForm) -> ValidationError:
    """A form error from a service's ValidationFailed, on the fields the form shows."""
    errors: dict[str | None, list[str]] = {}
    for field, field_messages in exc.fields.items():
        errors.setdefault(field if field in form.fields else None, []).extend(field_messages)
    return ValidationError(errors or exc.message)


# --- people and teams ----------------------------------------------------------------


ROLE_FIELD_HELP = _(
    "Team memberships add roles by themselves: a support team makes an agent, "
    "a lead a team lead, a CAB a CAB member. The admin role gives access to this site."
)


def role_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=ROLE_FIELD_HELP,
    )


class UserRolesChangeForm(UserChangeForm):
    """The user form, with the roles as checkboxes instead of raw role groups."""

    roles = role_field()

    class Meta(UserChangeForm.Meta):
        model = User

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = [
                GROUP_ROLES[g.name] for g in self.instance.groups.all() if g.name in GROUP_ROLES
            ]


class UserRolesCreationForm(AdminUserCreationForm):
    """The admin's user creation form, with profile fields and roles."""

    roles = role_field()

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "first_name", "last_name", "time_zone", "manager")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("roles", [Role.END_USER])


class UserMembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("team",)
    fields = ("team", "is_lead")
    verbose_name = _("team membership")
    verbose_name_plural = _("team memberships")


class RoleListFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> Any:
        return Role.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ROLE_GROUP_NAMES:
            return queryset.filter(groups__name=ROLE_GROUP_NAMES[self.value()])
        return queryset


@admin.register(User)
class UserAdmin(TimeZoneSelectMixin, DjangoUserAdmin):
    """People, their roles (the role groups) and their teams."""

    form = UserRolesChangeForm
    add_form = UserRolesCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {"fields": ("first_name", "last_name", "email", "phone", "time_zone")},
        ),
        (_("Service desk"), {"fields": ("manager", "is_away")}),
        (_("Roles"), {"fields": ("roles", "groups")}),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (
            _("Personal info"),
            {"fields": ("first_name", "last_name", "email", "time_zone", "manager")},
        ),
        (_("Roles"), {"fields": ("roles",)}),
    )
    inlines = (UserMembershipInline,)
    list_display = (
        "username",
        "full_name",
        "email",
        "role_names",
        "is_active",
        "is_away",
        "is_staff",
    )
    list_filter = (RoleListFilter, "is_active", "is_away", "is_staff", "memberships__team")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("manager",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("roles"))
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all() if g.name in GROUP_ROLES))

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Sequence[str]:
        # Staff access follows the admin role (see services.user_set_roles).
        readonly = ["is_staff", "last_login", "date_joined"]
        if not request.user.is_superuser:
            # Only superusers hand out raw permissions, other groups or superuser status.
            readonly += ["is_superuser", "user_permissions", "groups"]
        return readonly

    def formfield_for_manytomany(
        self, db_field: models.ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField | None:
        if db_field.name == "groups":
            # Role groups are edited as roles; this field holds any other groups.
            kwargs["queryset"] = Group.objects.exclude(name__in=ROLE_GROUP_NAMES.values())
            kwargs["label"] = _("Other groups")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Nobody but a superuser changes a superuser (their password included).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # After the memberships: roles, staff access and the roles memberships imply.
        services.user_set_roles(user=form.instance, roles=form.cleaned_data.get("roles") or [])


class TeamMembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "team"
    extra = 0
    autocomplete_fields = ("user",)
    fields = ("user", "is_lead")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """Assignment groups, CABs and their members."""

    list_display = ("name", "kind", "is_active", "member_count", "email")
    list_filter = ("kind", "is_active")
    search_fields = ("name",)
    inlines = (TeamMembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, obj: Team) -> int:
        return obj.member_count

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        team = form.instance
        members = {m.user: m.is_lead for m in team.memberships.select_related("user")}
        # The service grants the roles that membership implies (agent, team lead, CAB member).
        services.team_set_members(team=team, members=members)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """One person's place in one team."""

    list_display = ("user", "team", "is_lead", "created_at")
    list_filter = ("is_lead", "team")
    list_select_related = ("user", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name")
    autocomplete_fields = ("team", "user")

    def save_model(
        self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        members = {m.user: m.is_lead for m in obj.team.memberships.select_related("user")}
        services.team_set_members(team=obj.team, members=members)


# --- services, configuration items and calendars -------------------------------------


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    """The services the organisation runs, with their owner team."""

    list_display = ("name", "owner_team", "criticality", "is_active")
    list_filter = ("criticality", "is_active", "owner_team")
    list_select_related = ("owner_team",)
    search_fields = ("name", "description")
    autocomplete_fields = ("owner_team",)


class CIRelationshipInline(admin.TabularInline):
    model = CIRelationship
    fk_name = "source"
    extra = 0
    autocomplete_fields = ("target",)
    verbose_name = _("relationship to another CI")
    verbose_name_plural = _("relationships to other CIs")


@admin.register(ConfigurationItem)
class ConfigurationItemAdmin(admin.ModelAdmin):
    """Configuration items, the services they support and how they depend on each other."""

    list_display = ("name", "ci_type", "status", "criticality", "owner_team")
    list_filter = ("ci_type", "status", "criticality", "owner_team")
    list_select_related = ("owner_team",)
    search_fields = ("name", "description")
    autocomplete_fields = ("owner_team",)
    filter_horizontal = ("services",)
    inlines = (CIRelationshipInline,)


@admin.register(CIRelationship)
class CIRelationshipAdmin(admin.ModelAdmin):
    """Directed relationships between configuration items."""

    list_display = ("source", "kind", "target")
    list_filter = ("kind",)
    list_select_related = ("source", "target")
    search_fields = ("source__name", "target__name")
    autocomplete_fields = ("source", "target")


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(TimeZoneSelectMixin, admin.ModelAdmin):
    """Working hours and holidays in which SLA targets count."""

    list_display = ("name", "timezone", "holiday_country", "updated_at")
    search_fields = ("name",)
    inlines = (WorkingPeriodInline, HolidayInline)
    actions = ("load_public_holidays",)

    @admin.action(description=_("Load public holidays of this year and the next"))
    def load_public_holidays(self, request: HttpRequest, queryset: QuerySet) -> None:
        year = timezone.localdate().year
        for calendar in queryset:
            try:
                added = sla.business_calendar_load_holidays(
                    calendar=calendar, years=[year, year + 1]
                )
            except ValidationFailed as exc:
                self.message_user(request, f"{calendar}: {exc.fields}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(calendar)s: %(count)s holidays added.")
                    % {"calendar": calendar, "count": added},
                )


class EscalationRuleInline(admin.TabularInline):
    model = EscalationRule
    extra = 0
    autocomplete_fields = ("team",)


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    """Response and resolution targets per practice, priority and service, with escalations."""

    list_display = (
        "name",
        "practice",
        "priority",
        "service",
        "calendar",
        "response_minutes",
        "resolution_minutes",
        "is_active",
    )
    list_filter = ("practice", "priority", "is_active", "calendar")
    list_select_related = ("service", "calendar")
    search_fields = ("name",)
    autocomplete_fields = ("service", "calendar")
    ordering = ("practice", "priority", "name")
    inlines = (EscalationRuleInline,)


# --- tickets ----------------------------------------------------------------------------

# Fields the admin may change on an existing ticket, each through its service.
TICKET_UPDATE_FIELDS = (*services.EDITABLE_FIELDS, "configuration_items")
TICKET_ASSIGN_FIELDS = ("assignment_group", "assignee")
TICKET_CHANGE_FIELDS = (*TICKET_UPDATE_FIELDS, *TICKET_ASSIGN_FIELDS)


class TicketAdminForm(forms.ModelForm):
    """A ticket form that checks assignment and refuses a stale save, as the services do."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "expected_version" in self.fields:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        if self.instance.pk and expected is not None and expected != self.instance.version:
            raise ValidationError(str(StaleVersion.default_message))
        if "assignee" in self.fields:
            try:
                services.validate_assignment(
                    cleaned.get("assignment_group"), cleaned.get("assignee")
                )
            except ValidationFailed as exc:
                raise validation_error(exc, self) from exc
        return cleaned


class StatusListFilter(admin.SimpleListFilter):
    """The practice's own statuses, without a query for the distinct values."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> Any:
        return model_admin.status_choices

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


class TicketCommentInline(admin.TabularInline):
    model = Comment
    fk_name = "ticket"
    extra = 0
    fields = ("created_at", "author", "internal", "body")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Comment]:
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TicketHistoryInline(admin.TabularInline):
    model = AuditEvent
    fk_name = "ticket"
    extra = 0
    fields = ("created_at", "actor", "action", "transition", "from_status", "to_status", "note")
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BaseTicketAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """Tickets of any practice: created with ticket_create, changed with ticket_update/assign."""

    form = TicketAdminForm
    status_choices: Sequence[tuple[str, str]] = ()
    list_display = (
        "number",
        "title",
        "status_label",
        "priority",
        "assignment_group",
        "assignee",
        "requester",
        "sla_state",
        "created_at",
    )
    list_display_links = ("number", "title")
    list_select_related = ("assignment_group", "assignee", "requester")
    list_filter = (
        StatusListFilter,
        "priority",
        "sla_state",
        "impact",
        "urgency",
        "assignment_group",
        "service",
        "created_at",
    )
    search_fields = ("number", "title")
    ordering = ("-created_at", "-id")
    autocomplete_fields = (
        "requester",
        "assignment_group",
        "assignee",
        "service",
        "configuration_items",
    )
    inlines = (TicketCommentInline, TicketHistoryInline)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: Ticket) -> str:
        return STATUS_LABELS.get(obj.practice, {}).get(obj.status, obj.status)

    @admin.display(description=_("overridden priority"), boolean=True)
    def priority_overridden(self, obj: Ticket) -> bool:
        return obj.is_priority_overridden

    def practice_fields(self) -> list[str]:
        """Editable fields the practice's model adds to the ticket core."""
        if self.model is Ticket:
            return []
        own = [*self.model._meta.local_fields, *self.model._meta.local_many_to_many]
        return [f.name for f in own if f.editable and not f.auto_created]

    def get_fieldsets(self, request: HttpRequest, obj: Ticket | None = None) -> Any:
        practice = self.practice_fields()
        if obj is None:
            fieldsets = [
                (None, {"fields": ("title", "description")}),
                (
                    _("Classification"),
                    {"fields": ("impact", "urgency", "service", "configuration_items")},
                ),
                (_("People"), {"fields": ("requester", "assignment_group", "assignee")}),
            ]
            if practice:
                fieldsets.append((_("Details"), {"fields": practice}))
            return fieldsets
        head = ["number", "practice", "status_label", "title", "description"]
        if self.has_change_permission(request, obj):
            head.append("expected_version")
        fieldsets = [
            (None, {"fields": head}),
            (
                _("Classification"),
                {
                    "fields": (
                        "impact",
                        "urgency",
                        "priority",
                        "priority_overridden",
                        "priority_override_reason",
                        "service",
                        "configuration_items",
                    )
                },
            ),
            (
                _("People"),
                {"fields": ("requester", "assignment_group", "assignee", "created_by")},
            ),
        ]
        if practice:
            fieldsets.append((_("Details"), {"fields": practice}))
        fieldsets += [
            (
                _("Service level"),
                {
                    "fields": (
                        "sla_state",
                        "sla_policy",
                        "sla_next_check_at",
                        "response_due_at",
                        "resolution_due_at",
                        "responded_at",
                        "resolved_at",
                        "closed_at",
                    )
                },
            ),
            (_("Record"), {"fields": ("created_at", "updated_at", "version")}),
        ]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> list[str]:
        if obj is None:
            return []
        shown = admin.utils.flatten_fieldsets(self.get_fieldsets(request, obj))
        return [f for f in shown if f not in (*TICKET_CHANGE_FIELDS, "expected_version")]

    def get_inline_instances(self, request: HttpRequest, obj: Ticket | None = None) -> list:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def save_model(
        self, request: HttpRequest, obj: Ticket, form: forms.ModelForm, change: bool
    ) -> None:
        if not change:
            services.ticket_create(
                ticket=obj,
                by=request.user,
                configuration_items=form.cleaned_data.get("configuration_items") or (),
            )
            return
        expected = form.cleaned_data.get("expected_version")
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in TICKET_UPDATE_FIELDS}
        if data:
            services.ticket_update(
                ticket=obj, by=request.user, data=data, expected_version=expected
            )
            expected = None  # the update raised the version; the check has been made
        if set(form.changed_data) & set(TICKET_ASSIGN_FIELDS):
            services.ticket_assign(
                ticket=obj,
                by=request.user,
                group=form.cleaned_data.get("assignment_group"),
                assignee=form.cleaned_data.get("assignee"),
                expected_version=expected,
            )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        # No form.save_m2m(): configuration items went through the service, with audit.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False


class PracticeTicketAdmin(BaseTicketAdmin):
    """A practice's tickets; core ticket permissions govern them, as they extend Ticket."""

    core_permission = "core.{action}_ticket"

    def _core_perm(self, request: HttpRequest, action: str) -> bool:
        return request.user.has_perm(self.core_permission.format(action=action))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return super().has_module_permission(request) or self._core_perm(request, "view")

    def has_view_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return super().has_view_permission(request, obj) or self._core_perm(request, "view")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) or self._core_perm(request, "add")

    def has_change_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return super().has_change_permission(request, obj) or self._core_perm(request, "change")


@admin.register(Ticket)
class TicketAdmin(BaseTicketAdmin):
    """Every ticket of every practice in one list; new tickets are added per practice."""

    list_display = ("number", "practice", *BaseTicketAdmin.list_display[1:])
    list_filter = ("practice", "status", *BaseTicketAdmin.list_filter[1:])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- what hangs off a ticket ------------------------------------------------------------


class ReadOnlyAdminMixin:
    """View only: rows are written by services, never typed in or removed here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AddThroughServiceAdmin(ServiceErrorsAsMessagesMixin, admin.ModelAdmin):
    """Rows added through a service and never edited afterwards."""

    add_fields: Sequence[str] = ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Sequence[str]:
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(AddThroughServiceAdmin):
    """Public replies and internal notes; part of the record, so never edited or deleted."""

    add_fields = ("ticket", "body", "internal")
    list_display = ("ticket", "author", "internal", "created_at")
    list_filter = ("internal", "created_at")
    list_select_related = ("ticket", "author")
    search_fields = ("ticket__number", "body")
    autocomplete_fields = ("ticket",)
    ordering = ("-created_at", "-id")

    def save_model(
        self, request: HttpRequest, obj: Comment, form: forms.ModelForm, change: bool
    ) -> None:
        comment = services.comment_add(
            ticket=obj.ticket, by=request.user, body=obj.body, internal=obj.internal
        )
        adopt(obj, comment)

    def has_delete_permission(self, request: HttpRequest, obj: Comment | None = None) -> bool:
        return False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Files on tickets; uploaded through the ticket pages and the API, never here."""

    list_display = (
        "filename",
        "ticket",
        "content_type",
        "size",
        "internal",
        "uploaded_by",
        "created_at",
    )
    list_filter = ("internal", "content_type")
    list_select_related = ("ticket", "uploaded_by")
    search_fields = ("filename", "ticket__number", "sha256")
    ordering = ("-created_at", "-id")
    exclude = ("file",)  # the file is served only after an access check, never by its path


@admin.register(TicketLink)
class TicketLinkAdmin(AddThroughServiceAdmin):
    """Links between tickets, added and removed with their audit events."""

    add_fields = ("source", "kind", "target")
    list_display = ("source", "kind", "target", "created_by", "created_at")
    list_filter = ("kind",)
    list_select_related = ("source", "target", "created_by")
    search_fields = ("source__number", "target__number")
    autocomplete_fields = ("source", "target")

    def save_model(
        self, request: HttpRequest, obj: TicketLink, form: forms.ModelForm, change: bool
    ) -> None:
        link = services.link_add(
            source=obj.source, target=obj.target, kind=obj.kind, by=request.user
        )
        adopt(obj, link)

    def delete_model(self, request: HttpRequest, obj: TicketLink) -> None:
        services.link_remove(link=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TicketLink]) -> None:
        for link in queryset:
            services.link_remove(link=link, by=request.user)


@admin.register(Watcher)
class WatcherAdmin(AddThroughServiceAdmin):
    """Who follows which ticket; added and removed with their audit events."""

    add_fields = ("ticket", "user")
    list_display = ("ticket", "user", "added_by", "created_at")
    list_select_related = ("ticket", "user", "added_by")
    search_fields = ("ticket__number", "user__username")
    autocomplete_fields = ("ticket", "user")

    def save_model(
        self, request: HttpRequest, obj: Watcher, form: forms.ModelForm, change: bool
    ) -> None:
        watcher = services.watcher_add(ticket=obj.ticket, user=obj.user, by=request.user)
        adopt(obj, watcher)

    def delete_model(self, request: HttpRequest, obj: Watcher) -> None:
        services.watcher_remove(ticket=obj.ticket, user=obj.user, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Watcher]) -> None:
        for watcher in queryset.select_related("ticket", "user"):
            services.watcher_remove(ticket=watcher.ticket, user=watcher.user, by=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only history of every ticket: read-only, here and in the database."""

    list_display = (
        "created_at",
        "ticket",
        "action",
        "transition",
        "from_status",
        "to_status",
        "actor",
        "internal",
    )
    list_filter = ("action", "internal", "created_at")
    list_select_related = ("ticket", "actor")
    search_fields = ("ticket__number", "note", "transition")
    ordering = ("-created_at", "-id")


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The last number handed out per prefix; only the numbering service moves it."""

    list_display = ("prefix", "last_value")
    ordering = ("prefix",)


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    """Ready-made replies agents insert and edit; a reply without a team is everyone's."""

    list_display = ("title", "team", "is_active", "updated_at")
    list_filter = ("is_active", "team")
    list_select_related = ("team",)
    search_fields = ("title", "body")
    ordering = ("title", "pk")
    fields = ("title", "team", "body", "is_active")
