from django.core.management.base import BaseCommand, CommandError

from audit.log import verify_audit
from audit.models import AuditCheckpoint, AuditEvent, ChainHead


class Command(BaseCommand):
    help = "Verify the audit log's hash chains and checkpoints; exit 1 naming the first bad event."

    def handle(self, *args, **options):
        problems = verify_audit()
        if problems:
            self.stderr.write(f"audit log verification FAILED: {len(problems)} problem(s)")
            self.stderr.write(f"first bad: {problems[0]}")
            for problem in problems[1:20]:
                self.stderr.write(f"  also: {problem}")
            raise CommandError(f"first bad: {problems[0]}", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(
                f"audit log OK: {AuditEvent.objects.count()} events in "
                f"{ChainHead.objects.count()} chains, {AuditCheckpoint.objects.count()} checkpoints"
            )
        )
