from django.core.management.base import BaseCommand, CommandError

from audit.signing import create_key_file


class Command(BaseCommand):
    help = (
        "Write a new Ed25519 signing key for the audit log's checkpoints to PATH (PKCS#8 PEM, "
        "mode 600); refuses to overwrite a file. Point AUDIT_SIGNING_KEY at it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="where to write the private key (PEM)")

    def handle(self, *args, path: str, **options):
        try:
            create_key_file(path)
        except FileExistsError:
            raise CommandError(f"{path} 已存在：不会覆盖已有的密钥文件") from None
        except OSError as error:
            raise CommandError(f"无法写入 {path}：{error.strerror}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成审计签名密钥 {path}（仅所有者可读写）；请把 AUDIT_SIGNING_KEY 设为这个路径"
            )
        )
