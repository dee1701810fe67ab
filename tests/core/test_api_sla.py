"""/api/v1/business-calendars/ and /api/v1/sla-policies/: agents read them, admins write them."""

from __future__ import annotations

from datetime import date, time

import pytest

from servicedesk.core.models import BusinessCalendar, EscalationRule, Holiday, SLAPolicy
from tests.factories import ServiceFactory, make_calendar, make_sla_policy

CALENDARS = "/api/v1/business-calendars/"
POLICIES = "/api/v1/sla-policies/"
# permissions of the caller (own and through groups), count, page, then the prefetches:
# working periods and holidays, or escalation rules.
CALENDAR_LIST_QUERIES = 6
POLICY_LIST_QUERIES = 5


def invalid(errors: dict) -> dict:
    return {
        "status": 400,
        "code": "invalid",
        "detail": "Some fields are not valid.",
        "errors": errors,
    }


def snapshot() -> list:
    return [
        list(BusinessCalendar.objects.order_by("pk").values()),
        list(SLAPolicy.objects.order_by("pk").values()),
        list(EscalationRule.objects.order_by("pk").values()),
    ]


@pytest.fixture
def office(db) -> BusinessCalendar:
    return make_calendar(
        "Office", timezone="Europe/Paris", holidays=[date(2026, 12, 25), date(2026, 1, 1)]
    )


@pytest.fixture
def policy(office) -> SLAPolicy:
    return make_sla_policy(calendar=office, rules=[("response", 75, "notify_assignee")])


@pytest.mark.parametrize("url", [CALENDARS, POLICIES])
@pytest.mark.parametrize(
    ("who", "method", "expected"),
    [
        ("anonymous", "get", 401),
        ("end_user", "get", 403),
        ("agent", "get", 200),
        ("agent", "post", 403),
        ("lead", "post", 403),
        ("admin_user", "get", 200),
    ],
)
def test_agents_read_sla_data_and_only_admins_write_it(
    request, as_user, policy, url, who, method, expected
):
    caller = None if who == "anonymous" else request.getfixturevalue(who)
    before = snapshot()
    response = getattr(as_user(caller), method)(url, {"name": "New"}, format="json")
    assert response.status_code == expected
    assert snapshot() == before


def test_a_calendar_reads_as_hours_per_weekday_and_holiday_dates(as_user, agent, office):
    response = as_user(agent).get(f"{CALENDARS}{office.pk}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": office.pk,
        "name": "Office",
        "timezone": "Europe/Paris",
        "description": "",
        "holiday_country": "",
        "holiday_subdivision": "",
        "working_hours": [{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(5)],
        "holidays": ["2026-01-01", "2026-12-25"],
    }


def test_an_admin_creates_a_calendar_with_split_days_and_spans_to_midnight(as_user, admin_user):
    body = {
        "name": "Support desk",
        "timezone": "America/New_York",
        "working_hours": [
            {"weekday": 0, "start": "13:30", "end": "18:00"},
            {"weekday": 0, "start": "08:00", "end": "12:00"},
            {"weekday": 5, "start": "00:00", "end": "24:00"},
            {"weekday": 6, "start": "20:00", "end": "00:00"},
        ],
        "holidays": ["2026-07-04"],
    }
    response = as_user(admin_user).post(CALENDARS, body, format="json")

    assert response.status_code == 201, response.json()
    created = BusinessCalendar.objects.get(name="Support desk")
    assert response.json()["working_hours"] == [
        {"weekday": 0, "start": "08:00", "end": "12:00"},
        {"weekday": 0, "start": "13:30", "end": "18:00"},
        {"weekday": 5, "start": "00:00", "end": "24:00"},
        {"weekday": 6, "start": "20:00", "end": "24:00"},
    ]
    assert list(created.working_periods.values_list("weekday", "start", "end")) == [
        (0, time(8), time(12)),
        (0, time(13, 30), time(18)),
        (5, time(0), time(0)),
        (6, time(20), time(0)),
    ]
    assert list(created.holidays.values_list("date", flat=True)) == [date(2026, 7, 4)]


def test_patching_hours_or_holidays_replaces_them_and_keeps_the_rest(as_user, admin_user, office):
    Holiday.objects.filter(calendar=office, date=date(2026, 12, 25)).update(name="Noël")
    response = as_user(admin_user).patch(
        f"{CALENDARS}{office.pk}/",
        {"holidays": ["2026-12-25", "2026-12-26"]},
        format="json",
    )
    assert response.status_code == 200
    assert list(office.holidays.values_list("date", "name")) == [
        (date(2026, 12, 25), "Noël"),
        (date(2026, 12, 26), ""),
    ]
    assert office.working_periods.count() == 5

    response = as_user(admin_user).patch(
        f"{CALENDARS}{office.pk}/",
        {"working_hours": [{"weekday": 2, "start": "10:00", "end": "11:00"}]},
        format="json",
    )
    assert response.json()["working_hours"] == [{"weekday": 2, "start": "10:00", "end": "11:00"}]
    assert office.holidays.count() == 2


@pytest.mark.parametrize(
    ("hours", "errors"),
    [
        (
            [{"weekday": 0, "start": "9:00", "end": "17:00"}],
            {"working_hours.0.start": ["Give a time as HH:MM."]},
        ),
        (
            [{"weekday": 0, "start": "24:00", "end": "24:00"}],
            {"working_hours.0.start": ["Give a time as HH:MM."]},
        ),
        (
            [{"weekday": 0, "start": "17:00", "end": "09:00"}],
            {"working_hours.0.end": ["The end must come after the start."]},
        ),
        (
            [{"weekday": 7, "start": "09:00", "end": "17:00"}],
            {"working_hours.0.weekday": ['"7" is not a valid choice.']},
        ),
        (
            [
                {"weekday": 1, "start": "09:00", "end": "13:00"},
                {"weekday": 1, "start": "12:00", "end": "17:00"},
            ],
            {"working_hours": ["Spans of the same day must not overlap or touch."]},
        ),
    ],
)
def test_bad_working_hours_are_refused_with_field_errors(
    as_user, admin_user, office, hours, errors
):
    before = snapshot()
    response = as_user(admin_user).patch(
        f"{CALENDARS}{office.pk}/", {"working_hours": hours}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


def test_an_unknown_time_zone_or_country_is_refused(as_user, admin_user):
    response = as_user(admin_user).post(
        CALENDARS,
        {"name": "Mars", "timezone": "Mars/Olympus", "holiday_country": "ZZ"},
        format="json",
    )
    assert response.json() == invalid(
        {
            "timezone": ["Mars/Olympus is not a known time zone."],
            "holiday_country": ["ZZ is not a country whose holidays are known."],
        }
    )


def test_public_holidays_load_from_the_holidays_package_once(as_user, admin_user, office):
    office.holiday_country = "FR"
    office.save()
    client = as_user(admin_user)
    url = f"{CALENDARS}{office.pk}/load-holidays/"

    response = client.post(url, {"years": [2027]}, format="json")
    assert response.status_code == 200
    assert client.post(url, {"years": [2027]}, format="json").status_code == 200

    loaded = dict(office.holidays.filter(date__year=2027).values_list("date", "name"))
    assert len(loaded) == 11
    assert loaded[date(2027, 7, 14)] == "National Day"
    assert loaded[date(2027, 3, 29)] == "Easter Monday"
    assert "2027-11-11" in response.json()["holidays"]


def test_loading_holidays_needs_a_country(as_user, admin_user, office):
    response = as_user(admin_user).post(
        f"{CALENDARS}{office.pk}/load-holidays/", {"years": [2027]}, format="json"
    )
    assert response.json() == invalid(
        {"holiday_country": ["Choose the country whose holidays to load."]}
    )


def test_the_calendar_list_costs_the_same_whatever_its_length(list_queries, agent, office):
    make_calendar("Nights", hours=[(0, time(22), time(0))], holidays=[date(2026, 5, 1)])
    body = list_queries(agent, f"{CALENDARS}?ordering=name", CALENDAR_LIST_QUERIES)
    assert [c["name"] for c in body["results"]] == ["Nights", "Office"]
    assert body["results"][0]["working_hours"] == [{"weekday": 0, "start": "22:00", "end": "24:00"}]


# --- policies -------------------------------------------------------------------------------


def test_a_policy_reads_with_its_escalation_rules(as_user, agent, policy, office):
    response = as_user(agent).get(f"{POLICIES}{policy.pk}/")
    assert response.json() == {
        "id": policy.pk,
        "name": "incident P3 any",
        "practice": "incident",
        "priority": 3,
        "service": None,
        "calendar": office.pk,
        "response_minutes": 60,
        "resolution_minutes": 480,
        "warning_thresholds": [75, 90],
        "is_active": True,
        "escalation_rules": [
            {"target": "response", "threshold": 75, "action": "notify_assignee", "team": None}
        ],
    }


def test_an_admin_creates_a_policy_for_a_service_with_rules(
    as_user, admin_user, office, other_team
):
    email = ServiceFactory(name="Email")
    body = {
        "name": "Email P1",
        "practice": "incident",
        "priority": 1,
        "service": email.pk,
        "calendar": office.pk,
        "response_minutes": 15,
        "resolution_minutes": 240,
        "warning_thresholds": [90, 50],
        "escalation_rules": [
            {"threshold": 90, "action": "raise_priority"},
            {"target": "resolution", "threshold": 100, "action": "reassign", "team": other_team.pk},
        ],
    }
    response = as_user(admin_user).post(POLICIES, body, format="json")

    assert response.status_code == 201, response.json()
    created = SLAPolicy.objects.get(name="Email P1")
    assert response.json()["warning_thresholds"] == [50, 90]
    assert list(created.escalation_rules.values_list("target", "threshold", "action", "team")) == [
        ("resolution", 90, "raise_priority", None),
        ("resolution", 100, "reassign", other_team.pk),
    ]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        (
            {"escalation_rules": [{"threshold": 80, "action": "notify_assignee"}]},
            {
                "escalation_rules.0.threshold": [
                    "Use one of the policy's warning thresholds, or 100."
                ]
            },
        ),
        (
            {"escalation_rules": [{"threshold": 100, "action": "reassign"}]},
            {"escalation_rules.0.team": ["Choose the team to reassign to."]},
        ),
        (
            {
                "escalation_rules": [
                    {"threshold": 100, "action": "notify_assignee"},
                    {"threshold": 100, "action": "notify_assignee"},
                ]
            },
            {"escalation_rules.1": ["This rule is there twice."]},
        ),
        (
            {"warning_thresholds": [75, 75]},
            {"warning_thresholds": ["Each threshold may appear only once."]},
        ),
        (
            {"warning_thresholds": [100]},
            {"warning_thresholds.0": ["Ensure this value is less than or equal to 99."]},
        ),
        (
            # The rule at 75 % of the response time no longer has its threshold.
            {"warning_thresholds": [90]},
            {
                "escalation_rules.0.threshold": [
                    "Use one of the policy's warning thresholds, or 100."
                ]
            },
        ),
        (
            {"response_minutes": 0},
            {"response_minutes": ["Ensure this value is greater than or equal to 1."]},
        ),
    ],
)
def test_bad_policies_are_refused_with_field_errors(as_user, admin_user, policy, change, errors):
    before = snapshot()
    response = as_user(admin_user).patch(f"{POLICIES}{policy.pk}/", change, format="json")
    assert response.status_code == 400
    assert response.json() == invalid(errors)
    assert snapshot() == before


def test_a_second_active_policy_for_the_same_tickets_is_refused(
    as_user, admin_user, policy, office
):
    body = {
        "name": "Duplicate",
        "practice": "incident",
        "priority": 3,
        "calendar": office.pk,
        "response_minutes": 30,
        "resolution_minutes": 120,
    }
    response = as_user(admin_user).post(POLICIES, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": [
            "An active policy without a service exists for this practice and priority."
        ]
    }
    body["is_active"] = False
    assert as_user(admin_user).post(POLICIES, body, format="json").status_code == 201


def test_the_policy_list_filters_and_costs_the_same_whatever_its_length(
    list_queries, agent, policy, office
):
    make_sla_policy(calendar=office, priority=1, rules=[("resolution", 100, "notify_team_lead")])
    make_sla_policy(calendar=office, practice="change", priority=1)
    body = list_queries(
        agent, f"{POLICIES}?practice=incident&ordering=priority", POLICY_LIST_QUERIES
    )
    assert [(p["name"], len(p["escalation_rules"])) for p in body["results"]] == [
        ("incident P1 any", 1),
        ("incident P3 any", 1),
    ]
