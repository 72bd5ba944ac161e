from celery import shared_task

from audit.checkpoints import seal_checkpoint


@shared_task(name="workflow.audit_checkpoint")
def audit_checkpoint() -> int:
    """Fold new audit events into the Merkle tree and sign the checkpoint; returns its size."""
    checkpoint = seal_checkpoint().checkpoint
    return checkpoint.size if checkpoint is not None else 0
