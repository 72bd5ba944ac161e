"""Events written during a request record the client's address: REMOTE_ADDR, or behind a
trusted proxy the proxy's own X-Forwarded-For entry; junk addresses are not stored."""

import pytest

from audit.models import AuditEvent
from audit.verification import verify_audit
from declarations.models import Stage
from tests.audit.helpers import only_new_event, only_new_event_any
from tests.review.helpers import EZ, EZ_PROJECT, NY_MOVE, last_event_pk, login, open_task, seed


@pytest.mark.django_db
def test_events_record_the_clients_address(client, demo):
    """Events written during a request carry the client's IP (REMOTE_ADDR; X-Forwarded-For is
    not trusted unless configured), refused attempts included."""
    declaration = seed(EZ_PROJECT)
    login(client, EZ.preparer)
    address = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    before = last_event_pk()
    client.post(f"/declarations/{declaration.pk}/submit/", **address)
    assert only_new_event(before).ip == "203.0.113.7"

    task = open_task(declaration)
    login(client, "auditor")
    before = last_event_pk()
    response = client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}, **address)
    assert response.status_code == 403
    refused = only_new_event_any(before)
    assert (refused.result, refused.ip) == ("refused", "203.0.113.7")

    login(client, EZ.reviewers[Stage.UNIT_HEAD])
    before = last_event_pk()
    client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}, REMOTE_ADDR="2001:db8::7")
    assert only_new_event(before).ip == "2001:db8::7"


@pytest.mark.django_db
def test_a_forged_forwarded_for_is_not_recorded_and_not_a_500(client, demo, settings):
    """Behind a trusted proxy the proxy's own entry counts; junk addresses are not stored."""
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    declaration = seed(NY_MOVE)
    login(client, "ny_preparer")
    client.post(
        f"/declarations/{declaration.pk}/submit/", HTTP_X_FORWARDED_FOR="1.2.3.4, 2001:DB8::1"
    )
    client.post(
        f"/declarations/{declaration.pk}/comment/", {"text": "看一下"}, HTTP_X_FORWARDED_FOR="junk"
    )
    submitted = AuditEvent.objects.get(declaration=declaration, action="submit")
    comment = AuditEvent.objects.get(declaration=declaration, action="comment")
    assert submitted.ip == "2001:db8::1"
    assert comment.ip is None
    assert verify_audit() == []
