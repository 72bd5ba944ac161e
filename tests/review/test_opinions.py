"""退回修改 and 不予通过 need an opinion: without one nothing changes and nothing is audited,
through the services and the task page alike."""

import pytest

from audit.models import AuditEvent, AuditResult
from declarations.models import Stage
from review import errors
from review import services as review
from review.models import ReviewTask
from tests.review.helpers import EZ, EZ_PROJECT, advance_to, fresh, last_event_pk, login, seed, user


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_and_reject_require_an_opinion(client, demo, action):
    """退回修改 and 不予通过 need an opinion: without one nothing changes and nothing is audited."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    before = last_event_pk()
    service = review.task_return if action == "return" else review.task_reject
    with pytest.raises(errors.OpinionRequired):
        service(actor=user(EZ.reviewers[Stage.DEPARTMENT]), task_id=task.pk, opinion="  ")

    login(client, EZ.reviewers[Stage.DEPARTMENT])
    response = client.post(
        f"/tasks/{task.pk}/{action}/", {"opinion": ""}, HTTP_REFERER=f"/tasks/{task.pk}/"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/tasks/{task.pk}/"
    declaration = fresh(declaration)
    assert (declaration.status, declaration.stage) == ("submitted", Stage.DEPARTMENT)
    assert ReviewTask.objects.get(pk=task.pk).status in ("NEW", "ASSIGNED")
    assert not AuditEvent.objects.filter(pk__gt=before, result=AuditResult.OK).exists()
