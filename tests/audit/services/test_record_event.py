"""record_event is the one way into the audit log: each declaration's events form one
gapless chain, no other code path can write a row, and the source holds no other write."""

import itertools
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from audit.log import GENESIS, record_event
from audit.models import AuditAction, AuditEvent, AuditResult, ChainHead
from audit.verification import verify_audit
from declarations.models import Stage
from tests.audit.helpers import chain_events


@pytest.mark.django_db
def test_each_declaration_has_its_own_gapless_chain(history):
    """Events of a declaration form one chain: seq 1..n, each linked to its predecessor's
    hash, the chain head pointing at the last one."""
    events = chain_events(history)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[0].prev_hash == GENESIS
    for previous, event in itertools.pairwise(events):
        assert event.prev_hash == previous.hash
    head = ChainHead.objects.get(chain=f"declaration:{history.pk}")
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    # A refused attempt is on its actor's chain, so nobody can grow a declaration's chain by
    # being refused on it.
    assert not [e for e in events if e.result == AuditResult.REFUSED]
    (refused,) = AuditEvent.objects.filter(result=AuditResult.REFUSED)
    assert (refused.chain, refused.declaration_id) == (f"actor:{refused.actor_id}", history.pk)


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
