"""Events written in a batch (a sweep's): each goes on its declaration's chain, a chain that
has no head yet gets one, and the log verifies afterwards."""

import pytest

from audit.log import record_events
from audit.models import AuditAction, AuditEvent, ChainHead
from audit.verification import verify_audit
from declarations.models import Declaration
from tests.audit.helpers import chain_events


@pytest.mark.django_db
def test_a_batch_extends_existing_chains_and_starts_missing_ones(history):
    """One declaration with a chain already, one without (a row copied without the services):
    both get their event, at the next place of their own chain, and the log verifies."""
    copy = Declaration.objects.get(pk=history.pk)
    copy.pk = None
    copy.save()
    existing = len(chain_events(history))
    assert not ChainHead.objects.filter(chain=f"declaration:{copy.pk}").exists()

    written = record_events(
        [
            {"action": AuditAction.ESCALATE, "declaration": declaration, "stage": "department"}
            for declaration in (history, copy)
        ]
    )

    assert written == 2
    assert chain_events(history)[-1].seq == existing + 1
    started = AuditEvent.objects.get(chain=f"declaration:{copy.pk}")
    assert (started.seq, started.action) == (1, AuditAction.ESCALATE)
    assert ChainHead.objects.get(chain=f"declaration:{copy.pk}").seq == 1
    assert verify_audit() == []
