import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm  # type: ignore[import-untyped]  # (no types-tqdm in the dev set)

from audit.models import AuditEvent, VerificationRun
from audit.signing import SigningKeyError, public_key_from_pem
from audit.verification import Outcome, VerificationError, verify_log


class Command(BaseCommand):
    help = (
        "Verify the audit log in one streaming pass: every event's HMAC chain and Merkle leaf, "
        "every signed checkpoint, every anchored checkpoint; exit 1 naming the first problem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=int,
            metavar="CHECKPOINT",
            help="verify only what is new after this checkpoint (its tree size)",
        )
        parser.add_argument(
            "--public-key",
            metavar="FILE",
            help="the log's public key (PEM); by default derived from AUDIT_SIGNING_KEY",
        )
        parser.add_argument(
            "--trigger", default="命令行", help="what started the run, as the auditor's page shows"
        )

    def handle(self, *args, since, public_key, trigger, **options):
        key = _read_public_key(public_key) if public_key else None
        bar = _progress_bar(since)
        try:
            outcome = verify_log(since=since, public_key=key, progress=bar.update if bar else None)
        except (VerificationError, SigningKeyError) as error:
            raise CommandError(str(error)) from None
        finally:
            if bar is not None:
                bar.close()
        _record(outcome, trigger)
        if outcome.problems:
            self.stderr.write(f"审计日志核验未通过：发现 {len(outcome.problems)} 个问题")
            self.stderr.write(f"第一个问题：{outcome.problems[0]}")
            for problem in outcome.problems[1:20]:
                self.stderr.write(f"  另有：{problem}")
            raise CommandError(f"第一个问题：{outcome.problems[0]}", returncode=1)
        self.stdout.write(self.style.SUCCESS(_summary(outcome)))


def _read_public_key(path: str):
    try:
        return public_key_from_pem(Path(path).read_bytes())
    except OSError as error:
        raise CommandError(f"无法读取公钥文件 {path}：{error.strerror}") from None
    except SigningKeyError as error:
        raise CommandError(f"公钥文件 {path}：{error}") from None


def _progress_bar(since: int | None):
    """A progress bar on a terminal only; logs and pipes stay clean."""
    if not sys.stderr.isatty():
        return None
    total = AuditEvent.objects.count() - (since or 0)
    return tqdm(total=max(total, 0), unit="事件", unit_scale=True, desc="核验审计日志")


def _summary(outcome: Outcome) -> str:
    scope = f"检查点 {outcome.since} 之后的" if outcome.since is not None else ""
    return (
        f"审计日志核验通过：{scope}{outcome.events} 个事件，树大小 {outcome.tree_size}，"
        f"{outcome.checkpoints} 个签名检查点，{outcome.anchors} 个锚定检查点，"
        f"用时 {outcome.seconds:.1f} 秒"
    )


def _record(outcome: Outcome, trigger: str) -> None:
    VerificationRun.objects.create(
        at=timezone.now(),
        trigger=trigger[:100],
        ok=outcome.ok,
        result=_summary(outcome) if outcome.ok else f"未通过：{outcome.problems[0]}"[:2000],
        events=outcome.events,
        tree_size=outcome.tree_size,
        since=outcome.since,
        seconds=outcome.seconds,
    )
