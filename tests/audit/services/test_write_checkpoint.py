"""write_checkpoint seals every chain head: a chain cut at its end, with its head rewound to
match, is still caught."""

import pytest

from audit.log import write_checkpoint
from audit.models import ChainHead
from tests.audit.helpers import EVENTS, chain_events, tamper, verify_fails


@pytest.mark.django_db
def test_checkpoint_detects_a_cut_chain_with_a_rewound_head(history, capsys):
    """Deleting the newest events and rewinding the chain head to match is caught by the last
    checkpoint, which sealed the old head."""
    write_checkpoint()
    events = chain_events(history)
    keep = events[-3]
    tamper(
        f"DELETE FROM {EVENTS} WHERE chain = %s AND seq > %s",  # noqa: S608
        [keep.chain, keep.seq],
    )
    ChainHead.objects.filter(chain=keep.chain).update(seq=keep.seq, hash=keep.hash)
    _error, output = verify_fails(capsys)
    assert keep.chain in output
    assert "旧检查点" in output
