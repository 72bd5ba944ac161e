"""What a review service answers when it cannot do what was asked, other than a refusal by the
rulebook (review.permissions.NotAllowed and NotFound). Each carries a message in Chinese; the
pages and the API turn them into their own answers (409, 400, 429)."""

from datetime import datetime

from django.utils import timezone

from declarations.validation import SubmitErrors


class ServiceError(Exception):
    """Base of the services' own errors; `message` is what the person is told."""

    default_message = ""

    def __init__(self, message: str = ""):
        self.message = message or self.default_message
        super().__init__(self.message)


class AlreadyHandled(ServiceError):
    """The task was decided (or withdrawn) by someone else first (HTTP 409)."""

    default_message = "该任务已被处理，请刷新查看最新状态。"


class OpinionRequired(ServiceError):
    """A return, a rejection or a hand-over needs an opinion or a reason (HTTP 400)."""

    default_message = "请填写审核意见。"


class StaleDeclaration(ServiceError):
    """Someone saved the declaration since this form was opened (HTTP 409)."""

    def __init__(self, current_version: int):
        super().__init__(
            f"申报表已被他人修改（当前版本 {current_version}），您的输入已暂存，请核对后再保存。"
        )
        self.current_version = current_version


class SubmitRejected(ServiceError):
    """The declaration does not meet the submission rules; `errors` says where (HTTP 400)."""

    def __init__(self, errors: SubmitErrors):
        super().__init__(f"申报表有 {errors.count} 处需要修改，未能提交。")
        self.errors = errors


class UrgeTooSoon(ServiceError):
    """The current stage was urged less than 24 hours ago (HTTP 429)."""

    def __init__(self, next_allowed: datetime):
        local = timezone.localtime(next_allowed)
        super().__init__(f"24小时内已催办过，请于 {local:%Y-%m-%d %H:%M} 之后再催办。")
        self.retry_after = max(1, int((next_allowed - timezone.now()).total_seconds()))


class PhraseInvalid(ServiceError):
    """An opinion phrase that is empty or too long (HTTP 400)."""
