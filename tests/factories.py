"""factory_boy factories for the core models and every practice's ticket."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import Group

from changes.models import Change
from incidents.models import Incident
from problems.models import Problem
from service_requests.models import ServiceRequest
from servicedesk.core import services
from servicedesk.core.choices import CIType, TeamKind
from servicedesk.core.models import (
    BusinessCalendar,
    ConfigurationItem,
    Membership,
    Service,
    Team,
    User,
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
