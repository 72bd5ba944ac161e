from django.core.management.base import BaseCommand, CommandError

from audit.keys import signing_key
from audit.signing import SigningKeyError, public_key_pem


class Command(BaseCommand):
    help = (
        "Print the public key of the audit log's signing key as PEM: what an auditor passes to "
        "tools/verify_audit_bundle.py --public-key."
    )

    def handle(self, *args, **options):
        try:
            key = signing_key()
        except SigningKeyError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(public_key_pem(key), ending="")
