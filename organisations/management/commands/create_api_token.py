from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from organisations.tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Issue a new API token for USER and print the token alone on stdout "
        "(send it as `Authorization: Token <token>`; it expires after API_TOKEN_TTL_DAYS unused)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the account the token is for")

    def handle(self, *args, username: str, **options):
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在。")
        if not user.is_active:
            raise CommandError(f"用户 {username} 已停用，不能签发令牌。")
        self.stdout.write(api_token_create(user=user))
