from django.core.management.base import BaseCommand

from notifications.digest import send_weekly_digest


class Command(BaseCommand):
    help = "Send this week's digest to reviewers and heads (idempotent within a week)."

    def handle(self, *args, **options):
        self.stdout.write(
            self.style.SUCCESS(f"weekly digest: {send_weekly_digest()} notifications")
        )
