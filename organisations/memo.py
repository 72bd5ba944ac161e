"""Look-ups remembered for the length of one unit of work (a review service's transaction, one
batch of a sweep): who holds a role, a stage's time limit, the calendar. Outside such a block
nothing is remembered, so a page or a long-lived process never reads stale rows."""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("organisations_memo", default=None)


@contextmanager
def memo_scope() -> Iterator[None]:
    """Remember look-ups until the block ends; nested blocks share the outermost one's."""
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), or what it gave for this key earlier in the same memo_scope."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def remember(key: Hashable, value: T) -> T:
    """Keep `value` under `key` for the rest of the memo_scope (a row just read or locked)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value
    return value
