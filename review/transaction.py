"""How every review service runs: in one database transaction, and with the refusals it records
written after that transaction ends, so that a refused change's rollback never erases its
refusal from the audit log."""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import transaction

from audit.log import refusals_survive_rollback
from organisations.memo import memo_scope

P = ParamSpec("P")
R = TypeVar("R")


def service(function: Callable[P, R]) -> Callable[P, R]:
    """Run the service atomically, keeping the refusals it records; look-ups made inside
    (organisations.memo) are read once."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with refusals_survive_rollback(), memo_scope(), transaction.atomic():
            return function(*args, **kwargs)

    return run
