"""Demo data: a small organisation with people, services, CIs, calendars and tickets.

Everything is made through the services, so the tickets carry numbers and audit
history as if people had worked them. Loading twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from changes.models import Change
from incidents.models import Incident
from problems import services as problem_services
from problems.choices import Publication
from problems.models import Problem
from service_requests.models import ServiceRequest

from . import services, sla
from .choices import (
    CIRelationshipKind,
    CIType,
    Criticality,
    EscalationAction,
    LinkKind,
    Practice,
    SLATarget,
    TeamKind,
)
from .models import (
    BusinessCalendar,
    CIRelationship,
    ConfigurationItem,
    Holiday,
    Membership,
    Service,
    SLAPolicy,
    Team,
    Ticket,
    User,
    WorkingPeriod,
)
from .models.calendars import END_OF_DAY
from .roles import Role

DEMO_PASSWORD = "demo"

# Who to sign in as, and what they can do; the run command prints this list.
DEMO_LOGINS: dict[str, str] = {
    "admin": "superuser and service-desk admin",
    "lena": "team lead, Service Desk",
    "alice": "agent, Service Desk",
    "sam": "agent, Service Desk",
    "nora": "team lead, Network; CAB member",
    "nick": "agent, Network",
    "anna": "team lead, Applications",
    "andy": "agent, Applications",
    "iris": "team lead, Infrastructure; CAB and emergency CAB member",
    "ivan": "agent, Infrastructure",
    "carol": "change manager; leads the CAB and the emergency CAB",
    "victor": "CAB member for the business",
    "mike": "end user, manager of Eve and Frank",
    "eve": "end user",
    "frank": "end user",
}

SERVICE_DESK = "Service Desk"
NETWORK = "Network"
APPLICATIONS = "Applications"
INFRASTRUCTURE = "Infrastructure"
CAB = "CAB"
EMERGENCY_CAB = "Emergency CAB"

TEAMS: dict[str, dict[str, str]] = {
    SERVICE_DESK: {
        "kind": TeamKind.SUPPORT,
        "description": "First line: takes every call, solves what it can, routes the rest.",
        "email": "servicedesk@example.com",
    },
    NETWORK: {
        "kind": TeamKind.SUPPORT,
        "description": "LAN, Wi-Fi, VPN, firewalls and internet access.",
        "email": "network@example.com",
    },
    APPLICATIONS: {
        "kind": TeamKind.SUPPORT,
        "description": "Business applications: HR portal, payroll, website.",
        "email": "applications@example.com",
    },
    INFRASTRUCTURE: {
        "kind": TeamKind.SUPPORT,
        "description": "Servers, databases, storage and mail.",
        "email": "infrastructure@example.com",
    },
    CAB: {
        "kind": TeamKind.CAB,
        "description": "Assesses and authorises normal changes.",
        "email": "cab@example.com",
    },
    EMERGENCY_CAB: {
        "kind": TeamKind.EMERGENCY_CAB,
        "description": "Authorises emergency changes at short notice.",
        "email": "ecab@example.com",
    },
}


@dataclass(frozen=True)
class Person:
    """A demo user: name, roles, teams (team name → is lead) and manager."""

    username: str
    first_name: str
    last_name: str
    roles: tuple[str, ...] = (Role.END_USER,)
    teams: dict[str, bool] = field(default_factory=dict)
    manager: str | None = None


PEOPLE: tuple[Person, ...] = (
    Person("admin", "Ada", "Admin", roles=(Role.ADMIN,)),
    Person("lena", "Lena", "Laurent", roles=(Role.AGENT,), teams={SERVICE_DESK: True}),
    Person("alice", "Alice", "Martin", roles=(Role.AGENT,), teams={SERVICE_DESK: False}),
    Person("sam", "Sam", "Bernard", roles=(Role.AGENT,), teams={SERVICE_DESK: False}),
    Person("nora", "Nora", "Petit", roles=(Role.AGENT,), teams={NETWORK: True, CAB: False}),
    Person("nick", "Nick", "Durand", roles=(Role.AGENT,), teams={NETWORK: False}),
    Person("anna", "Anna", "Leroy", roles=(Role.AGENT,), teams={APPLICATIONS: True}),
    Person("andy", "Andy", "Moreau", roles=(Role.AGENT,), teams={APPLICATIONS: False}),
    Person(
        "iris",
        "Iris",
        "Simon",
        roles=(Role.AGENT,),
        teams={INFRASTRUCTURE: True, CAB: False, EMERGENCY_CAB: False},
    ),
    Person("ivan", "Ivan", "Michel", roles=(Role.AGENT,), teams={INFRASTRUCTURE: False}),
    Person(
        "carol",
        "Carol",
        "Garcia",
        roles=(Role.AGENT, Role.CHANGE_MANAGER),
        teams={CAB: True, EMERGENCY_CAB: True},
    ),
    Person("victor", "Victor", "Roux", roles=(Role.END_USER,), teams={CAB: False}),
    Person("mike", "Mike", "Fournier"),
    Person("eve", "Eve", "Girard", manager="mike"),
    Person("frank", "Frank", "Bonnet", manager="mike"),
)

SERVICES: dict[str, tuple[str, int, str]] = {
    # name: (owner team, criticality, description)
    "Email": (INFRASTRUCTURE, Criticality.CRITICAL, "Mail, calendars and shared mailboxes."),
    "VPN": (NETWORK, Criticality.HIGH, "Remote access to the office network."),
    "HR portal": (APPLICATIONS, Criticality.MEDIUM, "Leave, expenses and personal data."),
    "Payroll": (APPLICATIONS, Criticality.CRITICAL, "Monthly pay run and payslips."),
    "Website": (APPLICATIONS, Criticality.HIGH, "The public website www.example.com."),
    "Workplace": (SERVICE_DESK, Criticality.MEDIUM, "Laptops, phones, printers and accounts."),
}

CONFIGURATION_ITEMS: dict[str, tuple[str, int, str, tuple[str, ...]]] = {
    # name: (type, criticality, owner team, services)
    "srv-mail-01": (CIType.SERVER, Criticality.CRITICAL, INFRASTRUCTURE, ("Email",)),
    "mail-gateway": (CIType.APPLICATION, Criticality.CRITICAL, INFRASTRUCTURE, ("Email",)),
    "srv-app-01": (
        CIType.SERVER,
        Criticality.HIGH,
        INFRASTRUCTURE,
        ("HR portal", "Payroll"),
    ),
    "srv-web-01": (CIType.SERVER, Criticality.HIGH, INFRASTRUCTURE, ("Website",)),
    "db-hr": (CIType.DATABASE, Criticality.HIGH, INFRASTRUCTURE, ("HR portal",)),
    "db-payroll": (CIType.DATABASE, Criticality.CRITICAL, INFRASTRUCTURE, ("Payroll",)),
    "hr-portal": (CIType.APPLICATION, Criticality.MEDIUM, APPLICATIONS, ("HR portal",)),
    "payroll-app": (CIType.APPLICATION, Criticality.CRITICAL, APPLICATIONS, ("Payroll",)),
    "website-cms": (CIType.APPLICATION, Criticality.HIGH, APPLICATIONS, ("Website",)),
    "fw-edge-01": (CIType.NETWORK, Criticality.CRITICAL, NETWORK, ("VPN", "Website", "Email")),
    "vpn-gw-01": (CIType.NETWORK, Criticality.HIGH, NETWORK, ("VPN",)),
    "sw-core-01": (CIType.NETWORK, Criticality.CRITICAL, NETWORK, ()),
}

CI_RELATIONSHIPS: tuple[tuple[str, str, str], ...] = (
    ("mail-gateway", CIRelationshipKind.RUNS_ON, "srv-mail-01"),
    ("hr-portal", CIRelationshipKind.RUNS_ON, "srv-app-01"),
    ("payroll-app", CIRelationshipKind.RUNS_ON, "srv-app-01"),
    ("hr-portal", CIRelationshipKind.DEPENDS_ON, "db-hr"),
    ("payroll-app", CIRelationshipKind.DEPENDS_ON, "db-payroll"),
    ("db-hr", CIRelationshipKind.RUNS_ON, "srv-app-01"),
    ("db-payroll", CIRelationshipKind.RUNS_ON, "srv-app-01"),
    ("website-cms", CIRelationshipKind.RUNS_ON, "srv-web-01"),
    ("vpn-gw-01", CIRelationshipKind.CONNECTS_TO, "fw-edge-01"),
    ("fw-edge-01", CIRelationshipKind.CONNECTS_TO, "sw-core-01"),
    ("srv-mail-01", CIRelationshipKind.CONNECTS_TO, "sw-core-01"),
    ("srv-app-01", CIRelationshipKind.CONNECTS_TO, "sw-core-01"),
    ("srv-web-01", CIRelationshipKind.CONNECTS_TO, "sw-core-01"),
)

EUROPE_OFFICE_HOURS = "Europe office hours"
ROUND_THE_CLOCK = "24x7"


# --- calendars ----------------------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Easter Sunday of a Gregorian year (the anonymous Gregorian computus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday_shift) // 433
    month = (h + weekday_shift - 7 * m + 90) // 25
    day = (h + weekday_shift - 7 * m + 33 * month + 19) % 32
    return date(year, month, day)


def french_public_holidays(year: int) -> dict[date, str]:
    """The eleven public holidays of metropolitan France in ``year``."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1): "Jour de l'an",
        easter + timedelta(days=1): "Lundi de Pâques",
        date(year, 5, 1): "Fête du Travail",
        date(year, 5, 8): "Victoire 1945",
        easter + timedelta(days=39): "Ascension",
        easter + timedelta(days=50): "Lundi de Pentecôte",
        date(year, 7, 14): "Fête nationale",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "Armistice 1918",
        date(year, 12, 25): "Noël",
    }


def _calendar(
    name: str, tz: str, description: str, periods: list[tuple[int, time, time]]
) -> BusinessCalendar:
    calendar, _created = BusinessCalendar.objects.get_or_create(
        name=name, defaults={"timezone": tz, "description": description}
    )
    for weekday, start, end in periods:
        WorkingPeriod.objects.get_or_create(
            calendar=calendar, weekday=weekday, start=start, end=end
        )
    return calendar


def load_calendars(today: date) -> None:
    """Office hours in Paris with French holidays of this year and the next, and 24x7."""
    office = _calendar(
        EUROPE_OFFICE_HOURS,
        "Europe/Paris",
        "Monday to Friday, 09:00–12:30 and 13:30–18:00, Paris time, French public holidays off.",
        [
            (weekday, start, end)
            for weekday in range(5)
            for start, end in ((time(9), time(12, 30)), (time(13, 30), time(18)))
        ],
    )
    for year in (today.year, today.year + 1):
        for day, holiday in french_public_holidays(year).items():
            Holiday.objects.get_or_create(calendar=office, date=day, defaults={"name": holiday})
    # A whole day is one period from midnight to midnight (an end of 00:00 is 24:00).
    _calendar(
        ROUND_THE_CLOCK,
        "UTC",
        "Every hour of every day, no holidays.",
        [(weekday, time(0), END_OF_DAY) for weekday in range(7)],
    )


# Response and resolution targets in minutes, per priority: P1 and P2 count round the
# clock, the others in office hours (a working day there is 7 h 30).
SLA_TARGETS: dict[int, tuple[int, int]] = {
    1: (15, 4 * 60),
    2: (30, 8 * 60),
    3: (60, 2 * 450),
    4: (4 * 60, 5 * 450),
    5: (8 * 60, 10 * 450),
}
# (target, threshold, action): urgent tickets reach the lead early; others climb in priority.
URGENT_ESCALATIONS = (
    (SLATarget.RESPONSE, 100, EscalationAction.NOTIFY_TEAM_LEAD),
    (SLATarget.RESOLUTION, 75, EscalationAction.NOTIFY_ASSIGNEE),
    (SLATarget.RESOLUTION, 90, EscalationAction.NOTIFY_TEAM_LEAD),
)
ROUTINE_ESCALATIONS = (
    (SLATarget.RESOLUTION, 90, EscalationAction.NOTIFY_ASSIGNEE),
    (SLATarget.RESOLUTION, 100, EscalationAction.RAISE_PRIORITY),
)


def load_sla_policies() -> None:
    """SLA policies for incidents and service requests of every priority, with escalations."""
    calendars = {c.name: c for c in BusinessCalendar.objects.all()}
    for practice in (Practice.INCIDENT, Practice.REQUEST):
        for priority, (response, resolution) in SLA_TARGETS.items():
            urgent = priority <= 2
            name = f"{Practice(practice).label} P{priority}"
            if SLAPolicy.objects.filter(name=name).exists():
                continue
            sla.sla_policy_save(
                policy=SLAPolicy(),
                data={
                    "name": name,
                    "practice": practice,
                    "priority": priority,
                    "calendar": calendars[ROUND_THE_CLOCK if urgent else EUROPE_OFFICE_HOURS],
                    "response_minutes": response,
                    "resolution_minutes": resolution,
                    "warning_thresholds": [75, 90],
                },
                escalation_rules=[
                    {"target": target, "threshold": threshold, "action": action}
                    for target, threshold, action in (
                        URGENT_ESCALATIONS if urgent else ROUTINE_ESCALATIONS
                    )
                ],
            )


# --- people, services and CIs ---------------------------------------------------------


def load_teams() -> dict[str, Team]:
    """The support teams and the two CABs."""
    return {
        name: Team.objects.get_or_create(name=name, defaults=defaults)[0]
        for name, defaults in TEAMS.items()
    }


def load_people(teams: dict[str, Team]) -> dict[str, User]:
    """Every demo person with roles, manager and teams; all sign in with the demo password."""
    people: dict[str, User] = {}
    for person in PEOPLE:
        user = User.objects.filter(username=person.username).first()
        if user is None:
            user = services.user_create(
                username=person.username,
                email=f"{person.username}@example.com",
                first_name=person.first_name,
                last_name=person.last_name,
                password=DEMO_PASSWORD,
                roles=person.roles,
                time_zone="Europe/Paris",
                manager=people.get(person.manager) if person.manager else None,
            )
            if person.username == "admin":
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
        people[person.username] = user
    for name, team in teams.items():
        # Keep members added by hand since the last load; add the demo ones.
        members = {m.user: m.is_lead for m in Membership.objects.filter(team=team)}
        wanted = {people[p.username]: p.teams[name] for p in PEOPLE if name in p.teams}
        if not wanted.items() <= members.items():
            services.team_set_members(team=team, members=members | wanted)
    return people


def load_catalog(teams: dict[str, Team]) -> tuple[dict[str, Service], dict[str, ConfigurationItem]]:
    """Services with owner teams, CIs with their services, and how the CIs depend on each other."""
    service_rows = {
        name: Service.objects.get_or_create(
            name=name,
            defaults={
                "owner_team": teams[owner],
                "criticality": criticality,
                "description": description,
            },
        )[0]
        for name, (owner, criticality, description) in SERVICES.items()
    }
    ci_rows: dict[str, ConfigurationItem] = {}
    for name, (ci_type, criticality, owner, service_names) in CONFIGURATION_ITEMS.items():
        ci, created = ConfigurationItem.objects.get_or_create(
            name=name,
            defaults={"ci_type": ci_type, "criticality": criticality, "owner_team": teams[owner]},
        )
        if created:
            ci.services.set([service_rows[s] for s in service_names])
        ci_rows[name] = ci
    for source, kind, target in CI_RELATIONSHIPS:
        CIRelationship.objects.get_or_create(
            source=ci_rows[source], kind=kind, target=ci_rows[target]
        )
    return service_rows, ci_rows


# --- the service catalog ---------------------------------------------------------------------

CATALOG_CATEGORIES: dict[str, str] = {
    "Hardware": "Laptops, screens and phones.",
    "Software": "Applications installed on your computer.",
    "Access": "Access to networks and business applications.",
}


def catalog_items(teams: dict[str, Team], service_rows: dict[str, Service]) -> list[dict]:
    """The demo catalog: what each item asks, who approves it and which teams deliver it."""
    from service_requests.choices import ApproverKind, FieldType

    return [
        {
            "data": {
                "name": "New laptop",
                "category": "Hardware",
                "description": "A new laptop, imaged and enrolled, ready on your desk.",
                "owner_team": teams[SERVICE_DESK],
                "service": service_rows["Workplace"],
                "delivery_days": 5,
            },
            "form": [
                {
                    "name": "laptop_model",
                    "label": "Model",
                    "field_type": FieldType.CHOICE,
                    "choices": [
                        {"value": "14", "label": "14-inch, light"},
                        {"value": "16", "label": "16-inch, powerful"},
                    ],
                },
                {
                    "name": "keyboard",
                    "label": "Keyboard layout",
                    "field_type": FieldType.CHOICE,
                    "choices": [
                        {"value": "fr", "label": "French (AZERTY)"},
                        {"value": "us", "label": "US (QWERTY)"},
                    ],
                },
                {
                    "name": "needed_by",
                    "label": "Needed by",
                    "field_type": FieldType.DATE,
                    "required": False,
                },
                {
                    "name": "reason",
                    "label": "Why do you need it?",
                    "field_type": FieldType.LONG_TEXT,
                    "max_length": 1000,
                },
            ],
            "approval_steps": [{"approver": ApproverKind.MANAGER}],
            "task_templates": [
                {"title": "Prepare and image the laptop", "team": teams[SERVICE_DESK]},
                {"title": "Enrol the laptop in device management", "team": teams[INFRASTRUCTURE]},
            ],
        },
        {
            "data": {
                "name": "Software install",
                "category": "Software",
                "description": "Install an application on your computer.",
                "owner_team": teams[SERVICE_DESK],
                "service": service_rows["Workplace"],
                "delivery_days": 2,
            },
            "form": [
                {
                    "name": "software",
                    "label": "Software",
                    "field_type": FieldType.TEXT,
                    "max_length": 100,
                },
                {
                    "name": "licence",
                    "label": "Licence",
                    "field_type": FieldType.CHOICE,
                    "choices": [
                        {"value": "free", "label": "Free or open source"},
                        {"value": "company", "label": "The company has licences"},
                    ],
                },
            ],
            "approval_steps": [],
            "task_templates": [
                {"title": "Package and install the software", "team": teams[APPLICATIONS]}
            ],
        },
        {
            "data": {
                "name": "VPN access",
                "category": "Access",
                "description": "Work from home or on the road through the company VPN.",
                "owner_team": teams[NETWORK],
                "service": service_rows["VPN"],
                "delivery_days": 1,
            },
            "form": [
                {
                    "name": "until",
                    "label": "Until",
                    "field_type": FieldType.DATE,
                    "required": False,
                    "help_text": "Leave empty for permanent access.",
                },
                {
                    "name": "reason",
                    "label": "Why do you need it?",
                    "field_type": FieldType.LONG_TEXT,
                },
                {
                    "name": "accept_policy",
                    "label": "I have read the remote access policy",
                    "field_type": FieldType.BOOLEAN,
                },
            ],
            "approval_steps": [{"approver": ApproverKind.TEAM, "team": teams[NETWORK]}],
            "task_templates": [{"title": "Create the VPN profile", "team": teams[NETWORK]}],
        },
    ]


def load_service_catalog(teams: dict[str, Team], service_rows: dict[str, Service]) -> None:
    """Catalog categories and items, created through the catalog service when missing."""
    from service_requests import services as request_services
    from service_requests.models import CatalogCategory, CatalogItem

    categories = {
        name: CatalogCategory.objects.get_or_create(
            name=name, defaults={"description": description, "order": order}
        )[0]
        for order, (name, description) in enumerate(CATALOG_CATEGORIES.items(), start=1)
    }
    for order, item in enumerate(catalog_items(teams, service_rows), start=1):
        if CatalogItem.objects.filter(name=item["data"]["name"]).exists():
            continue
        request_services.catalog_item_create(
            data={**item["data"], "category": categories[item["data"]["category"]], "order": order},
            form=item["form"],
            approval_steps=item["approval_steps"],
            task_templates=item["task_templates"],
        )


def _order(item_name: str, *, by: User, title: str, **fields: Any) -> tuple[Ticket, bool]:
    """The demo request with this title, ordered from the catalog if it is not there yet."""
    from service_requests import services as request_services
    from service_requests.models import CatalogItem

    existing = ServiceRequest.objects.filter(title=title).first()
    if existing is not None:
        return existing, False
    item = CatalogItem.objects.get(name=item_name)
    return request_services.request_create(by=by, catalog_item=item, title=title, **fields), True


# --- tickets ------------------------------------------------------------------------------


def _ticket(
    model: type[Ticket],
    *,
    by: User,
    configuration_items: tuple[ConfigurationItem, ...] = (),
    **fields: Any,
) -> tuple[Ticket, bool]:
    """The demo ticket with this title, created through ticket_create if it is not there yet."""
    existing = model._default_manager.filter(title=fields["title"]).first()
    if existing is not None:
        return existing, False
    ticket = services.ticket_create(
        ticket=model(**fields), by=by, configuration_items=configuration_items
    )
    return ticket, True


def load_tickets(
    teams: dict[str, Team],
    people: dict[str, User],
    service_rows: dict[str, Service],
    ci_rows: dict[str, ConfigurationItem],
) -> None:
    """Tickets of every practice, assigned, discussed, linked and watched as in real life."""
    p, t, s, ci = people, teams, service_rows, ci_rows

    mail, created = _ticket(
        Incident,
        by=p["eve"],
        title="Mail to external recipients is not delivered",
        description="Since 8:00 every mail to addresses outside example.com bounces back.",
        impact=1,
        urgency=1,
        requester=p["eve"],
        service=s["Email"],
        configuration_items=(ci["mail-gateway"],),
    )
    if created:
        mail = services.ticket_assign(
            ticket=mail, by=p["lena"], group=t[INFRASTRUCTURE], assignee=p["ivan"]
        )
        services.comment_add(
            ticket=mail,
            by=p["ivan"],
            body="We see it too: the gateway refuses outbound connections. Working on it.",
        )
        services.comment_add(
            ticket=mail,
            by=p["iris"],
            body="The gateway's TLS certificate expired at 07:58. Renewal requested.",
            internal=True,
        )
        services.watcher_add(ticket=mail, user=p["frank"], by=p["ivan"])

    vpn, created = _ticket(
        Incident,
        by=p["alice"],
        title="VPN drops every ten minutes",
        description="Frank is disconnected from the VPN about every ten minutes at home.",
        impact=2,
        urgency=1,
        requester=p["frank"],
        service=s["VPN"],
        configuration_items=(ci["vpn-gw-01"],),
    )
    if created:
        vpn = services.ticket_assign(ticket=vpn, by=p["nora"], group=t[NETWORK], assignee=p["nick"])
        services.comment_add(
            ticket=vpn,
            by=p["nick"],
            body="Could you send us the time of the next disconnection? We will check the logs.",
        )
        services.comment_add(ticket=vpn, by=p["frank"], body="It dropped again at 10:42.")
        services.comment_add(
            ticket=vpn,
            by=p["nick"],
            body="Same pattern as last week's reports: looks like the gateway's DPD timer.",
            internal=True,
        )

    vpn_again, created = _ticket(
        Incident,
        by=p["alice"],
        title="Cannot stay connected to the VPN from the hotel",
        description="Eve loses the VPN connection several times an hour while travelling.",
        impact=3,
        urgency=2,
        requester=p["eve"],
        service=s["VPN"],
    )
    if created:
        services.ticket_assign(ticket=vpn_again, by=p["lena"], group=t[NETWORK], assignee=None)

    payroll, created = _ticket(
        Incident,
        by=p["mike"],
        title="Payroll report shows wrong totals",
        description="The monthly payroll summary does not add up for the sales department.",
        impact=2,
        urgency=2,
        requester=p["mike"],
        service=s["Payroll"],
        configuration_items=(ci["payroll-app"], ci["db-payroll"]),
    )
    if created:
        services.ticket_assign(
            ticket=payroll, by=p["lena"], group=t[APPLICATIONS], assignee=p["andy"]
        )

    _ticket(
        Incident,
        by=p["frank"],
        title="Website is slow in the afternoon",
        description="Pages of www.example.com take ten seconds or more after 14:00.",
        impact=3,
        urgency=2,
        requester=p["frank"],
        service=s["Website"],
    )

    hr, created = _ticket(
        Incident,
        by=p["eve"],
        title="HR portal says my session expired",
        description="Every time I submit my leave request I get 'session expired'.",
        impact=3,
        urgency=3,
        requester=p["eve"],
        service=s["HR portal"],
    )
    if created:
        services.ticket_assign(ticket=hr, by=p["lena"], group=t[SERVICE_DESK], assignee=p["alice"])
        services.comment_add(
            ticket=hr,
            by=p["alice"],
            body="Could you clear your browser's cookies for hr.example.com and try again?",
        )

    problem, created = _ticket(
        Problem,
        by=p["nora"],
        title="Recurring VPN disconnections",
        description="Several users lose their VPN connection every few minutes since the "
        "gateway update.",
        impact=2,
        urgency=2,
        requester=p["nora"],
        service=s["VPN"],
        configuration_items=(ci["vpn-gw-01"],),
    )
    if created:
        services.ticket_assign(ticket=problem, by=p["nora"], group=t[NETWORK], assignee=p["nora"])
        services.comment_add(
            ticket=problem,
            by=p["nora"],
            body="Suspect: dead-peer-detection timeout set to 600 s by the last firmware.",
            internal=True,
        )
        problem = problem_services.problem_investigate(problem=problem, by=p["nora"])
        problem = problem_services.problem_mark_known_error(
            problem=problem,
            by=p["nora"],
            root_cause="Gateway firmware 9.1 sets the dead-peer-detection timeout to 600 s, "
            "so idle tunnels are dropped by the hotel and home routers first.",
            workaround="Switch the VPN client to the **TCP 443** profile: it keeps the tunnel "
            "alive and reconnects within seconds.",
            publication=Publication.PUBLIC,
        )
    # The incidents it explains are linked to it, so their pages show its workaround.
    problem_services.problem_link_incidents(
        problem=problem, by=p["nora"], incidents=[vpn, vpn_again]
    )
    # Links and watchers are idempotent in their services.
    services.link_add(source=vpn, target=problem, kind=LinkKind.CAUSED_BY, by=p["nora"])
    services.link_add(source=vpn_again, target=problem, kind=LinkKind.CAUSED_BY, by=p["nora"])
    services.watcher_add(ticket=problem, user=p["lena"], by=p["nora"])

    change = Change.objects.filter(title="Upgrade the VPN gateway firmware").first()
    if change is None:
        change = load_change_awaiting_cab(p, t, s, ci)
    services.link_add(source=problem, target=change, kind=LinkKind.RELATES_TO, by=p["nora"])

    # Service requests, ordered from the catalog: one awaits Mike's approval, one is being
    # fulfilled (it needed no approval, so its task was created with it).
    laptop, created = _order(
        "New laptop",
        by=p["frank"],
        title="New laptop for Frank",
        description="My laptop is five years old and the battery lasts 20 minutes.",
        answers={"laptop_model": "14", "keyboard": "fr", "reason": "The battery is worn out."},
        impact=3,
        urgency=3,
    )
    if created:
        services.watcher_add(ticket=laptop, user=p["mike"], by=p["frank"])
    _order(
        "Software install",
        by=p["eve"],
        title="Inkscape for Eve",
        description="For the brochure of the spring campaign.",
        answers={"software": "Inkscape", "licence": "free"},
        impact=3,
        urgency=2,
    )


# --- change enablement ----------------------------------------------------------------------


def _free_saturday_night(after: timedelta) -> tuple[datetime, datetime]:
    """The first Saturday, 22:00–24:00 UTC, at least ``after`` away and outside every freeze."""
    from changes.services import overlapping_freezes

    day = (timezone.now() + after).date()
    day += timedelta(days=(5 - day.weekday()) % 7)
    while True:
        start = datetime.combine(day, time(22), tzinfo=UTC)
        end = start + timedelta(hours=2)
        if not overlapping_freezes(start=start, end=end):
            return start, end
        day += timedelta(days=7)


def load_change_enablement(ci_rows: dict[str, ConfigurationItem], teams: dict[str, Team]) -> None:
    """A year-end freeze and a pre-approved standard change (both reference data)."""
    from changes.models import FreezePeriod, StandardChangeTemplate

    now = timezone.now()
    year = now.year if now < datetime(now.year, 12, 20, tzinfo=UTC) else now.year + 1
    FreezePeriod.objects.get_or_create(
        name="Year-end freeze",
        defaults={
            "reason": "Books close and most staff are away: no changes until the new year.",
            "start": datetime(year, 12, 20, tzinfo=UTC),
            "end": datetime(year + 1, 1, 4, tzinfo=UTC),
        },
    )
    template, created = StandardChangeTemplate.objects.get_or_create(
        name="Renew the mail gateway's TLS certificate",
        defaults={
            "description": "Install a renewed certificate from the internal CA on the gateway.",
            "implementation_plan": "1. Upload the new certificate and key.\n"
            "2. Switch the listener to it.\n3. Reload the service.",
            "backout_plan": "Switch the listener back to the previous certificate and reload.",
            "test_plan": "Send a message to an external address; check the TLS handshake.",
            "duration": timedelta(minutes=30),
            "assignment_group": teams[INFRASTRUCTURE],
        },
    )
    if created:
        template.configuration_items.set([ci_rows["mail-gateway"]])


def load_change_awaiting_cab(
    p: dict[str, User],
    t: dict[str, Team],
    s: dict[str, Service],
    ci: dict[str, ConfigurationItem],
) -> Change:
    """A normal change, assessed and before the CAB, with one approval in."""
    from changes import services as change_services

    start, end = _free_saturday_night(timedelta(days=3))
    change = change_services.change_create(
        by=p["nick"],
        title="Upgrade the VPN gateway firmware",
        description="Install firmware 9.4.2, which restores the dead-peer-detection default.",
        service=s["VPN"],
        risk_assessment={
            "affects_critical_service": False,
            "causes_outage": True,
            "hard_to_back_out": False,
            "not_tested": False,
            "first_of_its_kind": False,
            "several_teams": False,
        },
        implementation_plan="1. Fail over to the standby gateway.\n"
        "2. Install 9.4.2 on the primary and reboot.\n3. Fail back.",
        backout_plan="Boot the previous firmware from the second image slot.",
        test_plan="Keep a test client connected for an hour; no disconnection.",
        planned_start=start,
        planned_end=end,
        services=[s["VPN"]],
        configuration_items=[ci["vpn-gw-01"]],
        assignment_group=t[NETWORK],
        assignee=p["nick"],
    )
    services.comment_add(
        ticket=change,
        by=p["carol"],
        body="Please schedule it outside office hours and attach the backout steps.",
        internal=True,
    )
    change = change_services.change_submit(change=change, by=p["nick"])
    change = change_services.change_request_authorization(change=change, by=p["nick"])
    change_services.change_vote(
        change=change,
        by=p["iris"],
        decision="approve",
        comment="Standby gateway is healthy; fine for Saturday night.",
    )
    return Change.objects.get(pk=change.pk)


@transaction.atomic
def load_demo_data() -> None:
    """Create the demo organisation and its tickets; running it again changes nothing."""
    load_calendars(timezone.localdate())
    load_sla_policies()
    teams = load_teams()
    people = load_people(teams)
    service_rows, ci_rows = load_catalog(teams)
    load_change_enablement(ci_rows, teams)
    load_service_catalog(teams, service_rows)
    load_tickets(teams, people, service_rows, ci_rows)
