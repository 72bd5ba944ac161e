"""Throttling of failed logins, shared by the login page and the API token endpoint.

Brute force is held back (OWASP ASVS 5.0, 6.3) without letting an attacker lock a real user out.
An attempt is held to the counters of what vouches for it:

- a browser whose device cookie names the account (organisations.devices): only that browser's
  own failures on the account count, up to LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS;
- an address the account has logged in from within KNOWN_ADDRESS_DAYS (KnownLoginAddress, in the
  database): only failures on the account from that address count, up to the same limit. Past it
  the address stops being known for that account until the window ends. This is the one case in
  which a correct password from a known address is refused: the failures came from that very
  address, so someone there is guessing; the owner's browser still gets in with its cookie.
- nothing (an untrusted attempt): failures on the account from that address (one machine guessing
  one password), failures from that address on accounts not known there (one machine trying many
  accounts, LOGIN_FAILURES_PER_ADDRESS), and untrusted failures on the account from anywhere (a
  spread-out attack on one account, LOGIN_FAILURES_PER_ACCOUNT).

Failures elsewhere, or on other account names, therefore never refuse a known browser or address.
Successful logins are never limited. Counters are fixed windows of LOGIN_FAILURE_WINDOW_SECONDS in
the cache, each window's start part of its key, so a refusal knows when it ends. With the cache
unreachable, throttling is skipped with a logged warning rather than refusing every login.
"""

import hashlib
import logging
import math
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from audit.context import client_ip
from organisations.devices import Device, device_of
from organisations.models import KnownLoginAddress

logger = logging.getLogger(__name__)

KNOWN_ADDRESS_DAYS = 90


class TooManyFailures(Exception):
    """A login attempt held back; says in Chinese when to try again."""

    def __init__(self, until: datetime):
        now = timezone.now()
        self.retry_after = max(1, math.ceil((until - now).total_seconds()))
        self.message = retry_message(until, now=now)
        super().__init__(self.message)


def retry_message(until: datetime, *, now: datetime) -> str:
    """登录失败次数过多，请于 14:35 后再试（约 12 分钟）。 (local time, rounded up to the minute)"""
    shown = timezone.localtime(until)
    if shown.second or shown.microsecond:
        shown = shown.replace(second=0, microsecond=0) + timedelta(minutes=1)
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    day = "" if shown.date() == timezone.localtime(now).date() else f"{shown.month}月{shown.day}日 "
    return f"登录失败次数过多，请于 {day}{shown:%H:%M} 后再试（约 {minutes} 分钟）。"


@dataclass(frozen=True)
class Counter:
    """Failures of one kind within the current fixed window."""

    base: str
    limit: int

    def window(self) -> tuple[str, int]:
        """The current window's cache key and the epoch second at which it ends."""
        length = max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        # Windows are staggered per counter so that they do not all reopen at the same second.
        offset = zlib.crc32(self.base.encode()) % length
        now = int(timezone.now().timestamp())
        start = now - (now - offset) % length
        return f"{self.base}:{start}", start + length


@dataclass(frozen=True)
class LoginAttempt:
    """One login attempt and the counters it is held to."""

    username: str
    address: str
    user_id: int | None
    # Most specific first: the browser, or the account at this address; a success clears it.
    counters: tuple[Counter, ...]


def _base(*parts: str) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"login-fail:{parts[0]}:{digest}"


def _account(username: str) -> str:
    return (username or "").strip().lower()


def _cache(operation, *args, default=None):
    try:
        return operation(*args)
    except Exception as error:
        logger.warning(
            "Login throttling skipped: the cache is unreachable (%s)", type(error).__name__
        )
        return default


def _user_id(username: str) -> int | None:
    model = get_user_model()
    users = model._default_manager.filter(**{model.USERNAME_FIELD: username})
    return users.values_list("pk", flat=True).first()


def is_known_address(*, user_id: int | None, address: str) -> bool:
    """Whether the account has logged in from this address within KNOWN_ADDRESS_DAYS."""
    if user_id is None:
        return False
    since = timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return KnownLoginAddress.objects.filter(
        user_id=user_id, address=address, last_used_at__gte=since
    ).exists()


def _counts(counters: list[Counter]) -> dict[Counter, int]:
    keys = {counter: counter.window()[0] for counter in counters}
    values = _cache(cache.get_many, list(keys.values()), default={}) or {}
    return {counter: int(values.get(key) or 0) for counter, key in keys.items()}


def login_attempt_start(*, username: str, address: str, device: Device | None) -> LoginAttempt:
    """The attempt and the counters it is held to; raises TooManyFailures when it is held back."""
    account, user_id = _account(username), _user_id(username)
    limit = settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS
    pair = Counter(_base("account+address", account, address), limit)
    untrusted = [
        pair,
        Counter(_base("address", address), settings.LOGIN_FAILURES_PER_ADDRESS),
        Counter(_base("account", account), settings.LOGIN_FAILURES_PER_ACCOUNT),
    ]
    browser = None
    if device is not None and device.vouches_for(user_id):
        browser = Counter(_base("device", device.id, str(user_id)), limit)
    counts = _counts([*untrusted, *([browser] if browser else [])])

    def attempt(*counters: Counter) -> LoginAttempt:
        return LoginAttempt(username, address, user_id, counters)

    if browser is not None and counts[browser] < browser.limit:
        return attempt(browser)
    if counts[pair] < pair.limit and is_known_address(user_id=user_id, address=address):
        return attempt(pair)
    reached = [counter for counter in untrusted if counts[counter] >= counter.limit]
    if reached:
        end = max(counter.window()[1] for counter in reached)
        raise TooManyFailures(datetime.fromtimestamp(end, tz=UTC))
    return attempt(*untrusted)


def _increment(key: str, timeout: int) -> None:
    if cache.add(key, 1, timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout)


def login_failure_record(*, attempt: LoginAttempt) -> None:
    """Count a failed attempt against every counter it is held to."""
    now = int(timezone.now().timestamp())
    for counter in attempt.counters:
        key, end = counter.window()
        _cache(_increment, key, end - now + 1)


def login_success_record(*, attempt: LoginAttempt, user_id: int) -> None:
    """Clear the failures of the browser, or of the account at this address, that the attempt
    was held to first, and remember the address as known to the account."""
    _cache(cache.delete, attempt.counters[0].window()[0])
    now = timezone.now()
    KnownLoginAddress.objects.update_or_create(
        user_id=user_id, address=attempt.address, defaults={"last_used_at": now}
    )
    KnownLoginAddress.objects.filter(
        last_used_at__lt=now - timedelta(days=KNOWN_ADDRESS_DAYS)
    ).delete()


def login_attempt_for(request, username: str) -> LoginAttempt:
    """Start a throttled login attempt for a request (page or API); may raise TooManyFailures."""
    return login_attempt_start(
        username=username,
        address=client_ip(request) or "unknown",
        device=device_of(request),
    )
