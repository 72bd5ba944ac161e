"""Django's `migrate`, connected as the tables' owner when MIGRATION_DATABASE_URL is set."""

from django.core.management.commands import migrate

from audit.roles import as_owner


class Command(migrate.Command):
    help = migrate.Command.help + " Connects with MIGRATION_DATABASE_URL (the owner) when set."

    def handle(self, *args, **options):
        with as_owner(options["database"]):
            return super().handle(*args, **options)
