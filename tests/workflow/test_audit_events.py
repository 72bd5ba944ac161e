"""Every service writes exactly the audit events it should, and nothing else writes any.

Each event records actor, role, organisation, action, result, declaration, stage, opinion,
digest, time and client IP; it is written only by workflow.audit.record_event.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.log import record_event, verify_audit
from audit.models import AuditAction, AuditEvent, AuditResult
from declarations.content import content_digest, content_of
from declarations.models import DeclarationKind, Stage
from organisations.models import Role
from review import drafts as services
from review import permissions
from review import services as review
from tests.review.helpers import (
    EZ,
    EZ_PROJECT,
    advance_to,
    fresh,
    last_event_pk,
    login,
    open_task,
    seed,
    submit,
    user,
)

ROLE_ORG = {
    Stage.UNIT_HEAD: (Role.UNIT_HEAD, EZ.unit),
    Stage.DEPARTMENT: (Role.DEPARTMENT_REVIEWER, EZ.department),
    Stage.FINANCE: (Role.FINANCE_REVIEWER, EZ.finance),
    Stage.PERFORMANCE: (Role.PERFORMANCE_REVIEWER, EZ.performance),
}


def only_new_event(before: int) -> AuditEvent:
    """The one event written since `before`; fails if there are none or several."""
    events = list(AuditEvent.objects.filter(pk__gt=before).order_by("pk"))
    assert len(events) == 1, [(e.action, e.result, e.stage) for e in events]
    return events[0]


def assert_event(
    event: AuditEvent,
    *,
    action: str,
    actor: str,
    role: str,
    organisation: str | None,
    declaration,
    stage: str = "",
    opinion: str = "",
    digest: str | None = None,
):
    assert event.action == action
    assert event.result == AuditResult.OK
    assert event.actor.username == actor
    assert event.actor_name == (event.actor.get_full_name() or actor)
    assert event.role == role
    if organisation is None:
        assert event.organisation_id is None
    else:
        assert event.organisation.name == organisation
        assert event.organisation_name == organisation
    assert event.declaration_id == declaration.pk
    assert event.chain == f"declaration:{declaration.pk}"
    assert event.stage == stage
    assert event.opinion == opinion
    if digest is not None:
        assert event.digest == digest
    assert timezone.now() - timedelta(minutes=1) < event.at <= timezone.now()
    assert verify_audit() == []


# --- Review services -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_writes_one_submit_event(demo):
    """Submission: action submit at stage submission, the preparer of the unit, the digest of
    the submitted content (that of the submission stamp), round and entry stage."""
    declaration = seed(EZ_PROJECT)
    before = last_event_pk()
    declaration = submit(declaration)
    event = only_new_event(before)
    stamp = declaration.stamps.get(stage=Stage.SUBMISSION)
    assert_event(
        event,
        action=AuditAction.SUBMIT,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
        stage=Stage.SUBMISSION,
        digest=content_digest(declaration),
    )
    assert event.digest == stamp.digest
    assert event.details["round"] == 1
    assert event.details["entry_stage"] == Stage.UNIT_HEAD


@pytest.mark.django_db
def test_claim_writes_one_claim_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    before = last_event_pk()
    review.task_claim(actor=user("ez_dept2"), task_id=task.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.CLAIM,
        actor="ez_dept2",
        role=Role.DEPARTMENT_REVIEWER,
        organisation=EZ.department,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
    )
    assert event.details["task"] == task.pk


@pytest.mark.django_db
def test_release_writes_one_release_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before = last_event_pk()
    review.task_release(actor=user("ez_dept"), task_id=task.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.RELEASE,
        actor="ez_dept",
        role=Role.DEPARTMENT_REVIEWER,
        organisation=EZ.department,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
    )
    assert event.details["from"] == "ez_dept"


@pytest.mark.django_db
@pytest.mark.parametrize("stage", list(ROLE_ORG))
def test_approve_writes_one_approve_event_with_the_stamp_digest(demo, stage):
    """Approval: the stage's role and organisation, the opinion and the stamp's digest."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, stage)
    before = last_event_pk()
    review.task_approve(actor=user(EZ.reviewers[stage]), task_id=task.pk, opinion="同意，可行")
    event = only_new_event(before)
    role, organisation = ROLE_ORG[stage]
    stamp = fresh(declaration).stamps.get(stage=stage)
    assert_event(
        event,
        action=AuditAction.APPROVE,
        actor=EZ.reviewers[stage],
        role=role,
        organisation=organisation,
        declaration=declaration,
        stage=stage,
        opinion="同意，可行",
        digest=stamp.digest,
    )
    assert event.details["decision"] == "approve"


@pytest.mark.django_db
@pytest.mark.parametrize("to", ["preparer", "previous"])
def test_return_writes_one_return_event(demo, to):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.FINANCE)
    digest = content_digest(fresh(declaration))
    before = last_event_pk()
    review.task_return(actor=user("ez_finance"), task_id=task.pk, opinion="资金测算不清", to=to)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.RETURN,
        actor="ez_finance",
        role=Role.FINANCE_REVIEWER,
        organisation=EZ.finance,
        declaration=declaration,
        stage=Stage.FINANCE,
        opinion="资金测算不清",
        digest=digest,
    )
    assert event.details["decision"] == (
        "return_previous" if to == "previous" else "return_preparer"
    )


@pytest.mark.django_db
def test_reject_writes_one_reject_event(demo):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.PERFORMANCE)
    digest = content_digest(fresh(declaration))
    before = last_event_pk()
    review.task_reject(actor=user("ez_perf"), task_id=task.pk, opinion="绩效目标不明确")
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.REJECT,
        actor="ez_perf",
        role=Role.PERFORMANCE_REVIEWER,
        organisation=EZ.performance,
        declaration=declaration,
        stage=Stage.PERFORMANCE,
        opinion="绩效目标不明确",
        digest=digest,
    )


@pytest.mark.django_db
def test_withdraw_writes_one_withdraw_event(demo):
    declaration = submit(seed(EZ_PROJECT))
    before = last_event_pk()
    review.declaration_withdraw(actor=user(EZ.preparer), declaration_id=declaration.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.WITHDRAW,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
        stage=Stage.UNIT_HEAD,
    )


@pytest.mark.django_db
def test_reassign_writes_one_reassign_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before = last_event_pk()
    review.task_reassign(
        actor=user("admin"), task_id=task.pk, to_user_id=second_dept.pk, reason="工作调整"
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.REASSIGN,
        actor="admin",
        role=Role.ADMINISTRATOR,
        organisation=None,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
        opinion="工作调整",
    )
    assert (event.details["from"], event.details["to"]) == ("ez_dept", "ez_dept2")


@pytest.mark.django_db
def test_hand_over_writes_one_hand_over_event(demo, second_dept):
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    before = last_event_pk()
    review.task_hand_over(
        actor=user("ez_dept"), task_id=task.pk, to_user_id=second_dept.pk, reason="出差"
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.HAND_OVER,
        actor="ez_dept",
        role=Role.DEPARTMENT_REVIEWER,
        organisation=EZ.department,
        declaration=declaration,
        stage=Stage.DEPARTMENT,
        opinion="出差",
    )
    assert (event.details["from"], event.details["to"]) == ("ez_dept", "ez_dept2")


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


# --- Declaration services ----------------------------------------------------------------------


@pytest.mark.django_db
def test_create_writes_one_create_event(demo):
    before = last_event_pk()
    declaration = services.declaration_create(
        actor=user(EZ.preparer),
        unit=demo.ez_unit,
        fiscal_year=2027,
        kind=DeclarationKind.PROJECT,
        name="新项目",
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.CREATE,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
    )


@pytest.mark.django_db
def test_copy_writes_one_copy_event(demo):
    source = seed(EZ_PROJECT)
    before = last_event_pk()
    copy = services.declaration_copy(actor=user(EZ.preparer), source_id=source.pk)
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.COPY,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=copy,
    )
    assert event.details["from"] == source.pk


@pytest.mark.django_db
def test_edit_writes_one_edit_event(demo):
    declaration = seed(EZ_PROJECT)
    content = content_of(declaration)
    content.fields["remarks"] = "补充说明"
    before = last_event_pk()
    saved = services.declaration_save(
        actor=user(EZ.preparer), declaration_id=declaration.pk, content=content
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.EDIT,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
    )
    assert event.details["version"] == saved.version


@pytest.mark.django_db
def test_attach_and_detach_write_one_event_each(demo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    declaration = seed(EZ_PROJECT)
    upload = SimpleUploadedFile(
        "测算依据.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    )
    before = last_event_pk()
    attachment = services.attachment_add(
        actor=user(EZ.preparer), declaration_id=declaration.pk, upload=upload
    )
    event = only_new_event(before)
    assert_event(
        event,
        action=AuditAction.ATTACH,
        actor=EZ.preparer,
        role=Role.PREPARER,
        organisation=EZ.unit,
        declaration=declaration,
    )
    assert (event.details["name"], event.details["sha256"]) == ("测算依据.pdf", attachment.sha256)

    before = last_event_pk()
    services.attachment_remove(
        actor=user(EZ.preparer), declaration_id=declaration.pk, attachment_id=attachment.pk
    )
    event = only_new_event(before)
    assert event.action == AuditAction.DETACH
    assert event.details["sha256"] == attachment.sha256


# --- Refused attempts and the client's address ---------------------------------------------------


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


def only_new_event_any(before: int) -> AuditEvent:
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert len(events) == 1, [(e.action, e.result) for e in events]
    return events[0]


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


# --- Nothing but record_event writes audit rows --------------------------------------------------


def _event_fields(demo) -> dict:
    return {
        "chain": "declaration:999",
        "seq": 1,
        "prev_hash": "0" * 64,
        "hash": "f" * 64,
        "at": timezone.now(),
        "actor": demo.user("ez_head"),
        "action": AuditAction.APPROVE,
        "result": AuditResult.OK,
        "stage": Stage.UNIT_HEAD,
        "opinion": "伪造的同意",
    }


@pytest.mark.django_db
def test_audit_rows_cannot_be_written_outside_record_event(demo):
    """AuditEvent(...).save(), objects.create, get_or_create and bulk_create all raise outside
    record_event, and no row is written."""
    count = AuditEvent.objects.count()
    fields = _event_fields(demo)
    with pytest.raises(TypeError):
        AuditEvent(**fields).save()
    with pytest.raises(TypeError):
        AuditEvent(**fields).save(force_insert=True)
    with pytest.raises(TypeError):
        AuditEvent.objects.create(**fields)
    with pytest.raises(TypeError):
        AuditEvent.objects.get_or_create(**fields)
    with pytest.raises(TypeError):
        AuditEvent.objects.bulk_create([AuditEvent(**fields)])
    assert AuditEvent.objects.count() == count


@pytest.mark.django_db
def test_record_event_is_the_way_in(demo):
    """record_event appends a verifiable event; the object it returns cannot be saved again."""
    event = record_event(action=AuditAction.COMMENT, actor=demo.user("ez_head"), opinion="说明")
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert event.chain.startswith("shard:")
    assert verify_audit() == []
    event.opinion = "改"
    with pytest.raises(TypeError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).opinion == "说明"


SCANNED = [
    "audit",
    "organisations",
    "declarations",
    "review",
    "notifications",
    "web",
    "api",
    "demo",
    "config",
]
WRITES = re.compile(
    r"(?<!class )\bAuditEvent\s*\("
    r"|\bAuditEvent\s*\.\s*(?:objects|_base_manager|_default_manager)\s*\.\s*"
    r"(?:create|bulk_create|get_or_create|update_or_create|update|delete)\b"
    r"|INSERT\s+INTO\s+\W?approval_workflow_auditevent",
    re.IGNORECASE,
)


def test_only_workflow_audit_creates_audit_events_in_the_source():
    """A scan of the project's Python files: AuditEvent( and AuditEvent.objects.create (or any
    other write) appear only in audit/log.py."""
    root = Path(settings.BASE_DIR)
    found = {}
    for package in SCANNED:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            hits = WRITES.findall(path.read_text(encoding="utf-8"))
            if hits:
                found[str(path.relative_to(root))] = hits
    assert "audit/log.py" in found, "the scan must see record_event's own write"
    assert set(found) == {"audit/log.py"}, found


@pytest.mark.django_db
def test_refused_attempts_are_shown_to_auditors_not_to_the_preparer(client, demo):
    """Auditors find refused attempts in the audit log (/audit/?result=refused), and in the
    declaration's history when the actor could see the declaration; an attempt on a declaration
    the actor may not see stays off that declaration's history. The preparer's history shows
    only what happened; reviewers cannot open the audit log."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    login(client, "ny_dept")
    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 404
    hidden = AuditEvent.objects.get(result=AuditResult.REFUSED)
    login(client, "ez_finance")
    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 404
    login(client, "auditor")
    assert client.post(f"/tasks/{task.pk}/approve/", {"opinion": "同意"}).status_code == 403
    visible = AuditEvent.objects.get(result=AuditResult.REFUSED, actor__username="auditor")

    log = client.get("/audit/", {"result": "refused"})
    assert log.status_code == 200
    assert f"<td>{hidden.pk}</td>" in log.content.decode()
    assert f"<td>{visible.pk}</td>" in log.content.decode()
    history = client.get(f"/declarations/{declaration.pk}/history/").content.decode()
    assert history.count("被拒绝") == 1

    login(client, EZ.preparer)
    history = client.get(f"/declarations/{declaration.pk}/history/").content.decode()
    assert "被拒绝" not in history
    assert "同意" in history
    for username in (EZ.preparer, "ez_dept"):
        login(client, username)
        assert client.get("/audit/").status_code == 403
