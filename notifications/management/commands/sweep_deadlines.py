from django.core.management.base import BaseCommand

from notifications.sweeps import sweep_deadlines


class Command(BaseCommand):
    help = "Send due reminders and escalations (what Celery beat runs every few minutes)."

    def handle(self, *args, **options):
        report = sweep_deadlines()
        self.stdout.write(self.style.SUCCESS(f"deadline sweep: {report.as_dict()}"))
