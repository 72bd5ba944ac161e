"""Each run of verify_audit is recorded (when, by what, result, events, seconds), and the
auditor's page shows the newest one; --since verifies only what is new after a checkpoint."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from audit.checkpoints import seal_checkpoint
from audit.models import AuditEvent, VerificationRun
from review import services as review
from tests.audit.helpers import EVENTS, chain_events, tamper
from tests.review.helpers import EZ, user

pytestmark = pytest.mark.django_db


def test_a_passing_run_is_recorded_and_shown_to_the_auditor(history, web):
    """The run's result, event count and trigger are kept; the auditor's page shows 通过."""
    seal_checkpoint()
    call_command("verify_audit", stdout=StringIO())
    run = VerificationRun.objects.get()
    assert run.ok
    assert run.events == AuditEvent.objects.count()
    assert run.trigger == "命令行"
    assert run.seconds >= 0
    page = web("auditor").get(reverse("workflow:audit_log")).content.decode()
    assert "最近一次完整性核验" in page
    assert "通过" in page
    assert f"{run.events} 个事件" in page


def test_a_failing_run_is_recorded_and_shown_to_the_auditor(history, web):
    """A failed run keeps the first problem; the auditor's page says 未通过 and sends them to the
    administrator for the details, which may name another jurisdiction's events."""
    target = chain_events(history)[2]
    tamper(f"UPDATE {EVENTS} SET opinion = %s WHERE id = %s", ["改", target.pk])  # noqa: S608
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=StringIO(), stderr=StringIO())
    run = VerificationRun.objects.get()
    assert not run.ok
    assert f"事件 #{target.pk}" in run.result
    page = web("auditor").get(reverse("workflow:audit_log")).content.decode()
    assert "未通过" in page
    assert "请联系系统管理员查看核验结果" in page
    assert f"事件 #{target.pk}" not in page


def test_since_verifies_only_what_is_new_after_a_checkpoint(history):
    """--since SIZE starts from that checkpoint's stored subtrees: it checks only the events
    after it, and still finds a bad one among them."""
    first = seal_checkpoint().checkpoint
    review.declaration_comment(actor=user(EZ.preparer), declaration_id=history.pk, text="新的说明")
    review.declaration_comment(actor=user(EZ.preparer), declaration_id=history.pk, text="再说明")
    seal_checkpoint()
    out = StringIO()
    call_command("verify_audit", "--since", str(first.size), stdout=out)
    assert f"检查点 {first.size} 之后的 2 个事件" in out.getvalue()
    assert VerificationRun.objects.get().since == first.size

    newest = chain_events(history)[-1]
    tamper(f"UPDATE {EVENTS} SET opinion = %s WHERE id = %s", ["改", newest.pk])  # noqa: S608
    with pytest.raises(CommandError, match=f"事件 #{newest.pk}"):
        call_command("verify_audit", "--since", str(first.size), stdout=StringIO())


def test_since_refuses_a_size_that_is_no_checkpoint(history):
    """--since must name a signed checkpoint's size; the error says so in Chinese."""
    seal_checkpoint()
    with pytest.raises(CommandError, match="--since 须是已签发的检查点的树大小"):
        call_command("verify_audit", "--since", "1", stdout=StringIO())
