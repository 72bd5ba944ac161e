"""declaration_comment: one comment event, in the role of the membership that allows the
comment."""

import pytest

from audit.models import AuditAction, AuditEvent
from declarations.models import Stage
from organisations.models import Jurisdiction, Membership, Role
from review import services as review
from tests.audit.helpers import assert_event, only_new_event
from tests.review.helpers import EZ, EZ_PROJECT, advance_to, last_event_pk, seed, user


@pytest.mark.django_db
def test_comment_writes_one_comment_event(demo):
    declaration = seed(EZ_PROJECT)
    advance_to(declaration, Stage.DEPARTMENT)
    before = last_event_pk()
    review.declaration_comment(
        actor=user("ez_dept"), declaration_id=declaration.pk, text="请关注网格员培训安排"
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.COMMENT,
        actor="ez_dept",
        role=Role.DEPARTMENT_REVIEWER,
        organisation=EZ.department,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
        opinion="请关注网格员培训安排",
    )


@pytest.mark.django_db
def test_a_reviewer_who_is_also_an_auditor_comments_as_the_reviewer(demo):
    """The acting role comes from the membership that allows the act, not the first one by
    name: ez_dept, also an auditor of 鄂州, comments as the department's reviewer."""
    declaration = seed(EZ_PROJECT)
    advance_to(declaration, Stage.DEPARTMENT)
    dept = user("ez_dept")
    Membership.objects.create(
        user=dept, role=Role.AUDITOR, jurisdiction=Jurisdiction.objects.get(code="ezhou")
    )
    review.declaration_comment(actor=user("ez_dept"), declaration_id=declaration.pk, text="已阅")
    event = AuditEvent.objects.filter(action="comment").get()
    assert (event.role, event.organisation_name, event.opinion) == (
        Role.DEPARTMENT_REVIEWER,
        "中共鄂州市委政法委员会",
        "已阅",
    )
