from django.core.management.base import BaseCommand

from demo.data import DEMO_LOGINS, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo jurisdictions, organisations and accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help=f"password for every demo account (default {DEMO_PASSWORD})",
        )
        parser.add_argument("--quiet", action="store_true", help="do not print the demo logins")

    def handle(self, *args, password: str, quiet: bool, **options):
        report = load_demo(password=password)
        self.stdout.write(
            self.style.SUCCESS(f"demo data: {report.created} created, {report.updated} updated")
        )
        if quiet:
            return
        self.stdout.write(f"demo logins (password: {password}):")
        for username, title in DEMO_LOGINS:
            self.stdout.write(f"  {username:<12} {title}")
