"""Device cookies: a browser that has logged in to an account successfully says so at its next
login, and failures elsewhere never lock it out (OWASP, "Slow Down Online Guessing Attacks with
Device Cookies").

The cookie is signed with django.core.signing (it cannot be forged or moved to another account),
HttpOnly, SameSite=Lax, Secure when session cookies are, and lives for a year. It holds a random
id of the browser, so that failures made with it can be counted against it, and the ids of the
accounts that logged in from it (several people may share a browser).
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

COOKIE_NAME = "login_device"
COOKIE_MAX_AGE = 365 * 24 * 3600
MAX_ACCOUNTS = 20
_SALT = "organisations.devices"


@dataclass(frozen=True)
class Device:
    """A browser, and the accounts that have logged in from it."""

    id: str
    user_ids: tuple[int, ...] = ()

    def vouches_for(self, user_id: int | None) -> bool:
        """Whether this browser has logged in to that account before."""
        return user_id is not None and user_id in self.user_ids


def device_of(request) -> Device | None:
    """The browser's device, if it sent a valid device cookie."""
    value = request.COOKIES.get(COOKIE_NAME)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_SALT, max_age=COOKIE_MAX_AGE)
        return Device(id=str(data["d"]), user_ids=tuple(int(pk) for pk in data["u"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def remember_login(response, *, request, user_id: int) -> None:
    """Set (or renew) the device cookie so that it vouches for this account too."""
    device = device_of(request) or Device(id=secrets.token_urlsafe(16))
    user_ids = [pk for pk in device.user_ids if pk != user_id][-(MAX_ACCOUNTS - 1) :]
    value = signing.dumps({"d": device.id, "u": [*user_ids, user_id]}, salt=_SALT)
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
        samesite="Lax",
    )
