"""factory_boy factories for the core models and every practice's ticket."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from typing import Any

import factory
from django.contrib.auth.models import Group

from changes.models import Change
from incidents.models import Incident
from problems.models import Problem
from service_requests.models import ServiceRequest
from servicedesk.core import services
from servicedesk.core.choices import CIType, Practice, TeamKind
from servicedesk.core.models import (
    BusinessCalendar,
    ConfigurationItem,
    EscalationRule,
    Holiday,
    Membership,
    Service,
    SLAPolicy,
    Team,
    User,
    WorkingPeriod,
)
from servicedesk.core.roles import ROLE_GROUP_NAMES, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(
                *Group.objects.filter(name__in=[ROLE_GROUP_NAMES[r] for r in extracted])
            )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = TeamKind.SUPPORT


def make_agent(team: Team | None = None, *, lead: bool = False, **kwargs: Any) -> User:
    """An agent (or team lead) who belongs to ``team``."""
    roles = [Role.AGENT, Role.TEAM_LEAD] if lead else [Role.AGENT]
    user = UserFactory(roles=roles, **kwargs)
    if team is not None:
        Membership.objects.create(team=team, user=user, is_lead=lead)
    return user


def make_end_user(**kwargs: Any) -> User:
    return UserFactory(roles=[Role.END_USER], **kwargs)


def make_admin(**kwargs: Any) -> User:
    return UserFactory(roles=[Role.ADMIN], is_staff=True, **kwargs)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service {n}")


class ConfigurationItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"ci-{n:03d}")
    ci_type = CIType.SERVER


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Calendar {n}")
    timezone = "Europe/Paris"


# Monday to Friday, 09:00–17:00.
OFFICE_HOURS = tuple((day, time(9), time(17)) for day in range(5))


def make_calendar(
    name: str = "Office hours",
    *,
    timezone: str = "UTC",
    hours: Iterable[tuple[int, time, time]] = OFFICE_HOURS,
    holidays: Iterable[date] = (),
) -> BusinessCalendar:
    """A business calendar with working periods (weekday, start, end) and holidays."""
    calendar = BusinessCalendar.objects.create(name=name, timezone=timezone)
    WorkingPeriod.objects.bulk_create(
        WorkingPeriod(calendar=calendar, weekday=day, start=start, end=end)
        for day, start, end in hours
    )
    Holiday.objects.bulk_create(Holiday(calendar=calendar, date=day) for day in holidays)
    return calendar


def make_sla_policy(
    *,
    calendar: BusinessCalendar,
    practice: str = Practice.INCIDENT,
    priority: int = 3,
    response_minutes: int = 60,
    resolution_minutes: int = 480,
    warning_thresholds: list[int] | None = None,
    rules: Iterable[tuple[str, int, str] | tuple[str, int, str, Team]] = (),
    **fields: Any,
) -> SLAPolicy:
    """An SLA policy and its escalation rules, each (target, threshold, action[, team])."""
    fields.setdefault("name", f"{practice} P{priority} {fields.get('service') or 'any'}")
    policy = SLAPolicy.objects.create(
        calendar=calendar,
        practice=practice,
        priority=priority,
        response_minutes=response_minutes,
        resolution_minutes=resolution_minutes,
        warning_thresholds=[75, 90] if warning_thresholds is None else warning_thresholds,
        **fields,
    )
    for target, threshold, action, *team in rules:
        EscalationRule.objects.create(
            policy=policy,
            target=target,
            threshold=threshold,
            action=action,
            team=team[0] if team else None,
        )
    return policy


def make_ticket(model: type = Incident, *, by: User | None = None, **fields: Any):
    """A ticket of any practice created through the core service, as the UI and API do."""
    fields.setdefault("title", "Printer on floor 3 is jammed")
    fields.setdefault("description", "It shows error E-42.")
    if "requester" not in fields:
        fields["requester"] = make_end_user()
    cis = fields.pop("configuration_items", ())
    return services.ticket_create(
        ticket=model(**fields), by=by or fields["requester"], configuration_items=cis
    )


def make_incident(**fields: Any) -> Incident:
    return make_ticket(Incident, **fields)


def make_problem(**fields: Any) -> Problem:
    return make_ticket(Problem, **fields)


def make_change(**fields: Any) -> Change:
    return make_ticket(Change, **fields)


def make_request(**fields: Any) -> ServiceRequest:
    return make_ticket(ServiceRequest, **fields)
