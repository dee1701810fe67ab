"""The known-error database search and the problem suggestion rule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Category, Incident
from problems import selectors, services
from tests.factories import ConfigurationItemFactory, ServiceFactory, make_incident


@pytest.fixture
def known_errors(agent, team):
    vpn, mail = ServiceFactory(name="VPN"), ServiceFactory(name="Mail")
    router = ConfigurationItemFactory(name="edge-router")

    def known(title, workaround, publication, **fields):
        problem = services.problem_create(by=agent, title=title, assignment_group=team, **fields)
        problem = services.problem_investigate(problem=problem, by=agent)
        return services.problem_mark_known_error(
            problem=problem,
            by=agent,
            root_cause="cause",
            workaround=workaround,
            publication=publication,
        )

    return {
        "vpn": known(
            "VPN drops every hour", "Reconnect with the desktop client", "public", service=vpn
        ),
        "mail": known("Mail bounces", "Resend from webmail", "internal", service=mail),
        "router": known(
            "Edge router reboots",
            "Fail over to the backup link",
            "public",
            configuration_items=[router],
        ),
        "services": (vpn, mail),
        "router_ci": router,
    }


def numbers(queryset):
    return [p.number for p in queryset]


def test_agents_search_all_known_errors_end_users_only_public(known_errors, agent, end_user):
    assert set(numbers(selectors.known_errors(agent))) == {
        known_errors[k].number for k in ("vpn", "mail", "router")
    }
    assert set(numbers(selectors.known_errors(end_user))) == {
        known_errors[k].number for k in ("vpn", "router")
    }


def test_search_by_text_service_and_ci(known_errors, agent):
    vpn_service, _mail = known_errors["services"]
    assert numbers(selectors.known_errors(agent, text="desktop reconnect")) == [
        known_errors["vpn"].number
    ]
    assert numbers(selectors.known_errors(agent, text="webmail")) == [known_errors["mail"].number]
    assert numbers(selectors.known_errors(agent, service_id=vpn_service.pk)) == [
        known_errors["vpn"].number
    ]
    assert numbers(
        selectors.known_errors(agent, configuration_item_id=known_errors["router_ci"].pk)
    ) == [known_errors["router"].number]
    assert numbers(selectors.known_errors(agent, text="nothing matches this")) == []


def test_a_problem_is_suggested_when_recent_incidents_share_a_service(settings, team):
    settings.PROBLEM_SUGGESTION_MIN_INCIDENTS = 3
    settings.PROBLEM_SUGGESTION_DAYS = 7
    vpn = ServiceFactory(name="VPN")
    first, second = make_incident(service=vpn), make_incident(service=vpn)
    assert selectors.problem_suggestion(first) is None
    third = make_incident(service=vpn)
    suggestion = selectors.problem_suggestion(third)
    assert suggestion.reason == (
        "3 incidents in the last 7 days share the service VPN and none is linked to a problem yet."
    )
    assert {i.pk for i in suggestion.incidents} == {first.pk, second.pk, third.pk}


def test_old_or_linked_incidents_do_not_count(settings, agent, team):
    settings.PROBLEM_SUGGESTION_MIN_INCIDENTS = 3
    category = Category.objects.create(name="Printer")
    old = make_incident(category=category)
    Incident.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    linked = make_incident(category=category)
    services.problem_create(by=agent, title="p", incidents=[linked])
    make_incident(category=category)
    latest = make_incident(category=category)
    assert selectors.problem_suggestion(latest) is None
    make_incident(category=category)
    assert "the category Printer" in selectors.problem_suggestion(latest).reason


def test_a_shared_ci_is_enough(settings, db):
    settings.PROBLEM_SUGGESTION_MIN_INCIDENTS = 2
    ci = ConfigurationItemFactory(name="db-01")
    make_incident(configuration_items=[ci])
    suggestion = selectors.problem_suggestion(
        make_incident(configuration_items=[ci, ConfigurationItemFactory()])
    )
    assert suggestion.reason.startswith("2 incidents in the last 7 days share the CI db-01")
