"""GET /api/declarations/{id}/audit-proof/: the declaration's events with inclusion proofs
against the newest signed checkpoint, for its jurisdiction's auditors and its own unit (404 for
everyone else). The bundle verifies offline with tools/verify_audit_bundle.py, and fails,
naming the event, once an opinion in it is altered."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.checkpoints import seal_checkpoint
from audit.models import AuditEvent
from declarations.stages import Stage
from review import services as review
from tests.api.helpers import expect
from tests.review.helpers import EZ, EZ_PROJECT, advance_to, seed, user

ROOT = Path(__file__).resolve().parents[2]
OPINION = "请补充测算依据"

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(demo):
    """The 鄂州 seed declaration, submitted, claimed and returned with an opinion."""
    declaration = seed(EZ_PROJECT)
    task = advance_to(declaration, Stage.DEPARTMENT)
    review.task_claim(actor=user("ez_dept"), task_id=task.pk)
    review.task_return(actor=user("ez_dept"), task_id=task.pk, opinion=OPINION)
    return declaration


def _url(declaration) -> str:
    return f"/api/declarations/{declaration.pk}/audit-proof/"


def _verify(bundle: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run the offline verifier as an auditor would, on the bundle and the log's public key."""
    key = tmp_path / "audit-public.pem"
    out = StringIO()
    call_command("audit_public_key", stdout=out)
    key.write_text(out.getvalue())
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "tools/verify_audit_bundle.py", str(path), "--public-key", str(key)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bundle_from_the_api_verifies_offline_and_an_altered_opinion_fails(
    api, returned, tmp_path
):
    seal_checkpoint()
    bundle = expect(api("ez_auditor").get(_url(returned)), 200)
    events = AuditEvent.objects.filter(declaration=returned)
    assert [e["event"]["id"] for e in bundle["events"]] == list(
        events.order_by("pk").values_list("pk", flat=True)
    )
    assert bundle["pending"] == 0

    passed = _verify(bundle, tmp_path)
    assert passed.returncode == 0, passed.stderr
    assert f"已证明的事件：{len(bundle['events'])} 个" in passed.stdout

    (position, entry) = next(
        (n, e) for n, e in enumerate(bundle["events"], 1) if e["event"]["opinion"] == OPINION
    )
    entry["event"]["opinion"] = "同意"
    failed = _verify(bundle, tmp_path)
    assert failed.returncode == 1
    assert f"第 {position} 个事件" in failed.stderr
    assert f"id {entry['event']['id']}" in failed.stderr
    assert "验证失败" in failed.stderr


def test_the_declarations_own_unit_gets_the_bundle(api, returned):
    """Its unit (preparer and head) gets the bundle, without refused attempts, which only
    overseers read."""
    seal_checkpoint()
    for username in (EZ.preparer, "ez_head"):
        bundle = expect(api(username).get(_url(returned)), 200)
        assert bundle["events"]
        assert all(e["event"]["result"] == "ok" for e in bundle["events"])


@pytest.mark.parametrize("username", ["ny_auditor", "ez_dept", "ny_preparer"])
def test_everyone_else_gets_404(api, returned, username):
    """An auditor of the other jurisdiction, a reviewer who sees the declaration and a preparer
    of another unit: the same 404 as for a declaration that does not exist."""
    seal_checkpoint()
    response = api(username).get(_url(returned))
    assert response.status_code == 404
    assert api(username).get("/api/declarations/999999/audit-proof/").status_code == 404


def test_events_newer_than_the_checkpoint_are_counted_as_pending(api, returned):
    seal_checkpoint()
    before = expect(api("ez_auditor").get(_url(returned)), 200)
    review.declaration_comment(actor=user(EZ.preparer), declaration_id=returned.pk, text="已补充")
    after = expect(api("ez_auditor").get(_url(returned)), 200)
    assert after["pending"] == 1
    assert after["events"] == before["events"]

    seal_checkpoint()
    sealed = expect(api("ez_auditor").get(_url(returned)), 200)
    assert sealed["pending"] == 0
    assert len(sealed["events"]) == len(before["events"]) + 1


def test_before_any_checkpoint_every_event_is_pending(api, returned):
    bundle = expect(api("ez_auditor").get(_url(returned)), 200)
    assert bundle["checkpoint"] is None
    assert bundle["events"] == []
    assert bundle["pending"] == AuditEvent.objects.filter(declaration=returned).count()
