import threading

import pytest
from django.db import connection, transaction

from changes.models import Change
from incidents.models import Incident
from problems.models import Problem
from service_requests.models import ServiceRequest
from servicedesk.core.models import NumberSequence, Ticket
from servicedesk.core.numbering import next_number
from tests.factories import make_end_user, make_ticket


def test_each_practice_numbers_on_its_own_sequence(db):
    requester = make_end_user()
    numbers = [
        make_ticket(model, requester=requester).number
        for model in (Incident, Incident, Problem, Change, ServiceRequest, Incident)
    ]
    assert numbers == [
        "INC0000001",
        "INC0000002",
        "PRB0000001",
        "CHG0000001",
        "REQ0000001",
        "INC0000003",
    ]


def test_a_new_prefix_gets_its_own_sequence_row(db):
    with transaction.atomic():
        assert next_number("TASK") == "TASK0000001"
        assert next_number("TASK") == "TASK0000002"
    assert NumberSequence.objects.get(prefix="TASK").last_value == 2


@pytest.mark.django_db(transaction=True)
def test_next_number_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number("INC")


def test_a_rolled_back_creation_does_not_burn_the_number(db):
    requester = make_end_user()

    def create_then_fail() -> None:
        with transaction.atomic():
            make_ticket(Incident, requester=requester)
            raise RuntimeError("something later in the same transaction failed")

    with pytest.raises(RuntimeError):
        create_then_fail()
    assert make_ticket(Incident, requester=requester).number == "INC0000001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_never_hands_out_a_number_twice():
    """Several threads create incidents at once, each on its own database connection."""
    requester = make_end_user()
    threads_count, per_thread = 6, 8
    barrier = threading.Barrier(threads_count)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create_many() -> None:
        try:
            barrier.wait()
            for _ in range(per_thread):
                incident = make_ticket(Incident, requester=requester)
                with lock:
                    numbers.append(incident.number)
        except BaseException as exc:  # reported below, the thread must not die silently
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_many) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    expected = [f"INC{n:07d}" for n in range(1, threads_count * per_thread + 1)]
    assert sorted(numbers) == expected
    assert sorted(Ticket.objects.values_list("number", flat=True)) == expected
