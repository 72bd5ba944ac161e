"""Notifications are written in the change's own transaction and e-mails are handed to Celery
only on commit: a rolled-back transaction leaves no notification and sends nothing at all."""

import pytest
from django.core import mail
from django.db import transaction

from declarations.models import DeclarationStatus
from notifications.models import Delivery, Notification
from review.models import ReviewTask
from review.services import declaration_submit
from tests.notifications.helpers import NY_MOVE, fresh, seed, user


class Boom(Exception):
    """Something later in the same transaction fails."""


def _submit_then_fail(declaration):
    """Submit, then fail later in the same transaction."""
    with transaction.atomic():
        declaration_submit(actor=user("ny_preparer"), declaration_id=declaration.pk)
        raise Boom


def _nothing_sent(declaration):
    assert Notification.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert mail.outbox == []
    assert fresh(declaration).status == DeclarationStatus.DRAFT
    assert not ReviewTask.objects.filter(declaration=declaration).exists()


@pytest.mark.django_db
def test_rolled_back_submit_sends_nothing(demo, django_capture_on_commit_callbacks, celery_runs):
    """Submit inside transaction.atomic(), then fail: no on-commit callback ran, no Celery task
    was dispatched, no Notification or Delivery exists, no mail left."""
    declaration = seed(NY_MOVE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        _submit_then_fail(declaration)
    assert callbacks == []
    assert celery_runs == []
    _nothing_sent(declaration)


@pytest.mark.django_db
def test_the_same_submit_committed_writes_the_notice_and_sends_after_commit(
    demo, django_capture_on_commit_callbacks, celery_runs
):
    """The control: committed, the same submit has written ny_head's notification and its
    pending e-mail delivery inside its own transaction; no Celery task runs before the commit,
    and only deliver_email runs after it."""
    declaration = seed(NY_MOVE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        declaration_submit(actor=user("ny_preparer"), declaration_id=declaration.pk)
        assert celery_runs == []  # nothing before the commit
        assert Notification.objects.filter(user__username="ny_head").count() == 1
        assert Delivery.objects.get().status == Delivery.Status.PENDING
    assert len(callbacks) == 1
    assert [name for name, _ in celery_runs] == ["notifications.deliver_email"]
    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_rolled_back_submit_sends_nothing_with_real_commits(demo, celery_runs):
    """With real transactions (no test wrapper): the rolled-back submit leaves nothing and hands
    nothing to Celery; a later committed submit notifies once."""
    declaration = seed(NY_MOVE)
    with pytest.raises(Boom):
        _submit_then_fail(declaration)
    assert celery_runs == []
    _nothing_sent(declaration)

    declaration_submit(actor=user("ny_preparer"), declaration_id=declaration.pk)
    assert [name for name, _ in celery_runs] == ["notifications.deliver_email"]
    assert [n.user.username for n in Notification.objects.all()] == ["ny_head"]
    assert [m.to for m in mail.outbox] == [["ny_head@example.gov.cn"]]


@pytest.mark.django_db
def test_rolled_back_decision_sends_nothing(flow, django_capture_on_commit_callbacks):
    """A return for revision rolled back with its transaction tells the preparer nothing."""
    from review.services import task_return

    declaration = seed(NY_MOVE)
    unit_task = flow.submit(declaration)
    before = Notification.objects.count()
    outbox = len(mail.outbox)

    def return_then_fail():
        with transaction.atomic():
            task_return(actor=user("ny_head"), task_id=unit_task.pk, opinion="请修改")
            raise Boom

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Boom):
        return_then_fail()
    assert callbacks == []
    assert Notification.objects.count() == before
    assert len(mail.outbox) == outbox
    assert fresh(declaration).status == DeclarationStatus.SUBMITTED
