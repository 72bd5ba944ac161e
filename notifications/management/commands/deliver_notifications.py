from django.core.management.base import BaseCommand

from notifications.delivery import deliver_due


class Command(BaseCommand):
    help = "Send every e-mail notification whose (next) attempt is due."

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS(f"deliveries: {deliver_due()}"))
