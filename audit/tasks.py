from celery import shared_task

from audit.log import write_checkpoint


@shared_task(name="workflow.audit_checkpoint")
def audit_checkpoint() -> int:
    """Seal all audit chain heads; returns the checkpoint's id."""
    return write_checkpoint().pk
