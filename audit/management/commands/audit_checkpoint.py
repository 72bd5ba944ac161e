from django.core.management.base import BaseCommand

from audit.log import write_checkpoint


class Command(BaseCommand):
    help = "Seal every audit chain head in a new checkpoint (run periodically; Celery beat does)."

    def handle(self, *args, **options):
        checkpoint = write_checkpoint()
        self.stdout.write(
            self.style.SUCCESS(
                f"checkpoint #{checkpoint.pk}: {len(checkpoint.heads)} chain heads sealed"
            )
        )
