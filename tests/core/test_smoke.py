from incidents.models import Incident
from tests.factories import make_incident


def test_an_incident_gets_a_number_and_its_initial_status(db):
    incident = make_incident(impact=1, urgency=1)
    assert incident.number == "INC0000001"
    assert Incident.objects.get().status == "new"
