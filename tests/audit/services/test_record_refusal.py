"""record_refusal: a refused attempt leaves exactly one event, result refused, with the
reason, although the service's own transaction rolled back."""

import pytest

from audit.verification import verify_audit
from declarations.models import Stage
from organisations.models import Role
from review import permissions
from review import services as review
from tests.audit.helpers import only_new_event_any
from tests.review.helpers import EZ_PROJECT, advance_to, last_event_pk, seed, user


@pytest.mark.django_db
def test_refused_attempt_is_one_refused_event_with_the_reason(demo):
    """A refused attempt leaves exactly one event, result refused, with the reason, although
    the service's own transaction rolled back."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    before = last_event_pk()
    with pytest.raises(permissions.NotAllowed):
        review.task_approve(actor=user("auditor"), task_id=task.pk)
    event = only_new_event_any(before)
    assert (event.action, event.result, event.actor.username) == ("approve", "refused", "auditor")
    assert event.role == Role.AUDITOR  # the role in which the auditor sees the declaration
    assert event.declaration_id == declaration.pk
    assert event.stage == Stage.DEPARTMENT
    assert "无权" in event.details["reason"]
    assert verify_audit() == []
