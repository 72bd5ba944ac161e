from django.core.management.base import BaseCommand, CommandError

from audit.roles import RoleError, as_owner, grant_app_role


class Command(BaseCommand):
    help = (
        "Grant the application's database role what it needs: everything on the other tables, "
        "only INSERT and SELECT on the audit tables (PostgreSQL; run as the tables' owner, "
        "with MIGRATION_DATABASE_URL, after every migrate)."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the role that DATABASE_URL connects as")

    def handle(self, *args, role, **options):
        try:
            with as_owner():
                statements = grant_app_role(role)
        except RoleError as error:
            raise CommandError(str(error)) from None
        for statement in statements:
            self.stdout.write(f"{statement};", style_func=None)
        self.stdout.write(
            self.style.SUCCESS(f"已授权：“{role}”对审计表只能插入和读取，对其他表可读写")
        )
