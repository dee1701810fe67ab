"""/api/v1/services/ and /api/v1/configuration-items/: agents read them, admins maintain them."""

import pytest

from servicedesk.core.models import CIRelationship, ConfigurationItem, Service
from tests.factories import ConfigurationItemFactory, ServiceFactory, TeamFactory

SERVICES = "/api/v1/services/"
CIS = "/api/v1/configuration-items/"
# permissions of the caller (own and through groups), count, page
SERVICE_LIST_QUERIES = 4
# ... plus the services and the relationships of the page's CIs
CI_LIST_QUERIES = 6


def invalid(errors: dict) -> dict:
    return {
        "status": 400,
        "code": "invalid",
        "detail": "Some fields are not valid.",
        "errors": errors,
    }


def not_a_choice(value: object = None) -> str:
    """django-filter's message for a value outside the choices (None: for an object choice)."""
    shown = "That choice" if value is None else value
    return f"Select a valid choice. {shown} is not one of the available choices."


def no_such(pk: int) -> str:
    return f'Invalid pk "{pk}" - object does not exist.'


def snapshot() -> list:
    return [
        list(Service.objects.order_by("pk").values()),
        list(ConfigurationItem.objects.order_by("pk").values()),
        list(ConfigurationItem.services.through.objects.order_by("pk").values()),
    ]


@pytest.fixture
def email(db):
    return ServiceFactory(name="Email")


@pytest.fixture
def mail_server(db, email):
    ci = ConfigurationItemFactory(name="mail-01")
    ci.services.set([email])
    return ci


# --- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("resource", ["service", "ci"])
@pytest.mark.parametrize(
    ("who", "method", "path", "expected"),
    [
        ("anonymous", "get", "list", 401),
        ("anonymous", "post", "list", 401),
        ("end_user", "get", "list", 403),
        ("end_user", "get", "detail", 403),
        ("end_user", "post", "list", 403),
        ("agent", "get", "list", 200),
        ("agent", "get", "detail", 200),
        ("agent", "post", "list", 403),
        ("agent", "patch", "detail", 403),
        ("lead", "post", "list", 403),
        ("admin_user", "get", "list", 200),
        ("admin_user", "get", "detail", 200),
    ],
)
def test_agents_read_and_only_admins_write(
    request, as_user, mail_server, email, resource, who, method, path, expected
):
    caller = None if who == "anonymous" else request.getfixturevalue(who)
    base, obj = (SERVICES, email) if resource == "service" else (CIS, mail_server)
    url = base if path == "list" else f"{base}{obj.pk}/"
    body = {"name": "renamed", "ci_type": "server"} if method != "get" else None
    before = snapshot()

    response = getattr(as_user(caller), method)(url, body, format="json")

    assert response.status_code == expected
    assert snapshot() == before


@pytest.mark.parametrize("base", [SERVICES, CIS])
@pytest.mark.parametrize("method", ["put", "delete"])
def test_nothing_is_deleted_or_replaced(as_user, admin_user, mail_server, email, base, method):
    obj = email if base == SERVICES else mail_server

    response = getattr(as_user(admin_user), method)(f"{base}{obj.pk}/", {}, format="json")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- services ------------------------------------------------------------------------------


def test_an_agent_reads_a_service(as_user, agent, team):
    service = ServiceFactory(
        name="Payroll", description="Pays people", owner_team=team, criticality=1, is_active=False
    )

    response = as_user(agent).get(f"{SERVICES}{service.pk}/")

    assert response.json() == {
        "id": service.pk,
        "name": "Payroll",
        "description": "Pays people",
        "owner_team": team.pk,
        "criticality": 1,
        "is_active": False,
    }


@pytest.mark.parametrize("size", [2, 15])
def test_the_service_list_costs_the_same_queries_whatever_its_length(
    list_queries, agent, team, size
):
    for n in range(size):
        ServiceFactory(name=f"Service {n:02d}", owner_team=team)

    body = list_queries(agent, SERVICES, SERVICE_LIST_QUERIES)

    assert body["count"] == size


@pytest.fixture
def portfolio(team, other_team):
    return [
        ServiceFactory(name="Email", owner_team=team, criticality=2),
        ServiceFactory(name="Payroll", owner_team=other_team, criticality=1),
        ServiceFactory(name="Wiki", criticality=4, is_active=False),
        ServiceFactory(name="Webmail", owner_team=team, criticality=2),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Email", "Payroll", "Webmail", "Wiki"]),
        ("?criticality=2", ["Email", "Webmail"]),
        ("?is_active=false", ["Wiki"]),
        ("?search=MAIL", ["Email", "Webmail"]),
        ("?ordering=criticality,-name", ["Payroll", "Webmail", "Email", "Wiki"]),
    ],
)
def test_services_are_filtered_searched_and_ordered(as_user, agent, portfolio, query, expected):
    response = as_user(agent).get(SERVICES + query)

    assert [row["name"] for row in response.json()["results"]] == expected


def test_services_are_filtered_by_owner_team(as_user, agent, portfolio, other_team):
    response = as_user(agent).get(f"{SERVICES}?owner_team={other_team.pk}")

    assert [row["name"] for row in response.json()["results"]] == ["Payroll"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?criticality=9", {"criticality": [not_a_choice("9")]}),
        ("?criticality=high", {"criticality": [not_a_choice("high")]}),
        ("?criticality=1.5", {"criticality": [not_a_choice("1.5")]}),
        ("?owner_team=-1", {"owner_team": [not_a_choice()]}),
        ("?owner_team=1e3", {"owner_team": [not_a_choice()]}),
    ],
)
def test_bad_service_filters_are_400(as_user, agent, query, errors):
    response = as_user(agent).get(SERVICES + query)

    assert response.status_code == 400
    assert response.json() == invalid(errors)


def test_an_admin_creates_and_changes_a_service(as_user, admin_user, team):
    client = as_user(admin_user)

    created = client.post(SERVICES, {"name": "VPN", "owner_team": team.pk}, format="json")

    assert created.status_code == 201
    service = Service.objects.get(name="VPN")
    assert created.json() == {
        "id": service.pk,
        "name": "VPN",
        "description": "",
        "owner_team": team.pk,
        "criticality": 3,
        "is_active": True,
    }

    changed = client.patch(
        f"{SERVICES}{service.pk}/",
        {"criticality": 1, "owner_team": None, "description": "Remote access"},
        format="json",
    )

    assert changed.status_code == 200
    assert changed.json() == {
        "id": service.pk,
        "name": "VPN",
        "description": "Remote access",
        "owner_team": None,
        "criticality": 1,
        "is_active": True,
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": "Email"}, {"name": ["service with this name already exists."]}),
        ({"name": "X", "criticality": 0}, {"criticality": ['"0" is not a valid choice.']}),
        ({"name": "X", "criticality": "high"}, {"criticality": ['"high" is not a valid choice.']}),
        ({"name": "X", "owner_team": 999999}, {"owner_team": [no_such(999999)]}),
        (
            {"name": "X", "owner_team": [1]},
            {"owner_team": ["Incorrect type. Expected pk value, received list."]},
        ),
        ({"name": "X", "is_active": None}, {"is_active": ["This field may not be null."]}),
        ({"name": "X", "ci_type": "server"}, {"ci_type": ["Unknown field."]}),
    ],
)
def test_bad_service_input_creates_nothing(as_user, admin_user, email, body, errors):
    before = snapshot()

    response = as_user(admin_user).post(SERVICES, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


# --- configuration items --------------------------------------------------------------------


def test_an_agent_reads_a_ci_with_its_services_and_relationships(as_user, agent, team, email):
    app = ConfigurationItemFactory(
        name="mail-app",
        ci_type="application",
        status="maintenance",
        criticality=2,
        owner_team=team,
        description="MTA",
    )
    server = ConfigurationItemFactory(name="srv-01")
    database = ConfigurationItemFactory(name="db-01", ci_type="database")
    app.services.set([email])
    CIRelationship.objects.create(source=app, kind="runs_on", target=server)
    CIRelationship.objects.create(source=app, kind="depends_on", target=database)
    CIRelationship.objects.create(source=server, kind="connects_to", target=database)

    response = as_user(agent).get(f"{CIS}{app.pk}/")

    assert response.json() == {
        "id": app.pk,
        "name": "mail-app",
        "ci_type": "application",
        "description": "MTA",
        "status": "maintenance",
        "criticality": 2,
        "owner_team": team.pk,
        "services": [email.pk],
        "relationships": [
            {"kind": "depends_on", "target": database.pk},
            {"kind": "runs_on", "target": server.pk},
        ],
    }


@pytest.mark.parametrize("size", [2, 14])
def test_the_ci_list_costs_the_same_queries_whatever_its_length(list_queries, agent, email, size):
    other = ServiceFactory(name="Other")
    hub = ConfigurationItemFactory(name="hub")
    for n in range(size):
        ci = ConfigurationItemFactory(name=f"ci-{n:02d}")
        ci.services.set([email, other])
        CIRelationship.objects.create(source=ci, kind="connects_to", target=hub)

    body = list_queries(agent, CIS, CI_LIST_QUERIES)

    assert body["count"] == size + 1
    assert sum(len(row["relationships"]) for row in body["results"]) == size


@pytest.fixture
def estate(team, other_team, email):
    payroll = ServiceFactory(name="Payroll")
    items = {
        "app-mail": ConfigurationItemFactory(
            name="app-mail", ci_type="application", owner_team=team, criticality=1
        ),
        "db-pay": ConfigurationItemFactory(
            name="db-pay", ci_type="database", owner_team=other_team, status="retired"
        ),
        "srv-mail": ConfigurationItemFactory(name="srv-mail", criticality=1),
    }
    items["app-mail"].services.set([email])
    items["srv-mail"].services.set([email])
    items["db-pay"].services.set([payroll])
    return items


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["app-mail", "db-pay", "srv-mail"]),
        ("?ci_type=database", ["db-pay"]),
        ("?status=retired", ["db-pay"]),
        ("?criticality=1", ["app-mail", "srv-mail"]),
        ("?search=MAIL", ["app-mail", "srv-mail"]),
        ("?ordering=-name", ["srv-mail", "db-pay", "app-mail"]),
        ("?ordering=ci_type,name", ["app-mail", "db-pay", "srv-mail"]),
    ],
)
def test_cis_are_filtered_searched_and_ordered(as_user, agent, estate, query, expected):
    response = as_user(agent).get(CIS + query)

    assert [row["name"] for row in response.json()["results"]] == expected


def test_cis_are_filtered_by_service_and_owner_team(as_user, agent, estate, email, team):
    client = as_user(agent)

    by_service = client.get(f"{CIS}?service={email.pk}").json()["results"]
    by_team = client.get(f"{CIS}?owner_team={team.pk}&service={email.pk}").json()["results"]

    assert [row["name"] for row in by_service] == ["app-mail", "srv-mail"]
    assert [row["name"] for row in by_team] == ["app-mail"]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("?ci_type=toaster", {"ci_type": [not_a_choice("toaster")]}),
        ("?status=on", {"status": [not_a_choice("on")]}),
        ("?service=abc", {"service": [not_a_choice()]}),
        ("?service=99999999999999999999", {"service": [not_a_choice()]}),
    ],
)
def test_bad_ci_filters_are_400(as_user, agent, query, errors):
    response = as_user(agent).get(CIS + query)

    assert response.status_code == 400
    assert response.json() == invalid(errors)


def test_an_admin_creates_a_ci_and_changes_its_services(as_user, admin_user, team, email):
    payroll = ServiceFactory(name="Payroll")
    client = as_user(admin_user)

    created = client.post(
        CIS,
        {"name": "db-02", "ci_type": "database", "owner_team": team.pk, "services": [email.pk]},
        format="json",
    )

    assert created.status_code == 201
    ci = ConfigurationItem.objects.get(name="db-02")
    assert created.json() == {
        "id": ci.pk,
        "name": "db-02",
        "ci_type": "database",
        "description": "",
        "status": "active",
        "criticality": 3,
        "owner_team": team.pk,
        "services": [email.pk],
        "relationships": [],
    }

    changed = client.patch(
        f"{CIS}{ci.pk}/", {"services": [payroll.pk], "status": "retired"}, format="json"
    )

    assert changed.status_code == 200
    assert (changed.json()["services"], changed.json()["status"]) == ([payroll.pk], "retired")
    assert list(ci.services.values_list("name", flat=True)) == ["Payroll"]


def test_a_patch_without_services_keeps_them(as_user, admin_user, mail_server, email):
    response = as_user(admin_user).patch(
        f"{CIS}{mail_server.pk}/", {"description": "Postfix"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["services"] == [email.pk]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."], "ci_type": ["This field is required."]}),
        (
            {"name": "mail-01", "ci_type": "server"},
            {"name": ["configuration item with this name already exists."]},
        ),
        ({"name": "x", "ci_type": "toaster"}, {"ci_type": ['"toaster" is not a valid choice.']}),
        (
            {"name": "x", "ci_type": "server", "status": "broken"},
            {"status": ['"broken" is not a valid choice.']},
        ),
        ({"name": "x", "ci_type": "server", "services": [999999]}, {"services": [no_such(999999)]}),
        (
            {"name": "x", "ci_type": "server", "services": 5},
            {"services": ['Expected a list of items but got type "int".']},
        ),
        (
            {"name": "x", "ci_type": "server", "relationships": []},
            {"relationships": ["This field is read-only."]},
        ),
        (
            {"name": "x" * 121, "ci_type": "server"},
            {"name": ["Ensure this field has no more than 120 characters."]},
        ),
    ],
)
def test_bad_ci_input_creates_nothing(as_user, admin_user, mail_server, body, errors):
    before = snapshot()

    response = as_user(admin_user).post(CIS, body, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


def test_renaming_a_ci_to_a_taken_name_is_refused(as_user, admin_user, mail_server):
    other = ConfigurationItemFactory(name="mail-02")
    before = snapshot()

    response = as_user(admin_user).patch(f"{CIS}{other.pk}/", {"name": "mail-01"}, format="json")

    assert response.status_code == 400
    assert response.json() == invalid(
        {"name": ["configuration item with this name already exists."]}
    )
    assert snapshot() == before


def test_an_inactive_team_may_still_own_a_ci(as_user, admin_user):
    owner = TeamFactory(name="Legacy", is_active=False)

    response = as_user(admin_user).post(
        CIS, {"name": "old-box", "ci_type": "server", "owner_team": owner.pk}, format="json"
    )

    assert response.status_code == 201
