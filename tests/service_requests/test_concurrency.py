"""Tasks of one request completed at the same moment: the request is fulfilled exactly once.

Each thread has its own database connection. Without the request's row lock, two
last tasks finishing together would each still see the other open and neither
would fulfil the request. Meaningful on PostgreSQL (row locks, READ COMMITTED);
SQLite serialises writers anyway.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from service_requests import services
from service_requests.models import FulfilmentTask, ServiceRequest
from servicedesk.core.models import AuditEvent
from tests.factories import TeamFactory, make_agent, make_end_user
from tests.service_requests.factories import make_item, order

TASKS_PER_REQUEST = 4
ROUNDS = 5


def complete_all_at_once(tasks: list[FulfilmentTask], agents: list) -> list[BaseException]:
    barrier = threading.Barrier(len(tasks))
    errors: list[BaseException] = []

    def complete(task: FulfilmentTask, agent) -> None:
        try:
            barrier.wait()
            services.task_complete(task=task, by=agent, notes="done")
        except BaseException as exc:  # reported below: a thread must not fail silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=complete, args=(task, agent))
        for task, agent in zip(tasks, agents, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_the_last_tasks_completing_together_fulfil_the_request_exactly_once():
    team = TeamFactory(name="Service Desk")
    agents = [make_agent(team, username=f"agent{n}") for n in range(TASKS_PER_REQUEST)]
    requester = make_end_user(username="eve")
    item = make_item(
        owner_team=team,
        name="Onboarding kit",
        form=[],
        tasks=[(f"Part {n}", team) for n in range(TASKS_PER_REQUEST)],
    )
    for _round in range(ROUNDS):
        service_request = order(item, requester, answers={})
        tasks = list(FulfilmentTask.objects.filter(request=service_request))
        assert len(tasks) == TASKS_PER_REQUEST

        errors = complete_all_at_once(tasks, agents)

        assert errors == []
        assert ServiceRequest.objects.get(pk=service_request.pk).status == "fulfilled"
        assert set(
            FulfilmentTask.objects.filter(request=service_request).values_list("status", flat=True)
        ) == {"done"}
        fulfilments = AuditEvent.objects.filter(ticket_id=service_request.pk, transition="fulfil")
        assert fulfilments.count() == 1
        assert fulfilments.get().actor is None
