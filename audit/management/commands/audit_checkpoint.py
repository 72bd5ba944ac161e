from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import seal_checkpoint
from audit.signing import SigningKeyError


class Command(BaseCommand):
    help = (
        "Fold new audit events into the Merkle tree, sign and anchor the checkpoint "
        "(beat runs it every minute); prints the tree's size and root."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--full",
            action="store_true",
            help="look through every event for one without a leaf, not only recent ones",
        )

    def handle(self, *args, full: bool = False, **options):
        try:
            sealed = seal_checkpoint(full=full)
        except SigningKeyError as error:
            raise CommandError(str(error)) from None
        checkpoint = sealed.checkpoint
        if checkpoint is None:
            self.stdout.write("审计日志为空：没有可签发的检查点")
            return
        verb = f"新增 {sealed.added} 个叶，已签发" if sealed.added else "没有新事件，沿用"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}检查点：树大小 {checkpoint.size}，根哈希 {checkpoint.root}，"
                f"签发时间 {checkpoint.at:%Y-%m-%d %H:%M:%S}"
            )
        )
