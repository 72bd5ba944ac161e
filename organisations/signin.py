"""Throttling of failed logins, shared by the login page and the API token endpoint.

Three counters of failures within a window: per client address (stops one machine trying many
accounts), per account and address (stops one machine guessing one password), and per account
from addresses that have never logged in to it (stops a spread-out attack on one account). The
last one never blocks an address the account's owner has used successfully, so an attacker
cannot lock a real user out. Successful logins are never limited and reset their counter.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache

KNOWN_ADDRESS_SECONDS = 90 * 24 * 3600


class TooManyFailures(Exception):
    def __init__(self, retry_after: int):
        super().__init__("登录失败次数过多，请稍后再试。")
        self.retry_after = retry_after
        self.message = str(self)


def _key(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"login-fail:{digest}"


def _normalise(username: str) -> str:
    return (username or "").strip().lower()


def _counters(username: str, address: str) -> list[tuple[str, int]]:
    user = _normalise(username)
    counters = [
        (_key("address", address), settings.LOGIN_FAILURES_PER_ADDRESS),
        (_key("account+address", user, address), settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS),
    ]
    if not is_known_address(username, address):
        counters.append((_key("account", user), settings.LOGIN_FAILURES_PER_ACCOUNT))
    return counters


def is_known_address(username: str, address: str) -> bool:
    return bool(cache.get(_key("known", _normalise(username), address)))


def check(username: str, address: str) -> None:
    """Raise TooManyFailures before the password is even looked at, when a limit is reached."""
    for key, limit in _counters(username, address):
        if (cache.get(key) or 0) >= limit:
            raise TooManyFailures(settings.LOGIN_FAILURE_WINDOW_SECONDS)


def record_failure(username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, _ in _counters(username, address):
        if cache.add(key, 1, window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window)


def record_success(username: str, address: str) -> None:
    user = _normalise(username)
    cache.delete(_key("account+address", user, address))
    cache.set(_key("known", user, address), 1, KNOWN_ADDRESS_SECONDS)
